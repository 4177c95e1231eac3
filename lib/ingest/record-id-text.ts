import { singleFieldName } from '../jmespath';
import type { CompiledWorkflow } from '../workflow';

/**
 * A record's id read from its JSON text by the splitter, which must know every record's id in file order
 * (the first line of each id keeps it) but cannot afford to parse every record: the consumer parses it
 * anyway, and a second JSON.parse (or any character-by-character scan in JavaScript) costs about a sixth of
 * ingest's time. A `recordId` that is one top-level field is found with `indexOf` instead:
 *
 * - On a valid JSON text the answer is exactly the consumer's: JSON.parse, then the workflow's recordIdOf
 *   (the object's own property, the last one when a key repeats; a string, or a number as a string). The
 *   property tests hold the two to the same answers.
 * - On any other text (not JSON, or a text the splitter's reader cannot be sure of) the answer is still a
 *   function of the text alone, so the consumer, reading the same text with the same function, agrees with
 *   the splitter: a line that is not valid JSON but names an id at its top level keeps that id too (its
 *   `invalid` message carries it), so that the line the splitter kept is the line that holds the id.
 */
export function recordIdReader(recordId: string, recordIdOf: (record: unknown) => string | undefined): (text: string) => string | undefined {
  const parsed = (text: string): string | undefined => {
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch {
      return undefined;
    }
    if (record === null || typeof record !== 'object' || Array.isArray(record)) return undefined;
    try {
      return recordIdOf(record);
    } catch {
      // The consumer makes such a record UnprocessableRecord, under its position: it holds no id.
      return undefined;
    }
  };
  const field = singleFieldName(recordId);
  if (field === undefined || !isPlainField(field)) return parsed;
  const read = topLevelFieldReader(field);
  return (text) => {
    const id = read(text);
    return id === UNDECIDED ? parsed(text) : id;
  };
}

const readers = new WeakMap<CompiledWorkflow, (text: string) => string | undefined>();

/** The workflow's recordIdReader, made once per compiled workflow; undefined when the workflow has no `recordId` (ids are positions). */
export function recordIdOfText(workflow: CompiledWorkflow): ((text: string) => string | undefined) | undefined {
  const { recordId } = workflow.definition;
  if (recordId === undefined) return undefined;
  let reader = readers.get(workflow);
  if (!reader) readers.set(workflow, (reader = recordIdReader(recordId, (record) => workflow.recordIdOf(record))));
  return reader;
}

/** A text the fast reader leaves to JSON.parse. */
export const UNDECIDED = Symbol('undecided');

/**
 * A key can spell a field in the text only literally or with `\u` escapes when the field has no character
 * JSON writes with another escape (`"`, `\`, `/`, control characters): then looking for `"<field>"` and for
 * keys holding `\u` finds every key that is the field. And when the field does not start with what may follow
 * a string (whitespace, `,`, `:`, `}`, `]`), the quote before it in a valid text opens a string.
 */
function isPlainField(field: string): boolean {
  // eslint-disable-next-line no-control-regex -- control characters are what JSON must escape
  return field.length > 0 && !/["\\/\u0000-\u001f]/.test(field) && !/^[\s,:}\]]/.test(field);
}

/**
 * The field of the top-level object, read as described above: each key token `"<field>":` is found with
 * indexOf, its depth by scanning the text before it (only the characters between strings are looked at), and
 * the last one at the top level gives the value. UNDECIDED when a key holds a `\u` escape (it might spell the field).
 */
export function topLevelFieldReader(field: string): (text: string) => string | undefined | typeof UNDECIDED {
  const token = `"${field}"`;
  return (text) => {
    const start = spaces(text, 0);
    if (text.charCodeAt(start) !== OPEN_BRACE) return undefined;
    // Most records hold no backslash at all: one single-character search settles that.
    const backslash = text.indexOf('\\');
    if (backslash !== -1 && keyHoldsUnicodeEscape(text, backslash)) return UNDECIDED;
    let found: string | undefined;
    // Depth of the position `scanned` reached: 1 is inside the top-level object.
    let depth = 0;
    let scanned = start;
    for (let at = text.indexOf(token, start); at !== -1; at = text.indexOf(token, at + token.length)) {
      if (isEscaped(text, at)) continue; // inside a string: `\"<field>"`
      const colon = spaces(text, at + token.length);
      if (text.charCodeAt(colon) !== COLON) continue; // a string value, not a key
      const reached = depthAt(text, scanned, at, depth);
      if (reached === undefined) return undefined; // the key is inside a string that an unbalanced quote opened: not JSON
      depth = reached;
      scanned = at;
      if (depth === 1) found = valueAt(text, spaces(text, colon + 1));
    }
    return found;
  };
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

/** Past JSON's whitespace. */
function spaces(text: string, from: number): number {
  let at = from;
  for (let code = text.charCodeAt(at); code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d; code = text.charCodeAt(++at));
  return at;
}

/** Whether the character at `at` is escaped: preceded by an odd number of backslashes. */
function isEscaped(text: string, at: number): boolean {
  let backslashes = 0;
  for (let i = at - 1; i >= 0 && text.charCodeAt(i) === BACKSLASH; i--) backslashes++;
  return backslashes % 2 === 1;
}

/** The next quote at or after `from` that is not escaped; -1 when there is none. */
function nextQuote(text: string, from: number): number {
  for (let at = text.indexOf('"', from); at !== -1; at = text.indexOf('"', at + 1)) if (!isEscaped(text, at)) return at;
  return -1;
}

/**
 * The nesting depth at `to` (a quote that starts a string), from `depth` at `from` (outside strings):
 * brackets are counted between strings, strings are skipped whole. Undefined when `to` is inside a string.
 */
function depthAt(text: string, from: number, to: number, depth: number): number | undefined {
  let at = from;
  let level = depth;
  while (at < to) {
    const quote = nextQuote(text, at);
    const until = quote === -1 || quote > to ? to : quote;
    for (let i = at; i < until; i++) {
      const code = text.charCodeAt(i);
      if (code === OPEN_BRACE || code === OPEN_BRACKET) level++;
      else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) level--;
    }
    if (until === to) return level;
    const close = nextQuote(text, quote + 1);
    if (close === -1 || close >= to) return undefined;
    at = close + 1;
  }
  return level;
}

/** Whether some key (a string followed by `:`) holds a `\u` escape; `from` is the first backslash. */
function keyHoldsUnicodeEscape(text: string, from: number): boolean {
  for (let escape = text.indexOf('\\u', from); escape !== -1; ) {
    if (isEscaped(text, escape)) {
      // `\\u`: an escaped backslash followed by a plain `u`.
      escape = text.indexOf('\\u', escape + 1);
      continue;
    }
    const close = nextQuote(text, escape);
    if (close === -1) return false;
    if (text.charCodeAt(spaces(text, close + 1)) === COLON) return true;
    escape = text.indexOf('\\u', close + 1);
  }
  return false;
}

/** The id the value at `at` gives, as recordIdOf does: a string, or a number as a string; undefined for other values (or no valid one). */
function valueAt(text: string, at: number): string | undefined {
  const first = text.charCodeAt(at);
  if (first === QUOTE) {
    const close = nextQuote(text, at + 1);
    if (close === -1) return undefined;
    const raw = text.slice(at + 1, close);
    if (!raw.includes('\\')) return raw;
    try {
      return JSON.parse(text.slice(at, close + 1)) as string;
    } catch {
      return undefined; // a bad escape: the text is not JSON
    }
  }
  const end = numberEnd(text, at);
  return end === -1 ? undefined : String(Number(text.slice(at, end)));
}

/** The end of the JSON number at `start`, -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, or -1. */
function numberEnd(text: string, start: number): number {
  let at = start;
  if (text.charCodeAt(at) === MINUS) at++;
  const lead = text.charCodeAt(at);
  if (lead === ZERO) at++;
  else if (lead > ZERO && lead <= NINE) at = digits(text, at);
  else return -1;
  if (text.charCodeAt(at) === DOT) {
    const end = digits(text, at + 1);
    if (end === at + 1) return -1;
    at = end;
  }
  const e = text.charCodeAt(at);
  if (e === 0x65 || e === 0x45) {
    at++;
    const sign = text.charCodeAt(at);
    if (sign === PLUS || sign === MINUS) at++;
    const end = digits(text, at);
    if (end === at) return -1;
    at = end;
  }
  return at;
}

function digits(text: string, from: number): number {
  let at = from;
  for (let code = text.charCodeAt(at); code >= ZERO && code <= NINE; code = text.charCodeAt(++at));
  return at;
}

import { singleFieldName } from '../jmespath';
import { CLOSE_BRACE, CLOSE_BRACKET, COLON, isEscaped, nextQuote, numberEnd, OPEN_BRACE, OPEN_BRACKET, QUOTE, spaces, stringAt } from '../json-scan';
import type { CompiledWorkflow } from '../workflow';

/**
 * A record's id read from its JSON text by the splitter, which must know every record's id in file order
 * (the first line of each id keeps it) but cannot afford to parse every record: the consumer parses it
 * anyway, and a second JSON.parse (or any character-by-character scan in JavaScript) costs about a sixth of
 * ingest's time. A `recordId` that is one top-level field is found with `indexOf` instead:
 *
 * - On a valid JSON text the answer is exactly the consumer's: JSON.parse, then the workflow's recordIdOf
 *   (the object's own property, the last one when a key repeats; a string, or a number's literal text as
 *   written, never the double JSON.parse makes of it). The property tests hold the two to the same answers.
 * - On any other text (not JSON, or a text the splitter's reader cannot be sure of) the answer is still a
 *   function of the text alone, so the consumer, reading the same text with the same function, agrees with
 *   the splitter: a line that is not valid JSON but names an id at its top level keeps that id too (its
 *   `invalid` message carries it), so that the line the splitter kept is the line that holds the id.
 */
export function recordIdReader(recordId: string, recordIdOf: (record: unknown, text: string) => string | undefined): (text: string) => string | undefined {
  const parsed = (text: string): string | undefined => {
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch {
      return undefined;
    }
    if (record === null || typeof record !== 'object' || Array.isArray(record)) return undefined;
    try {
      return recordIdOf(record, text);
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
  if (!reader) readers.set(workflow, (reader = recordIdReader(recordId, (record, text) => workflow.recordIdOf(record, text))));
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

/** The id the value at `at` gives, as recordIdOf does: a string, or a number's literal text as written; undefined for other values (or no valid one). */
function valueAt(text: string, at: number): string | undefined {
  if (text.charCodeAt(at) === QUOTE) return stringAt(text, at)?.value;
  const end = numberEnd(text, at);
  return end === -1 ? undefined : text.slice(at, end);
}

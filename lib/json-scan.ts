/**
 * Small scanners over JSON text, for what JSON.parse cannot tell: a number's literal as written (JSON.parse
 * gives a double, so `12345678901234567890`, `1.0` and `-0` are lost) and whether an object repeats a key
 * (JSON.parse keeps the last). They read from the text and skip strings whole with indexOf, so the cost is
 * in the characters between strings.
 */

export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const COLON = 0x3a;
export const COMMA = 0x2c;
export const OPEN_BRACE = 0x7b;
export const CLOSE_BRACE = 0x7d;
export const OPEN_BRACKET = 0x5b;
export const CLOSE_BRACKET = 0x5d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

/** Past JSON's whitespace. */
export function spaces(text: string, from: number): number {
  let at = from;
  for (let code = text.charCodeAt(at); code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d; code = text.charCodeAt(++at));
  return at;
}

/** Whether the character at `at` is escaped: preceded by an odd number of backslashes. */
export function isEscaped(text: string, at: number): boolean {
  let backslashes = 0;
  for (let i = at - 1; i >= 0 && text.charCodeAt(i) === BACKSLASH; i--) backslashes++;
  return backslashes % 2 === 1;
}

/** The next quote at or after `from` that is not escaped; -1 when there is none. */
export function nextQuote(text: string, from: number): number {
  for (let at = text.indexOf('"', from); at !== -1; at = text.indexOf('"', at + 1)) if (!isEscaped(text, at)) return at;
  return -1;
}

/** The end of the JSON number at `start`, -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, or -1. */
export function numberEnd(text: string, start: number): number {
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

/** The string token starting at the quote `at`, decoded; `end` is past its closing quote. Undefined when it is not a valid string. */
export function stringAt(text: string, at: number): { value: string; end: number } | undefined {
  const close = nextQuote(text, at + 1);
  if (close === -1) return undefined;
  const raw = text.slice(at + 1, close);
  if (!raw.includes('\\')) return { value: raw, end: close + 1 };
  try {
    return { value: JSON.parse(text.slice(at, close + 1)) as string, end: close + 1 };
  } catch {
    return undefined; // a bad escape: the text is not JSON
  }
}

/** The end of the JSON value starting at `at` (a valid JSON text is assumed: JSON.parse accepted it). */
export function valueEnd(text: string, at: number): number {
  const first = text.charCodeAt(at);
  if (first === QUOTE) return nextQuote(text, at + 1) + 1;
  if (first !== OPEN_BRACE && first !== OPEN_BRACKET) {
    let end = at;
    for (let code = text.charCodeAt(end); end < text.length && code !== COMMA && code !== CLOSE_BRACE && code !== CLOSE_BRACKET && code > 0x20; code = text.charCodeAt(++end));
    return end;
  }
  let depth = 0;
  for (let i = at; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) i = nextQuote(text, i + 1);
    else if (code === OPEN_BRACE || code === OPEN_BRACKET) depth++;
    else if ((code === CLOSE_BRACE || code === CLOSE_BRACKET) && --depth === 0) return i + 1;
  }
  return text.length;
}

/**
 * The literal text of the number at `path` (object keys and array indexes, negative from the end as in
 * JMESPath) in a valid JSON text, as JSON.parse would reach it: where an object repeats a key, its last
 * member counts. Undefined when the path leads nowhere or to something other than a number.
 */
export function numberLiteralAt(text: string, path: ReadonlyArray<string | number>): string | undefined {
  let at = spaces(text, 0);
  for (const step of path) {
    const open = text.charCodeAt(at);
    if (typeof step === 'string') {
      if (open !== OPEN_BRACE) return undefined;
      let found = -1;
      for (let i = spaces(text, at + 1); text.charCodeAt(i) === QUOTE; ) {
        const key = stringAt(text, i);
        if (!key) return undefined;
        const value = spaces(text, spaces(text, key.end) + 1);
        if (key.value === step) found = value;
        const next = spaces(text, valueEnd(text, value));
        if (text.charCodeAt(next) !== COMMA) break;
        i = spaces(text, next + 1);
      }
      if (found === -1) return undefined;
      at = found;
    } else {
      if (open !== OPEN_BRACKET) return undefined;
      const starts: number[] = [];
      for (let i = spaces(text, at + 1); i < text.length && text.charCodeAt(i) !== CLOSE_BRACKET; ) {
        starts.push(i);
        const next = spaces(text, valueEnd(text, i));
        if (text.charCodeAt(next) !== COMMA) break;
        i = spaces(text, next + 1);
      }
      const start = starts[step < 0 ? starts.length + step : step];
      if (start === undefined) return undefined;
      at = start;
    }
  }
  const end = numberEnd(text, at);
  return end === -1 ? undefined : text.slice(at, end);
}

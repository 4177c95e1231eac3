import { CLOSE_BRACE, CLOSE_BRACKET, COLON, COMMA, OPEN_BRACE, OPEN_BRACKET, QUOTE, spaces, stringAt, valueEnd } from '../json-scan';

/**
 * The path of the first key an object of the record repeats (`items[2].label`), or undefined when no object
 * repeats a key. `text` is the record's JSON and `value` what JSON.parse made of it: JSON.parse keeps only
 * the last of a repeated key, so conditions would see one value while the text forwarded to consumers holds
 * both, and a consumer that keeps the first would read another record.
 *
 * Cheap and exact without a scan in the common case: every key in the text is followed by exactly one ':'
 * outside strings, and a repeated key leaves fewer keys in the parsed value than in the text. So with C the
 * ':' in the whole text, S those inside the parsed value's strings (keys and values) and K its keys,
 * C - S = K exactly when no key repeats, and C - S > K when one does. (A string the text writes with a
 * `\u003a` escape holds a ':' the text does not: such a text is scanned.) Only a record that repeats a
 * key, or holds that escape, is scanned to name the key.
 */
export function repeatedKeyPath(text: string, value: unknown): string | undefined {
  let colons = 0;
  for (let at = text.indexOf(':'); at !== -1; at = text.indexOf(':', at + 1)) colons++;
  const counts = { keys: 0, colons: 0 };
  // Most records hold no ':' in a string at all: then the keys alone settle it.
  count(value, counts, false);
  if (colons === counts.keys) return undefined;
  if (!/\\u003a/i.test(text)) {
    counts.keys = 0;
    count(value, counts, true);
    if (colons - counts.colons === counts.keys) return undefined;
  }
  return firstRepeatedKey(text);
}

/** Adds the keys of every object in `value` and, when `strings` is set, the ':' in every key and string. */
function count(value: unknown, counts: { keys: number; colons: number }, strings: boolean): void {
  if (typeof value === 'string') {
    if (strings) counts.colons += colonsIn(value);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) count(value[i], counts, strings);
    return;
  }
  for (const key in value) {
    counts.keys++;
    if (strings) counts.colons += colonsIn(key);
    count((value as Record<string, unknown>)[key], counts, strings);
  }
}

function colonsIn(text: string): number {
  let n = 0;
  for (let at = text.indexOf(':'); at !== -1; at = text.indexOf(':', at + 1)) n++;
  return n;
}

/** The exact scan: each object's keys as JSON.parse decodes them, the first one seen twice in one object. */
function firstRepeatedKey(text: string): string | undefined {
  const found = scanValue(text, spaces(text, 0), []);
  return found === undefined ? undefined : pathText(found);
}

function scanValue(text: string, at: number, path: (string | number)[]): (string | number)[] | undefined {
  const open = text.charCodeAt(at);
  if (open === OPEN_BRACE) {
    const seen = new Set<string>();
    for (let i = spaces(text, at + 1); text.charCodeAt(i) === QUOTE; ) {
      const key = stringAt(text, i);
      if (!key) return undefined;
      if (seen.has(key.value)) return [...path, key.value];
      seen.add(key.value);
      const colon = spaces(text, key.end);
      if (text.charCodeAt(colon) !== COLON) return undefined;
      const member = spaces(text, colon + 1);
      const inner = scanValue(text, member, [...path, key.value]);
      if (inner) return inner;
      const next = spaces(text, valueEnd(text, member));
      if (text.charCodeAt(next) !== COMMA) break;
      i = spaces(text, next + 1);
    }
    return undefined;
  }
  if (open === OPEN_BRACKET) {
    let index = 0;
    for (let i = spaces(text, at + 1); i < text.length && text.charCodeAt(i) !== CLOSE_BRACKET && text.charCodeAt(i) !== CLOSE_BRACE; index++) {
      const inner = scanValue(text, i, [...path, index]);
      if (inner) return inner;
      const next = spaces(text, valueEnd(text, i));
      if (text.charCodeAt(next) !== COMMA) break;
      i = spaces(text, next + 1);
    }
  }
  return undefined;
}

/** The path as JMESPath writes it (`items[2].label`): a key that is not an identifier is quoted (`meta."a-b"`). */
function pathText(path: (string | number)[]): string {
  let out = '';
  for (const step of path) {
    if (typeof step === 'number') out += `[${step}]`;
    else {
      const name = /^[A-Za-z_][A-Za-z0-9_]*$/.test(step) ? step : JSON.stringify(step);
      out += out === '' ? name : `.${name}`;
    }
  }
  return out;
}

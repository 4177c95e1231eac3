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
  const colons = colonsIn(text);
  // Most records hold no ':' in a string at all: then the keys alone settle it.
  const keys = count(value, false);
  if (colons === keys.keys) return undefined;
  if (!/\\u003a/i.test(text)) {
    const both = count(value, true);
    if (colons - both.colons === both.keys) return undefined;
  }
  return firstRepeatedKey(text);
}

/**
 * The keys of every object in `value` and, when `strings` is set, the ':' in every key and string. With a
 * stack, not recursion: a record may nest deeper than the call stack goes (JSON.parse takes 10,000 levels).
 */
function count(value: unknown, strings: boolean): { keys: number; colons: number } {
  let keys = 0;
  let colons = 0;
  if (typeof value === 'string') return { keys, colons: strings ? colonsIn(value) : 0 };
  if (value === null || typeof value !== 'object') return { keys, colons };
  const stack: object[] = [value];
  while (stack.length > 0) {
    const node = stack.pop() as Record<string, unknown> | unknown[];
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const member = node[i];
        if (typeof member === 'object' && member !== null) stack.push(member);
        else if (strings && typeof member === 'string') colons += colonsIn(member);
      }
      continue;
    }
    for (const key in node) {
      keys++;
      if (strings) colons += colonsIn(key);
      const member = node[key];
      if (typeof member === 'object' && member !== null) stack.push(member);
      else if (strings && typeof member === 'string') colons += colonsIn(member);
    }
  }
  return { keys, colons };
}

function colonsIn(text: string): number {
  let n = 0;
  for (let at = text.indexOf(':'); at !== -1; at = text.indexOf(':', at + 1)) n++;
  return n;
}

/** An open object (its keys so far) or array, and where in it the scan is: the path's step. */
type Frame = { seen?: Set<string>; step: string | number };

/**
 * The exact scan of a valid JSON text, token by token with a stack of the open objects and arrays: the
 * first key (decoded as JSON.parse decodes it) that its object already has.
 */
function firstRepeatedKey(text: string): string | undefined {
  const frames: Frame[] = [];
  for (let at = spaces(text, 0); at < text.length; ) {
    const code = text.charCodeAt(at);
    if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      frames.push(code === OPEN_BRACE ? { seen: new Set(), step: '' } : { step: 0 });
      at = spaces(text, at + 1);
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      frames.pop();
      at = spaces(text, at + 1);
    } else if (code === COMMA) {
      const top = frames[frames.length - 1];
      if (top && top.seen === undefined) top.step = (top.step as number) + 1;
      at = spaces(text, at + 1);
    } else if (code === QUOTE) {
      const string = stringAt(text, at);
      if (!string) return undefined;
      const after = spaces(text, string.end);
      const top = frames[frames.length - 1];
      // In a valid text, a string followed by ':' is a key of the innermost object.
      if (top?.seen !== undefined && text.charCodeAt(after) === COLON) {
        if (top.seen.has(string.value)) return pathText([...frames.slice(0, -1).map((frame) => frame.step), string.value]);
        top.seen.add(string.value);
        top.step = string.value;
        at = spaces(text, after + 1);
      } else at = after;
    } else {
      at = spaces(text, valueEnd(text, at));
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

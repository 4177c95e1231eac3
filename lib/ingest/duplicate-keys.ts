import { CLOSE_BRACE, CLOSE_BRACKET, COLON, COMMA, OPEN_BRACE, OPEN_BRACKET, QUOTE, spaces, stringAt, valueEnd } from '../json-scan';

/**
 * The path of the first key an object of the record repeats (`items[2].label`), or undefined when no object
 * repeats a key. `text` is the record's JSON and `value` what JSON.parse made of it: JSON.parse keeps only
 * the last of a repeated key, so conditions would see one value while the text forwarded to consumers holds
 * both, and a consumer that keeps the first would read another record.
 *
 * Exact without a scan in the common case. Every key in the text is a string followed by optional
 * whitespace and one ':'; so with E the ':' of the text whose previous non-whitespace character is a quote
 * (every key's, and the rare `\":` inside a string) and K the keys of the parsed value, E >= key tokens >= K,
 * and a repeated key leaves fewer keys than tokens. E == K therefore proves that no key repeats. Otherwise
 * (a key repeats, or a string holds `\":`) the text is scanned token by token.
 */
export function repeatedKeyPath(text: string, value: unknown): string | undefined {
  if (colonsAfterQuotes(text) === keysIn(value)) return undefined;
  return firstRepeatedKey(text);
}

/** The ':' of the text right after a quote (whitespace between allowed). */
function colonsAfterQuotes(text: string): number {
  let count = 0;
  for (let at = text.indexOf(':'); at !== -1; at = text.indexOf(':', at + 1)) {
    let before = at - 1;
    let code = text.charCodeAt(before);
    while (code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d) code = text.charCodeAt(--before);
    if (code === QUOTE) count++;
  }
  return count;
}

/** The keys of every object in `value`. With a stack, not recursion: a record may nest deeper than the call stack goes. */
function keysIn(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  let keys = 0;
  const stack: object[] = [value];
  while (stack.length > 0) {
    const node = stack.pop() as object;
    const members = Array.isArray(node) ? node : Object.values(node);
    if (members !== node) keys += members.length;
    for (let i = 0; i < members.length; i++) {
      const member: unknown = members[i];
      if (typeof member === 'object' && member !== null) stack.push(member);
    }
  }
  return keys;
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

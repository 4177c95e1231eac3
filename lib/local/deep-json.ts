/**
 * JSON.stringify for values of any depth. V8's JSON.stringify recurses and throws RangeError a few thousand
 * levels down, while JSON.parse (and EventBridge, which carries any event under 256 KiB) has no such limit: the
 * local bus copies and renders events through this, so a deeply nested event reaches its target as it would in
 * AWS, and the target decides what to do with it. The common case is JSON.stringify itself; only a value it
 * cannot serialise for depth goes through the loop below, which gives the same text for JSON data.
 */
export function deepJsonText(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    return iterativeJsonText(value);
  }
}

type Frame = { array: unknown[]; index: number } | { object: Record<string, unknown>; keys: string[]; index: number; wrote: boolean };

/** The loop alone (exported for its test, which holds it to JSON.stringify). */
export function iterativeJsonText(root: unknown): string {
  const parts: string[] = [];
  const stack: Frame[] = [];
  const seen = new Set<object>();
  // Writes a value; an object or array opens a frame that the loop then works through.
  const write = (value: unknown): void => {
    if (value === null) parts.push('null');
    else if (typeof value === 'string' || typeof value === 'boolean') parts.push(JSON.stringify(value));
    else if (typeof value === 'number') parts.push(Number.isFinite(value) ? JSON.stringify(value) : 'null');
    else if (typeof value === 'bigint') throw new TypeError('Do not know how to serialize a BigInt');
    else if (typeof value === 'object') {
      if (seen.has(value)) throw new TypeError('Converting circular structure to JSON');
      seen.add(value);
      if (Array.isArray(value)) {
        parts.push('[');
        stack.push({ array: value, index: 0 });
      } else {
        parts.push('{');
        stack.push({ object: value as Record<string, unknown>, keys: Object.keys(value), index: 0, wrote: false });
      }
    } else parts.push('null');
  };
  const top = jsonValue(root);
  // As JSON.stringify: nothing to write gives undefined.
  if (top === undefined || typeof top === 'function' || typeof top === 'symbol') return undefined as unknown as string;
  write(top);
  while (stack.length > 0) {
    const frame = stack[stack.length - 1];
    if ('array' in frame) {
      if (frame.index >= frame.array.length) {
        parts.push(']');
        seen.delete(frame.array);
        stack.pop();
        continue;
      }
      if (frame.index > 0) parts.push(',');
      write(jsonValue(frame.array[frame.index++]));
      continue;
    }
    if (frame.index >= frame.keys.length) {
      parts.push('}');
      seen.delete(frame.object);
      stack.pop();
      continue;
    }
    const key = frame.keys[frame.index++];
    const member = jsonValue(frame.object[key]);
    // Members JSON.stringify leaves out (undefined, functions, symbols) are left out here too.
    if (member === undefined || typeof member === 'function' || typeof member === 'symbol') continue;
    parts.push(`${frame.wrote ? ',' : ''}${JSON.stringify(key)}:`);
    frame.wrote = true;
    write(member);
  }
  return parts.join('');
}

/** What JSON.stringify serialises for a value: its toJSON() result when it has one (a Date). */
function jsonValue(value: unknown): unknown {
  return typeof (value as { toJSON?: unknown } | null)?.toJSON === 'function' ? (value as { toJSON(): unknown }).toJSON() : value;
}

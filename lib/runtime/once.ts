/** Builds a value on first use and keeps it: a handler's wiring is made once per cold start, not per invocation, and not at import (tests import handlers without the environment). */
export function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}

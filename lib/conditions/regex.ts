import { RE2JS } from 're2js';

/**
 * Workflow regular expressions (FieldValueCheck `Matches`) in RE2 syntax, matched by re2js in time linear in
 * the value's length whatever the pattern: a pattern such as `^(a+)+$` cannot freeze evaluation the way it
 * freezes a backtracking engine. What RE2 cannot do in linear time (backreferences, lookahead and lookbehind)
 * is refused when the workflow loads.
 */
export type RegexTest = (value: string) => boolean;

/** Why a pattern is refused, or undefined when RE2 accepts it. */
export function regexProblem(pattern: string): string | undefined {
  try {
    RE2JS.compile(pattern);
    return undefined;
  } catch (error) {
    const reason = (error as Error).message.replace(/^error parsing regexp: /, '');
    const hint = unsupportedHint(pattern);
    return `invalid regular expression ${JSON.stringify(pattern)}: ${reason}${hint ? ` (${hint})` : ''}`;
  }
}

/** Unanchored, like RegExp.prototype.test: `^` and `$` anchor. Call only with a pattern regexProblem accepted. */
export function compileRegex(pattern: string): RegexTest {
  const compiled = RE2JS.compile(pattern);
  return (value) => compiled.test(value);
}

/** The features of JavaScript patterns RE2 leaves out, said plainly: its own messages name only the token. */
function unsupportedHint(pattern: string): string | undefined {
  if (/\(\?<?[=!]/.test(pattern)) return 'lookahead and lookbehind are not supported: RE2 syntax matches in linear time';
  if (/\\[1-9]|\\k</.test(pattern)) return 'backreferences are not supported: RE2 syntax matches in linear time';
  if (/\\u/.test(pattern)) return 'write a code point as \\x{263A}, not \\u263A: RE2 syntax';
  return undefined;
}

/**
 * Amazon EventBridge event patterns: validated when a workflow loads, matched per event.
 *
 * EventBridge matches with AWS's open-source engine, Event Ruler. Where the user guide is silent or
 * vague, this module follows that engine ("the engine" below), so that a pattern accepted here is
 * accepted by EventBridge and an event is routed here as EventBridge would route it:
 *
 * - A pattern compiles like the engine compiles it: `$or` is expanded into alternatives ("sub-rules"),
 *   each a map from a dotted field path (`detail.state`) to the values allowed there. A path written
 *   twice keeps the last value written, in document order, as in the engine.
 * - An event is flattened the same way: each leaf value (string, number, boolean, null) under its
 *   dotted path, with its position in every array it sits in. Objects and empty arrays are not leaves.
 * - A sub-rule matches when each of its paths, taken in sorted order, gets one leaf value that passes
 *   one of the path's tests, all chosen values being array-consistent (values from different elements
 *   of one array never combine) — or, for `{"exists": false}`, when no array-consistent value exists.
 * - Matching is type-aware: string operators never match numbers, `"5"` is not `5`, and
 *   `anything-but` matches any present leaf value that is not excluded (numbers, null, ...).
 */

export type EventPattern = Record<string, unknown>;

/** One problem in a pattern, at `path` such as `detail.status[0].prefix` ('' is the whole pattern). */
export interface PatternProblem {
  path: string;
  message: string;
}

export class EventPatternError extends Error {
  override readonly name = 'EventPatternError';
  constructor(readonly problems: PatternProblem[]) {
    super(problems.map((problem) => `${problem.path || '(pattern)'}: ${problem.message}`).join('\n'));
  }
}

/** Every problem in a pattern (empty when valid). */
export function eventPatternProblems(pattern: unknown): PatternProblem[] {
  const problems: PatternProblem[] = [];
  compilePattern(pattern, problems);
  return problems;
}

/** Validates (throws EventPatternError) and compiles once; the returned test is cheap per event. */
export function compileEventPattern(pattern: unknown): (event: unknown) => boolean {
  const problems: PatternProblem[] = [];
  const compiled = compilePattern(pattern, problems);
  if (problems.length > 0) throw new EventPatternError(problems);
  return (event) => matchesEvent(compiled, event);
}

// ---------------------------------------------------------------------------------------------
// Values and paths
// ---------------------------------------------------------------------------------------------

type Scalar = string | number | boolean | null;
type ValueTest = (value: Scalar) => boolean;
type TextTest = (text: string) => boolean;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  // By tag, not by prototype identity: parsed JSON and structuredClone output may come from another realm.
  return Object.prototype.toString.call(value) === '[object Object]';
}

function isScalar(value: unknown): value is Scalar {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

/** String operators only ever match strings, as in the engine (it compares quoted JSON text). */
function onStrings(test: TextTest): ValueTest {
  return (value) => typeof value === 'string' && test(value);
}

const SIMPLE_KEY = /^[^.[\]"]+$/;

/** Where a problem is, in the pattern document: `detail.status[0].prefix`, `["a.b"]` for odd keys. */
function keyPath(parent: string, key: string): string {
  if (!SIMPLE_KEY.test(key)) return `${parent}[${JSON.stringify(key)}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

function indexPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}

/** The engine's flattened field name: keys joined with dots (so `{"a.b": …}` and `{"a": {"b": …}}` meet). */
function fieldName(parent: string | undefined, key: string): string {
  return parent === undefined ? key : `${parent}.${key}`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  return `${typeof value} ${String(value)}`;
}

// ---------------------------------------------------------------------------------------------
// Numbers: the engine compares numbers as fixed-point values, so only some can take part
// ---------------------------------------------------------------------------------------------

const NUMERIC_LIMIT = 5e9;
const MAX_DECIMALS = 6;

/** Digits after the decimal point in the number's shortest text form (how JSON usually wrote it). */
function decimalPlaces(value: number): number {
  const match = /^-?\d+(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(value));
  if (!match) return Number.POSITIVE_INFINITY;
  return Math.max(0, (match[1]?.length ?? 0) - Number(match[2] ?? 0));
}

/** Why the engine cannot compare this number (undefined when it can): ±5e9, 6 decimals. */
function numericLimitProblem(value: number): string | undefined {
  if (!Number.isFinite(value)) return 'must be a finite number';
  if (Math.abs(value) > NUMERIC_LIMIT) return `${value} is outside EventBridge's numeric range, -5e9 to 5e9`;
  if (decimalPlaces(value) > MAX_DECIMALS) return `${value} has more than 6 digits after the decimal point, EventBridge's numeric precision`;
  return undefined;
}

/** An event number outside the limits never satisfies a numeric comparison (the engine cannot encode it). */
function isComparable(value: Scalar): value is number {
  return typeof value === 'number' && numericLimitProblem(value) === undefined;
}

// ---------------------------------------------------------------------------------------------
// Text matchers: equals-ignore-case and wildcard
// ---------------------------------------------------------------------------------------------

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/**
 * Case-insensitive comparison as the engine does it: each UTF-16 unit of the pattern accepts its
 * lower- or upper-case form (so "ß" also accepts "SS"), plus itself. A regular expression is built once.
 */
function ignoreCase(text: string, anchor: 'whole' | 'start' | 'end'): TextTest {
  let source = '';
  for (const unit of text.split('')) {
    const forms = [...new Set([unit, unit.toLowerCase(), unit.toUpperCase()])].map(escapeRegExp);
    source += forms.length === 1 ? forms[0] : `(?:${forms.join('|')})`;
  }
  const expression = new RegExp(`${anchor === 'end' ? '' : '^'}${source}${anchor === 'start' ? '' : '$'}`);
  return (value) => expression.test(value);
}

/** A wildcard pattern cut at its `*`s into literal segments, or why it is invalid. */
function parseWildcard(pattern: string): { segments: string[] } | { error: string } {
  const segments: string[] = [];
  let literal = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === '*') {
      if (pattern[i + 1] === '*') return { error: `consecutive wildcard characters "**" at position ${i} are not allowed: use one "*"` };
      segments.push(literal);
      literal = '';
    } else if (char === '\\') {
      const next = pattern[i + 1];
      if (next !== '*' && next !== '\\') return { error: `invalid escape at position ${i}: "\\" may only escape "*" or "\\"` };
      literal += next;
      i++;
    } else {
      literal += char;
    }
  }
  segments.push(literal);
  return { segments };
}

/**
 * `*` matches any run of characters, the empty one included. Anchored first and last segments,
 * then the middle ones leftmost-first: exact for `*`-only globs, and linear (no regex backtracking).
 */
function wildcardTest(segments: string[]): TextTest {
  if (segments.length === 1) return (value) => value === segments[0];
  const first = segments[0];
  const last = segments[segments.length - 1];
  const middle = segments.slice(1, -1);
  return (value) => {
    if (value.length < first.length + last.length || !value.startsWith(first) || !value.endsWith(last)) return false;
    const end = value.length - last.length;
    let position = first.length;
    for (const segment of middle) {
      const found = value.indexOf(segment, position);
      if (found < 0 || found + segment.length > end) return false;
      position = found + segment.length;
    }
    return true;
  };
}

// ---------------------------------------------------------------------------------------------
// IP addresses (cidr, and exact values that are IP literals, which the engine compares as addresses)
// ---------------------------------------------------------------------------------------------

interface IpAddress {
  bits: 32 | 128;
  value: bigint;
}

const IPV4_SHAPE = /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/;
const IPV6_SHAPE = /^[0-9a-fA-F:]*:[0-9a-fA-F:]*$/;

/** Octets are read as decimal even with leading zeros, as the engine (Java) reads them. */
function parseIpv4(text: string): IpAddress | undefined {
  if (!IPV4_SHAPE.test(text)) return undefined;
  let value = 0n;
  for (const octet of text.split('.')) {
    const number = Number(octet);
    if (number > 255) return undefined;
    value = (value << 8n) | BigInt(number);
  }
  return { bits: 32, value };
}

function parseIpv6Groups(text: string): number[] | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = halves.map((half) => (half === '' ? [] : half.split(':')));
  if (groups.flat().some((group) => !/^[0-9a-fA-F]{1,4}$/.test(group))) return undefined;
  const [head, tail = []] = groups;
  const present = head.length + tail.length;
  if (halves.length === 1 ? present !== 8 : present > 7) return undefined;
  const zeros = new Array<string>(8 - present).fill('0');
  return [...head, ...zeros, ...tail].map((group) => parseInt(group, 16));
}

/** IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) become IPv4, as Java's address parser does. */
function parseIpv6(text: string): IpAddress | undefined {
  if (!IPV6_SHAPE.test(text)) return undefined;
  const groups = parseIpv6Groups(text);
  if (!groups) return undefined;
  const value = groups.reduce((sum, group) => (sum << 16n) | BigInt(group), 0n);
  if (value >> 32n === 0xffffn) return { bits: 32, value: value & 0xffffffffn };
  return { bits: 128, value };
}

function parseIp(text: string): IpAddress | undefined {
  return parseIpv4(text) ?? parseIpv6(text);
}

interface IpRange {
  bits: 32 | 128;
  low: bigint;
  high: bigint;
}

/** The engine's CIDR rules: one "/", an integer mask, IPv4 masks 0–31 and IPv6 masks 0–127. */
function parseCidr(text: string): IpRange | { error: string } {
  const parts = text.split('/');
  if (parts.length !== 2) return { error: `${JSON.stringify(text)} is not a CIDR block: expected one "/", as in "10.0.0.0/24"` };
  const [address, mask] = parts;
  if (!/^[+-]?\d+$/.test(mask)) return { error: `the mask in ${JSON.stringify(text)} must be an integer` };
  const maskBits = Number(mask);
  if (maskBits < 0) return { error: `the mask in ${JSON.stringify(text)} must not be negative` };
  const ip = parseIp(address);
  if (!ip) return { error: `${JSON.stringify(address)} is not an IPv4 or IPv6 address` };
  if (maskBits >= ip.bits) return { error: `the mask in ${JSON.stringify(text)} must be below ${ip.bits} (EventBridge refuses /${ip.bits})` };
  const hostBits = BigInt(ip.bits - maskBits);
  const hostMask = (1n << hostBits) - 1n;
  // The network is the address with its host bits cleared: 10.0.0.7/24 is 10.0.0.0–10.0.0.255.
  return { bits: ip.bits, low: ip.value & ~hostMask, high: ip.value | hostMask };
}

function inRange(range: IpRange): TextTest {
  return (text) => {
    const ip = parseIp(text);
    return ip !== undefined && ip.bits === range.bits && ip.value >= range.low && ip.value <= range.high;
  };
}

// ---------------------------------------------------------------------------------------------
// Pattern values and operators
// ---------------------------------------------------------------------------------------------

/** What one element of a field's array allows: a leaf value passing `test`, or ({"exists": false}) none. */
interface Allowance {
  test?: ValueTest;
  absent?: true;
}

type Problems = PatternProblem[];
type OperatorCompiler = (operand: unknown, path: string, problems: Problems) => Allowance | undefined;

function report(problems: Problems, path: string, message: string): undefined {
  problems.push({ path, message });
  return undefined;
}

/** A string that is an IP literal matches the same address however it is written, as in the engine. */
function exactString(expected: string): ValueTest {
  const ip = parseIp(expected);
  if (!ip) return (value) => value === expected;
  return onStrings((text) => {
    if (text === expected) return true;
    const other = parseIp(text);
    return other !== undefined && other.bits === ip.bits && other.value === ip.value;
  });
}

/**
 * A plain value. Numbers compare numerically (300 matches 300.0): a parsed event keeps no number text,
 * and the engine also compares pattern numbers numerically.
 */
function compileValue(value: unknown, path: string, problems: Problems): Allowance | undefined {
  if (typeof value === 'string') return { test: exactString(value) };
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return report(problems, path, 'must be a finite number');
    return { test: (candidate) => candidate === value };
  }
  if (typeof value === 'boolean' || value === null) return { test: (candidate) => candidate === value };
  if (isPlainObject(value)) return compileOperator(value, path, problems);
  return report(problems, path, `must be a string, number, boolean, null or an operator object such as {"prefix": "x"}, not ${describe(value)}`);
}

function compileOperator(expression: Record<string, unknown>, path: string, problems: Problems): Allowance | undefined {
  const names = Object.keys(expression);
  if (names.length !== 1) {
    const found = names.length === 0 ? 'none' : names.map((name) => JSON.stringify(name)).join(', ');
    return report(problems, path, `an operator object holds exactly one operator, found ${found}`);
  }
  const [name] = names;
  const operator = OPERATORS.get(name);
  if (!operator) return report(problems, keyPath(path, name), `unknown operator "${name}"; EventBridge's operators are ${[...OPERATORS.keys()].join(', ')}`);
  return operator(expression[name], keyPath(path, name), problems);
}

function requireString(operand: unknown, path: string, problems: Problems): operand is string {
  if (typeof operand === 'string') return true;
  report(problems, path, `must be a string, not ${describe(operand)}`);
  return false;
}

/** `{"equals-ignore-case": "x"}`, the only operator a prefix or suffix may wrap. */
function ignoreCaseOperand(operand: unknown, path: string, problems: Problems): string | undefined {
  const names = isPlainObject(operand) ? Object.keys(operand) : [];
  if (!isPlainObject(operand) || names.length !== 1 || names[0] !== 'equals-ignore-case') {
    return report(problems, path, `must be a string, or {"equals-ignore-case": "<string>"}, not ${describe(operand)}`);
  }
  const text = operand['equals-ignore-case'];
  return requireString(text, keyPath(path, 'equals-ignore-case'), problems) ? text : undefined;
}

function affix(anchor: 'start' | 'end'): OperatorCompiler {
  return (operand, path, problems) => {
    if (typeof operand === 'string') {
      return { test: onStrings(anchor === 'start' ? (text) => text.startsWith(operand) : (text) => text.endsWith(operand)) };
    }
    const text = ignoreCaseOperand(operand, path, problems);
    return text === undefined ? undefined : { test: onStrings(ignoreCase(text, anchor)) };
  };
}

function wildcardOperand(operand: unknown, path: string, problems: Problems): TextTest | undefined {
  if (!requireString(operand, path, problems)) return undefined;
  const parsed = parseWildcard(operand);
  if ('error' in parsed) return report(problems, path, parsed.error);
  return wildcardTest(parsed.segments);
}

const compileNumeric: OperatorCompiler = (operand, path, problems) => {
  if (!Array.isArray(operand) || operand.length === 0) {
    return report(problems, path, `must be an array of comparisons such as [">", 0, "<=", 5], not ${describe(operand)}`);
  }
  const before = problems.length;
  const comparisons = numericComparisons(operand, path, problems);
  if (problems.length > before || comparisons.length === 0) return undefined;
  return { test: (value) => isComparable(value) && comparisons.every((comparison) => comparison(value)) };
};

const COMPARATORS: Record<string, (value: number, bound: number) => boolean> = {
  '=': (value, bound) => value === bound,
  '<': (value, bound) => value < bound,
  '<=': (value, bound) => value <= bound,
  '>': (value, bound) => value > bound,
  '>=': (value, bound) => value >= bound,
};

/** The engine's grammar: [op, n] with op one of = < <= > >=, or a range [> or >=, low, < or <=, high]. */
function numericComparisons(operand: unknown[], path: string, problems: Problems): ((value: number) => boolean)[] {
  const first = numericTerm(operand, 0, Object.keys(COMPARATORS), path, problems);
  if (!first) return [];
  if (operand.length === 2) return [first.test];
  const opensRange = first.operator === '>' || first.operator === '>=';
  if (!opensRange || operand.length !== 4) {
    const shape = opensRange ? `[${JSON.stringify(first.operator)}, n] or a range [${JSON.stringify(first.operator)}, low, "<" or "<=", high]` : `[${JSON.stringify(first.operator)}, n]`;
    report(problems, path, `has ${operand.length} elements; expected ${shape}`);
    return [];
  }
  const second = numericTerm(operand, 2, ['<', '<='], path, problems);
  if (!second) return [];
  if (second.bound <= first.bound) {
    report(problems, indexPath(path, 3), `the upper bound ${second.bound} must be greater than the lower bound ${first.bound}`);
    return [];
  }
  return [first.test, second.test];
}

interface NumericTerm {
  operator: string;
  bound: number;
  test: (value: number) => boolean;
}

function numericTerm(operand: unknown[], at: number, allowed: string[], path: string, problems: Problems): NumericTerm | undefined {
  const operator = operand[at];
  const bound = operand[at + 1];
  if (typeof operator !== 'string' || !allowed.includes(operator)) {
    return report(problems, indexPath(path, at), `must be one of ${allowed.map((name) => JSON.stringify(name)).join(', ')}, not ${describe(operator)}`);
  }
  if (typeof bound !== 'number') return report(problems, indexPath(path, at + 1), `the bound of "${operator}" must be a number, not ${describe(bound)}`);
  const limit = numericLimitProblem(bound);
  if (limit) return report(problems, indexPath(path, at + 1), limit);
  const compare = COMPARATORS[operator];
  return { operator, bound, test: (value) => compare(value, bound) };
}

const compileExists: OperatorCompiler = (operand, path, problems) => {
  if (operand === true) return { test: () => true };
  if (operand === false) return { absent: true };
  return report(problems, path, `must be true or false, not ${describe(operand)}`);
};

const compileCidr: OperatorCompiler = (operand, path, problems) => {
  if (!requireString(operand, path, problems)) return undefined;
  const range = parseCidr(operand);
  if ('error' in range) return report(problems, path, range.error);
  return { test: onStrings(inRange(range)) };
};

// anything-but ---------------------------------------------------------------------------------

const ANYTHING_BUT_OPERATORS = ['prefix', 'suffix', 'equals-ignore-case', 'wildcard'] as const;
type AnythingButOperator = (typeof ANYTHING_BUT_OPERATORS)[number];

/** Matches a present leaf value unless it is excluded; a missing field never matches. */
const compileAnythingBut: OperatorCompiler = (operand, path, problems) => {
  if (typeof operand === 'string') return { test: (value) => value !== operand };
  if (typeof operand === 'number') {
    const limit = numericLimitProblem(operand);
    return limit ? report(problems, path, limit) : { test: (value) => value !== operand };
  }
  if (Array.isArray(operand)) return excludedValues(operand, path, problems);
  if (isPlainObject(operand)) return excludedMatches(operand, path, problems);
  return report(problems, path, `must be a string, a number, an array of strings or of numbers, or one of ${ANYTHING_BUT_OPERATORS.map((name) => `{"${name}": …}`).join(', ')}; not ${describe(operand)}`);
};

/** A list of all strings or all numbers (the engine refuses mixed lists, booleans and null). */
function excludedValues(list: unknown[], path: string, problems: Problems): Allowance | undefined {
  if (list.length === 0) return report(problems, path, 'must not be an empty array: list the values to exclude');
  const before = problems.length;
  list.forEach((item, index) => {
    if (typeof item === 'number') {
      const limit = numericLimitProblem(item);
      if (limit) report(problems, indexPath(path, index), limit);
    } else if (typeof item !== 'string') {
      report(problems, indexPath(path, index), `an anything-but list holds only strings or only numbers, not ${describe(item)}`);
    }
  });
  if (problems.length > before) return undefined;
  if (new Set(list.map((item) => typeof item)).size > 1) return report(problems, path, 'an anything-but list holds only strings or only numbers, not both');
  const excluded = new Set(list as Scalar[]);
  return { test: (value) => !excluded.has(value) };
}

function excludedMatches(expression: Record<string, unknown>, path: string, problems: Problems): Allowance | undefined {
  const names = Object.keys(expression);
  const name = names[0] as AnythingButOperator;
  if (names.length !== 1 || !ANYTHING_BUT_OPERATORS.includes(name)) {
    const found = names.length === 0 ? 'none' : names.map((key) => JSON.stringify(key)).join(', ');
    return report(problems, path, `must hold exactly one of ${ANYTHING_BUT_OPERATORS.map((key) => JSON.stringify(key)).join(', ')}, found ${found}`);
  }
  const operandPath = keyPath(path, name);
  const operand = expression[name];
  const texts = Array.isArray(operand) ? operand : [operand];
  if (texts.length === 0) return report(problems, operandPath, 'must not be an empty array: list the values to exclude');
  const before = problems.length;
  const tests = texts.map((text, index) => excludedText(name, text, Array.isArray(operand) ? indexPath(operandPath, index) : operandPath, problems));
  if (problems.length > before) return undefined;
  const matchers = tests as TextTest[];
  return { test: (value) => typeof value !== 'string' || !matchers.some((matches) => matches(value)) };
}

function excludedText(operator: AnythingButOperator, text: unknown, path: string, problems: Problems): TextTest | undefined {
  if (operator === 'wildcard') return wildcardOperand(text, path, problems);
  if (!requireString(text, path, problems)) return undefined;
  switch (operator) {
    case 'equals-ignore-case':
      return ignoreCase(text, 'whole');
    case 'prefix':
    case 'suffix':
      // The engine refuses an empty affix here: it would exclude every string.
      if (text === '') return report(problems, path, `an anything-but ${operator} must not be empty`);
      return operator === 'prefix' ? (value) => value.startsWith(text) : (value) => value.endsWith(text);
  }
}

const OPERATORS = new Map<string, OperatorCompiler>([
  ['prefix', affix('start')],
  ['suffix', affix('end')],
  ['equals-ignore-case', (operand, path, problems) => (requireString(operand, path, problems) ? { test: onStrings(ignoreCase(operand, 'whole')) } : undefined)],
  ['wildcard', (operand, path, problems) => {
    const test = wildcardOperand(operand, path, problems);
    return test && { test: onStrings(test) };
  }],
  ['anything-but', compileAnythingBut],
  ['numeric', compileNumeric],
  ['exists', compileExists],
  ['cidr', compileCidr],
]);

// ---------------------------------------------------------------------------------------------
// Pattern structure: fields, nesting and $or, compiled into sub-rules
// ---------------------------------------------------------------------------------------------

/** The values allowed at one flattened path of a sub-rule. */
interface PathRule {
  tests: ValueTest[];
  matchesAbsent: boolean;
}

type SubRule = Map<string, PathRule>;

interface CompiledRule {
  paths: string[];
  rules: PathRule[];
}

interface CompiledPattern {
  subRules: CompiledRule[];
  /** Flattened paths the pattern tests, and every dotted prefix of them: the parts of an event worth reading. */
  leaves: ReadonlySet<string>;
  prefixes: ReadonlySet<string>;
}

/** Field names the engine refuses inside `$or` alternatives (operators, and names it keeps for later ones). */
const OR_RESERVED_NAMES = new Set([
  'exactly', 'equals-ignore-case', 'prefix', 'suffix', 'anything-but', 'exists', 'wildcard', 'numeric', 'cidr', 'html',
  '=', '<', '<=', '>', '>=', 'regex', 'not-wildcard', 'not-equals-ignore-case', 'date-after', 'date-on-or-after',
  'date-before', 'date-on-or-before', 'in-date-range', 'ip-address-in-range', 'ip-address-not-in-range',
]);

/** EventBridge refuses patterns whose `$or`s multiply out to more rule combinations than this. */
const MAX_OR_COMBINATIONS = 1000;

interface Place {
  patternPath: string;
  fieldPath: string | undefined;
  insideOr: boolean;
}

interface Compilation {
  problems: Problems;
  /** False once the $or combinations are over the limit: alternatives are then only validated. */
  expand: boolean;
}

function compilePattern(pattern: unknown, problems: Problems): CompiledPattern {
  const empty: CompiledPattern = { subRules: [], leaves: new Set(), prefixes: new Set() };
  if (!isPlainObject(pattern)) {
    report(problems, '', `an event pattern must be a JSON object such as {"source": ["aws.s3"]}, not ${describe(pattern)}`);
    return empty;
  }
  const combinations = orCombinations(pattern);
  const expand = combinations <= MAX_OR_COMBINATIONS;
  if (!expand) report(problems, '', `its $or alternatives multiply out to more than ${MAX_OR_COMBINATIONS} rule combinations, EventBridge's limit`);
  const subRules = compileObject(pattern, { patternPath: '', fieldPath: undefined, insideOr: false }, [new Map()], { problems, expand });
  return problems.length > 0 ? empty : finish(subRules);
}

/**
 * The product of the lengths of every `$or` array (nested ones included): how EventBridge counts rule
 * combinations, and an upper bound of the sub-rules the expansion builds. Stops once past the limit.
 */
function orCombinations(node: unknown): number {
  if (!isPlainObject(node)) return 1;
  let product = 1;
  for (const [key, value] of Object.entries(node)) {
    if (key === '$or' && Array.isArray(value)) {
      product *= Math.max(value.length, 1);
      for (const member of value) product *= orCombinations(member);
    } else {
      product *= orCombinations(value);
    }
    if (product > MAX_OR_COMBINATIONS) return product;
  }
  return product;
}

function compileObject(node: Record<string, unknown>, place: Place, rules: SubRule[], compilation: Compilation): SubRule[] {
  const { problems } = compilation;
  const keys = Object.keys(node);
  if (keys.length === 0) {
    report(problems, place.patternPath, 'must not be an empty object: name at least one field');
    return rules;
  }
  let current = rules;
  for (const key of keys) {
    const value = node[key];
    const patternPath = keyPath(place.patternPath, key);
    if (key === '$or') {
      current = compileOr(value, { ...place, patternPath }, current, compilation);
    } else if (place.insideOr && OR_RESERVED_NAMES.has(key)) {
      report(problems, patternPath, `"${key}" is an operator name, which EventBridge refuses as a field name inside $or; operators go inside a field's array, e.g. {"field": [{"${key}": …}]}`);
    } else if (Array.isArray(value)) {
      writePath(current, fieldName(place.fieldPath, key), compileValues(value, patternPath, problems));
    } else if (isPlainObject(value)) {
      current = compileObject(value, { ...place, patternPath, fieldPath: fieldName(place.fieldPath, key) }, current, compilation);
    } else {
      report(problems, patternPath, `must be an array of values to match (e.g. [${JSON.stringify(value ?? 'x')}]) or an object of nested fields, not ${describe(value)}`);
    }
  }
  return current;
}

/** Every sub-rule so far forks once per alternative, as the engine expands `$or`. */
function compileOr(members: unknown, place: Place, rules: SubRule[], compilation: Compilation): SubRule[] {
  const { problems } = compilation;
  if (!Array.isArray(members)) {
    report(problems, place.patternPath, `must be an array of at least 2 alternative patterns, not ${describe(members)}`);
    return rules;
  }
  if (members.length < 2) report(problems, place.patternPath, `must hold at least 2 alternative patterns, found ${members.length}`);
  const alternatives: SubRule[] = [];
  members.forEach((member, index) => {
    const patternPath = indexPath(place.patternPath, index);
    if (!isPlainObject(member)) {
      report(problems, patternPath, `an alternative must be an object of fields, not ${describe(member)}`);
      return;
    }
    const forked = compilation.expand ? rules.map((rule) => new Map(rule)) : [new Map()];
    const compiled = compileObject(member, { ...place, patternPath, insideOr: true }, forked, compilation);
    if (compilation.expand) alternatives.push(...compiled);
  });
  return alternatives.length > 0 ? alternatives : rules;
}

function compileValues(values: unknown[], path: string, problems: Problems): PathRule | undefined {
  if (values.length === 0) return report(problems, path, 'must not be an empty array: list at least one value to match');
  const before = problems.length;
  const allowances = values.map((value, index) => compileValue(value, indexPath(path, index), problems));
  if (problems.length > before) return undefined;
  const tests = allowances.flatMap((allowance) => (allowance?.test ? [allowance.test] : []));
  return { tests, matchesAbsent: allowances.some((allowance) => allowance?.absent) };
}

/** The last write to a path wins, in document order, as in the engine (and as for duplicate JSON keys). */
function writePath(rules: SubRule[], path: string, rule: PathRule | undefined): void {
  if (!rule) return;
  for (const subRule of rules) subRule.set(path, rule);
}

function finish(subRules: SubRule[]): CompiledPattern {
  const leaves = new Set<string>();
  const prefixes = new Set<string>();
  const compiled = subRules.map((subRule) => {
    // Sorted, as the engine walks a rule's fields; this order decides what {"exists": false} sees.
    const paths = [...subRule.keys()].sort();
    for (const path of paths) {
      leaves.add(path);
      let dot = path.indexOf('.');
      while (dot >= 0) {
        prefixes.add(path.slice(0, dot));
        dot = path.indexOf('.', dot + 1);
      }
      prefixes.add(path);
    }
    return { paths, rules: paths.map((path) => subRule.get(path) as PathRule) };
  });
  return { subRules: compiled, leaves, prefixes };
}

// ---------------------------------------------------------------------------------------------
// Matching
// ---------------------------------------------------------------------------------------------

/**
 * Which element of which array (numbered per event) a value sits in: innermost first, linked outwards.
 * Elements share their array's chain, so deep nesting costs one link per level, not a copy.
 */
interface Position {
  array: number;
  index: number;
  outer: Position | undefined;
}

interface Field {
  value: Scalar;
  position: Position | undefined;
}

type Membership = ReadonlyMap<number, number>;

function matchesEvent(pattern: CompiledPattern, event: unknown): boolean {
  if (!isPlainObject(event)) return false;
  const fields = collectFields(event, pattern);
  return pattern.subRules.some((rule) => ruleMatches(rule, fields));
}

/**
 * The event's leaf values at the paths the pattern tests, each with its array positions. Iterative,
 * so a deeply nested event cannot exhaust the stack; parts no pattern path leads to are never read.
 */
function collectFields(event: Record<string, unknown>, pattern: CompiledPattern): Map<string, Field[]> {
  const fields = new Map<string, Field[]>();
  const pending: { value: unknown; path: string; position: Position | undefined }[] = [];
  const pushMembers = (object: Record<string, unknown>, path: string | undefined, position: Position | undefined) => {
    for (const key of Object.keys(object)) {
      const child = fieldName(path, key);
      if (pattern.prefixes.has(child)) pending.push({ value: object[key], path: child, position });
    }
  };
  let arrays = 0;
  pushMembers(event, undefined, undefined);
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    const { value, path, position } = item;
    if (Array.isArray(value)) {
      const array = arrays++;
      value.forEach((element, index) => pending.push({ value: element, path, position: { array, index, outer: position } }));
    } else if (isPlainObject(value)) {
      pushMembers(value, path, position);
    } else if (isScalar(value) && pattern.leaves.has(path)) {
      const list = fields.get(path) ?? [];
      list.push({ value, position });
      fields.set(path, list);
    }
  }
  return fields;
}

function isConsistent(membership: Membership, position: Position | undefined): boolean {
  for (let at = position; at !== undefined; at = at.outer) {
    if ((membership.get(at.array) ?? at.index) !== at.index) return false;
  }
  return true;
}

function extend(membership: Membership, position: Position | undefined): Membership {
  const extended = new Map(membership);
  for (let at = position; at !== undefined; at = at.outer) extended.set(at.array, at.index);
  return extended;
}

/**
 * Depth-first over the rule's paths in sorted order, choosing one array-consistent value per path
 * (or none, for {"exists": false}). Memoised on the membership entries later paths can see, so
 * values in unrelated arrays cannot multiply the work.
 */
function ruleMatches(rule: CompiledRule, fields: Map<string, Field[]>): boolean {
  const candidates = rule.paths.map((path) => fields.get(path) ?? []);
  const visibleArrays = arraysFrom(candidates);
  const memo = new Map<string, boolean>();

  const satisfy = (step: number, membership: Membership): boolean => {
    if (step === rule.paths.length) return true;
    const key = memoKey(step, membership, visibleArrays[step]);
    let known = memo.get(key);
    if (known === undefined) {
      known = tryStep(step, membership);
      memo.set(key, known);
    }
    return known;
  };

  const tryStep = (step: number, membership: Membership): boolean => {
    const { tests, matchesAbsent } = rule.rules[step];
    const consistent = candidates[step].filter((field) => isConsistent(membership, field.position));
    if (matchesAbsent && consistent.length === 0 && satisfy(step + 1, membership)) return true;
    return consistent.some((field) => tests.some((test) => test(field.value)) && satisfy(step + 1, extend(membership, field.position)));
  };

  return satisfy(0, new Map());
}

/** For each step, the arrays that the values of that step and later ones sit in. */
function arraysFrom(candidates: Field[][]): Set<number>[] {
  const result: Set<number>[] = new Array<Set<number>>(candidates.length + 1);
  result[candidates.length] = new Set();
  for (let step = candidates.length - 1; step >= 0; step--) {
    const arrays = new Set(result[step + 1]);
    for (const field of candidates[step]) {
      for (let at = field.position; at !== undefined; at = at.outer) arrays.add(at.array);
    }
    result[step] = arrays;
  }
  return result;
}

function memoKey(step: number, membership: Membership, visible: Set<number>): string {
  const entries = [...membership].filter(([array]) => visible.has(array)).sort(([a], [b]) => a - b);
  return `${step}|${entries.map(([array, index]) => `${array}:${index}`).join(',')}`;
}

import { compile as parse, TreeInterpreter } from '@jmespath-community/jmespath';

/**
 * JMESPath compiled once into JavaScript.
 *
 * The maintained `@jmespath-community/jmespath` library parses, so the syntax and its error messages are
 * the library's. The AST's common node types are then generated as plain JavaScript, one small function
 * per node, so V8 sees each expression as its own monomorphic code and inlines it: an evaluation costs a
 * few property reads instead of a tree walk. Node types we do not generate (functions, slices, arithmetic,
 * let-expressions…) are handed to the library's interpreter, so the semantics stay the library's. The
 * differential tests hold the two to the same answers.
 */

export type Evaluator = (value: unknown) => unknown;
/** Whether any value an expression yields satisfies `test` (see anyYielded). */
export type AnyEvaluator = (value: unknown, test: (value: unknown) => boolean) => boolean;

export class JmesPathSyntaxError extends Error {
  override readonly name: string = 'JmesPathSyntaxError';
  constructor(
    readonly expression: string,
    reason: string,
  ) {
    super(`invalid JMESPath ${JSON.stringify(expression)}: ${reason}`);
  }
}

/**
 * An expression that parses but whose cost on a record could grow without bound (see costProblem): refused
 * when the workflow loads, like a syntax error.
 */
export class JmesPathCostError extends JmesPathSyntaxError {
  override readonly name: string = 'JmesPathCostError';
}

/** An evaluation ran past the steps withBudget allowed it. */
export class EvaluationBudgetExceeded extends Error {
  override readonly name = 'EvaluationBudgetExceeded';
  constructor(readonly steps: number) {
    super(`evaluation stopped after ${steps} steps (elements visited or produced), the most one record may take`);
  }
}

type Node = { type: string; [key: string]: unknown };

/**
 * The steps left to the evaluation in progress. Evaluation is synchronous, so one meter serves every
 * expression; outside withBudget it never runs out (Infinity minus anything stays Infinity).
 */
const meter = { left: Infinity, steps: Infinity };

function overBudget(): never {
  throw new EvaluationBudgetExceeded(meter.steps);
}

function charge(steps: number): void {
  if ((meter.left -= steps) < 0) overBudget();
}

/**
 * Runs `run` with at most `steps` steps for every expression it evaluates, together: each element a
 * projection, filter, flatten or walk visits or produces, each node the interpreter visits, each character
 * or element a function reads or builds. Past that, the expression being evaluated throws
 * EvaluationBudgetExceeded (and so does every later one inside `run`), so no record can make evaluation hang.
 */
export function withBudget<T>(steps: number, run: () => T): T {
  const { left, steps: outer } = meter;
  meter.left = steps;
  meter.steps = steps;
  try {
    return run();
  } finally {
    meter.left = left;
    meter.steps = outer;
  }
}

export function compileJmesPath(expression: string): Evaluator {
  return compile(expression).value;
}

/**
 * Like `anyYielded(compileJmesPath(expression)(value), test)`, but a projection or filter at the top
 * (`fields[*].confidence`, `fields[?name=='iban'].confidence`) is walked element by element and stops at
 * the first value that passes, instead of collecting an array first.
 */
export function compileJmesPathAny(expression: string): AnyEvaluator {
  return compile(expression).any;
}

/**
 * The field name when the whole expression is one field of the current value (`documentId`, `"document id"`),
 * else undefined: such a path can be read without evaluating JMESPath (see lib/ingest/record-id-text.ts).
 */
export function singleFieldName(expression: string): string | undefined {
  compile(expression); // the same syntax checks as every other expression
  const ast = parse(expression) as unknown as Node;
  return ast.type === 'Field' && typeof ast.name === 'string' ? ast.name : undefined;
}

/** JMESPath truthiness: false, null, "", [] and {} are false; everything else (0 included) is true. */
export function isTruthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false) return false;
  if (typeof value === 'string') return value !== '';
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') {
    for (const key in value) if (Object.hasOwn(value, key)) return true;
    return false;
  }
  return true;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    // Results can share subtrees (`[@, @]`), so a walk is charged as if they did not.
    if ((meter.left -= a.length) < 0) overBudget();
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const keys = Object.keys(a as object);
  if (keys.length !== Object.keys(b as object).length) return false;
  if ((meter.left -= keys.length) < 0) overBudget();
  for (const key of keys) {
    if (!Object.hasOwn(b as object, key)) return false;
    if (!deepEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false;
  }
  return true;
}

/**
 * The values an expression's result yields, as conditions see them: null yields nothing, an array yields
 * each element (nested arrays flattened, nulls skipped), anything else yields itself. Walks without copying.
 */
export function anyYielded(result: unknown, test: (value: unknown) => boolean): boolean {
  if (result === null || result === undefined) return false;
  if (!Array.isArray(result)) return test(result);
  if ((meter.left -= result.length) < 0) overBudget();
  for (let i = 0; i < result.length; i++) {
    const item: unknown = result[i];
    if (Array.isArray(item) ? anyYielded(item, test) : item !== null && item !== undefined && test(item)) return true;
  }
  return false;
}

const QUOTES: Record<string, string> = { "'": 'raw string', '`': 'JSON literal', '"': 'quoted identifier' };

/**
 * The library reads an unterminated raw string or literal (`label == 'x`) as if it were closed, so a typo
 * in a condition would pass validation and mean something else: such input is rejected here.
 */
function unterminatedQuote(expression: string): string | undefined {
  let open: { quote: string; at: number } | undefined;
  for (let i = 0; i < expression.length; i++) {
    const char = expression[i];
    if (open) {
      if (char === '\\') i++;
      else if (char === open.quote) open = undefined;
    } else if (char in QUOTES) open = { quote: char, at: i };
  }
  return open && `unterminated ${QUOTES[open.quote]} starting at column ${open.at + 1}`;
}

function compile(expression: string): { value: Evaluator; any: AnyEvaluator } {
  if (typeof expression !== 'string' || expression.trim() === '') {
    throw new JmesPathSyntaxError(String(expression), 'expression is empty');
  }
  const unterminated = unterminatedQuote(expression);
  if (unterminated) throw new JmesPathSyntaxError(expression, unterminated);
  let ast: Node;
  try {
    ast = parse(expression) as unknown as Node;
  } catch (error) {
    throw new JmesPathSyntaxError(expression, (error as Error).message.split('\n')[0]);
  }
  const unbounded = costProblem(ast);
  if (unbounded) throw new JmesPathCostError(expression, unbounded);
  if (!interpretedWhole(ast)) {
    try {
      return generate(ast);
    } catch (error) {
      if (error !== ROOT_IN_INTERPRETED_SUBTREE) throw error;
    }
  }
  const value: Evaluator = (input) => interpret(ast, input);
  return { value, any: (input, test) => anyYielded(value(input), test) };
}

function interpret(node: unknown, value: unknown): unknown {
  const result = BUDGETED.search(node, value);
  return result === undefined ? null : result;
}

/** Variables live in the interpreter's scope chain, which generated code cannot see. */
function interpretedWhole(node: unknown): boolean {
  return contains(node, (type) => type === 'LetExpression' || type === 'Variable');
}

function contains(node: unknown, predicate: (type: string) => boolean): boolean {
  if (node === null || typeof node !== 'object') return false;
  const type = (node as Node).type;
  if (typeof type === 'string' && predicate(type)) return true;
  if (type === 'Literal') return false;
  for (const key in node as object) if (contains((node as Record<string, unknown>)[key], predicate)) return true;
  return false;
}

/** The interpreter takes `$` to be the value it is handed, so a subtree mentioning it cannot be handed over alone. */
const ROOT_IN_INTERPRETED_SUBTREE = Symbol('root in interpreted subtree');

const HELPERS = { isTruthy, deepEqual, anyYielded, interpret, hasOwn: Object.hasOwn, over: overBudget, flatten };

/** `[]`: charged for the elements it will build before it builds them (a result can repeat one large list). */
function flatten(list: unknown[]): unknown[] {
  let size = list.length;
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    if (Array.isArray(item)) size += item.length;
  }
  charge(size);
  return list.flat();
}

/**
 * Emits one function per AST node (`n0`, `n1`, …, each taking the current value `v`; the root is `r`)
 * and two entry points: `value(v)` and `any(v, test)`. Constants the source cannot spell travel in `k`.
 */
function generate(ast: Node): { value: Evaluator; any: AnyEvaluator } {
  const functions: string[] = [];
  const constants: unknown[] = [];
  const constant = (value: unknown): string => `k[${constants.push(value) - 1}]`;

  const emit = (node: Node): string => {
    const name = `n${functions.length}`;
    functions.push('');
    functions[Number(name.slice(1))] = `function ${name}(v) {\n${body(node)}\n}`;
    return name;
  };

  const body = (node: Node): string => {
    const child = (key: string): string => emit(node[key] as Node);
    switch (node.type) {
      case 'Field': {
        const name = JSON.stringify(node.name);
        // Inherited properties of a parsed JSON object are all functions (or, for __proto__, its prototype).
        if (node.name === '__proto__') return `return v !== null && typeof v === 'object' && !Array.isArray(v) && h.hasOwn(v, ${name}) ? v[${name}] : null;`;
        return `if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
const f = v[${name}];
return f === undefined || typeof f === 'function' ? null : f;`;
      }
      case 'Current':
      case 'Identity':
        return 'return v;';
      case 'Root':
        return 'return r;';
      case 'Literal':
        return `return ${literal(node.value, constant)};`;
      case 'Subexpression': {
        const left = child('left');
        const right = child('right');
        return `const b = ${left}(v);
if (b === null || b === undefined) return null;
const x = ${right}(b);
return x === undefined ? null : x;`;
      }
      case 'IndexExpression':
        return `return ${child('right')}(${child('left')}(v));`;
      case 'Index': {
        const index = node.value as number;
        const at = index < 0 ? `v.length - ${-index}` : String(index);
        return `if (!Array.isArray(v)) return null;
const x = v[${at}];
return x === undefined ? null : x;`;
      }
      case 'Pipe': {
        const filter = node.left as Node;
        const index = node.right as Node;
        const firstMatch =
          filter.type === 'FilterProjection' &&
          index.type === 'IndexExpression' &&
          (index.left as Node).type === 'Identity' &&
          (index.right as Node).type === 'Index' &&
          (index.right as Node).value === 0;
        // `list[?cond].field | [0]`, the idiom for "the first match", stops at the first match.
        if (firstMatch) return `${loop(filter, 'return x;')}\nreturn null;`;
        return `return ${child('right')}(${child('left')}(v));`;
      }
      case 'Projection':
      case 'FilterProjection':
        if (isStringSlice(node)) break;
        return `const o = [];\n${loop(node, 'o.push(x);')}\nreturn o;`;
      case 'ValueProjection': {
        const left = child('left');
        const right = child('right');
        return `const b = ${left}(v);
if (b === null || typeof b !== 'object' || Array.isArray(b)) return null;
const a = Object.values(b);
if ((m.left -= a.length * ${nodeCount(node.right)}) < 0) h.over();
const o = [];
for (const e of a) { const x = ${right}(e); if (x !== null) o.push(x); }
return o;`;
      }
      case 'Flatten':
        return `const b = ${child('child')}(v);\nreturn Array.isArray(b) ? h.flatten(b) : null;`;
      case 'Comparator':
        return comparator(node);
      case 'OrExpression':
        return `const x = ${child('left')}(v);\nreturn h.isTruthy(x) ? x : ${child('right')}(v);`;
      case 'AndExpression':
        return `const x = ${child('left')}(v);\nreturn h.isTruthy(x) ? ${child('right')}(v) : x;`;
      case 'NotExpression':
        return `return !h.isTruthy(${child('child')}(v));`;
      case 'MultiSelectList':
        return `if ((m.left -= ${(node.children as Node[]).length}) < 0) h.over();\nreturn [${(node.children as Node[]).map((item) => `${emit(item)}(v)`).join(', ')}];`;
      case 'MultiSelectHash':
        // Computed keys define own properties, even for "__proto__".
        return `if ((m.left -= ${(node.children as Node[]).length}) < 0) h.over();\nreturn {${(node.children as Node[]).map((pair) => `[${JSON.stringify(pair.name)}]: ${emit(pair.value as Node)}(v)`).join(', ')}};`;
    }
    if (contains(node, (type) => type === 'Root')) throw ROOT_IN_INTERPRETED_SUBTREE;
    return `return h.interpret(${constant(node)}, v);`;
  };

  /** The loop of a projection or filter over `v`, running `onResult` for each non-null result `x`. */
  const loop = (node: Node, onResult: string, notAnArray = 'null'): string => {
    const left = emit(node.left as Node);
    const right = emit(node.right as Node);
    const condition = node.condition === undefined ? undefined : emit(node.condition as Node);
    // Charged up front for every node the body may evaluate per element: the loop cannot outrun the budget.
    const perElement = nodeCount(node.right) + (node.condition === undefined ? 0 : nodeCount(node.condition));
    return `const b = ${left}(v);
if (!Array.isArray(b)) return ${notAnArray};
if ((m.left -= b.length * ${perElement}) < 0) h.over();
for (let i = 0; i < b.length; i++) {
  ${condition ? `if (!h.isTruthy(${condition}(b[i]))) continue;` : ''}
  const x = ${right}(b[i]);
  if (x !== null) { ${onResult} }
}`;
  };

  const comparator = (node: Node): string => {
    const name = node.name as string;
    if (name === 'EQ' || name === 'NE') {
      const operator = name === 'EQ' ? '===' : '!==';
      const sides = [node.left as Node, node.right as Node];
      const fixed = sides.findIndex((side) => side.type === 'Literal' && (side.value === null || typeof side.value !== 'object'));
      // Against a string, number, boolean or null literal, deep equality is plain ===.
      if (fixed >= 0) return `return ${emit(sides[1 - fixed])}(v) ${operator} ${literal(sides[fixed].value, constant)};`;
      return `return ${name === 'NE' ? '!' : ''}h.deepEqual(${emit(sides[0])}(v), ${emit(sides[1])}(v));`;
    }
    const operator = ORDERINGS[name];
    if (!operator) throw new JmesPathSyntaxError(name, `unknown comparator ${name}`);
    return `const a = ${emit(node.left as Node)}(v);
const c = ${emit(node.right as Node)}(v);
return typeof a === 'number' && typeof c === 'number' ? a ${operator} c : null;`;
  };

  const root = emit(ast);
  const streamable = (ast.type === 'Projection' || ast.type === 'FilterProjection') && !isStringSlice(ast);
  const anyBody = streamable
    ? `${loop(ast, 'if (h.anyYielded(x, test)) return true;', 'false')}\nreturn false;`
    : `return h.anyYielded(${root}(v), test);`;
  const source = `'use strict';
let r;
${functions.join('\n')}
function anyOf(v, test) {
${anyBody}
}
return {
  value: (v) => { r = v; return ${root}(v); },
  any: (v, test) => { r = v; return anyOf(v, test); },
};`;
  // The source is built only from the AST's structure, JSON-escaped names and numbers; values go through k.
  return new Function('k', 'h', 'm', source)(constants, HELPERS, meter) as { value: Evaluator; any: AnyEvaluator };
}

/** A projection over a slice may slice a string, a library extension left to the interpreter. */
function isStringSlice(node: Node): boolean {
  const left = node.left as Node | undefined;
  return node.type === 'Projection' && left?.type === 'IndexExpression' && (left.right as Node).type === 'Slice';
}

function literal(value: unknown, constant: (value: unknown) => string): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' && Number.isFinite(value)) return Object.is(value, -0) ? '-0' : String(value);
  return constant(value);
}

const ORDERINGS: Record<string, string> = { GT: '>', GTE: '>=', LT: '<', LTE: '<=' };

/** The AST nodes under `node`, itself included: what one evaluation of it may visit without a loop. */
function nodeCount(node: unknown): number {
  if (node === null || typeof node !== 'object') return 0;
  if (Array.isArray(node)) return node.reduce((sum: number, item) => sum + nodeCount(item), 0);
  const type = (node as Node).type;
  if (type === 'Literal') return 1;
  let count = typeof type === 'string' ? 1 : 0;
  for (const key in node) count += nodeCount((node as Record<string, unknown>)[key]);
  return count;
}

// ---------------------------------------------------------------------------------------------------------
// Static cost: what validation refuses
// ---------------------------------------------------------------------------------------------------------

/**
 * How many times larger than its input an expression's result may be, counting shared subtrees once per
 * occurrence (`[@, @]` is 2; `[@, @].[@, @]` is 4). Beyond this, one evaluation builds a value whose walk is
 * exponential in the expression's length.
 */
export const MAX_FAN_OUT = 1000;
/**
 * How many projections inside another projection may start again from the whole record (`$`) or a
 * variable. Each such level multiplies the cost by the record's size: `a[*].[$.b[*]]` is quadratic.
 */
export const MAX_RESCANS = 1;


/** Why the expression's cost cannot be bounded by its input's size, or undefined when it can. */
function costProblem(ast: Node): string | undefined {
  const fanOut = fanOutOf(ast);
  if (fanOut > MAX_FAN_OUT) {
    const shown = Number.isFinite(fanOut) && fanOut < 1e15 ? String(fanOut) : 'more than 10^15';
    return `its result can be ${shown} times the size of its input (multi-selects composed with each other: at most ${MAX_FAN_OUT})`;
  }
  const rescans = rescansOf(ast, false, false);
  if (rescans > MAX_RESCANS) {
    return `it has projections over $ (or a variable) nested ${rescans} deep inside other projections (at most ${MAX_RESCANS}): each level multiplies its cost by the record's size`;
  }
  return undefined;
}

function fanOutOf(node: Node | undefined): number {
  if (!node || typeof node !== 'object') return 1;
  switch (node.type) {
    case 'MultiSelectList':
    case 'Function':
      return Math.max(1, sum((node.children as Node[]).map(fanOutOf)));
    case 'MultiSelectHash':
      return Math.max(1, sum((node.children as Node[]).map((pair) => fanOutOf(pair.value as Node))));
    case 'Subexpression':
    case 'IndexExpression':
    case 'Pipe':
    case 'Projection':
    case 'FilterProjection':
    case 'ValueProjection':
      return fanOutOf(node.left as Node) * fanOutOf(node.right as Node);
    case 'Flatten':
    case 'ExpressionReference':
      return fanOutOf(node.child as Node);
    case 'OrExpression':
    case 'AndExpression':
      return Math.max(fanOutOf(node.left as Node), fanOutOf(node.right as Node));
    case 'Ternary':
      return Math.max(fanOutOf(node.trueExpr as Node), fanOutOf(node.falseExpr as Node));
    case 'LetExpression':
      // A variable can be used any number of times: its fan-out multiplies the body's.
      return fanOutOf(node.expression as Node) * Math.max(1, sum((node.bindings as Node[]).map((binding) => fanOutOf(binding.reference as Node))));
    default:
      return 1;
  }
}

const sum = (values: number[]): number => values.reduce((total, value) => total + value, 0);

/**
 * The deepest nesting of projections (or functions taking an expression, such as `map` and `sort_by`) that,
 * inside another projection's body, iterate over a list read from `$` or a variable (`rooted`: the value
 * they start from may be the whole record) rather than from the element at hand.
 */
function rescansOf(node: unknown, rooted: boolean, inside: boolean): number {
  if (node === null || typeof node !== 'object') return 0;
  if (Array.isArray(node)) return Math.max(0, ...node.map((item) => rescansOf(item, rooted, inside)));
  const current = node as Node;
  switch (current.type) {
    case 'Literal':
      return 0;
    case 'Subexpression':
    case 'Pipe':
    case 'IndexExpression':
      return Math.max(rescansOf(current.left, rooted, inside), rescansOf(current.right, rootedAfter(current.left, rooted), inside));
    case 'Projection':
    case 'FilterProjection':
    case 'ValueProjection': {
      const restarts = inside && rootedAfter(current.left, rooted) ? 1 : 0;
      return Math.max(rescansOf(current.left, rooted, inside), restarts + rescansOf([current.right, current.condition], false, true));
    }
    case 'Function': {
      const children = current.children as Node[];
      const bodies = children.filter((child) => child.type === 'ExpressionReference');
      const sources = children.filter((child) => child.type !== 'ExpressionReference');
      const restarts = inside && bodies.length > 0 && sources.some((source) => rootedAfter(source, rooted)) ? 1 : 0;
      return Math.max(rescansOf(sources, rooted, inside), restarts + rescansOf(bodies, false, true));
    }
  }
  let deepest = 0;
  for (const key in current) deepest = Math.max(deepest, rescansOf((current as Record<string, unknown>)[key], rooted, inside));
  return deepest;
}

/** Whether what `node` yields may be (part of) the whole record, given whether its input may be. */
const rootedAfter = (node: unknown, rooted: boolean): boolean => rooted || contains(node, (type) => type === 'Root' || type === 'Variable');

// ---------------------------------------------------------------------------------------------------------
// The library's interpreter, on the budget
// ---------------------------------------------------------------------------------------------------------

type LibraryFunction = { _func: (args: unknown[]) => unknown; _signature: unknown };
type FunctionTable = Record<string, LibraryFunction>;

/** What this module uses of the library's TreeInterpreter (declared private in its types). */
interface LibraryInterpreter {
  runtime: { _functionTable: FunctionTable; callFunction(name: string, args: unknown[]): unknown };
  _rootValue: unknown;
  _scope: { withScope(scope: unknown): unknown };
  search(node: unknown, value: unknown): unknown;
  visit(node: Node, value: unknown): unknown;
  withScope(scope: unknown): LibraryInterpreter;
}

const LibraryInterpreterClass = (TreeInterpreter as unknown as { constructor: new () => LibraryInterpreter }).constructor;

/**
 * The library's interpreter, charging one step per node it visits, the elements a flatten or slice builds
 * and what each function reads and returns. `==` and `!=` use deepEqual (the same answers, charged), and
 * trim, trim_left and trim_right are linear (the library's use a regular expression that is quadratic).
 */
class BudgetedInterpreter extends LibraryInterpreterClass {
  constructor(functions?: FunctionTable) {
    super();
    this.runtime._functionTable = functions ?? budgetedFunctions(this.runtime._functionTable);
  }

  override visit(node: Node, value: unknown): unknown {
    if (--meter.left < 0) overBudget();
    switch (node.type) {
      case 'Comparator':
        if (node.name === 'EQ' || node.name === 'NE') {
          const equal = deepEqual(this.visit(node.left as Node, value), this.visit(node.right as Node, value));
          return node.name === 'EQ' ? equal : !equal;
        }
        break;
      case 'Flatten': {
        const list = this.visit(node.child as Node, value);
        return Array.isArray(list) ? flatten(list) : null;
      }
      case 'Slice':
        if (Array.isArray(value) || typeof value === 'string') charge(value.length);
        break;
    }
    return super.visit(node, value);
  }

  override withScope(scope: unknown): LibraryInterpreter {
    const scoped = new BudgetedInterpreter(this.runtime._functionTable);
    scoped._rootValue = this._rootValue;
    scoped._scope = this._scope.withScope(scope) as LibraryInterpreter['_scope'];
    return scoped;
  }
}

/** Functions whose cost is in the size of their arguments' contents, not only their length. */
const DEEP_FUNCTIONS = new Set(['to_string', 'contains', 'join', 'sort', 'max', 'min']);

/** The library's functions, each charged before it runs for what it will read or build, and after for its result. */
function budgetedFunctions(library: FunctionTable): FunctionTable {
  const table: FunctionTable = {};
  for (const [name, entry] of Object.entries(library)) {
    const run = TRIMS[name] ?? entry._func;
    table[name] = {
      _signature: entry._signature,
      _func(this: unknown, args: unknown[]) {
        charge(expectedCost(name, args));
        const result = run.call(this, args);
        charge(sizeOf(result));
        return result;
      },
    };
  }
  return table;
}

function expectedCost(name: string, args: unknown[]): number {
  let cost = 0;
  for (const arg of args) cost += DEEP_FUNCTIONS.has(name) ? deepSize(arg) : sizeOf(arg);
  if (name === 'sort' && Array.isArray(args[0])) cost *= Math.ceil(Math.log2(args[0].length + 1));
  // What the function builds, before it builds it (a width or count of 10^9 would exhaust memory first).
  if ((name === 'pad_left' || name === 'pad_right') && typeof args[1] === 'number') cost += Math.max(0, args[1]);
  if (name === 'replace' && typeof args[0] === 'string' && typeof args[2] === 'string') cost += (args[0].length + 1) * args[2].length;
  if ((name === 'replace' && typeof args[3] === 'number') || (name === 'split' && typeof args[2] === 'number')) cost += Math.max(0, args[args.length - 1] as number);
  return cost;
}

/** A value's own size: a string's length, an array's elements, an object's keys; 1 for anything else. */
function sizeOf(value: unknown): number {
  if (typeof value === 'string' || Array.isArray(value)) return value.length + 1;
  if (value !== null && typeof value === 'object') {
    let keys = 1;
    for (const key in value) if (Object.hasOwn(value, key)) keys++;
    return keys;
  }
  return 1;
}

/** Every string character, element and key inside a value, charged as it is counted. */
function deepSize(value: unknown): number {
  if (Array.isArray(value)) {
    charge(value.length);
    let size = value.length + 1;
    for (const item of value) size += deepSize(item);
    return size;
  }
  if (value !== null && typeof value === 'object') {
    let size = 1;
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      charge(1);
      size += key.length + deepSize((value as Record<string, unknown>)[key]);
    }
    return size;
  }
  return typeof value === 'string' ? value.length + 1 : 1;
}

/**
 * trim, trim_left and trim_right as the library defines them (its default set is `\s` and U+0085; a given
 * set is its UTF-16 code units), in linear time.
 */
const TRIMS: Record<string, LibraryFunction['_func']> = {
  trim: ([subject, chars]) => trimEnd(trimStart(subject as string, chars), chars),
  trim_left: ([subject, chars]) => trimStart(subject as string, chars),
  trim_right: ([subject, chars]) => trimEnd(subject as string, chars),
};

function trimmed(chars: unknown): (unit: string) => boolean {
  if (typeof chars === 'string' && chars !== '') {
    const set = new Set(chars.split(''));
    return (unit) => set.has(unit);
  }
  return (unit) => unit === '\x85' || /\s/.test(unit);
}

function trimStart(subject: string, chars: unknown): string {
  const trims = trimmed(chars);
  let start = 0;
  while (start < subject.length && trims(subject[start])) start++;
  return subject.slice(start);
}

function trimEnd(subject: string, chars: unknown): string {
  const trims = trimmed(chars);
  let end = subject.length;
  while (end > 0 && trims(subject[end - 1])) end--;
  return subject.slice(0, end);
}

const BUDGETED = new BudgetedInterpreter();

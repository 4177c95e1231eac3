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
  override readonly name = 'JmesPathSyntaxError';
  constructor(
    readonly expression: string,
    reason: string,
  ) {
    super(`invalid JMESPath ${JSON.stringify(expression)}: ${reason}`);
  }
}

type Node = { type: string; [key: string]: unknown };

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
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const keys = Object.keys(a as object);
  if (keys.length !== Object.keys(b as object).length) return false;
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
  const result = TreeInterpreter.search(node as never, value as never);
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

const HELPERS = { isTruthy, deepEqual, anyYielded, interpret, hasOwn: Object.hasOwn };

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
const o = [];
for (const e of Object.values(b)) { const x = ${right}(e); if (x !== null) o.push(x); }
return o;`;
      }
      case 'Flatten':
        return `const b = ${child('child')}(v);\nreturn Array.isArray(b) ? b.flat() : null;`;
      case 'Comparator':
        return comparator(node);
      case 'OrExpression':
        return `const x = ${child('left')}(v);\nreturn h.isTruthy(x) ? x : ${child('right')}(v);`;
      case 'AndExpression':
        return `const x = ${child('left')}(v);\nreturn h.isTruthy(x) ? ${child('right')}(v) : x;`;
      case 'NotExpression':
        return `return !h.isTruthy(${child('child')}(v));`;
      case 'MultiSelectList':
        return `return [${(node.children as Node[]).map((item) => `${emit(item)}(v)`).join(', ')}];`;
      case 'MultiSelectHash':
        // Computed keys define own properties, even for "__proto__".
        return `return {${(node.children as Node[]).map((pair) => `[${JSON.stringify(pair.name)}]: ${emit(pair.value as Node)}(v)`).join(', ')}};`;
    }
    if (contains(node, (type) => type === 'Root')) throw ROOT_IN_INTERPRETED_SUBTREE;
    return `return h.interpret(${constant(node)}, v);`;
  };

  /** The loop of a projection or filter over `v`, running `onResult` for each non-null result `x`. */
  const loop = (node: Node, onResult: string, notAnArray = 'null'): string => {
    const left = emit(node.left as Node);
    const right = emit(node.right as Node);
    const condition = node.condition === undefined ? undefined : emit(node.condition as Node);
    return `const b = ${left}(v);
if (!Array.isArray(b)) return ${notAnArray};
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
  return new Function('k', 'h', source)(constants, HELPERS) as { value: Evaluator; any: AnyEvaluator };
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

import { compile as parse, TreeInterpreter } from '@jmespath-community/jmespath';

/**
 * JMESPath compiled once into plain closures.
 *
 * The maintained `@jmespath-community/jmespath` library parses (so syntax and its error messages are the
 * library's), then the AST's common node types become closures: evaluating them allocates nothing beyond
 * the result and is an order of magnitude faster than walking the tree on every record. Node types we do
 * not compile (functions, slices, arithmetic, let-expressions…) are handed to the library's interpreter,
 * so the semantics stay the library's.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type Evaluator = (value: unknown) => unknown;

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
type Compiled = (value: unknown, root: unknown) => unknown;

export function compileJmesPath(expression: string): Evaluator {
  if (typeof expression !== 'string' || expression.trim() === '') {
    throw new JmesPathSyntaxError(String(expression), 'expression is empty');
  }
  let ast: Node;
  try {
    ast = parse(expression) as unknown as Node;
  } catch (error) {
    throw new JmesPathSyntaxError(expression, (error as Error).message);
  }
  if (usesScope(ast)) {
    // Variables live in the interpreter's scope chain, which closures cannot see: interpret the whole tree.
    return (value) => interpret(ast, value);
  }
  try {
    const compiled = compileNode(ast);
    return (value) => compiled(value, value);
  } catch (error) {
    if (error !== ROOT_IN_INTERPRETED_SUBTREE) throw error;
    return (value) => interpret(ast, value);
  }
}

/** The interpreter takes `$` to be the value it is handed, so a subtree that mentions it cannot be handed over alone. */
const ROOT_IN_INTERPRETED_SUBTREE = Symbol('root in interpreted subtree');

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
  const ka = Object.keys(a as object);
  if (ka.length !== Object.keys(b as object).length) return false;
  for (const key of ka) {
    if (!Object.hasOwn(b as object, key)) return false;
    if (!deepEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false;
  }
  return true;
}

function interpret(node: Node, value: unknown): unknown {
  const result = TreeInterpreter.search(node as never, value as never);
  return result === undefined ? null : result;
}

function usesScope(node: unknown): boolean {
  if (node === null || typeof node !== 'object') return false;
  const type = (node as Node).type;
  if (type === 'LetExpression' || type === 'Variable') return true;
  if (type === 'Literal') return false;
  for (const key in node as object) {
    if (usesScope((node as Record<string, unknown>)[key])) return true;
  }
  return false;
}

function usesRoot(node: unknown): boolean {
  if (node === null || typeof node !== 'object') return false;
  if ((node as Node).type === 'Root') return true;
  if ((node as Node).type === 'Literal') return false;
  for (const key in node as object) if (usesRoot((node as Record<string, unknown>)[key])) return true;
  return false;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

function project(base: unknown, right: Compiled, root: unknown): unknown[] {
  const out: unknown[] = [];
  for (const element of base as unknown[]) {
    const result = right(element, root);
    if (result !== null) out.push(result);
  }
  return out;
}

function compileNode(node: Node): Compiled {
  switch (node.type) {
    case 'Field': {
      const name = node.name as string;
      return (value) => (isObject(value) && Object.hasOwn(value, name) ? (value[name] ?? null) : null);
    }
    case 'Current':
    case 'Identity':
      return (value) => value;
    case 'Root':
      return (_value, root) => root;
    case 'Literal': {
      const literal = node.value;
      return () => literal;
    }
    case 'Subexpression': {
      const left = compileNode(node.left as Node);
      const right = compileNode(node.right as Node);
      return (value, root) => {
        const base = left(value, root);
        return base === null || base === undefined ? null : (right(base, root) ?? null);
      };
    }
    case 'IndexExpression': {
      const left = compileNode(node.left as Node);
      const right = compileNode(node.right as Node);
      return (value, root) => right(left(value, root), root);
    }
    case 'Index': {
      const index = node.value as number;
      return (value) => {
        if (!Array.isArray(value)) return null;
        return value[index < 0 ? value.length + index : index] ?? null;
      };
    }
    case 'Pipe': {
      const left = compileNode(node.left as Node);
      const right = compileNode(node.right as Node);
      return (value, root) => right(left(value, root), root);
    }
    case 'Projection': {
      const leftNode = node.left as Node;
      // Slices of strings are a library extension: leave that corner to the interpreter.
      if (leftNode.type === 'IndexExpression' && (leftNode.right as Node).type === 'Slice') break;
      const left = compileNode(leftNode);
      const right = compileNode(node.right as Node);
      return (value, root) => {
        const base = left(value, root);
        return Array.isArray(base) ? project(base, right, root) : null;
      };
    }
    case 'ValueProjection': {
      const left = compileNode(node.left as Node);
      const right = compileNode(node.right as Node);
      return (value, root) => {
        const base = left(value, root);
        return isObject(base) ? project(Object.values(base), right, root) : null;
      };
    }
    case 'FilterProjection': {
      const left = compileNode(node.left as Node);
      const right = compileNode(node.right as Node);
      const condition = compileNode(node.condition as Node);
      return (value, root) => {
        const base = left(value, root);
        if (!Array.isArray(base)) return null;
        const out: unknown[] = [];
        for (const element of base) {
          if (!isTruthy(condition(element, root))) continue;
          const result = right(element, root);
          if (result !== null) out.push(result);
        }
        return out;
      };
    }
    case 'Flatten': {
      const child = compileNode(node.child as Node);
      return (value, root) => {
        const base = child(value, root);
        return Array.isArray(base) ? base.flat() : null;
      };
    }
    case 'Comparator': {
      const left = compileNode(node.left as Node);
      const right = compileNode(node.right as Node);
      return compileComparator(node.name as string, left, right);
    }
    case 'OrExpression': {
      const left = compileNode(node.left as Node);
      const right = compileNode(node.right as Node);
      return (value, root) => {
        const result = left(value, root);
        return isTruthy(result) ? result : right(value, root);
      };
    }
    case 'AndExpression': {
      const left = compileNode(node.left as Node);
      const right = compileNode(node.right as Node);
      return (value, root) => {
        const result = left(value, root);
        return isTruthy(result) ? right(value, root) : result;
      };
    }
    case 'NotExpression': {
      const child = compileNode(node.child as Node);
      return (value, root) => !isTruthy(child(value, root));
    }
    case 'MultiSelectList': {
      const children = (node.children as Node[]).map(compileNode);
      return (value, root) => children.map((child) => child(value, root));
    }
    case 'MultiSelectHash': {
      const pairs = (node.children as Node[]).map((pair) => [pair.name as string, compileNode(pair.value as Node)] as const);
      return (value, root) => {
        const out: Record<string, unknown> = {};
        for (const [name, child] of pairs) out[name] = child(value, root);
        return out;
      };
    }
  }
  return fallback(node);
}

function fallback(node: Node): Compiled {
  if (usesRoot(node)) throw ROOT_IN_INTERPRETED_SUBTREE;
  return (value) => interpret(node, value);
}

function compileComparator(name: string, left: Compiled, right: Compiled): Compiled {
  switch (name) {
    case 'EQ':
      return (value, root) => deepEqual(left(value, root), right(value, root));
    case 'NE':
      return (value, root) => !deepEqual(left(value, root), right(value, root));
  }
  const order = ORDERINGS[name];
  if (!order) throw new JmesPathSyntaxError(name, `unknown comparator ${name}`);
  return (value, root) => {
    const a = left(value, root);
    const b = right(value, root);
    return typeof a === 'number' && typeof b === 'number' ? order(a, b) : null;
  };
}

const ORDERINGS: Record<string, (a: number, b: number) => boolean> = {
  GT: (a, b) => a > b,
  GTE: (a, b) => a >= b,
  LT: (a, b) => a < b,
  LTE: (a, b) => a <= b,
};

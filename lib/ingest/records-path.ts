import { compile as parse } from '@jmespath-community/jmespath';

/**
 * A workflow's `records` expression in the shape a JSON document can be streamed for: the array at a chain of
 * object fields (`items`, `data.records`, `"my records"`, `@` for the document itself), taken as it is, or
 * projected (`items[*]`, `data.items[*]`, `[*]`), which in JMESPath leaves out the elements that are null.
 */
export interface RecordsPath {
  fields: readonly string[];
  /** A `[*]` projection: null elements are not records (and take no index), as JMESPath evaluates it. */
  dropNulls: boolean;
}

/** A workflow without `records`: the document's value is its one record. */
export const WHOLE_DOCUMENT = 'document';
export type DocumentRecords = RecordsPath | typeof WHOLE_DOCUMENT;

type Node = { type: string; [key: string]: unknown };

/**
 * The streamable form of a `records` expression, or undefined when it is anything else (a filter, an index, a
 * function, a pipe…): such a document is parsed whole, and is only read up to a size that fits memory.
 * Throws on an expression that does not parse (the workflow loader refuses those first).
 */
export function streamableRecordsPath(expression: string): RecordsPath | undefined {
  const ast = parse(expression) as unknown as Node;
  if (ast.type === 'Projection' && (ast.right as Node).type === 'Identity') {
    const fields = fieldChain(ast.left as Node);
    return fields && { fields, dropNulls: true };
  }
  // `data.items[*]` parses as data . (items[*]): the projection is the last step of the chain.
  if (ast.type === 'Subexpression' && (ast.right as Node).type === 'Projection' && ((ast.right as Node).right as Node).type === 'Identity') {
    const head = fieldChain(ast.left as Node);
    const tail = fieldChain((ast.right as Node).left as Node);
    return head && tail && { fields: [...head, ...tail], dropNulls: true };
  }
  const fields = fieldChain(ast);
  return fields && { fields, dropNulls: false };
}

/** The field names of `a.b.c` (`@` and `[*]`'s identity: none), or undefined for any other node. */
function fieldChain(node: Node): string[] | undefined {
  switch (node.type) {
    case 'Current':
    case 'Identity':
      return [];
    case 'Field':
      return typeof node.name === 'string' ? [node.name] : undefined;
    case 'Subexpression': {
      const left = fieldChain(node.left as Node);
      const right = fieldChain(node.right as Node);
      // `a.@` is not a plain chain (and is rare): leave it to the whole-document parse.
      return left && right && right.length === 1 && (node.right as Node).type === 'Field' ? [...left, ...right] : undefined;
    }
    default:
      return undefined;
  }
}

import { compile as parse } from '@jmespath-community/jmespath';

type Node = { type: string; name?: unknown; value?: unknown; left?: Node; right?: Node };

/**
 * The steps of a JMESPath expression that only follows fields and indexes (`id`, `meta.id`,
 * `items[0].id`, `ids[-1]`), else undefined: the value such a path yields is a member of the record, so its
 * text can be read from the record's JSON (see numberLiteralAt).
 */
export function plainPath(expression: string): (string | number)[] | undefined {
  let ast: Node;
  try {
    ast = parse(expression) as unknown as Node;
  } catch {
    return undefined;
  }
  return stepsOf(ast);
}

function stepsOf(node: Node | undefined): (string | number)[] | undefined {
  if (!node) return undefined;
  if (node.type === 'Field' && typeof node.name === 'string') return [node.name];
  if (node.type === 'Subexpression' || node.type === 'IndexExpression') {
    const left = stepsOf(node.left);
    const right = node.right?.type === 'Index' && typeof node.right.value === 'number' ? [node.right.value] : stepsOf(node.right);
    return left && right ? [...left, ...right] : undefined;
  }
  return undefined;
}

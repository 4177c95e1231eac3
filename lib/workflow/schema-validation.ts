import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import workflowSchema from '../../schemas/workflow.schema.json';

/** One schema violation: the path to the offending value and a sentence about it. */
export interface SchemaProblem {
  path: (string | number)[];
  message: string;
}

let validator: ValidateFunction | undefined;

/**
 * Validates a parsed workflow file against schemas/workflow.schema.json, filling schema defaults in place.
 * Every problem is returned, not just the first.
 */
export function validateWorkflowSchema(data: unknown): SchemaProblem[] {
  validator ??= new Ajv({ allErrors: true, useDefaults: true, verbose: true, strict: true, strictRequired: false }).compile(workflowSchema);
  if (validator(data)) return [];
  return describe(validator.errors ?? []);
}

function describe(errors: ErrorObject[]): SchemaProblem[] {
  const oneOfPaths = errors.filter((error) => error.keyword === 'oneOf').map((error) => `${error.schemaPath}/`);
  const problems: SchemaProblem[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    // A failed oneOf reports each branch's failure too; its own summary says it better.
    if (oneOfPaths.some((prefix) => error.schemaPath.startsWith(prefix))) continue;
    const problem = describeOne(error);
    const key = `${problem.path.join('.')}|${problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(problem);
  }
  return problems;
}

function describeOne(error: ErrorObject): SchemaProblem {
  const path = instancePath(error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return { path, message: `missing required property "${String(params.missingProperty)}"` };
    case 'additionalProperties':
      return { path: [...path, String(params.additionalProperty)], message: 'unexpected property (not in the workflow schema)' };
    case 'enum':
      return { path, message: `must be one of: ${(params.allowedValues as unknown[]).map((value) => JSON.stringify(value)).join(', ')}` };
    case 'oneOf':
      return { path, message: describeOneOf(error.schema as Record<string, unknown>[], params.passingSchemas) };
    case 'propertyNames':
      return { path: [...path, String(params.propertyName)], message: 'is not a valid queue name (lowercase letters, digits and -, at most 20, starting with a letter or digit)' };
    case 'pattern':
      return { path, message: `${JSON.stringify(error.data)} must match ${String(params.pattern)}` };
    default:
      return { path, message: error.message ?? error.keyword };
  }
}

function describeOneOf(branches: Record<string, unknown>[], passing: unknown): string {
  if (branches.every((branch) => Array.isArray(branch.required))) {
    const names = branches.map((branch) => `"${(branch.required as string[]).join('", "')}"`).join(' or ');
    return Array.isArray(passing) ? `must have only one of ${names}` : `must have one of ${names}`;
  }
  const kinds = branches.map((branch) => (branch.type === 'array' ? 'an array' : `a ${String(branch.type)}`));
  return `must be ${kinds.join(' or ')}`;
}

function instancePath(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
}

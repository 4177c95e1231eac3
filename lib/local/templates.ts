import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, type ScalarTag, type CollectionTag } from 'yaml';

/** The stack's hand-written CloudFormation beside serverless.yml (resources/*.yml). */
export const RESOURCES_DIR = join(__dirname, '..', '..', 'resources');

/** A part of the stack as serverless merges it into the template. */
export interface TemplatePart {
  Parameters?: Record<string, unknown>;
  Conditions?: Record<string, unknown>;
  Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> } & Record<string, unknown>>;
  Outputs?: Record<string, unknown>;
}

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

/** CloudFormation's short forms (`!Sub`, `!GetAtt A.B`, …) as the `Fn::` objects the template means. */
const INTRINSICS = ['Ref', 'Sub', 'GetAtt', 'If', 'Not', 'Equals', 'And', 'Or', 'Join', 'Select', 'Split', 'FindInMap', 'Base64', 'Cidr', 'GetAZs', 'ImportValue', 'Condition'];

function fnName(tag: string): string {
  return tag === 'Ref' || tag === 'Condition' ? tag : `Fn::${tag}`;
}

const CLOUDFORMATION_TAGS: (ScalarTag | CollectionTag)[] = INTRINSICS.flatMap((name) => {
  const key = fnName(name);
  const scalar: ScalarTag = {
    tag: `!${name}`,
    resolve: (value: string) => ({ [key]: name === 'GetAtt' ? value.split(/\.(.*)/s).slice(0, 2) : value }),
  };
  const sequence: CollectionTag = { tag: `!${name}`, collection: 'seq', resolve: (value) => ({ [key]: (value as { toJSON(): unknown }).toJSON() }) };
  const mapping: CollectionTag = { tag: `!${name}`, collection: 'map', resolve: (value) => ({ [key]: (value as { toJSON(): unknown }).toJSON() }) };
  return [scalar, sequence, mapping];
});

/**
 * Reads one of resources/*.yml as CloudFormation sees it once serverless has merged it: the short-form tags
 * become `Fn::` objects and `${self:service}` / `${sls:stage}` are the stack's. Other serverless variables
 * (`${file(…)}`) stay as they are written: what reads a part must not depend on them.
 */
export function loadTemplatePart(fileName: string, stack: { service: string; stage: string }): TemplatePart {
  const file = join(RESOURCES_DIR, fileName);
  const text = readFileSync(file, 'utf8').replaceAll('${self:service}', stack.service).replaceAll('${sls:stage}', stack.stage);
  try {
    return parse(text, { customTags: CLOUDFORMATION_TAGS }) as TemplatePart;
  } catch (error) {
    throw new TemplateError(`${file}: ${(error as Error).message}`);
  }
}

/** One resource of a template part, by logical id; an error when the part has none of that id and type. */
export function templateResource(part: TemplatePart, logicalId: string, type: string, fileName: string): { Type: string; Properties?: Record<string, unknown> } {
  const resource = part.Resources?.[logicalId];
  if (!resource || resource.Type !== type) throw new TemplateError(`resources/${fileName} has no ${type} ${logicalId}`);
  return resource;
}

/**
 * CloudFormation's intrinsic functions evaluated against the local stack's physical resources, so local mode
 * can use what the generated stack says (roles, rule patterns, targets) as the deployed stack would see it,
 * instead of a hand-written copy that can drift from it.
 */

/** What a logical id stands for locally: its `Ref` value and its `Fn::GetAtt` attributes. */
export interface LocalResourceValue {
  ref: string;
  attributes?: Record<string, string>;
}

export interface CfnValueContext {
  region: string;
  account: string;
  partition?: string;
  urlSuffix?: string;
  stackName?: string;
  /** Template parameters by name (`Ref: KmsKeyArn`). */
  parameters?: Record<string, string>;
  /** Template conditions by name (`Fn::If`). */
  conditions?: Record<string, boolean>;
  /** Resources by logical id. */
  resources: Record<string, LocalResourceValue>;
}

/** A value refers to something the local stack does not have, or uses an intrinsic this evaluator does not know. */
export class CfnValueError extends Error {
  override readonly name = 'CfnValueError';
}

/** `Ref: AWS::NoValue`: the property (or list item) is removed. */
const NO_VALUE = Symbol('AWS::NoValue');

/** Evaluates every intrinsic function in `value` (deeply); a property whose value is `AWS::NoValue` is dropped. */
export function resolveCfn<T = unknown>(value: unknown, context: CfnValueContext): T {
  const resolved = resolve(value, context, '');
  if (resolved === NO_VALUE) throw new CfnValueError('the value as a whole is AWS::NoValue');
  return resolved as T;
}

function resolve(value: unknown, context: CfnValueContext, where: string): unknown {
  if (Array.isArray(value)) return value.map((item, index) => resolve(item, context, `${where}[${index}]`)).filter((item) => item !== NO_VALUE);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  if (entries.length === 1 && (entries[0][0] === 'Ref' || entries[0][0].startsWith('Fn::'))) return intrinsic(entries[0][0], entries[0][1], context, where);
  const out: Record<string, unknown> = {};
  for (const [key, item] of entries) {
    const resolved = resolve(item, context, where ? `${where}.${key}` : key);
    if (resolved !== NO_VALUE) out[key] = resolved;
  }
  return out;
}

function intrinsic(name: string, argument: unknown, context: CfnValueContext, where: string): unknown {
  switch (name) {
    case 'Ref':
      return refValue(String(argument), context, where);
    case 'Fn::GetAtt': {
      const [logicalId, attribute] = Array.isArray(argument) ? argument.map(String) : String(argument).split(/\.(.*)/s);
      return attributeValue(logicalId, attribute, context, where);
    }
    case 'Fn::Sub': {
      const [text, variables] = Array.isArray(argument) ? [String(argument[0]), (argument[1] ?? {}) as Record<string, unknown>] : [String(argument), {}];
      return text.replace(/\$\{(!?)([^}]*)\}/g, (_whole, literal: string, name: string) => {
        // `${!Literal}` writes `${Literal}`.
        if (literal) return `\${${name}}`;
        if (name in variables) return String(resolve(variables[name], context, where));
        const [logicalId, attribute] = name.split(/\.(.*)/s);
        return attribute === undefined ? String(refValue(logicalId, context, where)) : attributeValue(logicalId, attribute, context, where);
      });
    }
    case 'Fn::If': {
      const [condition, then, otherwise] = argument as [string, unknown, unknown];
      const holds = context.conditions?.[condition];
      if (holds === undefined) throw new CfnValueError(`${where}: condition ${condition} is not defined locally`);
      return resolve(holds ? then : otherwise, context, where);
    }
    case 'Fn::Equals': {
      const [left, right] = argument as [unknown, unknown];
      return JSON.stringify(resolve(left, context, where)) === JSON.stringify(resolve(right, context, where));
    }
    case 'Fn::Not':
      return !(resolve((argument as unknown[])[0], context, where) as boolean);
    case 'Fn::And':
      return (argument as unknown[]).every((item) => resolve(item, context, where) === true);
    case 'Fn::Or':
      return (argument as unknown[]).some((item) => resolve(item, context, where) === true);
    case 'Fn::Join': {
      const [separator, items] = argument as [string, unknown];
      return (resolve(items, context, where) as unknown[]).join(separator);
    }
    case 'Fn::Select': {
      const [index, items] = argument as [unknown, unknown];
      return (resolve(items, context, where) as unknown[])[Number(resolve(index, context, where))];
    }
    case 'Fn::Split': {
      const [separator, text] = argument as [string, unknown];
      return String(resolve(text, context, where)).split(separator);
    }
    default:
      throw new CfnValueError(`${where}: ${name} is not evaluated locally`);
  }
}

function refValue(name: string, context: CfnValueContext, where: string): unknown {
  switch (name) {
    case 'AWS::NoValue':
      return NO_VALUE;
    case 'AWS::AccountId':
      return context.account;
    case 'AWS::Region':
      return context.region;
    case 'AWS::Partition':
      return context.partition ?? 'aws';
    case 'AWS::URLSuffix':
      return context.urlSuffix ?? 'amazonaws.com';
    case 'AWS::StackName':
      return context.stackName ?? 'a2i-local';
  }
  if (context.parameters && name in context.parameters) return context.parameters[name];
  const resource = context.resources[name];
  if (!resource) throw new CfnValueError(`${where}: Ref ${name}: no such parameter or resource locally`);
  return resource.ref;
}

function attributeValue(logicalId: string, attribute: string | undefined, context: CfnValueContext, where: string): string {
  const value = attribute === undefined ? undefined : context.resources[logicalId]?.attributes?.[attribute];
  if (value === undefined) throw new CfnValueError(`${where}: Fn::GetAtt ${logicalId}.${attribute}: not known locally`);
  return value;
}

/** A template's Conditions section evaluated (Fn::Equals, Fn::Not, Fn::And, Fn::Or over its parameters). */
export function evaluateConditions(conditions: Record<string, unknown> | undefined, context: CfnValueContext): Record<string, boolean> {
  const evaluated: Record<string, boolean> = {};
  for (const [name, expression] of Object.entries(conditions ?? {})) evaluated[name] = resolveCfn<boolean>(expression, context) === true;
  return evaluated;
}

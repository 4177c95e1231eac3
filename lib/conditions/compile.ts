import type { ConditionType, EvaluationContext, LeafTest } from './condition-type';
import { CONDITION_TYPES } from './registry';

/** One problem in a condition document, at `location` such as `Conditions[0].Or[1].And[0]`. */
export interface ConditionIssue {
  location: string;
  message: string;
}

export class ConditionDocumentError extends Error {
  override readonly name = 'ConditionDocumentError';
  constructor(readonly issues: ConditionIssue[]) {
    super(issues.map((issue) => `${issue.location}: ${issue.message}`).join('\n'));
  }
}

/** A condition node as given, with A2I's `EvaluationResult` added (nested nodes likewise). */
export type ConditionResult = Record<string, unknown> & { EvaluationResult: boolean };

/** The same shape A2I writes for its built-in task types. */
export interface Decision {
  activated: boolean;
  humanTaskActivationConditionResults: { Conditions: ConditionResult[] };
}

export interface CompiledConditions {
  /** `identity` gives the record's sampling identity; it is called only if a Sampling condition is reached. */
  evaluate(record: unknown, identity: () => string): Decision;
}

type CompiledNode = (record: unknown, context: EvaluationContext) => ConditionResult;

const COMBINATORS = ['And', 'Or', 'Not'] as const;

/** Validates the whole document (every issue at once) and compiles it; throws ConditionDocumentError. */
export function compileConditions(document: unknown, types: ReadonlyMap<string, ConditionType> = CONDITION_TYPES): CompiledConditions {
  const issues: ConditionIssue[] = [];
  const roots = compileDocument(document, types, issues);
  if (issues.length > 0) throw new ConditionDocumentError(issues);
  return {
    evaluate(record, identity) {
      const context = newContext(identity);
      const Conditions = roots.map((node) => node(record, context));
      return {
        activated: Conditions.some((result) => result.EvaluationResult),
        humanTaskActivationConditionResults: { Conditions },
      };
    },
  };
}

function compileDocument(document: unknown, types: ReadonlyMap<string, ConditionType>, issues: ConditionIssue[]): CompiledNode[] {
  if (!isPlainObject(document)) {
    issues.push({ location: '(document)', message: 'must be an object {"Conditions": [...]}' });
    return [];
  }
  for (const key of Object.keys(document)) {
    if (key !== 'Conditions') issues.push({ location: '(document)', message: `unexpected key "${key}" (only "Conditions" is allowed)` });
  }
  const conditions = document.Conditions;
  if (!Array.isArray(conditions) || conditions.length === 0) {
    issues.push({ location: 'Conditions', message: 'must be a non-empty array of conditions' });
    return [];
  }
  return conditions.map((node, index) => compileNode(node, `Conditions[${index}]`, types, issues));
}

function compileNode(node: unknown, location: string, types: ReadonlyMap<string, ConditionType>, issues: ConditionIssue[]): CompiledNode {
  if (!isPlainObject(node)) {
    issues.push({ location, message: 'must be a condition object ({"ConditionType": …} or {"And"|"Or"|"Not": …})' });
    return constantFalse;
  }
  const combinators = COMBINATORS.filter((key) => key in node);
  if (combinators.length > 0 && 'ConditionType' in node) {
    issues.push({ location, message: `has both ConditionType and ${combinators.join('/')}: a node is either a condition or a combinator` });
    return constantFalse;
  }
  if (combinators.length > 1) {
    issues.push({ location, message: `has ${combinators.join(' and ')}: a node holds one combinator` });
    return constantFalse;
  }
  if (combinators.length === 1) return compileCombinator(node, combinators[0], location, types, issues);
  if ('ConditionType' in node) return compileLeaf(node, location, types, issues);
  issues.push({ location, message: 'needs "ConditionType" or one of "And", "Or", "Not"' });
  return constantFalse;
}

function compileCombinator(
  node: Record<string, unknown>,
  key: (typeof COMBINATORS)[number],
  location: string,
  types: ReadonlyMap<string, ConditionType>,
  issues: ConditionIssue[],
): CompiledNode {
  reportExtraKeys(node, [key], location, issues);
  const operand = node[key];
  if (key === 'Not') {
    const single = Array.isArray(operand) && operand.length === 1;
    if (!isPlainObject(operand) && !single) {
      issues.push({ location: `${location}.Not`, message: 'takes exactly one condition (an object, or an array of one)' });
      return constantFalse;
    }
    const child = single
      ? compileNode(operand[0], `${location}.Not[0]`, types, issues)
      : compileNode(operand, `${location}.Not`, types, issues);
    return (record, context) => {
      const result = child(record, context);
      return { Not: single ? [result] : result, EvaluationResult: !result.EvaluationResult };
    };
  }
  if (!Array.isArray(operand) || operand.length === 0) {
    issues.push({ location: `${location}.${key}`, message: `must be a non-empty array of conditions` });
    return constantFalse;
  }
  const children = operand.map((child, index) => compileNode(child, `${location}.${key}[${index}]`, types, issues));
  const all = key === 'And';
  // A2I evaluates every operand (no short-circuit) and reports each result.
  return (record, context) => {
    const results = children.map((child) => child(record, context));
    const EvaluationResult = all ? results.every(isTrue) : results.some(isTrue);
    return { [key]: results, EvaluationResult };
  };
}

function compileLeaf(
  node: Record<string, unknown>,
  location: string,
  types: ReadonlyMap<string, ConditionType>,
  issues: ConditionIssue[],
): CompiledNode {
  reportExtraKeys(node, ['ConditionType', 'ConditionParameters'], location, issues);
  const typeName = node.ConditionType;
  const type = typeof typeName === 'string' ? types.get(typeName) : undefined;
  if (!type) {
    const known = [...types.keys()].join(', ');
    issues.push({ location, message: `unknown ConditionType ${JSON.stringify(typeName)} (known: ${known})` });
    return constantFalse;
  }
  const parameters = node.ConditionParameters;
  if (!isPlainObject(parameters)) {
    issues.push({ location, message: `${type.name}: ConditionParameters must be an object` });
    return constantFalse;
  }
  const before = issues.length;
  for (const [name, spec] of Object.entries(type.parameters)) {
    const value = parameters[name];
    if (value === undefined) {
      if (spec.required) issues.push({ location, message: `${type.name}: ConditionParameters.${name} is required` });
      continue;
    }
    const reason = spec.check(value);
    if (reason) issues.push({ location, message: `${type.name}: ConditionParameters.${name} ${reason}` });
  }
  for (const name of Object.keys(parameters)) {
    if (!Object.hasOwn(type.parameters, name)) {
      const allowed = Object.keys(type.parameters).join(', ');
      issues.push({ location, message: `${type.name}: unexpected parameter ConditionParameters.${name} (allowed: ${allowed})` });
    }
  }
  if (issues.length > before) return constantFalse;
  for (const reason of type.validate?.(parameters) ?? []) issues.push({ location, message: `${type.name}: ${reason}` });
  if (issues.length > before) return constantFalse;
  const test: LeafTest = type.compile(parameters, location);
  const ConditionType = type.name;
  const ConditionParameters = Object.freeze(structuredClone(parameters));
  return (record, context) => ({ ConditionType, ConditionParameters, EvaluationResult: test(record, context) });
}

function reportExtraKeys(node: Record<string, unknown>, allowed: string[], location: string, issues: ConditionIssue[]): void {
  for (const key of Object.keys(node)) {
    if (!allowed.includes(key)) issues.push({ location, message: `unexpected key "${key}"` });
  }
}

function newContext(identity: () => string): EvaluationContext {
  let cachedIdentity: string | undefined;
  let memo: Map<string, unknown> | undefined;
  return {
    identity: () => (cachedIdentity ??= identity()),
    memo<T>(key: string, compute: () => T): T {
      memo ??= new Map();
      if (!memo.has(key)) memo.set(key, compute());
      return memo.get(key) as T;
    },
  };
}

const isTrue = (result: ConditionResult): boolean => result.EvaluationResult;
const constantFalse: CompiledNode = () => ({ EvaluationResult: false });

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

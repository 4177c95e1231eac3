import { compileJmesPath, compileJmesPathAny } from '../jmespath';
import type { ConditionType, EvaluationContext, LeafTest, PathCompiler } from './condition-type';
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
  /** JSON.stringify of a decision this document produced. */
  decisionJson(decision: Decision): string;
}

/** Distinct result patterns kept per document; beyond that decisions are serialised as they come. */
const DECISION_JSON_CACHE = 1024;

type CompiledNode = (record: unknown, context: EvaluationContext) => ConditionResult;

const COMBINATORS = ['And', 'Or', 'Not'] as const;
const COMPILED_PATHS: PathCompiler = { value: compileJmesPath, any: compileJmesPathAny };

export interface CompileOptions {
  types?: ReadonlyMap<string, ConditionType>;
  compilePath?: PathCompiler;
}

interface Compiler {
  types: ReadonlyMap<string, ConditionType>;
  compilePath: PathCompiler;
  issues: ConditionIssue[];
}

/** Validates the whole document (every issue at once) and compiles it; throws ConditionDocumentError. */
export function compileConditions(document: unknown, options: CompileOptions = {}): CompiledConditions {
  const compiler: Compiler = { types: options.types ?? CONDITION_TYPES, compilePath: options.compilePath ?? COMPILED_PATHS, issues: [] };
  const { issues } = compiler;
  const roots = compileDocument(document, compiler);
  if (issues.length > 0) throw new ConditionDocumentError(issues);
  const decisionJsonCache = new Map<string, string>();
  return {
    evaluate(record, identity) {
      const context = new RecordContext(identity);
      const Conditions = new Array<ConditionResult>(roots.length);
      let activated = false;
      for (let i = 0; i < roots.length; i++) {
        Conditions[i] = roots[i](record, context);
        if (Conditions[i].EvaluationResult) activated = true;
      }
      return { activated, humanTaskActivationConditionResults: { Conditions } };
    },
    decisionJson(decision) {
      // A decision differs from another of the same document only in its EvaluationResults (the
      // parameters are the same frozen objects), so its JSON is kept by that pattern.
      const key = resultPattern(decision.humanTaskActivationConditionResults.Conditions, '');
      let json = decisionJsonCache.get(key);
      if (json === undefined) {
        json = JSON.stringify(decision);
        if (decisionJsonCache.size < DECISION_JSON_CACHE) decisionJsonCache.set(key, json);
      }
      return json;
    },
  };
}

function resultPattern(nodes: ConditionResult[], pattern: string): string {
  for (const node of nodes) {
    pattern += node.EvaluationResult ? '1' : '0';
    const children = node.And ?? node.Or ?? node.Not;
    if (children !== undefined) pattern = `${resultPattern(Array.isArray(children) ? (children as ConditionResult[]) : [children as ConditionResult], `${pattern}(`)})`;
  }
  return pattern;
}

function compileDocument(document: unknown, compiler: Compiler): CompiledNode[] {
  const { issues } = compiler;
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
  return conditions.map((node, index) => compileNode(node, `Conditions[${index}]`, compiler));
}

function compileNode(node: unknown, location: string, compiler: Compiler): CompiledNode {
  const { issues } = compiler;
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
  if (combinators.length === 1) return compileCombinator(node, combinators[0], location, compiler);
  if ('ConditionType' in node) return compileLeaf(node, location, compiler);
  issues.push({ location, message: 'needs "ConditionType" or one of "And", "Or", "Not"' });
  return constantFalse;
}

function compileCombinator(
  node: Record<string, unknown>,
  key: (typeof COMBINATORS)[number],
  location: string,
  compiler: Compiler,
): CompiledNode {
  const { issues } = compiler;
  reportExtraKeys(node, [key], location, issues);
  const operand = node[key];
  if (key === 'Not') {
    const single = Array.isArray(operand) && operand.length === 1;
    if (!isPlainObject(operand) && !single) {
      issues.push({ location: `${location}.Not`, message: 'takes exactly one condition (an object, or an array of one)' });
      return constantFalse;
    }
    const child = single
      ? compileNode(operand[0], `${location}.Not[0]`, compiler)
      : compileNode(operand, `${location}.Not`, compiler);
    return (record, context) => {
      const result = child(record, context);
      return { Not: single ? [result] : result, EvaluationResult: !result.EvaluationResult };
    };
  }
  if (!Array.isArray(operand) || operand.length === 0) {
    issues.push({ location: `${location}.${key}`, message: `must be a non-empty array of conditions` });
    return constantFalse;
  }
  const children = operand.map((child, index) => compileNode(child, `${location}.${key}[${index}]`, compiler));
  // A2I evaluates every operand (no short-circuit) and reports each result.
  const evaluateAll = (record: unknown, context: EvaluationContext): [ConditionResult[], number] => {
    const results = new Array<ConditionResult>(children.length);
    let trueCount = 0;
    for (let i = 0; i < children.length; i++) {
      results[i] = children[i](record, context);
      if (results[i].EvaluationResult) trueCount++;
    }
    return [results, trueCount];
  };
  if (key === 'And') {
    return (record, context) => {
      const [And, trueCount] = evaluateAll(record, context);
      return { And, EvaluationResult: trueCount === And.length };
    };
  }
  return (record, context) => {
    const [Or, trueCount] = evaluateAll(record, context);
    return { Or, EvaluationResult: trueCount > 0 };
  };
}

function compileLeaf(
  node: Record<string, unknown>,
  location: string,
  compiler: Compiler,
): CompiledNode {
  const { issues, types } = compiler;
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
  // Compiled from, and reported as, a private frozen copy: changing the document (or a reported result)
  // afterwards must not change what the compiled condition does, nor make the report disagree with it.
  const ConditionParameters = deepFreeze(structuredClone(parameters));
  const test: LeafTest = type.compile(ConditionParameters, location, compiler.compilePath);
  const ConditionType = type.name;
  return (record, context) => ({ ConditionType, ConditionParameters, EvaluationResult: test(record, context) });
}

function reportExtraKeys(node: Record<string, unknown>, allowed: string[], location: string, issues: ConditionIssue[]): void {
  for (const key of Object.keys(node)) {
    if (!allowed.includes(key)) issues.push({ location, message: `unexpected key "${key}"` });
  }
}

class RecordContext implements EvaluationContext {
  #identity: string | undefined;
  #memo: Map<string, unknown> | undefined;
  constructor(private readonly computeIdentity: () => string) {}

  identity(): string {
    return (this.#identity ??= this.computeIdentity());
  }

  memo<T>(key: string, compute: () => T): T {
    this.#memo ??= new Map();
    if (!this.#memo.has(key)) this.#memo.set(key, compute());
    return this.#memo.get(key) as T;
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

const constantFalse: CompiledNode = () => ({ EvaluationResult: false });

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

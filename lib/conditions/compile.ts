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
  /**
   * Whether the record activates, and the JSON of its decision, without building the decision: for the
   * records no condition activates (most of them), which only need to carry it.
   */
  summarize(record: unknown, identity: () => string): { activated: boolean; json: string };
}

/** Distinct result patterns whose JSON is kept per document; beyond that, summaries serialise as they come. */
const DECISION_JSON_CACHE = 1024;

/**
 * Each node compiled twice over the same leaf tests: `result` builds the node's report (as A2I writes it),
 * `test` only answers it and adds the node's bit to the record's mask when true. A decision's JSON depends
 * on nothing but its results, so the mask keys it.
 */
interface CompiledNode {
  result(record: unknown, context: RecordContext): ConditionResult;
  test(record: unknown, context: RecordContext): boolean;
}

/** Nodes past this many get no bit: the mask stays a small integer (a fast Map key); larger documents are summarized by evaluating them. */
const MAX_MASK_NODES = 30;

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
  /** Nodes compiled so far, in document order: the next node's bit is 2^nodes. */
  nodes: number;
}

function nextBit(compiler: Compiler): number {
  return compiler.nodes++ < MAX_MASK_NODES ? 1 << (compiler.nodes - 1) : 0;
}

/** Validates the whole document (every issue at once) and compiles it; throws ConditionDocumentError. */
export function compileConditions(document: unknown, options: CompileOptions = {}): CompiledConditions {
  const compiler: Compiler = { types: options.types ?? CONDITION_TYPES, compilePath: options.compilePath ?? COMPILED_PATHS, issues: [], nodes: 0 };
  const { issues } = compiler;
  const roots = compileDocument(document, compiler);
  if (issues.length > 0) throw new ConditionDocumentError(issues);
  const jsonByMask = new Map<number, string>();
  const evaluate = (record: unknown, identity: () => string): Decision => {
    const context = new RecordContext(identity);
    const Conditions = new Array<ConditionResult>(roots.length);
    let activated = false;
    for (let i = 0; i < roots.length; i++) {
      Conditions[i] = roots[i].result(record, context);
      if (Conditions[i].EvaluationResult) activated = true;
    }
    return { activated, humanTaskActivationConditionResults: { Conditions } };
  };
  return {
    evaluate,
    summarize(record, identity) {
      if (compiler.nodes > MAX_MASK_NODES) {
        const decision = evaluate(record, identity);
        return { activated: decision.activated, json: JSON.stringify(decision) };
      }
      const context = new RecordContext(identity);
      let activated = false;
      for (let i = 0; i < roots.length; i++) if (roots[i].test(record, context)) activated = true;
      let json = jsonByMask.get(context.mask);
      if (json === undefined) {
        json = JSON.stringify(evaluate(record, identity));
        if (jsonByMask.size < DECISION_JSON_CACHE) jsonByMask.set(context.mask, json);
      }
      return { activated, json };
    },
  };
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
    const bit = nextBit(compiler);
    const child = single
      ? compileNode(operand[0], `${location}.Not[0]`, compiler)
      : compileNode(operand, `${location}.Not`, compiler);
    return {
      result(record, context) {
        const result = child.result(record, context);
        return { Not: single ? [result] : result, EvaluationResult: !result.EvaluationResult };
      },
      test(record, context) {
        const value = !child.test(record, context);
        if (value) context.mask |= bit;
        return value;
      },
    };
  }
  if (!Array.isArray(operand) || operand.length === 0) {
    issues.push({ location: `${location}.${key}`, message: `must be a non-empty array of conditions` });
    return constantFalse;
  }
  const bit = nextBit(compiler);
  const children = operand.map((child, index) => compileNode(child, `${location}.${key}[${index}]`, compiler));
  const holds = key === 'And' ? (trueCount: number) => trueCount === children.length : (trueCount: number) => trueCount > 0;
  // A2I evaluates every operand (no short-circuit) and reports each result; the mask needs each one too.
  return {
    result(record, context) {
      const results = new Array<ConditionResult>(children.length);
      let trueCount = 0;
      for (let i = 0; i < children.length; i++) {
        results[i] = children[i].result(record, context);
        if (results[i].EvaluationResult) trueCount++;
      }
      return key === 'And' ? { And: results, EvaluationResult: holds(trueCount) } : { Or: results, EvaluationResult: holds(trueCount) };
    },
    test(record, context) {
      let trueCount = 0;
      for (let i = 0; i < children.length; i++) if (children[i].test(record, context)) trueCount++;
      const value = holds(trueCount);
      if (value) context.mask |= bit;
      return value;
    },
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
  const bit = nextBit(compiler);
  return {
    result: (record, context) => ({ ConditionType, ConditionParameters, EvaluationResult: test(record, context) }),
    test(record, context) {
      const value = test(record, context);
      if (value) context.mask |= bit;
      return value;
    },
  };
}

function reportExtraKeys(node: Record<string, unknown>, allowed: string[], location: string, issues: ConditionIssue[]): void {
  for (const key of Object.keys(node)) {
    if (!allowed.includes(key)) issues.push({ location, message: `unexpected key "${key}"` });
  }
}

class RecordContext implements EvaluationContext {
  /** The bits of the nodes found true (see CompiledNode.test). */
  mask = 0;
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

/** Stands in for a node with problems: the document is rejected, so it is never evaluated. */
const constantFalse: CompiledNode = { result: () => ({ EvaluationResult: false }), test: () => false };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

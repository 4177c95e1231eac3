import { compileJmesPath, compileJmesPathAny, EvaluationBudgetExceeded, withBudget } from '../jmespath';
import { ConditionEvaluationError, type ConditionType, type EvaluationContext, type LeafTest, type PathCompiler } from './condition-type';
import { conditionErrors } from './fired';
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

/**
 * A condition node as given, with A2I's `EvaluationResult` added (nested nodes likewise). A node that could
 * not be decided on the record also has `EvaluationError`, and its EvaluationResult is false: a leaf says
 * what is wrong with the record, a combinator that its operands leave it undecided.
 */
export type ConditionResult = Record<string, unknown> & { EvaluationResult: boolean; EvaluationError?: string };

/** The EvaluationError of a combinator whose operands leave it undecided. */
export const UNDECIDED_OPERAND = 'an operand could not be evaluated';

/** The same shape A2I writes for its built-in task types. */
export interface Decision {
  activated: boolean;
  humanTaskActivationConditionResults: { Conditions: ConditionResult[] };
}

/**
 * Fail safe on malformed model output. A leaf whose record is not what its type requires (ModerationLabels
 * or Blocks that is not a list, an entry that is not an object, a confidence that is not a number where a
 * comparison needs one, a FieldConfidenceCheck path yielding anything but numbers) has no answer. A path or
 * field that yields nothing still has one (false; MissingImportantFormKey: true): absent is an answer,
 * a wrong type is not.
 *
 * Combinators use three-valued (Kleene) logic, so a reported result is never a guess: `Or` with a true
 * operand is true and `And` with a false one is false whatever the undecided operands would say; otherwise an
 * undecided operand leaves the combinator undecided, and `Not` of undecided is undecided. An undecided node
 * reports EvaluationResult false with an EvaluationError, and `activated` is true only when a top-level
 * condition is definitely true.
 *
 * What a record with errors becomes is not the engine's call: `errors` lists every leaf that could not be
 * evaluated, including those inside a subtree whose result was decided anyway, and the workflow makes any
 * such record `invalid` (ConditionError) or sends it to a person (`onConditionError: review`). Never
 * auto-accepted: an error that happened not to change the result is still malformed output.
 */
export interface CompiledConditions {
  /** `identity` gives the record's sampling identity; it is called only if a Sampling condition is reached. */
  evaluate(record: unknown, identity: () => string): Decision;
  /**
   * Whether the record activates, the JSON of its decision and the leaves that could not be evaluated
   * (undefined: none), without building the decision: for the records no condition activates (most of
   * them), which only need to carry it.
   */
  summarize(record: unknown, identity: () => string): { activated: boolean; json: string; errors?: ConditionIssue[] };
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
  test(record: unknown, context: RecordContext): Truth;
}

/** A node's value on a record: three-valued, for leaves that cannot be evaluated (see CompiledConditions). */
type Truth = typeof FALSE | typeof TRUE | typeof UNDECIDED;
const FALSE = 0;
const TRUE = 1;
const UNDECIDED = 2;

const truthOf = (result: ConditionResult): Truth => (result.EvaluationError !== undefined ? UNDECIDED : result.EvaluationResult ? TRUE : FALSE);

/**
 * A combinator's report: EvaluationResult true only when definitely true; undecided ones say so. Written as
 * literals, not spread: reports are built per record, and a literal's shape is fixed and fast.
 */
function reported(key: 'And' | 'Or' | 'Not', operands: ConditionResult | ConditionResult[], truth: Truth): ConditionResult {
  if (truth === UNDECIDED) {
    if (key === 'And') return { And: operands, EvaluationResult: false, EvaluationError: UNDECIDED_OPERAND };
    if (key === 'Or') return { Or: operands, EvaluationResult: false, EvaluationError: UNDECIDED_OPERAND };
    return { Not: operands, EvaluationResult: false, EvaluationError: UNDECIDED_OPERAND };
  }
  const EvaluationResult = truth === TRUE;
  if (key === 'And') return { And: operands, EvaluationResult };
  if (key === 'Or') return { Or: operands, EvaluationResult };
  return { Not: operands, EvaluationResult };
}

/**
 * The steps (elements visited or produced, see withBudget) one record's conditions may take, all of them
 * together: well under a second of work at worst, and ten thousand times what the benchmark's invoices
 * take (about a hundred). A leaf that runs out cannot be evaluated, nor can any later leaf that
 * needs another step: the record is malformed input to its conditions (ConditionError), never a hang.
 */
export const EVALUATION_STEPS = 1_000_000;

/** Nodes past this many get no bit: the mask stays a small integer (a fast Map key); larger documents are summarized by evaluating them. */
const MAX_MASK_NODES = 30;

/**
 * Maxima of a condition document's shape (README, Activation conditions): its size in JSON (it is copied
 * into every record's decision), the operands of Conditions and of each And or Or, and how deep
 * combinators nest. A document past one is refused at load.
 */
export const DOCUMENT_LIMITS = { json: 65_536, operands: 100, depth: 32 } as const;

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
  const evaluate = (record: unknown, identity: () => string): Decision => withBudget(EVALUATION_STEPS, () => evaluateAll(record, identity));
  const evaluateAll = (record: unknown, identity: () => string): Decision => {
    const context = new RecordContext(identity);
    const Conditions = new Array<ConditionResult>(roots.length);
    let activated = false;
    for (let i = 0; i < roots.length; i++) {
      Conditions[i] = roots[i].result(record, context);
      if (Conditions[i].EvaluationResult) activated = true;
    }
    return { activated, humanTaskActivationConditionResults: { Conditions } };
  };
  const summarizeByEvaluating = (record: unknown, identity: () => string) => {
    const decision = evaluate(record, identity);
    const errors = conditionErrors(decision.humanTaskActivationConditionResults.Conditions);
    return errors.length > 0 ? { activated: decision.activated, json: JSON.stringify(decision), errors } : { activated: decision.activated, json: JSON.stringify(decision) };
  };
  return {
    evaluate,
    summarize(record, identity) {
      if (compiler.nodes > MAX_MASK_NODES) return summarizeByEvaluating(record, identity);
      const context = new RecordContext(identity);
      const activated = withBudget(EVALUATION_STEPS, () => {
        let any = false;
        for (let i = 0; i < roots.length; i++) if (roots[i].test(record, context) === TRUE) any = true;
        return any;
      });
      // The mask records only what was true: a decision with errors is built in full, never taken from the cache.
      if (context.failed) return summarizeByEvaluating(record, identity);
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
  let json: number;
  try {
    json = JSON.stringify(document).length;
  } catch {
    json = Infinity; // nested too deep to serialise: past every limit
  }
  if (json > DOCUMENT_LIMITS.json) {
    issues.push({ location: '(document)', message: `is ${Number.isFinite(json) ? json : 'too many'} characters as JSON (at most ${DOCUMENT_LIMITS.json}): every record's decision carries it` });
    if (!Number.isFinite(json)) return [];
  }
  if (conditions.length > DOCUMENT_LIMITS.operands) {
    issues.push({ location: 'Conditions', message: `has ${conditions.length} conditions (at most ${DOCUMENT_LIMITS.operands})` });
    return [];
  }
  return conditions.map((node, index) => compileNode(node, `Conditions[${index}]`, compiler, 0));
}

/** `depth`: the combinators around the node. */
function compileNode(node: unknown, location: string, compiler: Compiler, depth: number): CompiledNode {
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
  if (combinators.length === 1) {
    if (depth >= DOCUMENT_LIMITS.depth) {
      issues.push({ location, message: `nests combinators ${depth + 1} deep (at most ${DOCUMENT_LIMITS.depth})` });
      return constantFalse;
    }
    return compileCombinator(node, combinators[0], location, compiler, depth + 1);
  }
  if ('ConditionType' in node) return compileLeaf(node, location, compiler);
  issues.push({ location, message: 'needs "ConditionType" or one of "And", "Or", "Not"' });
  return constantFalse;
}

function compileCombinator(
  node: Record<string, unknown>,
  key: (typeof COMBINATORS)[number],
  location: string,
  compiler: Compiler,
  depth: number,
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
      ? compileNode(operand[0], `${location}.Not[0]`, compiler, depth)
      : compileNode(operand, `${location}.Not`, compiler, depth);
    const negate = (truth: Truth): Truth => (truth === UNDECIDED ? UNDECIDED : truth === TRUE ? FALSE : TRUE);
    return {
      result(record, context) {
        const result = child.result(record, context);
        return reported('Not', single ? [result] : result, negate(truthOf(result)));
      },
      test(record, context) {
        const value = negate(child.test(record, context));
        if (value === TRUE) context.mask |= bit;
        return value;
      },
    };
  }
  if (!Array.isArray(operand) || operand.length === 0) {
    issues.push({ location: `${location}.${key}`, message: `must be a non-empty array of conditions` });
    return constantFalse;
  }
  if (operand.length > DOCUMENT_LIMITS.operands) {
    issues.push({ location: `${location}.${key}`, message: `has ${operand.length} operands (at most ${DOCUMENT_LIMITS.operands})` });
    return constantFalse;
  }
  const bit = nextBit(compiler);
  const children = operand.map((child, index) => compileNode(child, `${location}.${key}[${index}]`, compiler, depth));
  // Kleene: an operand with the deciding value (false for And, true for Or) decides; else any undecided operand leaves it undecided.
  const decisive: Truth = key === 'And' ? FALSE : TRUE;
  const otherwise: Truth = key === 'And' ? TRUE : FALSE;
  // A2I evaluates every operand (no short-circuit) and reports each result; the mask and the errors need each one too.
  return {
    result(record, context) {
      const results = new Array<ConditionResult>(children.length);
      let decided = false;
      let undecided = false;
      for (let i = 0; i < children.length; i++) {
        results[i] = children[i].result(record, context);
        const truth = truthOf(results[i]);
        if (truth === decisive) decided = true;
        else if (truth === UNDECIDED) undecided = true;
      }
      return reported(key, results, decided ? decisive : undecided ? UNDECIDED : otherwise);
    },
    test(record, context) {
      let decided = false;
      let undecided = false;
      for (let i = 0; i < children.length; i++) {
        const truth = children[i].test(record, context);
        if (truth === decisive) decided = true;
        else if (truth === UNDECIDED) undecided = true;
      }
      const value = decided ? decisive : undecided ? UNDECIDED : otherwise;
      if (value === TRUE) context.mask |= bit;
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
    result(record, context) {
      try {
        return { ConditionType, ConditionParameters, EvaluationResult: test(record, context) };
      } catch (error) {
        if (!unevaluable(error)) throw error;
        return { ConditionType, ConditionParameters, EvaluationResult: false, EvaluationError: error.message };
      }
    },
    test(record, context) {
      try {
        if (!test(record, context)) return FALSE;
      } catch (error) {
        if (!unevaluable(error)) throw error;
        context.failed = true;
        return UNDECIDED;
      }
      context.mask |= bit;
      return TRUE;
    },
  };
}

/** The record cannot be evaluated as the leaf requires, or its conditions used up the record's steps. */
const unevaluable = (error: unknown): error is Error => error instanceof ConditionEvaluationError || error instanceof EvaluationBudgetExceeded;

function reportExtraKeys(node: Record<string, unknown>, allowed: string[], location: string, issues: ConditionIssue[]): void {
  for (const key of Object.keys(node)) {
    if (!allowed.includes(key)) issues.push({ location, message: `unexpected key "${key}"` });
  }
}

class RecordContext implements EvaluationContext {
  /** The bits of the nodes found true (see CompiledNode.test). */
  mask = 0;
  /** Whether some leaf could not be evaluated. */
  failed = false;
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
const constantFalse: CompiledNode = { result: () => ({ EvaluationResult: false }), test: () => FALSE };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

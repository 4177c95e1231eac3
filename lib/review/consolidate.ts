import { compileJmesPath, type Evaluator } from '../jmespath';
import { canonicalJson } from '../record-identity';
import type { ConsolidationStrategy } from '../workflow/types';

/**
 * Consolidation of a completed human loop's answers (output.json `humanAnswers`, one per worker, TaskCount
 * 1–3) into one result, as the workflow's `consolidation` section says.
 *
 * Rules shared by every strategy:
 * - Answers are taken in submission order: by `submissionTime`, with answers whose time is missing or does not
 *   parse after the timed ones, in array order (A2I does not promise any order of `humanAnswers`).
 * - Two values are equal when their canonical JSON is: deep, and independent of object key order.
 * - Nothing is dropped: an answer without `answerContent` answers null, and a field expression that yields
 *   nothing yields null, which is a value like any other (it can win, or tie).
 * - With `fields`, each field is consolidated on its own; the result is `{<expression>: value}` in the order of
 *   `fields`, agreement is the lowest over the fields, and `tie` is whether any field tied.
 */

export interface HumanAnswer {
  answerContent: unknown;
  workerId?: string;
  workerMetadata?: unknown;
  submissionTime?: string;
  acceptanceTime?: string;
  timeSpentInSeconds?: number;
}

export interface Consolidation {
  /**
   * The agreed result: the winning answerContent (no fields) or an object {<field expression>: winning value}
   * (fields); null when there is none (a tie, or unanimous without unanimity); for `all`, the array of every
   * answerContent in submission order (with fields, {<field expression>: [values in submission order]}).
   */
  consolidated: unknown;
  /**
   * Share of answers that agree with the result (0..1); with fields, the lowest share over the fields. For
   * `all`, and whenever there is no agreed result, the share of the largest group of equal answers. 1 for a
   * single answer.
   */
  agreement: number;
  /** Whether two or more values share the highest count, for `majority` and `all`; with fields, whether any field did. */
  tie: boolean;
}

/** The workflow's `consolidation` section (lib/workflow/types.ts). */
export interface ConsolidationConfig {
  strategy: ConsolidationStrategy;
  fields?: string[];
}

/** Named so that Step Functions `Catch` and callers can tell a bad output.json from a bug. */
export class ConsolidationError extends Error {
  override readonly name = 'ConsolidationError';
}

/** Consolidation of one list of values (whole answers, or one field of each), given in submission order. */
interface Outcome {
  value: unknown;
  agreement: number;
  tie: boolean;
}

/** Equal values, in order of their first appearance; `value` is that first (earliest-submitted) occurrence. */
interface Group {
  value: unknown;
  count: number;
}

type Decide = (values: unknown[], groups: Group[]) => Outcome;

const share = (group: Group, values: unknown[]): number => group.count / values.length;

/** Whether the largest group has a rival of the same size (groups are sorted largest first). */
const topIsShared = (groups: Group[]): boolean => groups.length > 1 && groups[1].count === groups[0].count;

const STRATEGIES: Record<ConsolidationStrategy, Decide> = {
  // The earliest answer wins whatever the others say, so there is never a tie to report.
  first: (values, groups) => {
    // values[0] is its group's first occurrence, so the group holds it by identity.
    const agreeing = groups.find((group) => group.value === values[0]) as Group;
    return { value: values[0], agreement: share(agreeing, values), tie: false };
  },
  majority: (values, groups) => {
    const tie = topIsShared(groups);
    return { value: tie ? null : groups[0].value, agreement: share(groups[0], values), tie };
  },
  // Disagreement is not a tie: "not unanimous" already says there is no result, and `tie` keeps meaning
  // "the top count is shared", which a 2–1 split is not. Agreement still reports how close it came.
  unanimous: (values, groups) => {
    const unanimous = groups.length === 1;
    return { value: unanimous ? groups[0].value : null, agreement: share(groups[0], values), tie: false };
  },
  all: (values, groups) => ({ value: values, agreement: share(groups[0], values), tie: topIsShared(groups) }),
};

/**
 * Compiles the workflow's `consolidation` section once (field expressions included), so consolidating a loop's
 * answers parses nothing. Throws ConsolidationError for an unknown strategy or an empty `fields`, and
 * JmesPathSyntaxError for a field that is not JMESPath.
 */
export function compileConsolidation(config: ConsolidationConfig): (answers: HumanAnswer[]) => Consolidation {
  const decide = strategyOf(config);
  const fields = compileFields(config.fields);
  return (answers) => {
    const contents = inSubmissionOrder(checkedAnswers(answers)).map((answer) => answer.answerContent ?? null);
    if (!fields) {
      const outcome = decide(contents, groupsOf(contents));
      return { consolidated: outcome.value, agreement: outcome.agreement, tie: outcome.tie };
    }
    return combine(fields.map((field) => [field.expression, decideField(decide, field, contents)] as const));
  };
}

function strategyOf(config: ConsolidationConfig): Decide {
  const strategy = (config as { strategy?: unknown } | undefined)?.strategy;
  if (typeof strategy !== 'string' || !Object.hasOwn(STRATEGIES, strategy)) {
    throw new ConsolidationError(`unknown consolidation strategy ${JSON.stringify(strategy)}: expected one of ${Object.keys(STRATEGIES).join(', ')}`);
  }
  return STRATEGIES[strategy as ConsolidationStrategy];
}

interface CompiledField {
  expression: string;
  evaluate: Evaluator;
}

/** Undefined means "compare whole answers". An empty list would make every loop agree on `{}`, so it is refused. */
function compileFields(fields: string[] | undefined): CompiledField[] | undefined {
  if (fields === undefined) return undefined;
  if (!Array.isArray(fields) || fields.length === 0) {
    throw new ConsolidationError('consolidation fields must be a non-empty list of JMESPath expressions (omit it to compare whole answers)');
  }
  return fields.map((expression) => ({ expression, evaluate: compileJmesPath(expression) }));
}

function decideField(decide: Decide, field: CompiledField, contents: unknown[]): Outcome {
  const values = contents.map((content, index) => evaluateField(field, content, index));
  return decide(values, groupsOf(values));
}

/** A JMESPath function given the wrong type throws; the error names the field and answer instead of leaking. */
function evaluateField(field: CompiledField, content: unknown, index: number): unknown {
  try {
    return field.evaluate(content) ?? null;
  } catch (error) {
    throw new ConsolidationError(`consolidation field ${JSON.stringify(field.expression)} failed on answer ${index + 1} (in submission order): ${(error as Error).message}`);
  }
}

function combine(outcomes: ReadonlyArray<readonly [string, Outcome]>): Consolidation {
  const consolidated: Record<string, unknown> = {};
  let agreement = 1;
  let tie = false;
  for (const [expression, outcome] of outcomes) {
    consolidated[expression] = outcome.value;
    agreement = Math.min(agreement, outcome.agreement);
    tie ||= outcome.tie;
  }
  return { consolidated, agreement, tie };
}

/** Groups equal values, largest first; among equal sizes the group answered first comes first. */
function groupsOf(values: unknown[]): Group[] {
  const byKey = new Map<string, Group>();
  for (const value of values) {
    const key = canonicalJson(value);
    const group = byKey.get(key);
    if (group) group.count++;
    else byKey.set(key, { value, count: 1 });
  }
  // Array.prototype.sort is stable, so first-appearance order survives among equal counts.
  return [...byKey.values()].sort((a, b) => b.count - a.count);
}

/** output.json is data from outside: an empty list has nothing to consolidate, and a non-object is no answer. */
function checkedAnswers(answers: HumanAnswer[]): HumanAnswer[] {
  if (!Array.isArray(answers) || answers.length === 0) {
    throw new ConsolidationError('no human answers to consolidate: humanAnswers is empty or missing');
  }
  answers.forEach((answer, index) => {
    if (answer === null || typeof answer !== 'object' || Array.isArray(answer)) {
      // Its kind, not its value: the reason reaches consumers, and an answer is content.
      throw new ConsolidationError(`human answer ${index + 1} is not an object: got ${answer === null ? 'null' : Array.isArray(answer) ? 'an array' : typeof answer}`);
    }
  });
  return answers;
}

/** Milliseconds since the epoch, or undefined for a missing or unparsable time (which cannot be ordered). */
function timeOf(iso: unknown): number | undefined {
  if (typeof iso !== 'string') return undefined;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Sorted by parsed time, not by string: ISO strings with different offsets or precisions do not sort
 * lexically. Untimed answers go last, and ties keep array order (the sort is stable).
 */
function inSubmissionOrder(answers: HumanAnswer[]): HumanAnswer[] {
  const timed = answers.map((answer) => ({ answer, at: timeOf(answer.submissionTime) ?? Infinity }));
  return timed.sort((a, b) => (a.at === b.at ? 0 : a.at - b.at)).map(({ answer }) => answer);
}

export interface ReviewTimes {
  startedAt?: string;
  completedAt?: string;
  secondsInReview?: number;
}

/**
 * When a loop's review started and ended: from the loop's creation (when given; the worker's wait for the task
 * is part of the review) or else the earliest acceptance, to the latest submission. Times are returned as given;
 * a time that is missing or does not parse counts as absent, and secondsInReview needs both ends.
 */
export function reviewTimes(answers: HumanAnswer[], loopCreationTime?: string): ReviewTimes {
  const started = timeOf(loopCreationTime) !== undefined ? loopCreationTime : extreme(answers, 'acceptanceTime', -1);
  const completedAt = extreme(answers, 'submissionTime', 1);
  const from = timeOf(started);
  const to = timeOf(completedAt);
  // Absent ends are left out rather than set to undefined, so the result can be spread into a message as is.
  const times: ReviewTimes = {};
  if (started !== undefined) times.startedAt = started;
  if (completedAt !== undefined) times.completedAt = completedAt;
  // Whole milliseconds over 1000: seconds to 3 decimals (Date.parse already drops sub-millisecond digits).
  // A submission before the loop's creation means skewed clocks: no duration rather than a negative one.
  if (from !== undefined && to !== undefined && to >= from) times.secondsInReview = Math.round(to - from) / 1000;
  return times;
}

/** The earliest (direction -1) or latest (direction 1) parseable time of `key` among the answers. */
function extreme(answers: HumanAnswer[], key: 'acceptanceTime' | 'submissionTime', direction: 1 | -1): string | undefined {
  let best: { iso: string; at: number } | undefined;
  for (const answer of answers) {
    const iso = answer?.[key];
    const at = timeOf(iso);
    if (at !== undefined && (best === undefined || (at - best.at) * direction > 0)) best = { iso: iso as string, at };
  }
  return best?.iso;
}

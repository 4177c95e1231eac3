import { readFileSync } from 'node:fs';
import { compileJmesPath, type Evaluator, isTruthy } from '../jmespath';

/**
 * The `--auto-review FILE` rules of `a2i-orchestrator replay`: they answer A2I human loops without a person.
 *
 * ```json
 * { "rules": [{ "when": "record.total > `1000`", "status": "Stopped" },
 *             { "when": "decision.activated", "answers": [{ "approved": true }] }],
 *   "default": { "answers": [{ "approved": false }] } }
 * ```
 *
 * `when` is JMESPath over the loop's InputContent; the first rule whose `when` is truthy wins, then `default`.
 * The file is a user-facing contract, so every mistake in it is reported at once, each with its location.
 */

export type AutoReviewStatus = 'Stopped' | 'Expired' | 'Failed';

export type AutoReviewAction =
  | { kind: 'answer'; answers: Record<string, unknown>[] }
  | { kind: 'status'; status: AutoReviewStatus }
  /** Nothing matched and there is no default: the loop stays open for a person. */
  | { kind: 'none' };

export interface AutoReviewer {
  /** The action for a loop, from its InputContent (`{reviewId, workflow, recordId, record, decision, source}`). */
  decide(inputContent: unknown): AutoReviewAction;
  /**
   * Exactly `taskCount` answers (one per worker) for an `answer` action: the rule's answers in order; when it
   * gives fewer than `taskCount`, the last one is repeated for the remaining workers; answers beyond
   * `taskCount` are dropped. Each answer is a fresh copy. `status` and `none` actions have no answers: `[]`.
   */
  answersFor(action: AutoReviewAction, taskCount: number): Record<string, unknown>[];
}

export class AutoReviewConfigError extends Error {
  override readonly name = 'AutoReviewConfigError';
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`invalid auto-review rules in ${source}: ${problems.join('; ')}`);
  }
}

const STATUSES: readonly string[] = ['Stopped', 'Expired', 'Failed'] satisfies AutoReviewStatus[];
const TOP_KEYS = ['rules', 'default'];
const RULE_KEYS = ['when', 'answers', 'status'];
const DEFAULT_KEYS = ['answers', 'status'];

type Outcome = Exclude<AutoReviewAction, { kind: 'none' }>;
interface Rule {
  when: Evaluator;
  outcome: Outcome;
}

export function parseAutoReview(document: unknown, source = 'auto-review'): AutoReviewer {
  const problems: string[] = [];
  if (!isObject(document)) throw new AutoReviewConfigError(source, ['must be a JSON object with "rules" and/or "default"']);
  unknownKeys(document, TOP_KEYS, '', problems);
  if (!('rules' in document) && !('default' in document)) problems.push('must have "rules", "default" or both');

  const rules: Rule[] = [];
  if ('rules' in document) {
    if (!Array.isArray(document.rules)) problems.push('rules: must be an array');
    else document.rules.forEach((rule: unknown, index) => {
      const rulePath = `rules[${index}]`;
      if (!isObject(rule)) return void problems.push(`${rulePath}: must be an object`);
      unknownKeys(rule, RULE_KEYS, rulePath, problems);
      const when = parseWhen(rule, rulePath, problems);
      const outcome = parseOutcome(rule, rulePath, problems);
      if (when && outcome) rules.push({ when, outcome });
    });
  }

  let fallback: AutoReviewAction = { kind: 'none' };
  if ('default' in document) {
    if (!isObject(document.default)) problems.push('default: must be an object');
    else {
      unknownKeys(document.default, DEFAULT_KEYS, 'default', problems);
      fallback = parseOutcome(document.default, 'default', problems) ?? fallback;
    }
  }

  if (problems.length > 0) throw new AutoReviewConfigError(source, problems);
  return {
    decide: (inputContent) => rules.find((rule) => matches(rule.when, inputContent))?.outcome ?? fallback,
    answersFor: (action, taskCount) => {
      if (action.kind !== 'answer' || action.answers.length === 0) return [];
      const last = action.answers.length - 1;
      return Array.from({ length: Math.max(0, taskCount) }, (_, i) => structuredClone(action.answers[Math.min(i, last)]));
    },
  };
}

/** Reads and parses the rules file; unreadable or malformed JSON is a config error naming the file. */
export function loadAutoReview(file: string): AutoReviewer {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new AutoReviewConfigError(file, [`cannot read the file: ${(error as Error).message}`]);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new AutoReviewConfigError(file, [`not valid JSON: ${(error as Error).message}`]);
  }
  return parseAutoReview(document, file);
}

/** InputContent is user data: an expression that fails on it (e.g. `abs(name)`) does not match, rather than crash the replay. */
function matches(when: Evaluator, inputContent: unknown): boolean {
  try {
    return isTruthy(when(inputContent));
  } catch {
    return false;
  }
}

function parseWhen(rule: Record<string, unknown>, path: string, problems: string[]): Evaluator | undefined {
  if (!('when' in rule)) return void problems.push(`${path}.when: is missing`);
  if (typeof rule.when !== 'string') return void problems.push(`${path}.when: must be a string`);
  try {
    return compileJmesPath(rule.when);
  } catch (error) {
    return void problems.push(`${path}.when: ${(error as Error).message}`);
  }
}

/** Exactly one of `answers` / `status`: the rule must say unambiguously what happens to the loop. */
function parseOutcome(spec: Record<string, unknown>, path: string, problems: string[]): Outcome | undefined {
  const hasAnswers = 'answers' in spec;
  const hasStatus = 'status' in spec;
  if (hasAnswers === hasStatus) {
    return void problems.push(`${path}: must have exactly one of "answers" or "status"${hasAnswers ? ', not both' : ''}`);
  }
  if (hasStatus) {
    if (typeof spec.status === 'string' && STATUSES.includes(spec.status)) {
      return { kind: 'status', status: spec.status as AutoReviewStatus };
    }
    return void problems.push(`${path}.status: must be one of ${STATUSES.join(', ')}, got ${JSON.stringify(spec.status)}`);
  }
  const answers = spec.answers;
  if (!Array.isArray(answers) || answers.length === 0) {
    return void problems.push(`${path}.answers: must be a non-empty array of answerContent objects`);
  }
  const before = problems.length;
  answers.forEach((answer: unknown, index) => {
    if (!isObject(answer)) problems.push(`${path}.answers[${index}]: must be a JSON object (an answerContent)`);
  });
  if (problems.length > before) return undefined;
  return { kind: 'answer', answers: answers as Record<string, unknown>[] };
}

function unknownKeys(object: Record<string, unknown>, known: string[], path: string, problems: string[]): void {
  for (const key of Object.keys(object)) {
    if (!known.includes(key)) problems.push(`${path ? `${path}.` : ''}${key}: unknown key (expected ${known.join(', ')})`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

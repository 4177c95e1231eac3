import { createHash } from 'node:crypto';

/**
 * The names of the resources each workflow gets in a stage (its destination queues, their DLQs, its
 * EventBridge rule), made from the stage and the workflow alone. The stack model names the resources with
 * them, the functions compute queue URLs with them, and local mode creates its queues with them: nothing
 * per workflow travels in a function's environment, and a role can name every workflow queue by one prefix.
 *
 * `<service>-<stage>_wf_<workflow>_<queue>[.fifo]` (DLQs: `…_wfdlq_…`; rules: `<service>-<stage>_wf_<workflow>`).
 * Workflow and queue names are `[a-z0-9-]` and stage names cannot hold `_` (CloudFormation stack names are
 * `[A-Za-z][-A-Za-z0-9]*`), so `_` separates the parts unambiguously: distinct workflows and queues get
 * distinct names. A name over the service's limit keeps the start of its parts and ends in `__` and a hash
 * of them; only such names hold `__`, so a shortened name never equals a whole one.
 */

/** SQS: "A queue name can have up to 80 characters", `[A-Za-z0-9_-]`, a FIFO queue's ending in `.fifo` (CreateQueue). */
export const SQS_QUEUE_NAME_MAX_LENGTH = 80;
export const FIFO_SUFFIX = '.fifo';
/** EventBridge rule names: 1–64 characters, `[.\-_A-Za-z0-9]+` (PutRule, RuleName). */
export const EVENT_RULE_NAME_MAX_LENGTH = 64;


export class ResourceNameError extends Error {
  override readonly name = 'ResourceNameError';
}

/** Base32 characters of the hash in a shortened name: 50 bits. */
const HASH_CHARS = 10;
const SHORTENED_MARK = '__';
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/**
 * `<service>-<stage>`: the start of every name of the stage's resources (its functions are
 * `<service>-<stage>-<function>`). The functions get it as QUEUE_NAME_PREFIX.
 */
export const stagePrefix = (stack: { service: string; stage: string }): string => `${stack.service}-${stack.stage}`;
/** Every destination queue of the stage starts with this (the functions' roles send to `<this>*`). */
export const workflowQueuePrefix = (stage: string): string => `${stage}_wf_`;
const workflowDlqPrefix = (stage: string): string => `${stage}_wfdlq_`;
/** Every workflow rule of the stage starts with this (ingestEvent lets `rule/<this>*` invoke it). */
export const workflowRulePrefix = (stage: string): string => `${stage}_wf_`;

/** A workflow's destination queue, `stage` being the stage prefix: `<stage>_wf_<workflow>_<queue>`, `.fifo` for a FIFO queue. */
export function workflowQueueName(stage: string, workflow: string, queue: string, fifo: boolean): string {
  return boundedName(workflowQueuePrefix(stage), [workflow, queue], fifo ? FIFO_SUFFIX : '', SQS_QUEUE_NAME_MAX_LENGTH);
}

/** The DLQ of a workflow's destination queue (a FIFO queue's DLQ is FIFO too). */
export function workflowDlqName(stage: string, workflow: string, queue: string, fifo: boolean): string {
  return boundedName(workflowDlqPrefix(stage), [workflow, queue], fifo ? FIFO_SUFFIX : '', SQS_QUEUE_NAME_MAX_LENGTH);
}

/** The EventBridge rule that routes a workflow's custom events to ingestEvent. */
export function workflowRuleName(stage: string, workflow: string): string {
  return boundedName(workflowRulePrefix(stage), [workflow], '', EVENT_RULE_NAME_MAX_LENGTH);
}

function boundedName(prefix: string, parts: string[], suffix: string, maxLength: number): string {
  for (const part of parts) {
    if (!/^[a-z0-9](-*[a-z0-9])*$/.test(part)) throw new ResourceNameError(`"${part}" is not a workflow or queue name ([a-z0-9-], starting and ending with a letter or digit)`);
  }
  // The stage part may not hold `_` itself: `_` is what keeps the parts apart.
  if (!/^[A-Za-z0-9-]+_[a-z]+_$/.test(prefix)) throw new ResourceNameError(`"${prefix.replace(/_[a-z]+_$/, '')}" is not a stage prefix: letters, digits and hyphens only`);
  const whole = `${prefix}${parts.join('_')}${suffix}`;
  if (whole.length <= maxLength) return whole;
  const room = maxLength - prefix.length - SHORTENED_MARK.length - HASH_CHARS - suffix.length;
  if (room < 1) throw new ResourceNameError(`"${prefix}" leaves no room for a name within ${maxLength} characters: use a shorter service or stage name`);
  return `${prefix}${parts.join('-').slice(0, room)}${SHORTENED_MARK}${hashOf(parts)}${suffix}`;
}

function hashOf(parts: string[]): string {
  const digest = createHash('sha256').update(parts.join('\u0000')).digest();
  let out = '';
  for (let bit = 0; out.length < HASH_CHARS; bit += 5) {
    const byte = bit >> 3;
    const word = (digest[byte] << 8) | digest[byte + 1];
    out += BASE32[(word >> (11 - (bit & 7))) & 31];
  }
  return out;
}

/**
 * Refuses two resources of one kind with the same name: by construction only a hash collision of two
 * shortened names could give one, and the stack must not deploy one queue where two were declared.
 */
export function assertDistinctNames(named: { name: string; of: string }[]): void {
  const owners = new Map<string, string>();
  for (const { name, of } of named) {
    const other = owners.get(name);
    if (other !== undefined && other !== of) throw new ResourceNameError(`${other} and ${of} would both be named ${name}: rename one of them`);
    owners.set(name, of);
  }
}

import type { SageMakerA2IRuntimeClient } from '@aws-sdk/client-sagemaker-a2i-runtime';
import type { Clock } from '../clock';
import type { CompiledWorkflow } from '../workflow';
import type { LoopCheck, LoopStatus, Recovery, ReviewLoopState } from './loop-state';
import { describeLoop } from './describe-loop';
import { asTaskError } from './task-errors';

export interface CheckDeps {
  a2i: SageMakerA2IRuntimeClient;
  workflow(name: string): CompiledWorkflow;
  clock: Clock;
}

/**
 * One look at the loop (DescribeHumanLoop) and the decision the state machine routes on. While the loop is
 * open, the machine waits once: until A2I's status event (or the poll queue, when the event is lost, see
 * poll-loop.ts) wakes it, or until the workflow's `tracking.timeoutSeconds` from the loop's creation has
 * passed, when the loop is timed out. Waiting costs no state transitions, however long the review.
 */
export async function checkLoop(state: ReviewLoopState, deps: CheckDeps): Promise<LoopCheck> {
  const { tracking } = deps.workflow(state.workflow).definition;
  const checkedAt = deps.clock.now();
  const checks = (state.check?.checks ?? 0) + 1;
  const described = await describeLoop(deps.a2i, state.humanLoopName).catch((error: unknown) => {
    throw asTaskError(error);
  });
  if (!described) return { status: 'NotFound', failureReason: `human loop ${state.humanLoopName} no longer exists (deleted)`, next: 'fail', checkedAt, checks };
  const status = described.HumanLoopStatus as LoopStatus;
  const check: LoopCheck = {
    status,
    ...(described.FailureCode ? { failureCode: described.FailureCode } : {}),
    ...(described.FailureReason ? { failureReason: described.FailureReason } : {}),
    ...(described.HumanLoopOutput?.OutputS3Uri ? { outputS3Uri: described.HumanLoopOutput.OutputS3Uri } : {}),
    ...(described.HumanLoopArn ? { humanLoopArn: described.HumanLoopArn } : {}),
    ...(described.CreationTime ? { creationTime: new Date(described.CreationTime).toISOString() } : {}),
    next: 'fail',
    checkedAt,
    checks,
  };
  if (status === 'Completed') return { ...check, next: 'complete' };
  if (status !== 'InProgress' && status !== 'Stopping') return check;

  const created = described.CreationTime ? new Date(described.CreationTime).getTime() : checkedAt;
  const secondsLeft = Math.ceil((created + tracking.timeoutSeconds * 1000 - checkedAt) / 1000);
  if (secondsLeft <= 0) return { ...check, next: 'timeout' };
  return { ...check, next: 'wait', waitSeconds: secondsLeft };
}

/** The execution's state after a check: what it was, with the check and the next wait's timeout. */
export function stateAfterCheck(state: ReviewLoopState, check: LoopCheck): ReviewLoopState {
  const { Payload: _previousWait, ...rest } = state;
  return { ...rest, check, ...(check.waitSeconds !== undefined ? { Payload: { waitSeconds: check.waitSeconds } } : {}) };
}

/**
 * CheckLoop entered with `$.error`: a task (CheckLoop, WaitForStatus, DeliverReview) still failed transiently
 * after its own retries. Nothing is called: the machine waits a backoff (initialPollSeconds, doubling up to
 * maxPollSeconds, never past the workflow's timeout) in WaitForStatus, which an event or poll may end sooner,
 * then checks the loop again; a completed loop's answers are read again and delivered then (the ledger keeps
 * a delivery from being sent twice). Once the timeout has passed the loop is timed out, as an open loop would be.
 * The deadline runs from the loop's creation, or, if no check ever succeeded, from the first failure.
 */
export function backOffAfterError(state: ReviewLoopState, deps: Pick<CheckDeps, 'workflow' | 'clock'>): ReviewLoopState {
  const { tracking } = deps.workflow(state.workflow).definition;
  const now = deps.clock.now();
  const { error, Payload: _previousWait, ...rest } = state;
  const recovery: Recovery = {
    attempts: (state.recovery?.attempts ?? 0) + 1,
    since: state.recovery?.since ?? now,
    lastError: error ?? state.recovery?.lastError ?? { Error: 'Unknown' },
  };
  const previous: LoopCheck = state.check ?? { status: 'InProgress', next: 'wait', checkedAt: now, checks: 0 };
  const created = previous.creationTime ? Date.parse(previous.creationTime) : recovery.since;
  const secondsLeft = Math.ceil((created + tracking.timeoutSeconds * 1000 - now) / 1000);
  const { waitSeconds: _previousSeconds, ...check } = previous;
  if (secondsLeft <= 0) return { ...rest, recovery, check: { ...check, next: 'timeout', checkedAt: now } };
  const backoff = Math.min(tracking.maxPollSeconds, tracking.initialPollSeconds * 2 ** (recovery.attempts - 1));
  const waitSeconds = Math.max(1, Math.min(secondsLeft, Math.ceil(backoff)));
  // Only an event after now ends the backoff early (WaitForStatus wakes at once for one at or after checkedAt):
  // one noted up to now, such as the Completed event of a loop whose delivery just failed, is old news.
  return { ...rest, recovery, check: { ...check, next: 'wait', waitSeconds, checkedAt: now + 1 }, Payload: { waitSeconds } };
}

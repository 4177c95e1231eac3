import { type SageMakerA2IRuntimeClient, StopHumanLoopCommand } from '@aws-sdk/client-sagemaker-a2i-runtime';
import type { Clock } from '../clock';
import { RawJson, type RecordReference, type ReviewResult, reviewMessage } from '../messages';
import { isLoopAlreadyOver } from '../retry';
import { type DeliverDeps, deliverOnce } from './deliver-once';
import { keptText, type ObjectReader } from './deliver-review';
import type { ReviewLoopState } from './loop-state';
import { reasonOfCaughtError } from './failure-reason';
import { asTaskError } from './task-errors';

export interface FailureDeps extends DeliverDeps, ObjectReader {
  a2i: SageMakerA2IRuntimeClient;
  clock: Clock;
}

/** Failure reasons are for people: a long one is cut, not sent whole. */
const MAX_REASON_CHARS = 1000;

interface Failure {
  code: string;
  reason: string;
  status: ReviewResult['status'];
  /** The loop is still open and must be stopped, so nobody reviews a record whose result is already decided. */
  stop: boolean;
}

/**
 * DeliverFailure: every way a loop can end without a review — Failed (A2I's FailureCode: ValidationError,
 * Expired, InternalError), Stopped, deleted, past the workflow's timeout (also when tracking failed transiently
 * until then), or a permanent error in the machine itself (TrackingError) —
 * becomes one `failed` message with a code and a reason, and the record as written (kept at ingest). A loop
 * still open is stopped first.
 */
export async function deliverFailure(state: ReviewLoopState, deps: FailureDeps): Promise<{ outcome: 'failed'; code: string; queue: string; delivered: boolean }> {
  const failure = failureOf(state, deps);
  if (failure.stop) await stopLoop(state.humanLoopName, deps.a2i);
  const { check } = state;
  const reference: RecordReference = { reviewId: state.reviewId, workflow: state.workflow, source: state.source, ...(state.recordId !== undefined ? { recordId: state.recordId } : {}) };
  const recordText = state.recordTextRef === undefined ? undefined : await keptText(state.recordTextRef, deps);
  const message = reviewMessage(
    reference,
    'failed',
    {
      ...(recordText !== undefined ? { record: new RawJson(recordText) } : {}),
      review: {
        humanLoopName: state.humanLoopName,
        ...(check?.humanLoopArn ? { humanLoopArn: check.humanLoopArn } : {}),
        status: failure.status,
        ...(check?.creationTime ? { startedAt: check.creationTime } : {}),
      },
      failure: { code: failure.code, reason: failure.reason.slice(0, MAX_REASON_CHARS) },
    },
    new Date(deps.clock.now()),
  );
  const { queue, delivered } = await deliverOnce(message, deps);
  return { outcome: 'failed', code: failure.code, queue, delivered };
}

function failureOf(state: ReviewLoopState, deps: FailureDeps): Failure {
  const { check, error } = state;
  const open = !check || check.status === 'InProgress' || check.status === 'Stopping';
  if (error) {
    return { code: 'TrackingError', reason: reasonOfCaughtError(error), status: statusOf(check), stop: open };
  }
  if (!check) return { code: 'TrackingError', reason: 'the loop was never checked', status: 'Failed', stop: true };
  if (check.next === 'timeout') {
    const { timeoutSeconds } = deps.workflow(state.workflow).definition.tracking;
    // Timed out while tracking kept failing: the reason says so, and a completed loop's reason says its answers were not delivered.
    const lastError = state.recovery ? `; tracking failed until then, last with ${reasonOfCaughtError(state.recovery.lastError)}` : '';
    if (check.status === 'Completed') {
      return { code: 'Timeout', reason: `the loop completed, but its review could not be delivered within the workflow's timeout of ${timeoutSeconds} s${lastError}`, status: 'TimedOut', stop: false };
    }
    return { code: 'Timeout', reason: `not completed within the workflow's timeout of ${timeoutSeconds} s; the loop was stopped${lastError}`, status: 'TimedOut', stop: true };
  }
  switch (check.status) {
    case 'Failed':
      return {
        code: check.failureCode ?? 'Failed',
        reason: check.failureReason ?? 'the human loop failed',
        status: check.failureCode === 'Expired' ? 'Expired' : 'Failed',
        stop: false,
      };
    case 'Stopped':
      return { code: 'Stopped', reason: check.failureReason ?? 'the human loop was stopped', status: 'Stopped', stop: false };
    case 'NotFound':
      return { code: 'HumanLoopDeleted', reason: check.failureReason ?? 'the human loop was deleted', status: 'NotFound', stop: false };
    default:
      return { code: 'TrackingError', reason: `unexpected loop status ${check.status}`, status: 'Failed', stop: open };
  }
}

function statusOf(check: ReviewLoopState['check']): ReviewResult['status'] {
  if (check?.status === 'Stopped') return 'Stopped';
  if (check?.status === 'NotFound') return 'NotFound';
  if (check?.status === 'Failed' && check.failureCode === 'Expired') return 'Expired';
  return 'Failed';
}

async function stopLoop(name: string, a2i: SageMakerA2IRuntimeClient): Promise<void> {
  try {
    await a2i.send(new StopHumanLoopCommand({ HumanLoopName: name }));
  } catch (error) {
    if (!isLoopAlreadyOver(error)) throw asTaskError(error);
  }
}

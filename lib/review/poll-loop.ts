import type { SageMakerA2IRuntimeClient } from '@aws-sdk/client-sagemaker-a2i-runtime';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { Clock } from '../clock';
import type { Ledger } from '../ledger';
import type { CompiledWorkflow } from '../workflow';
import { describeLoop } from './describe-loop';
import type { PollMessage, PollQueue } from './poll-queue';
import { wakeOnStatusEvent } from './status-event';
import { asTaskError } from './task-errors';

export interface PollDeps {
  a2i: SageMakerA2IRuntimeClient;
  sfn: SFNClient;
  ledger: Ledger;
  polls: PollQueue;
  workflow(name: string): CompiledWorkflow;
  clock: Clock;
}

/** `early`: not due yet, postponed (the message stays). The others are done with the message. */
export type PollResult = 'early' | 'settled' | 'woken' | 'rescheduled';

const ENDED = new Set(['Completed', 'Failed', 'Stopped']);

export class MalformedPollError extends Error {
  override readonly name = 'MalformedPollError';
}

/**
 * The fallback for a lost status event, outside the state machine so that waiting costs the machine no
 * transitions however long a review takes: while the loop is open, DescribeHumanLoop every interval,
 * starting at the workflow's `tracking.initialPollSeconds` and doubling up to `maxPollSeconds`; once the
 * loop has ended (or is gone), wake the execution exactly as its status event would have. If no live token
 * is parked then (the machine is retrying or backing off from a failed task, or the parked token is stale),
 * the polls go on: they end when a wake-up is delivered or the record is, never leaving a waiting machine
 * without a way to be woken.
 */
export async function pollLoop(body: string, receiptHandle: string, deps: PollDeps): Promise<PollResult> {
  const poll = parsePoll(body);
  const now = deps.clock.now();
  if (poll.dueAt > now) {
    await deps.polls.postpone(receiptHandle, (poll.dueAt - now) / 1000);
    return 'early';
  }
  try {
    const entry = await deps.ledger.get(poll.reviewId);
    // Delivered or being delivered: the machine is past waiting, and so is this poll.
    if (!entry || entry.state === 'delivering' || entry.state === 'delivered') return 'settled';
    const described = await describeLoop(deps.a2i, poll.humanLoopName);
    const status = described ? (described.HumanLoopStatus ?? 'InProgress') : 'NotFound';
    if (ENDED.has(status) || status === 'NotFound') {
      const woken = await wakeOnStatusEvent({ humanLoopName: poll.humanLoopName, humanLoopStatus: status }, deps);
      if (woken === 'woken') return 'woken';
      if (woken === 'not-ours') return 'settled';
    }
    const { maxPollSeconds } = deps.workflow(poll.workflow).definition.tracking;
    const intervalSeconds = Math.min(poll.intervalSeconds * 2, maxPollSeconds);
    await deps.polls.schedule({ ...poll, intervalSeconds, dueAt: now + intervalSeconds * 1000 });
    return 'rescheduled';
  } catch (error) {
    throw asTaskError(error);
  }
}

function parsePoll(body: string): PollMessage {
  let poll: PollMessage;
  try {
    poll = JSON.parse(body) as PollMessage;
  } catch {
    throw new MalformedPollError('poll message is not JSON');
  }
  if (typeof poll?.reviewId !== 'string' || typeof poll.humanLoopName !== 'string' || typeof poll.workflow !== 'string' || !(poll.intervalSeconds > 0) || typeof poll.dueAt !== 'number') {
    throw new MalformedPollError('poll message does not have the shape {reviewId, humanLoopName, workflow, intervalSeconds, dueAt}');
  }
  return poll;
}

import { SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { Clock } from '../clock';
import type { Ledger } from '../ledger';
import type { CompiledWorkflow } from '../workflow';
import type { WaitInput } from './loop-state';
import type { PollQueue } from './poll-queue';
import { asTaskError } from './task-errors';

export interface WaitDeps {
  ledger: Ledger;
  sfn: SFNClient;
  polls: PollQueue;
  workflow(name: string): CompiledWorkflow;
  clock: Clock;
}

/**
 * WaitForStatus: parks the task token where the status-event and poll functions find it, and the first
 * time, starts the loop's fallback polls. An event that came after the last check but before the token
 * was parked would find no token, so it is looked for here: the task then wakes itself at once. An attempt
 * that timed out (Lambda's timeout, or middy's just before it) may still be running when the machine's retry
 * parks a new token: the ledger keeps the token of the attempt that started last.
 */
export async function parkTaskToken(input: WaitInput, deps: WaitDeps): Promise<{ woken: boolean }> {
  const attemptStartedAt = deps.clock.now();
  try {
    const entry = await deps.ledger.storeTaskToken(input.reviewId, input.taskToken, attemptStartedAt);
    if (!entry) return { woken: false };
    if (entry.pollScheduledAt === undefined) {
      const { initialPollSeconds } = deps.workflow(input.workflow).definition.tracking;
      const now = deps.clock.now();
      await deps.polls.schedule({ reviewId: input.reviewId, humanLoopName: input.humanLoopName, workflow: input.workflow, intervalSeconds: initialPollSeconds, dueAt: now + initialPollSeconds * 1000 });
      await deps.ledger.markPollScheduled(input.reviewId);
    }
    if (entry.lastEventAt === undefined || entry.lastEventAt < input.checkedAt) return { woken: false };
    await deps.sfn.send(new SendTaskSuccessCommand({ taskToken: input.taskToken, output: JSON.stringify({ wokenBy: 'event-before-wait' }) }));
    return { woken: true };
  } catch (error) {
    throw asTaskError(error);
  }
}

import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { pollLoop } from '../lib/review/poll-loop';
import { processBatch, withPowertools } from '../lib/runtime/handler';
import { logger } from '../lib/runtime/observability';
import { once } from '../lib/runtime/once';
import { pollRuntime, type ReviewRuntime } from '../lib/runtime/review-wiring';

/** Kept in the queue on purpose (a poll not due yet): reported as a batch item failure, not an error. */
class NotDueYet extends Error {
  override readonly name = 'NotDueYet';
}

/**
 * The poll queue's consumer: the review loop's fallback when a status event is lost. A poll not due yet is
 * hidden until it is and stays in the queue; a due one looks at the loop and wakes the execution or
 * schedules the next poll.
 */
export function createHandler(deps: () => Pick<ReviewRuntime, 'poll'> = once(pollRuntime)) {
  const handleRecord = async (record: SQSRecord): Promise<void> => {
    const result = await pollLoop(record.body, record.receiptHandle, deps().poll);
    if (result === 'early') throw new NotDueYet(`poll ${record.messageId} is not due yet`);
    logger.info('loop polled', { messageId: record.messageId, result });
  };
  // A batch of polls none of which is due is normal: every item goes back as a failure, and nothing is thrown.
  return withPowertools(async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => processBatch(event, handleRecord, context, { throwOnFullBatchFailure: false }));
}

export const handler = createHandler();

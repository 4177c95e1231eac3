import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { parseReviewMessage } from '../lib/consumer/parse-message';
import { ReviewInProgressError } from '../lib/consumer/dedupe';
import { type ReviewConsumerRuntime, reviewConsumerRuntime } from '../lib/consumer/wiring';
import type { ReviewMessage } from '../lib/messages';
import type { InvalidMessageError } from '../lib/messages/validate';
import { processBatch, withPowertools } from '../lib/runtime/handler';
import { logger, metrics } from '../lib/runtime/observability';
import { once } from '../lib/runtime/once';

/**
 * The example downstream consumer: copy it, and replace lib/consumer/handle-review.ts with your logic.
 * Each message of the batch is read against the contract, deduped on its reviewId and handed to
 * handleReview. Partial batch responses: a message that fails comes back alone; one that is not a review
 * message fails every time and reaches the queue's DLQ after its maxReceiveCount.
 */
export function createHandler(deps: () => ReviewConsumerRuntime = once(reviewConsumerRuntime)) {
  return withPowertools(async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const runtime = deps();
    runtime.dedupe.startInvocation?.(context);
    return processBatch(event, (record: SQSRecord) => consume(record, runtime), context);
  });
}

async function consume(record: SQSRecord, runtime: ReviewConsumerRuntime): Promise<void> {
  const { messageId } = record;
  let message: ReviewMessage;
  try {
    message = parseReviewMessage(record.body);
  } catch (error) {
    // Ids and problems only: the body is the user's data.
    logger.error('not a review message', { messageId, problems: (error as InvalidMessageError).problems });
    metrics.addMetric('InvalidMessages', 'Count', 1);
    throw error;
  }
  const ids = { messageId, reviewId: message.reviewId, workflow: message.workflow, outcome: message.outcome };
  try {
    const result = await runtime.dedupe.runOnce(message.reviewId, () => runtime.handleReview(message));
    logger.info(result === 'ran' ? 'review handled' : 'review already handled', ids);
    metrics.addMetric(result === 'ran' ? 'ReviewsHandled' : 'DuplicateReviews', 'Count', 1);
  } catch (error) {
    if (error instanceof ReviewInProgressError) logger.warn('review in progress elsewhere, retried later', ids);
    else {
      logger.error('review failed, retried later', { ...ids, error: error as Error });
      metrics.addMetric('ReviewsFailed', 'Count', 1);
    }
    throw error;
  }
}

export const handler = createHandler();

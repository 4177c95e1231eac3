import type { ReviewMessage } from '../messages';
import { logger } from '../runtime/observability';

/** The business logic: called once per reviewId with a message that follows the contract. Throw to have the message retried. */
export type ReviewHandler = (message: ReviewMessage) => Promise<void>;

/**
 * The example's business logic: replace it with yours. It logs ids and the reviewers' agreement, nothing of
 * the record or the answers. A ReviewMessage is one of four outcomes:
 * - `reviewed`: people reviewed the record; `review.consolidated` is the result, `review.answers` each answer;
 * - `auto-accepted`: no activation condition held; `decision` says why;
 * - `failed`: the loop failed, stopped, expired or could not start; `failure.code` and `failure.reason`;
 * - `invalid`: the record could not be read or validated; `failure` says why.
 */
export async function handleReview(message: ReviewMessage): Promise<void> {
  const ids = { reviewId: message.reviewId, outcome: message.outcome, workflow: message.workflow };
  switch (message.outcome) {
    case 'reviewed':
      logger.info('record reviewed', { ...ids, agreement: message.review?.agreement });
      return;
    case 'auto-accepted':
      logger.info('record auto-accepted', ids);
      return;
    case 'failed':
      logger.warn('record review failed', ids);
      return;
    case 'invalid':
      logger.warn('record invalid', ids);
      return;
    default: {
      const unknown: never = message.outcome;
      throw new Error(`unknown outcome ${JSON.stringify(unknown)}`);
    }
  }
}

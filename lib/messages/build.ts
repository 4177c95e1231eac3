import type { Decision } from '../conditions';
import type { RawJson } from './raw-json';
import { type MessageSource, type Outcome, type ReviewMessage, type ReviewResult, SCHEMA_VERSION } from './review-message';

/** What every message about one record carries. */
export interface RecordReference {
  reviewId: string;
  workflow: string;
  source: MessageSource;
  recordId?: string;
}

export interface MessageContent {
  record?: unknown;
  recordRef?: string;
  decision?: Decision | RawJson;
  review?: ReviewResult;
  failure?: { code: string; reason: string };
}

/**
 * A message of the contract (schemas/review-message.schema.json), stamped `now` (a Date, or its ISO string
 * when many messages share one moment).
 */
export function reviewMessage(reference: RecordReference, outcome: Outcome, content: MessageContent, now: Date | string = new Date()): ReviewMessage {
  const message: ReviewMessage = {
    schemaVersion: SCHEMA_VERSION,
    reviewId: reference.reviewId,
    workflow: reference.workflow,
    outcome,
    source: reference.source,
    createdAt: typeof now === 'string' ? now : now.toISOString(),
  };
  // Field by field (not a loop over names): messages are made per record, and fixed property stores stay fast.
  if (reference.recordId !== undefined) message.recordId = reference.recordId;
  if (content.record !== undefined) message.record = content.record;
  if (content.recordRef !== undefined) message.recordRef = content.recordRef;
  if (content.decision !== undefined) message.decision = content.decision;
  if (content.review !== undefined) message.review = content.review;
  if (content.failure !== undefined) message.failure = content.failure;
  return message;
}

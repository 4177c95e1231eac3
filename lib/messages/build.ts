import type { Decision } from '../conditions';
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
  decision?: Decision;
  review?: ReviewResult;
  failure?: { code: string; reason: string };
}

/** A message of the contract (schemas/review-message.schema.json), stamped now. */
export function reviewMessage(reference: RecordReference, outcome: Outcome, content: MessageContent, now: Date = new Date()): ReviewMessage {
  const message: ReviewMessage = {
    schemaVersion: SCHEMA_VERSION,
    reviewId: reference.reviewId,
    workflow: reference.workflow,
    outcome,
    source: reference.source,
    createdAt: now.toISOString(),
  };
  if (reference.recordId !== undefined) message.recordId = reference.recordId;
  for (const key of ['record', 'recordRef', 'decision', 'review', 'failure'] as const) {
    if (content[key] !== undefined) (message as unknown as Record<string, unknown>)[key] = content[key];
  }
  return message;
}

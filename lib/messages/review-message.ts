import type { Decision } from '../conditions';
import type { RawJson } from './raw-json';

/** The body of every message a downstream queue receives (schemas/review-message.schema.json). */
export interface ReviewMessage {
  schemaVersion: '1.0';
  /** Deterministic; also the human loop's name. Consumers dedupe on it. */
  reviewId: string;
  workflow: string;
  outcome: Outcome;
  source: MessageSource;
  recordId?: string;
  /** s3:// URI of the recordId (its JSON string) when it is too large to travel in the message. */
  recordIdRef?: string;
  record?: unknown;
  /** s3:// URI of the record when it is too large to travel in the message. */
  recordRef?: string;
  /** A Decision, or its JSON text (RawJson) where ingest already has it. */
  decision?: Decision | RawJson;
  /** s3:// URI of the decision (its JSON) when it is too large to travel in the message. */
  decisionRef?: string;
  review?: ReviewResult;
  failure?: { code: string; reason: string };
  createdAt: string;
}

export type Outcome = 'reviewed' | 'auto-accepted' | 'failed' | 'invalid';

export type MessageSource =
  | { type: 's3'; bucket: string; key: string; versionId?: string; etag?: string; recordIndex: number; line?: number }
  | { type: 'event'; eventSource: string; eventId: string; detailType?: string; recordIndex: number };

export interface ReviewResult {
  humanLoopName: string;
  humanLoopArn?: string;
  status: 'Completed' | 'Failed' | 'Stopped' | 'Expired' | 'NotFound' | 'TimedOut';
  outputS3Uri?: string;
  answers?: unknown[];
  answersRef?: string;
  consolidated?: unknown;
  agreement?: number;
  tie?: boolean;
  startedAt?: string;
  completedAt?: string;
  secondsInReview?: number;
}

export const SCHEMA_VERSION = '1.0';

import type { Outcome } from '../messages';

/** One thing that happened to a record on its way through the local pipeline. */
export interface JourneyStep {
  /** ISO 8601 time the step was seen. */
  at: string;
  step: 'ingested' | 'decision' | 'loop-started' | 'status' | 'delivered';
  /** One short line for people, e.g. "activated: FieldConfidenceCheck", "Completed", "queue reviewed". */
  detail: string;
}

/** A record's journey: ingested → decision → loop → status → delivered. Ids only, never the record. */
export interface RecordJourney {
  reviewId: string;
  workflow: string;
  recordId?: string;
  /** The terminal outcome once delivered. */
  outcome?: Outcome;
  /** The queue its terminal message went to. */
  queue?: string;
  /** The human loop's status when it has one (InProgress, Completed, Failed, Stopped). */
  loopStatus?: string;
  steps: JourneyStep[];
}

export interface WorkflowCounts {
  workflow: string;
  /** Records whose journey has begun (a loop or a delivered message). */
  records: number;
  openLoops: number;
  /** Delivered terminal messages by outcome. */
  outcomes: Record<Outcome, number>;
  /** Delivered messages by queue name. */
  queues: Record<string, number>;
}

/** What the status page shows, also served as JSON at /status.json. */
export interface StatusSnapshot {
  generatedAt: string;
  workflows: WorkflowCounts[];
  /** The most recent journeys, newest first. */
  records: RecordJourney[];
}

/** A row of the task list: an open loop waiting for answers. */
export interface TaskSummary {
  humanLoopName: string;
  workflow: string;
  recordId?: string;
  answersSoFar: number;
  taskCount: number;
  creationTime: string;
  /** Where the task page is, e.g. /tasks/<humanLoopName>. */
  url: string;
}

import { type Decision, firedConditions } from '../conditions';
import type { MessageSource, Outcome, ReviewMessage } from '../messages';
import type { OpenTask } from '../emulator/a2i-emulator';
import type { A2iStatusEvent } from '../emulator/status-events';
import type { JourneyStep, RecordJourney, StatusSnapshot, WorkflowCounts } from './status-model';

/** Journeys kept for the status page; counts cover every record. */
const RECENT_JOURNEYS = 200;

/** The loop's InputContent, as ingest builds it (lib/ingest/input-content.ts). */
interface LoopInput {
  reviewId?: string;
  workflow?: string;
  recordId?: string;
  decision?: Decision;
  source?: MessageSource;
}

/**
 * What the local pipeline did to each record, assembled from what can be seen from outside the handlers: loops
 * started, A2I status changes and the messages delivered to the workflows' queues. Ids and decisions only.
 */
export class Journal {
  private readonly journeys = new Map<string, RecordJourney>();
  private readonly counts = new Map<string, WorkflowCounts>();
  private readonly openLoops = new Map<string, string>();

  constructor(workflows: string[], private readonly now: () => number = Date.now) {
    for (const workflow of workflows) this.countsOf(workflow);
  }

  loopStarted(task: OpenTask): void {
    const input = (task.inputContent ?? {}) as LoopInput;
    if (typeof input.reviewId !== 'string' || typeof input.workflow !== 'string') return;
    const journey = this.journey(input.reviewId, input.workflow, input.recordId);
    this.begin(journey, input.source, input.decision);
    this.add(journey, 'loop-started', task.humanLoopName === input.reviewId ? 'human loop started' : `human loop ${task.humanLoopName}`);
    journey.loopStatus = 'InProgress';
    this.openLoops.set(task.humanLoopName, journey.workflow);
  }

  statusChanged(event: A2iStatusEvent): void {
    const { humanLoopName, humanLoopStatus, failureCode } = event.detail;
    this.openLoops.delete(humanLoopName);
    const journey = this.journeys.get(humanLoopName);
    if (!journey) return;
    journey.loopStatus = humanLoopStatus;
    this.add(journey, 'status', failureCode ? `${humanLoopStatus} (${failureCode})` : humanLoopStatus);
  }

  delivered(message: ReviewMessage, queue: string): void {
    const journey = this.journey(message.reviewId, message.workflow, message.recordId);
    this.begin(journey, message.source, typeof message.decision === 'object' ? (message.decision as Decision) : undefined, message.outcome);
    journey.outcome = message.outcome;
    journey.queue = queue;
    this.add(journey, 'delivered', `${message.outcome} to ${queue}`);
    const counts = this.countsOf(message.workflow);
    counts.outcomes[message.outcome]++;
    counts.queues[queue] = (counts.queues[queue] ?? 0) + 1;
  }

  snapshot(): StatusSnapshot {
    const open = new Map<string, number>();
    for (const workflow of this.openLoops.values()) open.set(workflow, (open.get(workflow) ?? 0) + 1);
    return {
      generatedAt: new Date(this.now()).toISOString(),
      workflows: [...this.counts.values()].map((counts) => ({ ...counts, openLoops: open.get(counts.workflow) ?? 0, outcomes: { ...counts.outcomes }, queues: { ...counts.queues } })),
      records: [...this.journeys.values()].slice(-RECENT_JOURNEYS).reverse(),
    };
  }

  private journey(reviewId: string, workflow: string, recordId?: string): RecordJourney {
    let journey = this.journeys.get(reviewId);
    if (journey) {
      // Most recent last: Map keeps insertion order.
      this.journeys.delete(reviewId);
    } else {
      journey = { reviewId, workflow, ...(recordId !== undefined ? { recordId } : {}), steps: [] };
      this.countsOf(workflow).records++;
    }
    this.journeys.set(reviewId, journey);
    return journey;
  }

  /** The first two steps, once: where the record came from and what the conditions decided. */
  private begin(journey: RecordJourney, source: MessageSource | undefined, decision: Decision | undefined, outcome?: Outcome): void {
    if (journey.steps.length > 0) return;
    this.add(journey, 'ingested', source ? describeSource(source) : 'ingested');
    if (outcome === 'invalid') return;
    this.add(journey, 'decision', decision ? describeDecision(decision) : 'decided');
  }

  private add(journey: RecordJourney, step: JourneyStep['step'], detail: string): void {
    journey.steps.push({ at: new Date(this.now()).toISOString(), step, detail });
  }

  private countsOf(workflow: string): WorkflowCounts {
    let counts = this.counts.get(workflow);
    if (!counts) {
      counts = { workflow, records: 0, openLoops: 0, outcomes: { reviewed: 0, 'auto-accepted': 0, failed: 0, invalid: 0 }, queues: {} };
      this.counts.set(workflow, counts);
    }
    return counts;
  }
}

function describeSource(source: MessageSource): string {
  if (source.type === 's3') return `s3://${source.bucket}/${source.key} record ${source.recordIndex}${source.line !== undefined ? ` (line ${source.line})` : ''}`;
  return `event ${source.eventId} from ${source.eventSource}`;
}

function describeDecision(decision: Decision): string {
  if (!decision.activated) return 'no condition activated: auto-accept';
  const fired = firedConditions(decision.humanTaskActivationConditionResults?.Conditions ?? []);
  return `human review: ${fired.join(', ') || 'activated'}`;
}

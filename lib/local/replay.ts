import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import type { StackModel } from '../deploy/stack-model';
import type { OpenTask } from '../emulator/a2i-emulator';
import { type BusEvent, workForEvent } from '../ingest/ingest-event';
import { eventRoutes } from '../ingest/match';
import { splitObject } from '../ingest/split-object';
import type { ReviewMessage } from '../messages';
import { type CompiledWorkflow, isS3Source } from '../workflow';
import type { AutoReviewer } from './auto-review';
import { EventsFileError, parseEventsFile } from './events-file';
import type { FaultSpec } from './faults';
import { LOCAL_ACCOUNT, LOCAL_BUCKETS, LOCAL_REGION } from './resources';
import type { AccessDenial } from './iam/enforce';
import { type Delivery, LocalStack, TriggerFailedError } from './stack';

export interface ReplayOptions {
  /** The workflow, loaded from its file. */
  workflow: CompiledWorkflow;
  /** For an S3 workflow the model-output file itself; for an EventBridge workflow JSON Lines of events. */
  inputFile: string;
  stateDir: string;
  autoReview?: AutoReviewer;
  faults?: FaultSpec;
  duplicateEvents?: number;
  /** 0 picks a free port. */
  port?: number;
  /** Give up after this long without every record's terminal message; 0 waits for ever (a person reviews). */
  timeoutMs?: number;
  onDelivered?(delivery: Delivery): void;
  onProgress?(progress: ReplayProgress): void;
  /** The UI, once loops wait for a person. */
  onWaitingForPeople?(url: string): void;
  onProblem?(text: string): void;
  /** At the end: what the injected faults did, by service and kind. */
  onFaults?(injected: Record<string, number>): void;
  /** The generated stack the local one follows, its roles and rules (default: built from the workflow); tests give a changed copy. */
  stackModel?: StackModel;
  /** A call a role refused, as AWS would have refused it (also reported through onProblem). */
  onAccessDenied?(denial: AccessDenial): void;
  /** At the end: how many calls each role was asked to allow (and refused). */
  onAccessChecks?(checks: Record<string, { checks: number; denials: number }>): void;
}

export interface ReplayProgress {
  records: number;
  terminal: number;
  openLoops: number;
}

/** The last line `replay` prints. */
export interface ReplaySummary {
  records: number;
  activated: number;
  autoAccepted: number;
  invalid: number;
  loopsStarted: number;
  reviewed: number;
  failed: number;
  delivered: Record<string, number>;
  lost: number;
  duplicates: number;
}

/**
 * One run of a file through the whole local pipeline (upload → trigger → decisions → loops → review → state
 * machine → queues), until every record has its terminal message or the time is up. Which records there are
 * is worked out by the same splitter (or event matching) the cloud uses, so `lost` and `duplicates` count
 * against the records the pipeline was given, not against what it reported.
 */
export async function replay(options: ReplayOptions): Promise<ReplaySummary> {
  const { workflow } = options;
  const body = readFileSync(options.inputFile);
  const expected = isS3Source(workflow.definition.source) ? await recordIndexes(workflow, body, basename(options.inputFile)) : eventIdentities(workflow, body, options.inputFile);
  const terminal = new Map<string, ReviewMessage[]>();
  const delivered: Record<string, number> = {};
  const loops = new Set<string>();
  let settle: () => void = () => undefined;
  const allTerminal = new Promise<void>((resolve) => (settle = resolve));
  // The records still without a terminal message, kept as messages arrive: scanning every record on every
  // delivery made the replay quadratic in its records. Events PutEvents refused leave it too: no message will
  // come for them (they count as lost), so nothing waits for them.
  const waiting = new Set(expected.identities);
  const settleIfDone = () => {
    if (waiting.size === 0) settle();
  };
  const progress = () => options.onProgress?.({ records: expected.identities.size, terminal: terminal.size, openLoops: stack.emulator.openTasks().length });
  const onDelivered = (delivery: Delivery) => {
    delivered[delivery.queue] = (delivered[delivery.queue] ?? 0) + 1;
    const identity = expected.identityOf(delivery.message);
    terminal.set(identity, [...(terminal.get(identity) ?? []), delivery.message]);
    waiting.delete(identity);
    options.onDelivered?.(delivery);
    progress();
    settleIfDone();
  };
  let waitingAnnounced = false;
  const onLoopStarted = (task: OpenTask) => {
    loops.add(task.humanLoopName);
    const action = options.autoReview?.decide(task.inputContent) ?? { kind: 'none' as const };
    if (action.kind === 'none') {
      if (!waitingAnnounced) options.onWaitingForPeople?.(stack.url);
      waitingAnnounced = true;
      return;
    }
    // After StartHumanLoop has answered: the emulator is still inside it.
    setImmediate(() => {
      settleLoop(stack, task, action, options.autoReview as AutoReviewer).catch((error: unknown) => options.onProblem?.(`auto-review of ${task.humanLoopName} failed: ${(error as Error).message}`));
    });
  };
  const stack: LocalStack = await LocalStack.start({
    workflows: [workflow],
    stateDir: options.stateDir,
    port: options.port ?? 0,
    faults: options.faults,
    duplicateEvents: options.duplicateEvents,
    onDelivered,
    onLoopStarted,
    onProblem: options.onProblem,
    stackModel: options.stackModel,
    onAccessDenied: options.onAccessDenied,
  });
  try {
    if (expected.identities.size === 0) settle();
    let triggerFailed = false;
    if (isS3Source(workflow.definition.source)) {
      try {
        await stack.upload(`${workflow.definition.source.s3.prefix}${basename(options.inputFile)}`, body);
      } catch (error) {
        if (!(error instanceof TriggerFailedError)) throw error;
        // As in AWS: the notification sits in the trigger-failures DLQ, and what it did not send is lost.
        options.onProblem?.(error.message);
        triggerFailed = true;
      }
    } else {
      const events = expected.events ?? [];
      const put = stack.putEvents(events as never);
      // What PutEvents refuses never reaches a workflow: said here, or it would only show as lost.
      for (const [index, entry] of put.entries.entries()) {
        if (!('errorCode' in entry)) continue;
        options.onProblem?.(`PutEvents refused event ${events[index].id}: ${entry.errorCode}: ${entry.errorMessage}`);
        waiting.delete(eventIdentity(events[index]));
      }
      settleIfDone();
    }
    progress();
    // After a failed trigger nothing more starts: the replay ends when what it did send has settled.
    await withDeadline(triggerFailed ? Promise.race([allTerminal, stack.quiesce()]) : allTerminal, options.timeoutMs ?? 0);
    // Let anything still in flight (a duplicate, a late execution) arrive before counting.
    await withDeadline(stack.quiesce(), 10_000);
  } finally {
    options.onFaults?.(stack.faultsInjected());
    options.onAccessChecks?.(stack.accessChecks());
    await stack.close();
  }
  return summarise(expected.identities, terminal, delivered, loops.size);
}

async function settleLoop(stack: LocalStack, task: OpenTask, action: Exclude<ReturnType<AutoReviewer['decide']>, { kind: 'none' }>, reviewer: AutoReviewer): Promise<void> {
  if (action.kind === 'status') {
    if (action.status === 'Expired') await stack.emulator.setStatus(task.humanLoopName, 'Failed', 'Expired', 'The task was not completed within TaskAvailabilityLifetimeInSeconds (auto-review)');
    else await stack.emulator.setStatus(task.humanLoopName, action.status);
    return;
  }
  const answers = reviewer.answersFor(action, task.taskCount);
  for (const [index, answerContent] of answers.entries()) {
    await stack.emulator.submitAnswer(task.humanLoopName, { answerContent, workerId: `auto-reviewer-${index + 1}`, timeSpentInSeconds: 0 });
  }
}

interface Expected {
  identities: Set<string>;
  identityOf(message: ReviewMessage): string;
  events?: BusEvent[];
}

/** The records of an object as the splitter finds them: every index it hands to the work queue. */
async function recordIndexes(workflow: CompiledWorkflow, body: Buffer, fileName: string): Promise<Expected> {
  const source = workflow.definition.source as Extract<CompiledWorkflow['definition']['source'], { s3: unknown }>;
  const identities = new Set<string>();
  await splitObject(
    Readable.from([body]),
    { workflow, source: { type: 's3', bucket: source.s3.bucket ?? LOCAL_BUCKETS.input, key: `${source.s3.prefix}${fileName}` } },
    {
      send: async (messages) => {
        for (const message of messages) for (const item of message.items) identities.add(String(item.index));
      },
      stage: async (key) => `s3://counting/${key}`,
    },
  );
  return { identities, identityOf: (message) => (message.source.type === 's3' ? String(message.source.recordIndex) : `unexpected ${message.reviewId}`) };
}

/** The records of an events file: each distinct event (source and id) the workflow's pattern matches. */
function eventIdentities(workflow: CompiledWorkflow, body: Buffer, inputName: string): Expected {
  const routes = eventRoutes([workflow]);
  const identities = new Set<string>();
  const events = parseEventsFile(body.toString('utf8'));
  const withoutId = events.findIndex((event) => typeof event.id !== 'string' || event.id === '');
  // The bus would give such an event an id of its own, and the record could not be recognised.
  if (withoutId >= 0) throw new EventsFileError(`event ${withoutId + 1} of ${basename(inputName)} has no "id": replay follows each event by its id`);
  for (const event of events) {
    // Matched as the bus delivers it: with the account and region PutEvents fills in.
    if (workForEvent({ account: LOCAL_ACCOUNT, region: LOCAL_REGION, resources: [], ...event } as BusEvent, routes).length > 0) identities.add(eventIdentity(event));
  }
  return {
    identities,
    events,
    identityOf: (message) => (message.source.type === 'event' ? `${message.source.eventSource}\u0000${message.source.eventId}` : `unexpected ${message.reviewId}`),
  };
}

const eventIdentity = (event: BusEvent): string => `${event.source}\u0000${event.id}`;

function summarise(identities: Set<string>, terminal: Map<string, ReviewMessage[]>, delivered: Record<string, number>, loopsStarted: number): ReplaySummary {
  const summary: ReplaySummary = { records: identities.size, activated: 0, autoAccepted: 0, invalid: 0, loopsStarted, reviewed: 0, failed: 0, delivered, lost: 0, duplicates: 0 };
  for (const identity of identities) {
    const messages = terminal.get(identity);
    if (!messages) {
      summary.lost++;
      continue;
    }
    summary.duplicates += messages.length - 1;
    const [message] = messages;
    if (isActivated(message)) summary.activated++;
    if (message.outcome === 'auto-accepted') summary.autoAccepted++;
    else if (message.outcome === 'invalid') summary.invalid++;
    else if (message.outcome === 'reviewed') summary.reviewed++;
    else summary.failed++;
  }
  // A message for a record the input does not have is one too many.
  for (const [identity, messages] of terminal) if (!identities.has(identity)) summary.duplicates += messages.length;
  return summary;
}

function isActivated(message: ReviewMessage): boolean {
  const decision = message.decision as { activated?: boolean } | undefined;
  return decision?.activated === true || message.review !== undefined;
}

async function withDeadline(promise: Promise<void>, timeoutMs: number): Promise<void> {
  if (timeoutMs <= 0) return promise;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
  clearTimeout(timer);
}

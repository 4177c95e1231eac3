import { type Clock, systemClock } from '../clock';
import type { Decision } from '../conditions';
import type { Envelope, PayloadStore, QueueAddress } from '../delivery';
import type { Ledger, RecordKey } from '../ledger';
import type { LoopStarter } from '../loop-starter';
import { type MessageSource, type Outcome, RawJson, type RecordReference, type ReviewMessage, reviewMessage } from '../messages';
import { reviewIdsFor, type SourceIdentity } from '../naming';
import type { RateLimiter } from '../rate-limiter';
import type { ReviewLoopInput } from '../review/loop-state';
import { samplingIdentity } from '../record-identity';
import { isRetryable } from '../retry';
import { queueFor } from '../routing';
import type { CompiledWorkflow } from '../workflow';
import { repeatedKeyPath } from './duplicate-keys';
import { buildInputContent, recordTextKey } from './input-content';
import { recordIdOfText } from './record-id-text';
import { type KeptTexts, type SlotCandidate, settleSlots, supersededMessage } from './reuploads';
import type { SourceItem } from './object-records';
import type { DuplicateItem, RecordPosition } from './work-message';

export interface IngestDeps {
  ledger: Ledger;
  loops: LoopStarter;
  /** `onSent` hears the reviewIds accepted so far, should the delivery fail part-way. */
  delivery: { deliver(envelopes: Envelope[], onSent?: (reviewIds: string[]) => void): Promise<void> };
  /** Where the text of each record with a loop is kept, for its reviewed or failed message (see buildInputContent). */
  payloads: PayloadStore & KeptTexts;
  queueAddress(workflow: string, queue: string): QueueAddress;
  flowDefinitionArn(workflow: CompiledWorkflow): string;
  /** Paces StartHumanLoop for this workflow. */
  limiter?: RateLimiter;
  /** Counts throttled StartHumanLoop calls of a workflow. */
  onThrottled?(workflow: string): void;
  clock?: Clock;
  /** How many records of a batch are in flight at once (ledger writes, loop starts). */
  concurrency?: number;
}

/** A record as the splitter (or the event) hands it over: its text, why it cannot be read, or the earlier record that has its id. */
export type IngestItem = SourceItem | DuplicateItem;

export interface IngestContext {
  workflow: CompiledWorkflow;
  source: SourceIdentity;
  /** The last delivery attempt of this work: records that still cannot be started get a `failed` message instead of another retry. */
  finalAttempt: boolean;
  /**
   * Epoch ms (deps.clock) after which no loop is started: a start whose rate-limiter turn comes later is
   * released (see IngestReport.released) rather than run into the function's timeout.
   */
  startDeadline?: number;
}

export interface IngestReport {
  records: number;
  activated: number;
  loopsStarted: number;
  autoAccepted: number;
  invalid: number;
  failed: number;
  /** Records a previous delivery of the same trigger already handled. */
  alreadyHandled: number;
  /** Records an earlier version of their S3 key had, unchanged: reviewed (or delivered) once, for that version (see reuploads.ts). */
  unchanged: number;
  /** Records left for a retry of the work (throttled after every attempt, a busy ledger entry). */
  retryLater: number;
  /** The reason of the first retryLater, for the log and the DLQ. */
  retryReason?: string;
  /** Indexes of activated records not started because the start deadline came first: the caller hands them on as new work. */
  released: number[];
}

/** What every record of one batch shares. */
interface Batch extends IngestContext {
  /** One timestamp for the batch (ISO): its messages are made in the same moment, and dates are not free. */
  now: string;
  reviewIdOf(record: { recordId?: string; index: number }): string;
  /** The source part of every record's MessageSource. */
  sourceBase: MessageSourceBase;
}

type MessageSourceBase = Omit<Extract<MessageSource, { type: 's3' }>, 'recordIndex' | 'line'> | Omit<Extract<MessageSource, { type: 'event' }>, 'recordIndex'>;

type ToDeliver = { kind: 'deliver'; key: RecordKey; outcome: Outcome; message: ReviewMessage };
/** `text`: the record as written, which every message about it carries (never the record re-serialised). */
type ToStart = { kind: 'start'; key: RecordKey; reference: RecordReference; decision: Decision; inputContent: string; text: string };
type Prepared = ToDeliver | ToStart;

/**
 * Runs each item of one object (or event) through the workflow: parse, identify, decide, then either
 * deliver its `auto-accepted` / `invalid` message or start its human loop and tracking execution. Every item
 * ends in exactly one of: a message sent (or found sent before), a loop started (or found started), or
 * `retryLater` — which the caller must turn into a retry of the work.
 */
export async function ingestItems(items: IngestItem[], context: IngestContext, deps: IngestDeps): Promise<IngestReport> {
  const report: IngestReport = { records: items.length, activated: 0, loopsStarted: 0, autoAccepted: 0, invalid: 0, failed: 0, alreadyHandled: 0, unchanged: 0, retryLater: 0, released: [] };
  const batch: Batch = {
    ...context,
    now: new Date((deps.clock ?? systemClock).now()).toISOString(),
    reviewIdOf: reviewIdsFor(context.workflow.definition.name, context.source),
    sourceBase: messageSourceBase(context.source),
  };
  const prepared = await settleReuploads(
    items.map((item) => prepare(item, batch)),
    items,
    batch,
    deps,
    report,
  );
  const deliveries: ToDeliver[] = [];
  const starts: ToStart[] = [];
  for (const entry of prepared) {
    if (entry.kind === 'start') starts.push(entry);
    else deliveries.push(entry);
  }
  report.activated = starts.length;

  await forEachBounded(starts, deps.concurrency ?? 16, async (entry) => {
    const outcome = await startLoop(entry, batch, deps, report);
    if (outcome) deliveries.push(outcome);
  });
  await deliverAll(deliveries, batch, deps, report);
  return report;
}

function prepare(item: IngestItem, batch: Batch): Prepared {
  const { workflow, now } = batch;
  const name = workflow.definition.name;
  const messageSource = (item.line === undefined ? { ...batch.sourceBase, recordIndex: item.index } : { ...batch.sourceBase, recordIndex: item.index, line: item.line }) as MessageSource;

  if ('keptBy' in item) {
    const reference: RecordReference = { ...byIndex(item, batch, messageSource), recordId: item.recordId };
    return invalid(item, batch, reference, 'DuplicateRecordId', `recordId ${JSON.stringify(item.recordId)} is kept by ${describePosition(item.keptBy)}, the first in this source with it`, duplicateText(item));
  }
  if ('error' in item) return invalid(item, batch, byIndex(item, batch, messageSource), item.code ?? 'UnreadableRecord', item.error);
  let record: unknown;
  try {
    record = JSON.parse(item.text);
  } catch (error) {
    // A line that names an id at its top level keeps it although it is not JSON: the splitter, which reads
    // ids from the text with the same function, counted it the first record of that id.
    const textId = recordIdOfText(workflow)?.(item.text);
    const reference = textId === undefined ? byIndex(item, batch, messageSource) : byId(textId, item, batch, messageSource);
    return invalid(item, batch, reference, 'InvalidJson', `not valid JSON: ${(error as Error).message}`);
  }
  if (record === null || typeof record !== 'object' || Array.isArray(record)) {
    const kind = Array.isArray(record) ? 'an array' : record === null ? 'null' : typeof record;
    return invalid(item, batch, byIndex(item, batch, messageSource), 'NotAnObject', `a record must be a JSON object, got ${kind}`);
  }
  let recordId: string | undefined;
  try {
    recordId = workflow.recordIdOf(record, item.text);
  } catch (error) {
    return invalid(item, batch, byIndex(item, batch, messageSource), 'UnprocessableRecord', `its recordId could not be evaluated: ${(error as Error).message}`);
  }
  if (workflow.definition.recordId !== undefined && recordId === undefined) {
    const reason = `recordId ${JSON.stringify(workflow.definition.recordId)} yields no string or number`;
    return invalid(item, batch, byIndex(item, batch, messageSource), 'MissingRecordId', reason, record);
  }
  // From here on the record holds its id, whatever becomes of it (the splitter kept this line for the id).
  const reference = recordId === undefined ? byIndex(item, batch, messageSource) : byId(recordId, item, batch, messageSource);
  try {
    if (workflow.definition.duplicateKeys === 'invalid') {
      const repeated = repeatedKeyPath(item.text, record);
      if (repeated !== undefined) {
        // Conditions would see the last value, a consumer that keeps the first another record: neither is chosen.
        return invalid(item, batch, reference, 'DuplicateKey', `key ${repeated} appears more than once in its object`, record);
      }
    }
    const identity = () => samplingIdentity(record, name, recordId);
    // Most records activate nothing and only carry their decision: its JSON, without building it.
    const summary = workflow.conditions.summarize(record, identity);
    if (summary.errors && workflow.definition.onConditionError !== 'review') {
      // Fail safe: never auto-accepted, whatever the other conditions say (see CompiledConditions).
      const reason = `conditions could not be evaluated: ${summary.errors.map((issue) => `${issue.location}: ${issue.message}`).join('; ')}`;
      return invalid(item, batch, reference, 'ConditionError', reason, record, new RawJson(summary.json));
    }
    if (!summary.activated && !summary.errors) {
      return {
        kind: 'deliver',
        key: keyOf(reference, item.index),
        outcome: 'auto-accepted',
        message: reviewMessage(reference, 'auto-accepted', { record: new RawJson(item.text), decision: new RawJson(summary.json) }, now),
      };
    }
    // Activated, or (onConditionError: review) not evaluable: a person sees it, the decision shows why.
    const decision = workflow.decide(record, identity);
    const input = buildInputContent(workflow, reference, record, decision);
    if ('reason' in input) return invalid(item, batch, reference, 'InputContentTooLarge', input.reason, record);
    return { kind: 'start', key: keyOf(reference, item.index), reference, decision, inputContent: input.content, text: item.text };
  } catch (error) {
    // A record can break evaluation in ways no schema foresees (nesting deep enough to overflow the stack).
    return invalid(item, batch, reference, 'UnprocessableRecord', `could not be evaluated: ${(error as Error).message}`);
  }
}

/**
 * Under `source.s3.reupload: supersede`, each record is settled against the records of earlier versions of
 * its key first (lib/ingest/reuploads.ts): it goes on, is left out as unchanged, becomes `failed`
 * Superseded (a later version holds it), or waits for the work's next attempt.
 */
async function settleReuploads(prepared: Prepared[], items: IngestItem[], batch: Batch, deps: IngestDeps, report: IngestReport): Promise<Prepared[]> {
  const { source, workflow } = batch;
  const { source: sourceConfig } = workflow.definition;
  if (source.type !== 's3' || !('s3' in sourceConfig) || sourceConfig.s3.reupload !== 'supersede') return prepared;
  const context = { workflow, source, finalAttempt: batch.finalAttempt, now: batch.now };
  const verdicts = await settleSlots(
    prepared.map((entry, index) => slotCandidate(entry, items[index], batch)),
    context,
    deps,
    deps.concurrency ?? 16,
  );
  const settled: Prepared[] = [];
  prepared.forEach((entry, index) => {
    const verdict = verdicts[index];
    if (verdict === 'proceed') settled.push(entry);
    else if (verdict === 'unchanged') report.unchanged++;
    else if (verdict === 'superseded') {
      const reference = entry.kind === 'start' ? entry.reference : entry.message;
      const item = items[index];
      const text = 'text' in item && !('keptBy' in item) ? item.text : undefined;
      settled.push({ kind: 'deliver', key: entry.key, outcome: 'failed', message: supersededMessage(reference, { source, now: batch.now }, text) });
    } else {
      report.retryLater++;
      report.retryReason ??= `record ${entry.key.reviewId} supersedes a record that is being delivered by another attempt`;
    }
  });
  return settled;
}

/** What matches a prepared record across versions of its key: the id it holds, or its position. */
function slotCandidate(entry: Prepared, item: IngestItem, batch: Batch): SlotCandidate {
  const reference = entry.kind === 'start' ? entry.reference : entry.message;
  const holdsId = reference.recordId !== undefined && entry.key.reviewId !== batch.reviewIdOf({ index: item.index });
  const content = 'keptBy' in item ? `duplicate\u0000${JSON.stringify(item.keptBy)}` : 'text' in item ? item.text : `unreadable\u0000${item.error}`;
  return {
    key: entry.key,
    match: holdsId ? { recordId: reference.recordId as string } : { index: item.index },
    content,
    ...(reference.recordId !== undefined ? { recordId: reference.recordId } : {}),
    source: reference.source,
  };
}

/** A duplicate's text as written, for its message, when it is JSON (its id was found by a scan, not a parse). */
function duplicateText(item: DuplicateItem): RawJson | undefined {
  if (item.text === undefined) return undefined;
  try {
    JSON.parse(item.text);
    return new RawJson(item.text);
  } catch {
    return undefined;
  }
}

/** The reference of a record without a usable id (or whose id an earlier record keeps): its position names it. */
function byIndex(item: IngestItem, batch: Batch, source: MessageSource): RecordReference {
  return { reviewId: batch.reviewIdOf({ index: item.index }), workflow: batch.workflow.definition.name, source };
}

/** The reference of a record that holds its id. */
function byId(recordId: string, item: IngestItem, batch: Batch, source: MessageSource): RecordReference {
  return { reviewId: batch.reviewIdOf({ recordId, index: item.index }), workflow: batch.workflow.definition.name, source, recordId };
}

function invalid(item: IngestItem, batch: Batch, reference: RecordReference, code: string, reason: string, record?: unknown, decision?: RawJson): ToDeliver {
  const content = { record: record !== undefined && 'text' in item && item.text !== undefined ? new RawJson(item.text) : record, failure: { code, reason: `${where(item)}${reason}` } };
  return {
    kind: 'deliver',
    key: keyOf(reference, item.index),
    outcome: 'invalid',
    message: reviewMessage(reference, 'invalid', decision === undefined ? content : { ...content, decision }, batch.now),
  };
}

async function startLoop(entry: ToStart, batch: Batch, deps: IngestDeps, report: IngestReport): Promise<ToDeliver | undefined> {
  const { workflow, now } = batch;
  // One pacing token per start, taken before anything is written: a record released here left no trace.
  if (!(await startsInTime(batch, deps))) {
    report.released.push(entry.key.recordIndex);
    return undefined;
  }
  const flowDefinitionArn = deps.flowDefinitionArn(workflow);
  // Step Functions refuses an execution input over its limit: found after StartHumanLoop, the loop would stay
  // open untracked. Only a huge recordId makes it that large; such a record is invalid before any loop opens.
  const inputBytes = Buffer.byteLength(JSON.stringify({ reviewId: entry.key.reviewId, flowDefinitionArn, source: entry.reference.source, recordId: entry.reference.recordId })) + EXECUTION_INPUT_RESERVE_BYTES;
  if (inputBytes > SFN_MAX_INPUT_BYTES) {
    const reason = `${whereSource(entry.reference.source)}its recordId is too long to track a review (an execution input of about ${inputBytes} bytes; Step Functions takes ${SFN_MAX_INPUT_BYTES})`;
    return { kind: 'deliver', key: entry.key, outcome: 'invalid', message: reviewMessage(entry.reference, 'invalid', { record: new RawJson(entry.text), failure: { code: 'UnprocessableRecord', reason } }, now) };
  }
  const reservation = await deps.ledger.reserveStart(entry.key);
  if (reservation === 'already') {
    report.alreadyHandled++;
    return undefined;
  }
  if (reservation === 'duplicate-id') return duplicateId(entry, batch);
  try {
    // Kept before the loop starts, so that its message (reviewed, or failed however the loop ends) finds it; the
    // same text under the same key on a retry.
    const recordTextRef = await deps.payloads.put(recordTextKey(workflow.definition.name, entry.key.reviewId), entry.text);
    const executionInput: ReviewLoopInput = {
      reviewId: entry.key.reviewId,
      workflow: workflow.definition.name,
      humanLoopName: entry.key.reviewId,
      flowDefinitionArn,
      source: entry.reference.source,
      ...(entry.reference.recordId !== undefined ? { recordId: entry.reference.recordId } : {}),
      recordTextRef,
    };
    const started = await deps.loops.start(
      { humanLoopName: entry.key.reviewId, flowDefinitionArn, inputContent: entry.inputContent, contentClassifiers: workflow.definition.contentClassifiers },
      executionInput,
      { onThrottled: () => deps.onThrottled?.(workflow.definition.name) },
    );
    const marked = await deps.ledger.markStarted(entry.key.reviewId, { humanLoopName: entry.key.reviewId, executionArn: started.executionArn });
    // A later version of the key superseded this record while its loop was being started: its `failed`
    // message is sent or being sent, so the loop must not stay open beside the new version's.
    if (!marked && (await deps.ledger.get(entry.key.reviewId))?.outcome === 'failed') await deps.loops.stop(entry.key.reviewId);
    if (started.alreadyStarted) report.alreadyHandled++;
    else report.loopsStarted++;
    return undefined;
  } catch (error) {
    const reason = `${(error as Error).name}: ${(error as Error).message}`;
    if (isRetryable(error) && !batch.finalAttempt) {
      report.retryLater++;
      report.retryReason ??= `could not start loop ${entry.key.reviewId}: ${reason}`;
      return undefined;
    }
    return {
      kind: 'deliver',
      key: entry.key,
      outcome: 'failed',
      message: reviewMessage(entry.reference, 'failed', { record: new RawJson(entry.text), decision: entry.decision, failure: { code: 'StartHumanLoopFailed', reason } }, now),
    };
  }
}

/** The largest execution input Step Functions takes (bytes of UTF-8). */
const SFN_MAX_INPUT_BYTES = 262_144;
/** Room for the rest of the execution input (workflow and loop names, the record text's s3:// URI). */
const EXECUTION_INPUT_RESERVE_BYTES = 2_048;

/** Waits for the workflow's pacing token; false when the turn (or the clock) is past the start deadline. */
async function startsInTime(batch: Batch, deps: IngestDeps): Promise<boolean> {
  const { startDeadline } = batch;
  if (startDeadline !== undefined && (deps.clock ?? systemClock).now() > startDeadline) return false;
  return deps.limiter ? deps.limiter.take(startDeadline) : true;
}

/**
 * A second record of the same source with the same recordId: `invalid`, under an id of its own (its position),
 * with the record as written (a start's text, or what the message it would have had carries).
 */
function duplicateId(entry: { key: RecordKey; message?: ReviewMessage; reference?: RecordReference; text?: string }, batch: Batch): ToDeliver {
  const { workflow, now } = batch;
  const base = entry.reference ?? (entry.message as ReviewMessage);
  const reference: RecordReference = {
    reviewId: batch.reviewIdOf({ index: entry.key.recordIndex }),
    workflow: workflow.definition.name,
    source: base.source,
    ...(base.recordId !== undefined ? { recordId: base.recordId } : {}),
  };
  const reason = `recordId ${JSON.stringify(base.recordId)} is used by another record of this source`;
  return {
    kind: 'deliver',
    key: keyOf(reference, entry.key.recordIndex),
    outcome: 'invalid',
    message: reviewMessage(reference, 'invalid', { ...recordOf(entry), failure: { code: 'DuplicateRecordId', reason: `${whereSource(base.source)}${reason}` } }, now),
  };
}

function recordOf(entry: { message?: ReviewMessage; text?: string }): { record?: unknown; recordRef?: string } {
  if (entry.text !== undefined) return { record: new RawJson(entry.text) };
  const { record, recordRef } = entry.message ?? {};
  return { ...(record !== undefined ? { record } : {}), ...(recordRef !== undefined ? { recordRef } : {}) };
}

async function deliverAll(entries: ToDeliver[], batch: Batch, deps: IngestDeps, report: IngestReport): Promise<void> {
  const { workflow } = batch;
  const claimed: ToDeliver[] = [];
  let pending = entries;
  // A duplicate id turns into an `invalid` message under another id, which is claimed in a second round.
  while (pending.length > 0) {
    const next: ToDeliver[] = [];
    // One ledger call per 100 claims (claimDeliveries), not one per record.
    const claims = await deps.ledger.claimDeliveries(pending.map((entry) => ({ key: entry.key, outcome: entry.outcome })));
    pending.forEach((entry, index) => {
      const claim = claims[index];
      if (claim === 'claimed') claimed.push(entry);
      else if (claim === 'delivered') report.alreadyHandled++;
      else if (claim === 'busy') {
        report.retryLater++;
        report.retryReason ??= `record ${entry.key.reviewId} is being delivered by another attempt`;
      } else next.push(duplicateId({ key: entry.key, message: entry.message }, batch));
    });
    pending = next;
  }
  if (claimed.length === 0) return;
  const addresses = new Map<string, QueueAddress>();
  const addressOf = (queue: string): QueueAddress => {
    let address = addresses.get(queue);
    if (!address) addresses.set(queue, (address = deps.queueAddress(workflow.definition.name, queue)));
    return address;
  };
  const envelopes = claimed.map((entry) => ({ queue: addressOf(queueFor(workflow, entry.message)), message: entry.message }));
  const sent = new Set<string>();
  try {
    await deps.delivery.deliver(envelopes, (reviewIds) => reviewIds.forEach((reviewId) => sent.add(reviewId)));
  } catch (error) {
    // What SQS accepted is delivered: marked so, the retry of the work sends only the rest.
    if (sent.size > 0) await deps.ledger.markDeliveredMany([...sent]);
    await forEachBounded(
      claimed.filter((entry) => !sent.has(entry.key.reviewId)),
      deps.concurrency ?? 16,
      (entry) => deps.ledger.releaseClaim(entry.key.reviewId),
    );
    throw error;
  }
  await deps.ledger.markDeliveredMany(claimed.map((entry) => entry.key.reviewId));
  for (const entry of claimed) {
    if (entry.outcome === 'auto-accepted') report.autoAccepted++;
    else if (entry.outcome === 'invalid') report.invalid++;
    else report.failed++;
  }
}

function messageSourceBase(source: SourceIdentity): MessageSourceBase {
  if (source.type === 's3') {
    return {
      type: 's3',
      bucket: source.bucket,
      key: source.key,
      ...(source.versionId ? { versionId: source.versionId } : {}),
      ...(source.etag ? { etag: source.etag } : {}),
    };
  }
  return { type: 'event', eventSource: source.eventSource, eventId: source.eventId, ...(source.detailType ? { detailType: source.detailType } : {}) };
}

const keyOf = (reference: RecordReference, recordIndex: number): RecordKey => ({ reviewId: reference.reviewId, workflow: reference.workflow, recordIndex });
const describePosition = (position: RecordPosition): string => ('line' in position ? `line ${position.line}` : `record ${position.index}`);
const where = (item: IngestItem): string => (item.line !== undefined ? `line ${item.line}: ` : '');
const whereSource = (source: MessageSource): string => (source.type === 's3' && source.line !== undefined ? `line ${source.line}: ` : '');

/** Runs `work` on every item with at most `limit` in flight; the first error is thrown after all settle. */
async function forEachBounded<T>(items: T[], limit: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++];
      try {
        await work(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
}

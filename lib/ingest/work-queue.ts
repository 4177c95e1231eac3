import type { SourceIdentity } from '../naming';
import type { OutgoingEntry } from '../sqs-batch';
import { MessageTooLargeError, SQS_MAX_MESSAGE_BYTES, sqsMessageBytes, utf8Prefix } from '../sqs-limits';
import { encodedItemBytes, encodeWork, workBaseBytes, type WorkItem, type WorkMessage } from './work-message';

/**
 * Room kept in every work message for the `reason` attribute it carries if it ends on the work DLQ: a work
 * message that fits the work queue then always fits the DLQ too (deadLetterReason cuts the reason to fit).
 */
export const WORK_DLQ_REASON_RESERVE_BYTES = 4_096;
/** The largest work message body: SQS's limit less the DLQ reason's room. */
export const WORK_MESSAGE_MAX_BYTES = SQS_MAX_MESSAGE_BYTES - WORK_DLQ_REASON_RESERVE_BYTES;

/** The name and type of the DLQ's reason attribute, which count against the limit with its value. */
const REASON_ATTRIBUTE = 'reason';
const REASON_TYPE = 'String';

export interface WorkStaging {
  /** Stores text in the payload bucket under `key` and returns its s3:// URI. */
  stage(key: string, text: string): Promise<string>;
}

/**
 * The work messages as they can go on the work queue: each within WORK_MESSAGE_MAX_BYTES, whatever made
 * them (the splitter, an event, work handed on). An item too large to travel in any work message is staged
 * (a record's text as `ref`; a duplicate's id as `recordIdRef`) and a message too large for its items is
 * split in order, so one record never keeps the others of its message from the queue. Messages that fit are
 * returned as they are.
 */
export async function fitWork(messages: WorkMessage[], staging: WorkStaging, maxBytes = WORK_MESSAGE_MAX_BYTES): Promise<WorkMessage[]> {
  const fitted: WorkMessage[] = [];
  for (const message of messages) {
    // encodedItemBytes counts a comma before every item's head: the first has none.
    const base = workBaseBytes(message) - 1;
    let bytes = base;
    for (const item of message.items) bytes += encodedItemBytes(item);
    if (bytes <= maxBytes) {
      fitted.push(message);
      continue;
    }
    let items: WorkItem[] = [];
    bytes = base;
    for (const read of message.items) {
      let item = read;
      let itemBytes = encodedItemBytes(item);
      if (base + itemBytes > maxBytes) {
        item = await stageItem(message, item, staging);
        itemBytes = encodedItemBytes(item);
        if (base + itemBytes > maxBytes) {
          throw new MessageTooLargeError(`record ${item.index} of ${message.workflow} does not fit a work message even staged (the source's identity is too large)`, base + itemBytes, maxBytes);
        }
      }
      if (items.length > 0 && bytes + itemBytes > maxBytes) {
        fitted.push({ ...message, items });
        items = [];
        bytes = base;
      }
      items.push(item);
      bytes += itemBytes;
    }
    if (items.length > 0) fitted.push({ ...message, items });
  }
  return fitted;
}

async function stageItem(message: WorkMessage, item: WorkItem, staging: WorkStaging): Promise<WorkItem> {
  const position = item.line === undefined ? { index: item.index } : { index: item.index, line: item.line };
  if ('recordId' in item) {
    const recordIdRef = await staging.stage(stagingKey(message.workflow, message.source, item.index, 'record-id'), JSON.stringify(item.recordId));
    const textRef = item.text === undefined ? undefined : await staging.stage(stagingKey(message.workflow, message.source, item.index), item.text);
    return { ...position, recordIdRef, keptBy: item.keptBy, ...(textRef !== undefined ? { textRef } : {}) };
  }
  if ('text' in item) return { ...position, ref: await staging.stage(stagingKey(message.workflow, message.source, item.index), item.text) };
  // An error item's text is the code's own (bounded), a staged item a URI: nothing else can be moved.
  return item;
}

/**
 * Where a record of a source is staged: per workflow, source and version, by index, so that a retried split
 * writes the same object (for S3 sources the key the splitter stages large records under).
 */
export function stagingKey(workflow: string, source: SourceIdentity, index: number, kind?: 'record-id'): string {
  const file = kind ? `${index}.${kind}.json` : `${index}.json`;
  if (source.type === 's3') {
    const version = source.versionId ?? source.etag ?? 'latest';
    return `staging/${workflow}/${encodeURIComponent(source.bucket)}/${encodeURIComponent(source.key)}/${encodeURIComponent(version)}/${file}`;
  }
  return `staging/${workflow}/event/${encodeURIComponent(source.eventSource)}/${encodeURIComponent(source.eventId)}/${file}`;
}

/** The work messages as SendMessageBatch entries, each labelled by its records for errors and sized as SQS counts it. */
export function workEntries(messages: WorkMessage[]): OutgoingEntry[] {
  return messages.map((message) => workEntry(message, encodeWork(message)));
}

/**
 * workEntries(await fitWork(messages)), with each message that fits encoded once (the common case: the
 * splitter's messages are made to fit).
 */
export async function fittedWorkEntries(messages: WorkMessage[], staging: WorkStaging, maxBytes = WORK_MESSAGE_MAX_BYTES): Promise<OutgoingEntry[]> {
  const entries: OutgoingEntry[] = [];
  for (const message of messages) {
    const body = encodeWork(message);
    if (sqsMessageBytes(body) <= maxBytes) entries.push(workEntry(message, body));
    else entries.push(...workEntries(await fitWork([message], staging, maxBytes)));
  }
  return entries;
}

function workEntry(message: WorkMessage, body: string): OutgoingEntry {
  const first = message.items[0]?.index ?? 0;
  return { entry: { MessageBody: body }, bytes: sqsMessageBytes(body), label: `${message.workflow} records ${first}-${first + message.items.length - 1}` };
}

/**
 * The DLQ's `reason` attribute value for a work message: the reason, cut (it is for people) so that the body
 * and the attribute fit SQS's limit together.
 */
export function deadLetterReason(body: string, reason: string): string {
  const room = SQS_MAX_MESSAGE_BYTES - sqsMessageBytes(body) - REASON_ATTRIBUTE.length - REASON_TYPE.length;
  return utf8Prefix(reason, Math.max(1, Math.min(room, WORK_DLQ_REASON_RESERVE_BYTES - REASON_ATTRIBUTE.length - REASON_TYPE.length)));
}

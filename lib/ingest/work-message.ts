import type { SourceIdentity } from '../naming';
import { sqsSafeJson } from '../sqs-text';
import type { SourceItem } from './object-records';

/** A record too large to travel inside a work message, staged in S3: `ref` is its s3:// URI. */
export type StagedItem = { index: number; line?: number; ref: string };
/**
 * A record whose id an earlier record of the object has (the splitter keeps the first line of each id): it
 * travels with its text (in the header), for its `invalid` DuplicateRecordId message, which carries the record
 * as written like every other. `keptBy` is where the first one is.
 */
export type DuplicateItem = { index: number; line?: number; recordId: string; keptBy: RecordPosition; text?: string };
/**
 * A DuplicateItem too large for a work message: the id (its JSON string) is staged in S3 as `recordIdRef`, and
 * its text as `textRef` (s3:// URIs). The consumer reads them back into a DuplicateItem.
 */
export type StagedDuplicateItem = { index: number; line?: number; recordIdRef: string; keptBy: RecordPosition; textRef?: string };
/** Where a record is in its object: its line in JSON Lines, its index in a JSON document. */
export type RecordPosition = { line: number } | { index: number };
export type WorkItem = SourceItem | StagedItem | DuplicateItem | StagedDuplicateItem;

/** One message of the internal work queue: some records of one source for one workflow, in order. */
export interface WorkMessage {
  workflow: string;
  source: SourceIdentity;
  items: WorkItem[];
}

export class MalformedWorkError extends Error {
  override readonly name = 'MalformedWorkError';
}

const MAGIC = 'a2io-work/1';
type ItemHead = { index: number; line?: number; error?: string; ref?: string; recordId?: string; recordIdRef?: string; keptBy?: RecordPosition; text?: string; textRef?: string };

/**
 * The work message's SQS body (item texts must be SQS-safe already: see sqsSafeRecordText): a version line, a JSON header (workflow, source, each item's position, or
 * its error, staged ref or the record it duplicates), then one line per text item, as read. Record text is carried as it is, not as
 * an escaped JSON string: no second escaping pass in the splitter, no unescaping in the consumer, and a
 * record's size in the message is its size. Record lines never hold a raw newline: JSON Lines are split on
 * it, and a JSON document's record that holds one (as written, in its whitespace) travels in its header entry.
 */
export function encodeWork(work: WorkMessage): string {
  const heads: ItemHead[] = [];
  let texts = '';
  for (const item of work.items) {
    if ('keptBy' in item || ('text' in item && item.text.includes('\n'))) {
      // A duplicate (its text is not a record to evaluate), or a document's record as written spanning lines
      // (JSON whitespace): it travels in the header, escaped.
      heads.push(item);
    } else if ('text' in item) {
      heads.push(item.line === undefined ? { index: item.index } : { index: item.index, line: item.line });
      texts += `\n${item.text}`;
    } else heads.push(item);
  }
  return `${MAGIC}\n${sqsSafeJson(JSON.stringify({ workflow: work.workflow, source: work.source, items: heads }))}${texts}`;
}

/**
 * The bytes an item adds to an encoded work message, at most (its head in the header, the comma before it,
 * and for a text item its line): with workBaseBytes, an exact bound on the message's size as SQS counts it.
 */
export function encodedItemBytes(item: WorkItem): number {
  if ('text' in item && !('keptBy' in item) && !item.text.includes('\n')) {
    // `{"index":N}` or `{"index":N,"line":L}`, then `,` and `\n<text>`: counted, not serialised (once per record).
    const head = item.line === undefined ? 10 + digits(item.index) : 18 + digits(item.index) + digits(item.line);
    return head + 2 + Buffer.byteLength(item.text);
  }
  // A text with a newline travels in its header entry, escaped, as the other items do.
  return Buffer.byteLength(sqsSafeJson(JSON.stringify(item))) + 1;
}

/** The bytes of an encoded work message without items: the version line and the header's fixed part. */
export function workBaseBytes(work: Omit<WorkMessage, 'items'>): number {
  return Buffer.byteLength(`${MAGIC}\n${sqsSafeJson(JSON.stringify({ workflow: work.workflow, source: work.source, items: [] }))}`);
}

const digits = (value: number): number => String(value).length;

export function decodeWork(body: string): WorkMessage {
  const lines = body.split('\n');
  if (lines[0] !== MAGIC || lines.length < 2) throw new MalformedWorkError(`work message does not start with ${MAGIC}`);
  let header: { workflow?: unknown; source?: unknown; items?: unknown };
  try {
    header = JSON.parse(lines[1]);
  } catch {
    // Not the parser's message: it quotes the text, and logs must not carry record content.
    throw new MalformedWorkError('work message header is not JSON');
  }
  if (typeof header.workflow !== 'string' || !header.source || !Array.isArray(header.items)) {
    throw new MalformedWorkError('work message header does not have the shape {workflow, source, items}');
  }
  let next = 2;
  const items = (header.items as ItemHead[]).map((head): WorkItem => {
    if (head.error !== undefined || head.ref !== undefined || head.keptBy !== undefined || head.text !== undefined) return head as WorkItem;
    if (next >= lines.length) throw new MalformedWorkError('work message has fewer record lines than its header lists');
    const text = lines[next++];
    return head.line === undefined ? { index: head.index, text } : { index: head.index, line: head.line, text };
  });
  if (next !== lines.length) throw new MalformedWorkError('work message has more record lines than its header lists');
  return { workflow: header.workflow, source: header.source as SourceIdentity, items };
}

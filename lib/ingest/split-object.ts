import type { SourceIdentity } from '../naming';
import { sqsSafeRecordText } from '../sqs-text';
import type { CompiledWorkflow } from '../workflow';
import { FirstRecords } from './first-records';
import { OBJECT_TOO_LARGE, ObjectReadError, objectFormat, readObjectRecords, type SourceItem } from './object-records';
import { recordIdOfText } from './record-id-text';
import { type DocumentRecords, streamableRecordsPath, WHOLE_DOCUMENT } from './records-path';
import { encodedItemBytes, type WorkItem, type WorkMessage } from './work-message';

export interface SplitDeps {
  /** Sends work messages to the work queue (resolves once SQS accepted them). */
  send(messages: WorkMessage[]): Promise<void>;
  /** Stores one record's text and returns its s3:// URI. */
  stage(key: string, text: string): Promise<string>;
}

export interface SplitOptions {
  /** Records per work message: bounds the work (and the loop starts) of one consumer invocation. */
  maxItemsPerMessage: number;
  /** Encoded size of a work message's items; a record larger than this alone is staged. */
  maxMessageBytes: number;
  /** Work messages sent per SendMessageBatch round, and rounds in flight. */
  messagesPerSend: number;
  sendsInFlight: number;
}

export const DEFAULT_SPLIT_OPTIONS: SplitOptions = { maxItemsPerMessage: 100, maxMessageBytes: 200_000, messagesPerSend: 10, sendsInFlight: 4 };

export interface SplitReport {
  records: number;
  messages: number;
  staged: number;
  /** Records whose id an earlier record of the object has: each goes out as a DuplicateRecordId. */
  duplicates: number;
  /** Records whose id the splitter could not remember (more distinct ids than FirstRecords holds): the ledger decides for them. */
  idsUnchecked: number;
  /** 1 when a cap per object stopped the reading (the last record sent is its ObjectTooLarge item), else 0: logged with the report. */
  tooLarge: number;
}

/**
 * Streams one S3 object (or event) through the reader and fans its records out to the work queue in
 * messages of at most `maxItemsPerMessage` records and `maxMessageBytes`. Memory stays bounded by the
 * messages in flight, whatever the object's size, and the work of a large file is spread over many
 * consumer invocations. A crash part-way is safe to retry: records keep their index and reviewId.
 */
export async function splitObject(
  body: AsyncIterable<Uint8Array | string>,
  target: { workflow: CompiledWorkflow; source: Extract<SourceIdentity, { type: 's3' }> },
  deps: SplitDeps,
  options: SplitOptions = DEFAULT_SPLIT_OPTIONS,
): Promise<SplitReport> {
  const { workflow, source } = target;
  const packer = new WorkPacker(workflow, source, deps, options);
  const { format, gzip } = objectFormat(source.key, workflow.definition.format);
  if (!format) {
    await packer.add({ index: 0, error: `cannot tell the format of "${source.key}": name it .json or .jsonl (optionally .gz), or set the workflow's format` });
    return packer.finish();
  }
  const { maxRecordsPerObject, maxObjectBytes } = workflow.definition.ingest;
  const reading = {
    format,
    gzip,
    documentRecords: documentRecordsOf(workflow),
    // Only for a `records` expression that cannot be streamed: the document is parsed whole, up to a size that fits memory.
    recordsOf: (document: unknown) => workflow.recordsOf(document),
    ...(maxRecordsPerObject === undefined ? {} : { maxRecords: maxRecordsPerObject }),
    ...(maxObjectBytes === undefined ? {} : { maxObjectBytes }),
  };
  try {
    for await (const batch of readObjectRecords(body, reading)) {
      for (const item of batch) await packer.add(item);
    }
  } catch (error) {
    if (!(error instanceof ObjectReadError)) throw error;
    // The rest of the object cannot be read (corrupt gzip): one `invalid` record says so, where it stopped.
    await packer.add({ index: error.nextIndex, line: error.nextLine, error: `the object cannot be read from here on: ${error.message}` });
  }
  return packer.finish();
}

/** How a JSON document of the workflow is streamed: the records at its `records` path, or the document as the one record; undefined when it must be parsed whole. */
function documentRecordsOf(workflow: CompiledWorkflow): DocumentRecords | undefined {
  const { records } = workflow.definition;
  return records === undefined ? WHOLE_DOCUMENT : streamableRecordsPath(records);
}

class WorkPacker {
  #items: WorkItem[] = [];
  #bytes = 0;
  #ready: WorkMessage[] = [];
  #inFlight = new Set<Promise<void>>();
  #failure: unknown;
  readonly #workflow: string;
  readonly #idOf: ((text: string) => string | undefined) | undefined;
  readonly #firsts = new FirstRecords();
  readonly report: SplitReport = { records: 0, messages: 0, staged: 0, duplicates: 0, idsUnchecked: 0, tooLarge: 0 };

  constructor(
    workflow: CompiledWorkflow,
    private readonly source: Extract<SourceIdentity, { type: 's3' }>,
    private readonly deps: SplitDeps,
    private readonly options: SplitOptions,
  ) {
    this.#workflow = workflow.definition.name;
    this.#idOf = recordIdOfText(workflow);
  }

  async add(read: SourceItem): Promise<void> {
    this.report.records++;
    if ('code' in read && read.code === OBJECT_TOO_LARGE) this.report.tooLarge = 1;
    const item = sqsSafeItem(read);
    let work: WorkItem = this.#duplicate(item) ?? item;
    let bytes = encodedItemBytes(work);
    // A duplicate too large is staged with its id by fitWork, as a duplicate.
    if (bytes > this.options.maxMessageBytes && 'text' in work && !('keptBy' in work)) {
      work = { index: work.index, ...(work.line !== undefined ? { line: work.line } : {}), ref: await this.deps.stage(this.#stagingKey(work.index), work.text) };
      bytes = encodedItemBytes(work);
      this.report.staged++;
    }
    if (this.#items.length === this.options.maxItemsPerMessage || (this.#items.length > 0 && this.#bytes + bytes > this.options.maxMessageBytes)) {
      await this.#seal();
    }
    this.#items.push(work);
    this.#bytes += bytes;
  }

  async finish(): Promise<SplitReport> {
    this.report.idsUnchecked = this.#firsts.unchecked;
    if (this.#items.length > 0) await this.#seal();
    if (this.#ready.length > 0) this.#launch(this.#ready.splice(0));
    await Promise.all(this.#inFlight);
    if (this.#failure) throw this.#failure;
    return this.report;
  }

  async #seal(): Promise<void> {
    this.#ready.push({ workflow: this.#workflow, source: this.source, items: this.#items });
    this.report.messages++;
    this.#items = [];
    this.#bytes = 0;
    if (this.#ready.length < this.options.messagesPerSend) return;
    while (this.#inFlight.size >= this.options.sendsInFlight) await Promise.race(this.#inFlight);
    if (this.#failure) throw this.#failure;
    this.#launch(this.#ready.splice(0));
  }

  #launch(messages: WorkMessage[]): void {
    const sending: Promise<void> = this.deps
      .send(messages)
      .catch((error: unknown) => {
        this.#failure ??= error;
      })
      .finally(() => this.#inFlight.delete(sending));
    this.#inFlight.add(sending);
  }

  /**
   * The item as a duplicate when an earlier record of the object has its id. Records are read in file order
   * here, before any work is sent, so the first line with an id keeps it whatever order the work messages are
   * consumed in, however often they are delivered, and however a retried split goes: the answer depends only
   * on the object's content. (Claiming ids in the ledger would leave it to the consumers' race: a later
   * line's batch can start its loop or send its message before the earlier line's batch arrives.)
   */
  #duplicate(item: SourceItem): WorkItem | undefined {
    if (!this.#idOf || !('text' in item)) return undefined;
    const recordId = this.#idOf(item.text);
    if (recordId === undefined) return undefined;
    const first = this.#firsts.firstOf(recordId, item.line ?? item.index);
    if (first === undefined) return undefined;
    this.report.duplicates++;
    const position = item.line === undefined ? { index: item.index } : { index: item.index, line: item.line };
    return { ...position, recordId, keptBy: item.line === undefined ? { index: first } : { line: first }, text: item.text };
  }

  #stagingKey(index: number): string {
    const version = this.source.versionId ?? this.source.etag ?? 'latest';
    return `staging/${this.#workflow}/${encodeURIComponent(this.source.bucket)}/${encodeURIComponent(this.source.key)}/${encodeURIComponent(version)}/${index}.json`;
  }
}

/**
 * Record text as the work message carries it: SQS-safe. A raw control character is never valid JSON, and
 * SQS cannot carry it, so such a line is invalid here already.
 */
function sqsSafeItem(item: SourceItem): SourceItem {
  if (!('text' in item)) return item;
  const safe = sqsSafeRecordText(item.text);
  const position = { index: item.index, ...(item.line !== undefined ? { line: item.line } : {}) };
  if ('controlColumn' in safe) return { ...position, error: `not valid JSON: raw control character at column ${safe.controlColumn}` };
  return safe.text === item.text ? item : { ...position, text: safe.text };
}

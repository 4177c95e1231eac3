import { TextDecoder } from 'node:util';
import { createGunzip, type Gunzip } from 'node:zlib';
import { ByteAccumulator } from './byte-accumulator';
import { JsonDocumentStream } from './json-document-stream';
import type { DocumentRecords } from './records-path';

/**
 * Reading a model-output object (an S3 GetObject body, or any byte stream) as a stream of records.
 *
 * Objects are split as they arrive, so a 1 GB object is read with a small, constant amount of memory: only
 * the record in progress is kept, and never more than `maxRecordBytes` of it. JSON Lines are split on
 * newlines; a JSON document is tokenized as it streams when its records are at a path of plain fields
 * (`documentRecords`), and parsed whole, up to `maxDocumentBytes`, only for other `records` expressions.
 * Every object is read up to `maxRecords` records and `maxObjectBytes` (decompressed) bytes: past either,
 * the rest is not read and one error item (code ObjectTooLarge) stands for it. Records are handed over as
 * text: parsing and validating them is the consumer's job, which turns a record that is not JSON into an
 * `invalid` outcome.
 */

export type RecordFormat = 'json' | 'jsonl';

/** One record of an object: its text (one JSON value, not yet parsed), or why it cannot be read (`code`: the failure code, UnreadableRecord when absent). */
export type SourceItem = { index: number; line?: number; text: string } | { index: number; line?: number; error: string; code?: ObjectFailureCode };

/** The failure code of an object read only up to a cap: the records from the item's position on were not read. */
export const OBJECT_TOO_LARGE = 'ObjectTooLarge';
export type ObjectFailureCode = typeof OBJECT_TOO_LARGE;

export interface ReadOptions {
  format: RecordFormat;
  /** Gunzip the stream first. */
  gzip: boolean;
  /** For json, streamed: where the records are (see records-path.ts), or the document as its one record. Takes precedence over recordsOf. */
  documentRecords?: DocumentRecords;
  /** For json, parsed whole (up to maxDocumentBytes): the records inside the parsed document (a workflow's `records` JMESPath); undefined (and no documentRecords) = the document is one record, its own text. Returns undefined when the path does not yield an array. */
  recordsOf?: (document: unknown) => unknown[] | undefined;
  /** The largest record (JSON Lines line without its line ending, or a streamed document's record) that is read; a larger one is an error item. */
  maxRecordBytes?: number;
  /** json parsed whole only: the largest document that is read; a larger one is an error item. */
  maxDocumentBytes?: number;
  /** Records read from one object: the next one and the rest are one ObjectTooLarge item instead. */
  maxRecords?: number;
  /** Bytes read from one object (after gunzip): the records not complete within them are one ObjectTooLarge item. */
  maxObjectBytes?: number;
}

export const DEFAULT_MAX_RECORD_BYTES = 32 * 1024 * 1024;
/**
 * A document parsed whole costs about 5 times its size at the peak (the bytes, the text, the parsed values,
 * the records' text): 64 MiB stays within ingestS3Object's 1,024 MB with room to spare (bench: ingest.peak_rss_mb_json_64mib_whole).
 */
export const DEFAULT_MAX_DOCUMENT_BYTES = 64 * 1024 * 1024;
/** Per object, overridable by a workflow's ingest.maxRecordsPerObject (see README, Ingest limits). */
export const DEFAULT_MAX_RECORDS = 2_000_000;
/** Per object, decompressed, overridable by a workflow's ingest.maxObjectBytes (see README, Ingest limits). */
export const DEFAULT_MAX_OBJECT_BYTES = 2 * 1024 ** 3;

/** Where reading stopped: the index (and, for JSON Lines, the line) of the first record not yielded. */
export interface ReadPosition {
  nextIndex: number;
  nextLine?: number;
}

/** The object's stream itself is unreadable (e.g. corrupt or truncated gzip): the records before `nextIndex` were yielded. */
export class ObjectReadError extends Error {
  override readonly name = 'ObjectReadError';
  readonly nextIndex: number;
  readonly nextLine?: number;

  constructor(reason: string, position: ReadPosition, options?: ErrorOptions) {
    const line = position.nextLine === undefined ? '' : ` (line ${position.nextLine})`;
    super(`the object is unreadable from record ${position.nextIndex}${line}: ${reason}`, options);
    this.nextIndex = position.nextIndex;
    this.nextLine = position.nextLine;
  }
}

/** Yields the records in order, in batches (the items completed by each chunk read), never an empty batch. */
export async function* readObjectRecords(body: AsyncIterable<Uint8Array | string>, options: ReadOptions): AsyncGenerator<SourceItem[]> {
  const settings = withDefaults(options);
  const bytes = asBuffers(body);
  const cut: Cut = { reached: false, tooLarge: (position) => tooLargeItem(position, `the object is larger than ${settings.maxObjectBytes} bytes${settings.gzip ? ' gunzipped' : ''}`) };
  const chunks = withoutLeadingBom(upTo(settings.gzip ? gunzipped(bytes) : bytes, settings.maxObjectBytes, cut));
  if (settings.format === 'jsonl') yield* withRecordLimit(readJsonLines(chunks, settings.maxRecordBytes, cut), settings.maxRecords);
  else yield* withRecordLimit(readJsonDocument(chunks, settings, cut), settings.maxRecords);
}

/** The format for an object key: by suffix after an optional `.gz` (`.jsonl`/`.ndjson` → jsonl, `.json` → json), else `fallback`, else undefined. Also returns whether it is gzip. */
export function objectFormat(key: string, fallback?: RecordFormat): { format?: RecordFormat; gzip: boolean } {
  // Suffixes are matched case-insensitively: `REPORT.JSONL` is as much JSON Lines as `report.jsonl`.
  const name = key.toLowerCase();
  const gzip = name.endsWith(GZIP_SUFFIX);
  const inner = gzip ? name.slice(0, -GZIP_SUFFIX.length) : name;
  const known = FORMAT_SUFFIXES.find(([suffix]) => inner.endsWith(suffix));
  return { format: known?.[1] ?? fallback, gzip };
}

const GZIP_SUFFIX = '.gz';
const FORMAT_SUFFIXES: ReadonlyArray<readonly [string, RecordFormat]> = [
  ['.jsonl', 'jsonl'],
  ['.ndjson', 'jsonl'],
  ['.json', 'json'],
];

type Settings = Required<Omit<ReadOptions, 'recordsOf' | 'documentRecords'>> & Pick<ReadOptions, 'recordsOf' | 'documentRecords'>;

function withDefaults(options: ReadOptions): Settings {
  const settings: Settings = {
    format: options.format,
    gzip: options.gzip,
    documentRecords: options.documentRecords,
    recordsOf: options.recordsOf,
    maxRecordBytes: options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES,
    maxDocumentBytes: options.maxDocumentBytes ?? DEFAULT_MAX_DOCUMENT_BYTES,
    maxRecords: options.maxRecords ?? DEFAULT_MAX_RECORDS,
    maxObjectBytes: options.maxObjectBytes ?? DEFAULT_MAX_OBJECT_BYTES,
  };
  if (settings.format !== 'json' && settings.format !== 'jsonl') throw new RangeError(`format must be 'json' or 'jsonl', not ${String(settings.format)}`);
  assertPositiveInteger('maxRecordBytes', settings.maxRecordBytes);
  assertPositiveInteger('maxDocumentBytes', settings.maxDocumentBytes);
  assertPositiveInteger('maxRecords', settings.maxRecords);
  assertPositiveInteger('maxObjectBytes', settings.maxObjectBytes);
  return settings;
}

function assertPositiveInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, not ${value}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Byte stages: the body as Buffers, gunzipped when asked, without the object's leading byte order mark.

async function* asBuffers(body: AsyncIterable<Uint8Array | string>): AsyncGenerator<Buffer> {
  for await (const chunk of body) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (bytes.length > 0) yield bytes;
  }
}

/** An error of the gunzip stream (the data is corrupt), as opposed to an error of the body it reads (the network). */
class GunzipFailure extends Error {
  override readonly name = 'GunzipFailure';
}

/**
 * The gunzipped bytes. The body is written into the gunzip stream by a separate loop that respects its
 * back-pressure, so at most a few chunks are in flight. An error of the body is rethrown as it is (the caller
 * may retry); an error of the gunzip stream becomes a GunzipFailure.
 */
async function* gunzipped(compressed: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const gunzip = createGunzip();
  const body = { failed: false, error: undefined as unknown };
  void feed(compressed, gunzip, body);
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) yield chunk;
  } catch (error) {
    if (body.failed && error === body.error) throw error;
    throw new GunzipFailure(error instanceof Error ? error.message : String(error), { cause: error });
  } finally {
    // Stops the feeding loop too (it checks `destroyed`), and with it the reading of the body.
    gunzip.destroy();
  }
}

/** Never rejects: a body error is handed to the gunzip stream (and so to its reader) and noted in `body`. */
async function feed(compressed: AsyncIterable<Buffer>, gunzip: Gunzip, body: { failed: boolean; error: unknown }): Promise<void> {
  try {
    for await (const chunk of compressed) {
      if (gunzip.destroyed) return;
      if (!gunzip.write(chunk)) await drainedOrClosed(gunzip);
      if (gunzip.destroyed) return;
    }
    if (!gunzip.destroyed) gunzip.end();
  } catch (error) {
    const failure = error instanceof Error ? error : new Error(String(error));
    body.failed = true;
    body.error = failure;
    gunzip.destroy(failure);
  }
}

/** Waits for room in the gunzip stream, or for its end (an error or the reader stopping): `drain` alone could wait forever. */
function drainedOrClosed(gunzip: Gunzip): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      gunzip.off('drain', done);
      gunzip.off('close', done);
      resolve();
    };
    gunzip.on('drain', done);
    gunzip.on('close', done);
  });
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** Drops a UTF-8 byte order mark at the very start of the object, even when it arrives split over several chunks. */
async function* withoutLeadingBom(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let head: Buffer | undefined = Buffer.alloc(0); // the object's first bytes, while they may still be a BOM
  for await (const chunk of chunks) {
    if (head === undefined) {
      yield chunk;
      continue;
    }
    const start: Buffer = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
    if (start.length < BOM.length && BOM.subarray(0, start.length).equals(start)) {
      head = start;
      continue;
    }
    head = undefined;
    const rest = start.subarray(0, BOM.length).equals(BOM) ? start.subarray(BOM.length) : start;
    if (rest.length > 0) yield rest;
  }
  // An object shorter than a BOM whose bytes are the BOM's start (e.g. EF BB): not a BOM, so they are content.
  if (head !== undefined && head.length > 0) yield head;
}

// ---------------------------------------------------------------------------------------------------------------
// Caps: the bytes and records read from one object.

/** Whether the byte cap cut the object short, and the item that then stands for the records not read. */
interface Cut {
  reached: boolean;
  tooLarge(position: ReadPosition): SourceItem;
}

function tooLargeItem(position: ReadPosition, why: string): SourceItem {
  return {
    index: position.nextIndex,
    ...(position.nextLine === undefined ? {} : { line: position.nextLine }),
    code: OBJECT_TOO_LARGE,
    error: `${why}: this record and the rest of the object are not read`,
  };
}

/**
 * The first `limit` bytes of the stream. Returning stops the reading of the body (and of the gunzip stream),
 * so what lies past the cap is never downloaded or inflated: 329 bytes of gzip cannot become gigabytes of work.
 */
async function* upTo(chunks: AsyncIterable<Buffer>, limit: number, cut: Cut): AsyncGenerator<Buffer> {
  let left = limit;
  for await (const chunk of chunks) {
    if (chunk.length > left) {
      if (left > 0) yield chunk.subarray(0, left);
      cut.reached = true;
      return;
    }
    left -= chunk.length;
    yield chunk;
  }
}

/** At most `limit` records; the one after them stands, as an ObjectTooLarge item, for itself and the rest, which are not read. */
async function* withRecordLimit(batches: AsyncGenerator<SourceItem[]>, limit: number): AsyncGenerator<SourceItem[]> {
  let left = limit;
  for await (const batch of batches) {
    if (batch.length <= left) {
      left -= batch.length;
      yield batch;
      continue;
    }
    if (left > 0) yield batch.slice(0, left);
    const first = batch[left];
    yield [tooLargeItem({ nextIndex: first.index, nextLine: first.line }, `the object has more than ${limit} records`)];
    return;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// JSON Lines.

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/** JSON's whitespace (RFC 8259): a line of only these holds no record. */
function isBlank(bytes: Buffer): boolean {
  for (let at = 0; at < bytes.length; at += 1) {
    // Stops at the first other byte, which for a record is its first byte: this is not a scan of every line.
    const byte = bytes[at];
    if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== CARRIAGE_RETURN) return false;
  }
  return true;
}

function withoutCarriageReturn(line: Buffer): Buffer {
  return line.length > 0 && line[line.length - 1] === CARRIAGE_RETURN ? line.subarray(0, -1) : line;
}

/**
 * Splits JSON Lines arriving in chunks of any size. A line inside one chunk is decoded where it lies; only the
 * unfinished tail of a chunk is copied aside, and once a line grows past the limit its bytes are dropped as
 * they arrive until its newline, so memory stays bounded by `maxRecordBytes` whatever the input.
 */
class JsonLinesSplitter {
  private readonly partial: ByteAccumulator;
  private oversized = false;
  private lineNumber = 1;
  private index = 0;
  // fatal: invalid UTF-8 is an error item, not U+FFFD in the record. ignoreBOM: only the object's own leading BOM is dropped.
  private readonly decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

  constructor(private readonly maxRecordBytes: number) {
    // One byte more than a record: a line's `\r` is known to be its last byte only when the `\n` arrives.
    this.partial = new ByteAccumulator(maxRecordBytes + 1);
  }

  /** Where the line in progress starts: what has not been yielded yet. */
  get position(): ReadPosition {
    return { nextIndex: this.index, nextLine: this.lineNumber };
  }

  /** The items of the lines this chunk completes. */
  push(chunk: Buffer): SourceItem[] {
    const items: SourceItem[] = [];
    let start = 0;
    for (let newline = chunk.indexOf(NEWLINE); newline !== -1; newline = chunk.indexOf(NEWLINE, start)) {
      const item = this.completeLine(chunk.subarray(start, newline));
      if (item) items.push(item);
      start = newline + 1;
    }
    this.keep(chunk.subarray(start));
    return items;
  }

  /** The item of a last line that has no newline (perhaps a truncated record: the consumer finds it is not JSON). */
  end(): SourceItem[] {
    if (!this.oversized && this.partial.length === 0) return [];
    const item = this.completeLine(Buffer.alloc(0));
    return item ? [item] : [];
  }

  private keep(bytes: Buffer): void {
    if (this.oversized || bytes.length === 0) return;
    if (!this.partial.append(bytes)) {
      this.oversized = true;
      this.partial.clear();
    }
  }

  private completeLine(tail: Buffer): SourceItem | undefined {
    let line: Buffer | undefined = tail;
    if (this.oversized || this.partial.length > 0) {
      this.keep(tail);
      line = this.oversized ? undefined : this.partial.bytes();
    }
    const item = line === undefined ? this.tooLarge() : this.lineItem(withoutCarriageReturn(line));
    this.partial.clear();
    this.oversized = false;
    this.lineNumber += 1;
    return item;
  }

  private lineItem(bytes: Buffer): SourceItem | undefined {
    if (bytes.length > this.maxRecordBytes) return this.tooLarge();
    if (isBlank(bytes)) return undefined;
    const line = this.lineNumber;
    const text = decodeUtf8(this.decoder, bytes);
    const index = this.index++;
    return text === undefined ? { index, line, error: `line ${line} is not valid UTF-8` } : { index, line, text };
  }

  private tooLarge(): SourceItem {
    return { index: this.index++, line: this.lineNumber, error: `line ${this.lineNumber} is larger than ${this.maxRecordBytes} bytes` };
  }
}

async function* readJsonLines(chunks: AsyncIterable<Buffer>, maxRecordBytes: number, cut: Cut): AsyncGenerator<SourceItem[]> {
  const splitter = new JsonLinesSplitter(maxRecordBytes);
  try {
    for await (const chunk of chunks) {
      const items = splitter.push(chunk);
      if (items.length > 0) yield items;
    }
  } catch (error) {
    throw asObjectReadError(error, splitter.position);
  }
  // Cut short: the line in progress is not the object's last line, and not read.
  const last = cut.reached ? [cut.tooLarge(splitter.position)] : splitter.end();
  if (last.length > 0) yield last;
}

// ---------------------------------------------------------------------------------------------------------------
// JSON documents.

/** Records of a document are yielded in batches of this many, each stringified only when its batch is asked for. */
const DOCUMENT_BATCH_SIZE = 1000;

function readJsonDocument(chunks: AsyncIterable<Buffer>, settings: Settings, cut: Cut): AsyncGenerator<SourceItem[]> {
  return settings.documentRecords === undefined ? readWholeDocument(chunks, settings, cut) : streamJsonDocument(chunks, settings.documentRecords, settings.maxRecordBytes, cut);
}

async function* streamJsonDocument(chunks: AsyncIterable<Buffer>, records: DocumentRecords, maxRecordBytes: number, cut: Cut): AsyncGenerator<SourceItem[]> {
  const stream = new JsonDocumentStream(records, maxRecordBytes);
  try {
    for await (const chunk of chunks) {
      const items = stream.push(chunk);
      if (items.length > 0) yield items;
      // The rest of the document is unreadable (its error item was yielded): returning stops the download.
      if (stream.failed) return;
    }
  } catch (error) {
    throw asObjectReadError(error, { nextIndex: stream.nextIndex });
  }
  const last = cut.reached ? [cut.tooLarge({ nextIndex: stream.nextIndex })] : stream.end();
  if (last.length > 0) yield last;
}

async function* readWholeDocument(chunks: AsyncIterable<Buffer>, settings: Settings, cut: Cut): AsyncGenerator<SourceItem[]> {
  const document = new ByteAccumulator(settings.maxDocumentBytes);
  try {
    for await (const chunk of chunks) {
      if (!document.append(chunk)) {
        // Returning stops the reading: the rest of the object is never downloaded.
        const streamable = settings.recordsOf ? ' or a `records` path of plain fields (items, data.records, items[*]), which is streamed' : '';
        yield [{ index: 0, code: OBJECT_TOO_LARGE, error: `document is larger than ${settings.maxDocumentBytes} bytes; use JSON Lines for large inputs${streamable}` }];
        return;
      }
    }
  } catch (error) {
    throw asObjectReadError(error, { nextIndex: 0 });
  }
  if (cut.reached) {
    yield [cut.tooLarge({ nextIndex: 0 })];
    return;
  }
  yield* documentRecords(document.bytes(), settings.recordsOf);
}

function* documentRecords(bytes: Buffer, recordsOf: ReadOptions['recordsOf']): Generator<SourceItem[]> {
  const parsed = parseDocument(bytes);
  if (parsed.kind === 'empty') return;
  if (parsed.kind === 'unreadable') {
    yield [{ index: 0, error: parsed.error }];
    return;
  }
  if (!recordsOf) {
    // The document's own text, not a re-serialisation: the consumer sees exactly what the model wrote.
    yield [{ index: 0, text: parsed.text }];
    return;
  }
  const records = recordsOf(parsed.document);
  if (records === undefined) yield [{ index: 0, error: 'records path did not yield an array' }];
  else yield* inBatches(records);
}

type ParsedDocument = { kind: 'empty' } | { kind: 'unreadable'; error: string } | { kind: 'parsed'; text: string; document: unknown };

function parseDocument(bytes: Buffer): ParsedDocument {
  const text = decodeUtf8(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }), bytes);
  if (text === undefined) return { kind: 'unreadable', error: 'document is not valid UTF-8' };
  if (/^[ \t\r\n]*$/.test(text)) return { kind: 'empty' };
  try {
    return { kind: 'parsed', text, document: JSON.parse(text) };
  } catch (error) {
    return { kind: 'unreadable', error: `not valid JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
}

function* inBatches(records: unknown[]): Generator<SourceItem[]> {
  for (let start = 0; start < records.length; start += DOCUMENT_BATCH_SIZE) {
    yield records.slice(start, start + DOCUMENT_BATCH_SIZE).map((record, offset) => recordItem(start + offset, record));
  }
}

/** A record of a parsed document as text; one nested too deeply to serialise is that record's problem, not the object's. */
function recordItem(index: number, record: unknown): SourceItem {
  try {
    return { index, text: JSON.stringify(record) };
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    return { index, error: `the record is nested too deeply to process (${error.message})` };
  }
}

// ---------------------------------------------------------------------------------------------------------------

/** The text, or undefined when the bytes are not valid UTF-8. */
function decodeUtf8(decoder: TextDecoder, bytes: Buffer): string | undefined {
  try {
    return decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

/** A gunzip failure becomes an ObjectReadError at the position reached; any other error (the body's) passes as it is. */
function asObjectReadError(error: unknown, position: ReadPosition): unknown {
  return error instanceof GunzipFailure ? new ObjectReadError(`not valid gzip: ${error.message}`, position, { cause: error.cause }) : error;
}

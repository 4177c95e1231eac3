import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import {
  DEFAULT_MAX_DOCUMENT_BYTES,
  DEFAULT_MAX_RECORD_BYTES,
  DEFAULT_MAX_RECORDS,
  ObjectReadError,
  objectFormat,
  readObjectRecords,
  type ReadOptions,
  type SourceItem,
} from '../../lib/ingest/object-records';

const fixtures = join(__dirname, '..', 'fixtures', 'objects');
const MiB = 1024 * 1024;
const JSONL: ReadOptions = { format: 'jsonl', gzip: false };
const JSON_DOCUMENT: ReadOptions = { format: 'json', gzip: false };

type Chunk = string | Uint8Array;

/** A body that hands over the given chunks one by one, as a network stream would. */
async function* body(...chunks: Chunk[]): AsyncGenerator<Chunk> {
  for (const chunk of chunks) yield chunk;
}

/** The bytes cut into chunks of `size` bytes: chunk boundaries fall anywhere, even inside a character. */
function inChunks(bytes: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let start = 0; start < bytes.length; start += size) chunks.push(bytes.subarray(start, start + size));
  return chunks;
}

async function batchesOf(source: AsyncIterable<Chunk>, options: ReadOptions): Promise<SourceItem[][]> {
  const batches: SourceItem[][] = [];
  for await (const batch of readObjectRecords(source, options)) batches.push(batch);
  return batches;
}

async function itemsOf(source: AsyncIterable<Chunk>, options: ReadOptions): Promise<SourceItem[]> {
  return (await batchesOf(source, options)).flat();
}

/** The items read before the reading failed, and the failure. */
async function readUntilFailure(source: AsyncIterable<Chunk>, options: ReadOptions): Promise<{ items: SourceItem[]; error: unknown }> {
  const items: SourceItem[] = [];
  try {
    for await (const batch of readObjectRecords(source, options)) items.push(...batch);
  } catch (error) {
    return { items, error };
  }
  throw new Error(`expected the reading to fail; it yielded ${items.length} items`);
}

function textsOf(items: SourceItem[]): string[] {
  return items.map((item) => ('text' in item ? item.text : `error: ${item.error}`));
}

function jsonLines(count: number, from = 0): string {
  return Array.from({ length: count }, (_, offset) => `{"id":"rec-${from + offset}","confidence":0.${(from + offset) % 10}}\n`).join('');
}

describe('readObjectRecords: JSON Lines', () => {
  test('yields one item per line with its index and line number, in a batch per chunk that completes lines', async () => {
    // Prepare
    const source = body('{"a":1}\n{"b"', ':2}\n{"c"', ':3}\n{"d":4}');

    // Act
    const batches = await batchesOf(source, JSONL);

    // Assess
    expect(batches).toEqual([
      [{ index: 0, line: 1, text: '{"a":1}' }],
      [{ index: 1, line: 2, text: '{"b":2}' }],
      [{ index: 2, line: 3, text: '{"c":3}' }],
      [{ index: 3, line: 4, text: '{"d":4}' }],
    ]);
  });

  test('never yields an empty batch: chunks that complete no line yield nothing', async () => {
    const batches = await batchesOf(body('{"a"', ':', '1', '}', '\n', '   ', '\n'), JSONL);

    expect(batches).toEqual([[{ index: 0, line: 1, text: '{"a":1}' }]]);
  });

  test('removes the carriage return of CRLF line endings', async () => {
    const items = await itemsOf(body('{"a":1}\r\n{"b":"x\\r"}\r\n{"c":3}\r'), JSONL);

    expect(items).toEqual([
      { index: 0, line: 1, text: '{"a":1}' },
      { index: 1, line: 2, text: '{"b":"x\\r"}' },
      { index: 2, line: 3, text: '{"c":3}' },
    ]);
  });

  test('skips whitespace-only lines: they use a line number but no index', async () => {
    const items = await itemsOf(body('{"a":1}\n\n   \n\t \r\n{"b":2}\n\n'), JSONL);

    expect(items).toEqual([
      { index: 0, line: 1, text: '{"a":1}' },
      { index: 1, line: 5, text: '{"b":2}' },
    ]);
  });

  test('reads a fixture object with a blank line', async () => {
    const items = await itemsOf(body(readFileSync(join(fixtures, 'predictions.jsonl'))), JSONL);

    expect(items.map((item) => [item.index, item.line])).toEqual([
      [0, 1],
      [1, 3],
      [2, 4],
    ]);
    expect(textsOf(items).map((text) => JSON.parse(text).id)).toEqual(['a-1', 'a-2', 'a-3']);
  });

  test("drops the byte order mark at the object's very start, even split over 1-byte chunks, and only there", async () => {
    // Prepare
    const object = Buffer.from('\uFEFF{"a":1}\n\uFEFF{"b":2}\n', 'utf8');

    // Act
    const items = await itemsOf(body(...inChunks(object, 1)), JSONL);

    // Assess: a BOM inside the object is content, which the consumer will find is not JSON.
    expect(textsOf(items)).toEqual(['{"a":1}', '\uFEFF{"b":2}']);
  });

  test('keeps the bytes of a short object that only look like the start of a BOM', async () => {
    const items = await itemsOf(body(Buffer.from([0xef, 0xbb])), JSONL);

    expect(items).toEqual([{ index: 0, line: 1, error: 'line 1 is not valid UTF-8' }]);
  });

  test('an invalid UTF-8 line is an error item and the lines after it are still read', async () => {
    // Prepare
    const object = Buffer.concat([Buffer.from('{"a":1}\n{"b":"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}\n{"c":3}\n')]);

    // Act
    const items = await itemsOf(body(object), JSONL);

    // Assess
    expect(items).toEqual([
      { index: 0, line: 1, text: '{"a":1}' },
      { index: 1, line: 2, error: 'line 2 is not valid UTF-8' },
      { index: 2, line: 3, text: '{"c":3}' },
    ]);
  });

  test('decodes multibyte characters split across chunk boundaries', async () => {
    // Prepare
    const lines = ['{"vendor":"Zürich Café"}', '{"text":"日本語のテキスト"}', '{"emoji":"🧾✅👩🏽‍💻"}'];
    const object = Buffer.from(`${lines.join('\n')}\n`, 'utf8');

    // Act
    const items = await itemsOf(body(...inChunks(object, 1)), JSONL);

    // Assess
    expect(textsOf(items)).toEqual(lines);
  });

  test('accepts a Readable and string chunks', async () => {
    const items = await itemsOf(Readable.from(['{"a":1}\n{"b"', ':"é"}\n']), JSONL);

    expect(textsOf(items)).toEqual(['{"a":1}', '{"b":"é"}']);
  });

  test('reads a 10 MB line that arrives in many chunks when it is within maxRecordBytes', async () => {
    // Prepare
    const long = `{"blob":"${'x'.repeat(10 * MiB)}"}`;
    const object = Buffer.from(`{"a":1}\n${long}\n{"c":3}\n`);

    // Act
    const items = await itemsOf(body(...inChunks(object, 64 * 1024)), { ...JSONL, maxRecordBytes: 16 * MiB });

    // Assess
    expect(items).toHaveLength(3);
    expect(items[1]).toEqual({ index: 1, line: 2, text: long });
    expect(textsOf([items[0], items[2]])).toEqual(['{"a":1}', '{"c":3}']);
  });

  test('a 10 MB line over maxRecordBytes is an error item and the lines after it are still read', async () => {
    // Prepare
    const object = Buffer.from(`{"a":1}\n{"blob":"${'x'.repeat(10 * MiB)}"}\n{"c":3}\n`);

    // Act
    const items = await itemsOf(body(...inChunks(object, 64 * 1024)), { ...JSONL, maxRecordBytes: MiB });

    // Assess
    expect(items).toEqual([
      { index: 0, line: 1, text: '{"a":1}' },
      { index: 1, line: 2, error: `line 2 is larger than ${MiB} bytes` },
      { index: 2, line: 3, text: '{"c":3}' },
    ]);
  });

  test('maxRecordBytes counts the record without its line ending, in one chunk or split across chunks', async () => {
    // Prepare: 10-byte records (the second with a CRLF ending, the last without a newline) and an 11-byte one.
    const object = Buffer.from('"12345678"\n"abcdefgh"\r\n"123456789"\n"lastline"');
    const options: ReadOptions = { ...JSONL, maxRecordBytes: 10 };

    // Act
    const whole = await itemsOf(body(object), options);
    const split = await itemsOf(body(...inChunks(object, 1)), options);

    // Assess
    const expected = [
      { index: 0, line: 1, text: '"12345678"' },
      { index: 1, line: 2, text: '"abcdefgh"' },
      { index: 2, line: 3, error: 'line 3 is larger than 10 bytes' },
      { index: 3, line: 4, text: '"lastline"' },
    ];
    expect(whole).toEqual(expected);
    expect(split).toEqual(expected);
  });

  test('an oversized last line without a newline is an error item too', async () => {
    const items = await itemsOf(body('{"a":1}\n', '"0123456789', 'abcdef'), { ...JSONL, maxRecordBytes: 10 });

    expect(items).toEqual([
      { index: 0, line: 1, text: '{"a":1}' },
      { index: 1, line: 2, error: 'line 2 is larger than 10 bytes' },
    ]);
  });

  test('an oversized line is discarded as it streams, not buffered', async () => {
    // Prepare: a 256 MiB line, handed over as views of one 1 MiB buffer, so the source itself costs no memory.
    const block = Buffer.alloc(MiB, 'x');
    const baseline = process.memoryUsage().arrayBuffers;
    let peak = baseline;
    async function* hugeLine(): AsyncGenerator<Buffer> {
      yield Buffer.from('{"a":1}\n');
      for (let count = 0; count < 256; count += 1) {
        peak = Math.max(peak, process.memoryUsage().arrayBuffers);
        yield block.subarray(0);
      }
      yield Buffer.from('\n{"c":3}\n');
    }

    // Act
    const items = await itemsOf(hugeLine(), { ...JSONL, maxRecordBytes: MiB });
    peak = Math.max(peak, process.memoryUsage().arrayBuffers);

    // Assess: buffering the line would take at least 256 MiB; the margin makes this deterministic, not noisy.
    expect(textsOf(items)).toEqual(['{"a":1}', `error: line 2 is larger than ${MiB} bytes`, '{"c":3}']);
    expect(peak - baseline).toBeLessThan(32 * MiB);
  });

  test('yields a last line without a newline, even a truncated one: the consumer finds it is not JSON', async () => {
    const items = await itemsOf(body('{"a":1}\n{"b":2}\n{"c":'), JSONL);

    expect(items).toEqual([
      { index: 0, line: 1, text: '{"a":1}' },
      { index: 1, line: 2, text: '{"b":2}' },
      { index: 2, line: 3, text: '{"c":' },
    ]);
  });

  test.each([
    ['no chunks', []],
    ['an empty chunk', ['']],
    ['only whitespace lines', ['\n  \r\n', '\t\n', ' ']],
    ['only a byte order mark', ['\uFEFF']],
  ])('an empty object (%s) has no records', async (_name, chunks) => {
    const batches = await batchesOf(body(...chunks), JSONL);

    expect(batches).toEqual([]);
  });

  test('streams ~50 MB of generated JSON Lines', async () => {
    // Prepare: the object is generated chunk by chunk, never held whole.
    const linesPerChunk = 500;
    const chunkCount = 600;
    function* generated(): Generator<Buffer> {
      for (let chunk = 0; chunk < chunkCount; chunk += 1) {
        let text = '';
        for (let line = 0; line < linesPerChunk; line += 1) {
          text += `{"id":"rec-${chunk}-${line}","label":"ok","confidence":0.${line % 97},"note":"${'n'.repeat(120)}"}\n`;
        }
        yield Buffer.from(text);
      }
    }
    let count = 0;
    let lastIndex = -1;

    // Act
    for await (const batch of readObjectRecords(Readable.from(generated()), JSONL)) {
      count += batch.length;
      lastIndex = batch[batch.length - 1].index;
    }

    // Assess
    expect(count).toBe(linesPerChunk * chunkCount);
    expect(lastIndex).toBe(count - 1);
  });

  test('uses a 32 MiB record limit by default', () => {
    expect(DEFAULT_MAX_RECORD_BYTES).toBe(32 * MiB);
  });

  test('rejects a limit that is not a positive integer', async () => {
    await expect(itemsOf(body('{}\n'), { ...JSONL, maxRecordBytes: 0 })).rejects.toThrow(RangeError);
  });
});

describe('readObjectRecords: gzip', () => {
  test('gunzips the object first', async () => {
    // Prepare
    const object = gzipSync(Buffer.from(`\uFEFF${jsonLines(1000)}`));

    // Act
    const items = await itemsOf(body(...inChunks(object, 100)), { format: 'jsonl', gzip: true });

    // Assess
    expect(items).toHaveLength(1000);
    expect(items[0]).toEqual({ index: 0, line: 1, text: '{"id":"rec-0","confidence":0.0}' });
    expect(items[999]).toEqual({ index: 999, line: 1000, text: '{"id":"rec-999","confidence":0.9}' });
  });

  test('gunzips a JSON document', async () => {
    const object = gzipSync(readFileSync(join(fixtures, 'invoices.json')));

    const items = await itemsOf(body(object), { format: 'json', gzip: true, recordsOf: (document) => (document as { records: unknown[] }).records });

    expect(items.map((item) => item.index)).toEqual([0, 1, 2]);
  });

  test('a truncated gzip stream throws ObjectReadError where reading stopped, after yielding the records before it', async () => {
    // Prepare: lines that do not compress to nothing, cut in the middle of the compressed stream.
    const lines = Array.from({ length: 20000 }, (_, index) => `{"id":"rec-${index}","hash":"${((index * 2654435761) >>> 0).toString(36)}"}\n`).join('');
    const compressed = gzipSync(Buffer.from(lines));
    const truncated = compressed.subarray(0, Math.floor(compressed.length / 2));

    // Act
    const { items, error } = await readUntilFailure(body(...inChunks(truncated, 4096)), { format: 'jsonl', gzip: true });

    // Assess
    expect(items.length).toBeGreaterThan(1000);
    expect(items.map((item) => item.index)).toEqual(items.map((_, position) => position));
    expect(error).toBeInstanceOf(ObjectReadError);
    expect(error).toMatchObject({ name: 'ObjectReadError', nextIndex: items.length, nextLine: items.length + 1 });
  });

  test('corrupt gzip data throws ObjectReadError', async () => {
    // Prepare: a valid start, then a corrupted deflate stream.
    const compressed = Buffer.from(gzipSync(Buffer.from(jsonLines(5000))));
    compressed.fill(0xff, 200, 260);

    // Act
    const { error } = await readUntilFailure(body(compressed), { format: 'jsonl', gzip: true });

    // Assess
    expect(error).toBeInstanceOf(ObjectReadError);
    expect((error as ObjectReadError).message).toMatch(/not valid gzip/);
  });

  test('an object that is not gzip at all throws ObjectReadError before any record', async () => {
    const { items, error } = await readUntilFailure(body('{"a":1}\n'), { format: 'json', gzip: true });

    expect(items).toEqual([]);
    expect(error).toMatchObject({ name: 'ObjectReadError', nextIndex: 0, nextLine: undefined });
  });

  test.each([false, true])('an error of the body itself (gzip: %s) is rethrown as it is, for the caller to retry', async (gzip) => {
    // Prepare
    const networkError = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const firstPart = Buffer.from(jsonLines(100));
    async function* failingBody(): AsyncGenerator<Buffer> {
      yield gzip ? gzipSync(firstPart).subarray(0, 200) : firstPart;
      throw networkError;
    }

    // Act
    const { error } = await readUntilFailure(failingBody(), { format: 'jsonl', gzip });

    // Assess
    expect(error).toBe(networkError);
  });

  test('stopping early stops reading the body', async () => {
    // Prepare
    let closeBody!: () => void;
    const bodyClosed = new Promise<void>((resolve) => (closeBody = resolve));
    const chunks = inChunks(gzipSync(Buffer.from(jsonLines(50000))), 1024);
    let pulled = 0;
    async function* watchedBody(): AsyncGenerator<Buffer> {
      try {
        for (const chunk of chunks) {
          pulled += 1;
          yield chunk;
        }
      } finally {
        closeBody();
      }
    }

    // Act
    for await (const batch of readObjectRecords(watchedBody(), { format: 'jsonl', gzip: true })) {
      expect(batch.length).toBeGreaterThan(0);
      break;
    }
    await bodyClosed;

    // Assess
    expect(pulled).toBeLessThan(chunks.length);
  });
});

describe('readObjectRecords: JSON documents', () => {
  const recordsOf = (document: unknown): unknown[] | undefined => {
    const records = (document as { records?: unknown } | null)?.records;
    return Array.isArray(records) ? records : undefined;
  };

  test('yields one item per element of the records path, as JSON text', async () => {
    // Prepare
    const object = readFileSync(join(fixtures, 'invoices.json'));
    const expected = (JSON.parse(object.toString('utf8')) as { records: unknown[] }).records;

    // Act
    const items = await itemsOf(body(...inChunks(object, 7)), { ...JSON_DOCUMENT, recordsOf });

    // Assess
    expect(items).toEqual(expected.map((record, index) => ({ index, text: JSON.stringify(record) })));
    expect(JSON.parse(textsOf(items)[2])).toEqual({ id: 'inv-003', vendor: 'Zürich Café ☕', fields: [] });
  });

  test('yields a large records array in order, in non-empty batches', async () => {
    const document = JSON.stringify({ records: Array.from({ length: 2500 }, (_, id) => ({ id })) });

    const batches = await batchesOf(body(document), { ...JSON_DOCUMENT, recordsOf });

    expect(batches.every((batch) => batch.length > 0)).toBe(true);
    expect(batches.flat().map((item) => item.index)).toEqual(Array.from({ length: 2500 }, (_, index) => index));
    expect(batches.flat()[2499]).toEqual({ index: 2499, text: '{"id":2499}' });
  });

  test('without a records path the document is one record: its own text, without the BOM', async () => {
    const text = '{\n  "id": "doc-1",\n  "amount": 1.50\n}\n';

    const items = await itemsOf(body(`\uFEFF${text}`), JSON_DOCUMENT);

    expect(items).toEqual([{ index: 0, text }]);
  });

  test('a records path that does not yield an array is one error item', async () => {
    const items = await itemsOf(body('{"records":{"id":1}}'), { ...JSON_DOCUMENT, recordsOf });

    expect(items).toEqual([{ index: 0, error: 'records path did not yield an array' }]);
  });

  test('a document that is not JSON is one error item with the reason', async () => {
    const items = await itemsOf(body('{"records": [1, 2,'), { ...JSON_DOCUMENT, recordsOf });

    expect(items).toHaveLength(1);
    expect(items[0]).toEqual({ index: 0, error: expect.stringMatching(/^not valid JSON: .+/) });
  });

  test('a document that is not valid UTF-8 is one error item', async () => {
    const items = await itemsOf(body(Buffer.from([0x22, 0xc3, 0x28, 0x22])), JSON_DOCUMENT);

    expect(items).toEqual([{ index: 0, error: 'document is not valid UTF-8' }]);
  });

  test('a document over maxDocumentBytes is one error item, and the rest of the object is not read', async () => {
    // Prepare
    let pulled = 0;
    async function* tenChunks(): AsyncGenerator<string> {
      for (let chunk = 0; chunk < 10; chunk += 1) {
        pulled += 1;
        yield `${' '.repeat(99)}\n`;
      }
    }

    // Act
    const items = await itemsOf(tenChunks(), { ...JSON_DOCUMENT, maxDocumentBytes: 250 });

    // Assess
    expect(items).toEqual([{ index: 0, code: 'ObjectTooLarge', error: 'document is larger than 250 bytes; use JSON Lines for large inputs' }]);
    expect(pulled).toBe(3);
  });

  test.each([
    ['0 bytes', []],
    ['whitespace only', [' \r\n\t ', '\n']],
  ])('an empty document (%s) has no records', async (_name, chunks) => {
    const batches = await batchesOf(body(...chunks), { ...JSON_DOCUMENT, recordsOf });

    expect(batches).toEqual([]);
  });
});

describe('objectFormat', () => {
  test.each([
    ['a.jsonl', undefined, { format: 'jsonl', gzip: false }],
    ['a.jsonl.gz', undefined, { format: 'jsonl', gzip: true }],
    ['a.json', undefined, { format: 'json', gzip: false }],
    ['a.json.gz', undefined, { format: 'json', gzip: true }],
    ['a.ndjson', undefined, { format: 'jsonl', gzip: false }],
    ['out/2024/A.JSONL', undefined, { format: 'jsonl', gzip: false }],
    ['a.txt', undefined, { format: undefined, gzip: false }],
    ['a.txt', 'jsonl', { format: 'jsonl', gzip: false }],
    ['a.gz', 'json', { format: 'json', gzip: true }],
    ['a.json.txt', undefined, { format: undefined, gzip: false }],
  ] as const)('%s (fallback %s) → %j', (key, fallback, expected) => {
    expect(objectFormat(key, fallback)).toEqual(expected);
  });
});

describe('readObjectRecords: caps per object', () => {
  const tooLarge = (index: number, line: number | undefined, why: string) => ({
    index,
    ...(line === undefined ? {} : { line }),
    code: 'ObjectTooLarge',
    error: `${why}: this record and the rest of the object are not read`,
  });

  test('past maxRecords, the next record stands for the rest as one ObjectTooLarge item, and the body is no longer read', async () => {
    // Prepare
    let pulled = 0;
    const chunks = inChunks(Buffer.from(`${jsonLines(5)}\n\n${jsonLines(995, 5)}`), 64);
    async function* watched(): AsyncGenerator<Buffer> {
      for (const chunk of chunks) {
        pulled++;
        yield chunk;
      }
    }

    // Act
    const items = await itemsOf(watched(), { ...JSONL, maxRecords: 7 });

    // Assess: every record read is there, once; the item after them is at the first record not read (line 10: two blank lines).
    expect(items.slice(0, 7).map((item) => [item.index, item.line])).toEqual([0, 1, 2, 3, 4, 7, 8].map((line, index) => [index, line + 1]));
    expect(items[7]).toEqual(tooLarge(7, 10, 'the object has more than 7 records'));
    expect(items).toHaveLength(8);
    expect(pulled).toBeLessThan(chunks.length / 4);
  });

  test('an object of exactly maxRecords records is read whole, with no extra item', async () => {
    const items = await itemsOf(body(jsonLines(7), '\n  \n'), { ...JSONL, maxRecords: 7 });

    expect(items).toHaveLength(7);
    expect(items.every((item) => 'text' in item)).toBe(true);
  });

  test('a few kilobytes of gzip are not 3 million records by default: at most DEFAULT_MAX_RECORDS, then one ObjectTooLarge item', async () => {
    // Prepare: 3 million empty objects, a few kilobytes of gzip.
    const bomb = gzipSync(Buffer.from('{}\n'.repeat(3_000_000)), { level: 9 });
    expect(bomb.length).toBeLessThan(20_000);

    // Act
    let records = 0;
    let last: SourceItem | undefined;
    for await (const batch of readObjectRecords(body(bomb), { format: 'jsonl', gzip: true })) {
      records += batch.length;
      last = batch[batch.length - 1];
    }

    // Assess
    expect(records).toBe(DEFAULT_MAX_RECORDS + 1);
    expect(last).toEqual(tooLarge(DEFAULT_MAX_RECORDS, DEFAULT_MAX_RECORDS + 1, `the object has more than ${DEFAULT_MAX_RECORDS} records`));
  });

  test('past maxObjectBytes (counted gunzipped), the records complete within them are read; one item stands for the line cut and the rest', async () => {
    // Prepare: 25-byte lines, so the cap at 90 bytes cuts line 4.
    const lines = Array.from({ length: 10_000 }, (_, index) => `{"id":"rec-${String(index).padStart(5, '0')}","n":${index % 10}}\n`);
    expect(lines[0]).toHaveLength(25);
    const object = gzipSync(Buffer.from(lines.join('')));

    // Act
    const items = await itemsOf(body(...inChunks(object, 50)), { format: 'jsonl', gzip: true, maxObjectBytes: 90 });

    // Assess
    expect(textsOf(items.slice(0, 3))).toEqual(lines.slice(0, 3).map((line) => line.trimEnd()));
    expect(items[3]).toEqual(tooLarge(3, 4, 'the object is larger than 90 bytes gunzipped'));
    expect(items).toHaveLength(4);
  });

  test('the byte cap stops the gunzip: a bomb is not inflated past it', async () => {
    // Prepare: 1 GiB of spaces (valid, blank JSON Lines) in about a megabyte of gzip, inflated only up to the cap.
    const megabyte = gzipSync(Buffer.alloc(MiB, ' '), { level: 9 });
    const bomb = Buffer.concat(Array.from({ length: 1024 }, () => megabyte)); // concatenated gzip members
    let pulled = 0;
    async function* watched(): AsyncGenerator<Buffer> {
      for (const chunk of inChunks(bomb, 1024)) {
        pulled++;
        yield chunk;
      }
    }

    // Act
    const items = await itemsOf(watched(), { format: 'jsonl', gzip: true, maxObjectBytes: 4 * MiB });

    // Assess
    expect(items).toEqual([tooLarge(0, 1, `the object is larger than ${4 * MiB} bytes gunzipped`)]);
    expect(pulled * 1024).toBeLessThan(bomb.length / 16);
  });

  test('an object of exactly maxObjectBytes is read whole', async () => {
    const object = jsonLines(10);

    const items = await itemsOf(body(object), { ...JSONL, maxObjectBytes: Buffer.byteLength(object) });

    expect(items).toHaveLength(10);
    expect(items.every((item) => 'text' in item)).toBe(true);
  });

  test('a streamed JSON document is capped the same way, by its records index', async () => {
    const document = JSON.stringify({ items: Array.from({ length: 50 }, (_, id) => ({ id })) });

    const byRecords = await itemsOf(body(...inChunks(Buffer.from(document), 16)), { ...JSON_DOCUMENT, documentRecords: { fields: ['items'], dropNulls: false }, maxRecords: 20 });
    const byBytes = await itemsOf(body(document), { ...JSON_DOCUMENT, documentRecords: { fields: ['items'], dropNulls: false }, maxObjectBytes: 30 });

    expect(byRecords.slice(0, 20)).toEqual(Array.from({ length: 20 }, (_, id) => ({ index: id, text: `{"id":${id}}` })));
    expect(byRecords[20]).toEqual(tooLarge(20, undefined, 'the object has more than 20 records'));
    expect(byRecords).toHaveLength(21);
    // `{"items":[{"id":0},{"id":1},{"i`: two records are complete within 30 bytes.
    expect(byBytes).toEqual([
      { index: 0, text: '{"id":0}' },
      { index: 1, text: '{"id":1}' },
      tooLarge(2, undefined, 'the object is larger than 30 bytes'),
    ]);
  });

  test('a document parsed whole (a records expression that is not plain fields) is refused past maxDocumentBytes, 64 MiB by default', async () => {
    const items = await itemsOf(body('{"items": [', ' '.repeat(200), ']}'), { ...JSON_DOCUMENT, recordsOf: (document) => (document as { items: unknown[] }).items, maxDocumentBytes: 100 });

    expect(DEFAULT_MAX_DOCUMENT_BYTES).toBe(64 * MiB);
    expect(items).toEqual([
      {
        index: 0,
        code: 'ObjectTooLarge',
        error: 'document is larger than 100 bytes; use JSON Lines for large inputs or a `records` path of plain fields (items, data.records, items[*]), which is streamed',
      },
    ]);
  });

  test('rejects caps that are not positive integers', async () => {
    await expect(itemsOf(body('{}\n'), { ...JSONL, maxRecords: 0 })).rejects.toThrow(RangeError);
    await expect(itemsOf(body('{}\n'), { ...JSONL, maxObjectBytes: 1.5 })).rejects.toThrow(RangeError);
  });
});

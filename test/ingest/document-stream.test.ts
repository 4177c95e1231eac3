import fc from 'fast-check';
import { readObjectRecords, type ReadOptions, type SourceItem } from '../../lib/ingest/object-records';
import { type DocumentRecords, streamableRecordsPath, WHOLE_DOCUMENT } from '../../lib/ingest/records-path';
import { compileJmesPath } from '../../lib/jmespath';

/** JSON documents read as they stream, for a workflow `records` path of plain fields. */

const MiB = 1024 * 1024;

async function* body(...chunks: (string | Buffer)[]): AsyncGenerator<string | Buffer> {
  for (const chunk of chunks) yield chunk;
}

function inChunks(bytes: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let start = 0; start < bytes.length; start += size) chunks.push(bytes.subarray(start, start + size));
  return chunks;
}

async function itemsOf(source: AsyncIterable<string | Buffer>, options: Partial<ReadOptions> & { documentRecords: DocumentRecords }): Promise<SourceItem[]> {
  const items: SourceItem[] = [];
  for await (const batch of readObjectRecords(source, { format: 'json', gzip: false, ...options })) {
    expect(batch.length).toBeGreaterThan(0);
    items.push(...batch);
  }
  return items;
}

const streamed = (expression: string): DocumentRecords => {
  const path = streamableRecordsPath(expression);
  if (!path) throw new Error(`${expression} is not streamable`);
  return path;
};

/** What the whole-document path gives: JSON.parse, the workflow's JMESPath, each record as JSON text. */
function parsedRecords(document: string, expression: string): SourceItem[] | undefined {
  const records = compileJmesPath(expression)(JSON.parse(document));
  return Array.isArray(records) ? records.map((record, index) => ({ index, text: JSON.stringify(record) })) : undefined;
}

describe('streamableRecordsPath', () => {
  test.each([
    ['items', { fields: ['items'], dropNulls: false }],
    ['data.records', { fields: ['data', 'records'], dropNulls: false }],
    ['"my records".list', { fields: ['my records', 'list'], dropNulls: false }],
    ['@', { fields: [], dropNulls: false }],
    ['[*]', { fields: [], dropNulls: true }],
    ['items[*]', { fields: ['items'], dropNulls: true }],
    ['data.items[*]', { fields: ['data', 'items'], dropNulls: true }],
  ])('%s streams as %j', (expression, path) => {
    expect(streamableRecordsPath(expression)).toEqual(path);
  });

  test.each(['items[?ok]', 'items[0]', 'items[*].record', 'a[]', 'data | items', 'values(@)', 'items[1:]'])('%s is parsed whole', (expression) => {
    expect(streamableRecordsPath(expression)).toBeUndefined();
  });
});

describe('a JSON document streamed at its records path', () => {
  test('gives the same records, indexes and text as parsing it whole, for any document JSON.stringify writes, in chunks of any size', async () => {
    // Prepare: records of every JSON kind (nulls included, which `[*]` leaves out), under each streamable path shape.
    const record = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.dictionary(fc.string({ unit: 'grapheme' }), fc.jsonValue({ maxDepth: 2 })),
      fc.constant(null),
    );
    const shapes = [
      { expression: 'items', wrap: (records: unknown[]) => ({ before: 1, items: records, after: { items: 2 } }) },
      { expression: 'data.records', wrap: (records: unknown[]) => ({ data: { meta: [{}], records }, records: 'not these' }) },
      { expression: 'items[*]', wrap: (records: unknown[]) => ({ items: records }) },
      { expression: '[*]', wrap: (records: unknown[]) => records },
      { expression: '@', wrap: (records: unknown[]) => records },
    ];

    await fc.assert(
      fc.asyncProperty(fc.array(record, { maxLength: 20 }), fc.constantFrom(...shapes), fc.integer({ min: 1, max: 64 }), async (records, shape, chunkSize) => {
        // Act
        const document = JSON.stringify(shape.wrap(records));
        const items = await itemsOf(body(...inChunks(Buffer.from(document), chunkSize)), { documentRecords: streamed(shape.expression) });

        // Assess
        expect(items).toEqual(parsedRecords(document, shape.expression));
      }),
      { numRuns: 300 },
    );
  });

  test('pretty-printed: each record is the slice of the document that JSON.parse reads as that record', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 10 }), fc.integer({ min: 1, max: 16 }), async (records, chunkSize) => {
        const document = JSON.stringify({ items: records }, null, 2);

        const items = await itemsOf(body(...inChunks(Buffer.from(document), chunkSize)), { documentRecords: streamed('items') });

        expect(items.map((item) => ('text' in item ? JSON.parse(item.text) : item))).toEqual(JSON.parse(document).items);
        expect(items.every((item) => 'text' in item && document.includes(item.text))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  test('a document changed by one character: exactly what JSON.parse accepts is read as valid, anything else ends in an error item', async () => {
    // Prepare: a valid document with one character deleted, replaced or inserted (mostly by JSON's own syntax).
    const alphabet = fc.constantFrom(...'{}[],:"\\ 0123456789.eE+-tfnrul\u00e9\u0001'.split(''));
    const mutated = fc
      .tuple(fc.array(fc.jsonValue({ maxDepth: 2 }), { minLength: 1, maxLength: 6 }), fc.nat(), fc.constantFrom('delete', 'replace', 'insert'), alphabet)
      .map(([records, at, change, char]) => {
        const document = JSON.stringify({ meta: { n: 1 }, items: records });
        const position = at % document.length;
        const tail = document.slice(change === 'insert' ? position : position + 1);
        return document.slice(0, position) + (change === 'delete' ? '' : char) + tail;
      });

    await fc.assert(
      fc.asyncProperty(mutated, async (document) => {
        // Act
        const items = await itemsOf(body(...inChunks(Buffer.from(document), 7)), { documentRecords: streamed('items') });

        // Assess
        let parsed: unknown;
        try {
          parsed = compileJmesPath('items')(JSON.parse(document));
        } catch {
          // Not JSON: the stream must say so in its last item (the records before the fault are valid JSON each).
          const last = items[items.length - 1];
          expect(last).toEqual({ index: items.length - 1, error: expect.stringMatching(/^not valid JSON: /) });
          for (const item of items.slice(0, -1)) expect(() => JSON.parse((item as { text: string }).text)).not.toThrow();
          return;
        }
        if (Array.isArray(parsed)) expect(items.map((item) => ('text' in item ? JSON.parse(item.text) : item))).toEqual(parsed);
        else expect(items).toEqual([{ index: 0, error: expect.stringMatching(/records path did not yield an array|appears twice/) }]);
      }),
      { numRuns: 1000 },
    );
  });

  test('each record is its own text as written: whitespace, number spellings and escapes kept, across chunk boundaries', async () => {
    // Prepare
    const records = ['{\n    "id": "a",\n    "amount": 1.50,\n    "note": "caf\\u00e9 \\/ \u00e9"\n  }', '12345678901234567890', '-0', '1e400', '"x"', '[ 1 , 2 ]'];
    const document = `{\n  "model": "m",\n  "items": [\n  ${records.join(' ,\n  ')}\n  ]\n}\n`;

    // Act
    const whole = await itemsOf(body(document), { documentRecords: streamed('items') });
    const split = await itemsOf(body(...inChunks(Buffer.from(document), 1)), { documentRecords: streamed('items') });

    // Assess
    const expected = records.map((text, index) => ({ index, text }));
    expect(whole).toEqual(expected);
    expect(split).toEqual(expected);
  });

  test('a document without a records path is one record: its value as written', async () => {
    const items = await itemsOf(body('\uFEFF  {\n "id": "doc-1",\n "amount": 1.50\n}\n'), { documentRecords: WHOLE_DOCUMENT });

    expect(items).toEqual([{ index: 0, text: '{\n "id": "doc-1",\n "amount": 1.50\n}' }]);
  });

  test('finds a path key spelled with escapes, and ignores the same key in nested objects and inside records', async () => {
    const document = '{"x":{"items":[9]},"it\\u0065ms":[{"items":[1]},{"a":"items"}]}';

    const items = await itemsOf(body(document), { documentRecords: streamed('items') });

    expect(items).toEqual([
      { index: 0, text: '{"items":[1]}' },
      { index: 1, text: '{"a":"items"}' },
    ]);
  });

  test.each([
    ['the path is missing', '{"other":[1]}', 'items'],
    ['the path is not an array', '{"items":{"a":1}}', 'items'],
    ['the path is null', '{"items":null}', 'items'],
    ['the document is an array, the path a field', '[{"items":[1]}]', 'items'],
    ['an intermediate field is not an object', '{"data":[{"records":[1]}]}', 'data.records'],
    ['the document is not an array for [*]', '{"a":1}', '[*]'],
  ])('%s: one error item, as parsing it whole gives', async (_name, document, expression) => {
    const items = await itemsOf(body(document), { documentRecords: streamed(expression) });

    expect(parsedRecords(document, expression)).toBeUndefined();
    expect(items).toEqual([{ index: 0, error: 'records path did not yield an array' }]);
  });

  test.each([
    ['0 bytes', []],
    ['whitespace only', [' \r\n\t ', '\n']],
  ])('an empty document (%s) has no records', async (_name, chunks) => {
    expect(await itemsOf(body(...chunks), { documentRecords: streamed('items') })).toEqual([]);
  });

  test('a document that is not JSON before any record is one error item at index 0', async () => {
    const items = await itemsOf(body('{"model": tru, "items": [{"a":1}]}'), { documentRecords: streamed('items') });

    expect(items).toEqual([{ index: 0, error: 'not valid JSON: unexpected "," at byte 13' }]);
  });

  test('a document that stops being JSON part-way keeps the records before, and one error item stands for the rest, which is not read', async () => {
    // Prepare
    let pulled = 0;
    async function* truncated(): AsyncGenerator<string> {
      for (const chunk of ['{"items":[{"a":1},', '{"b":2},{"c":', '}', ',{"d":4}]}', ',{"e":5}']) {
        pulled++;
        yield chunk;
      }
    }

    // Act
    const items = await itemsOf(truncated(), { documentRecords: streamed('items') });

    // Assess
    expect(items).toEqual([
      { index: 0, text: '{"a":1}' },
      { index: 1, text: '{"b":2}' },
      { index: 2, error: 'not valid JSON: unexpected "}" at byte 31; the 2 records before it were read, the rest of the document is not' },
    ]);
    expect(pulled).toBe(3);
  });

  test.each([
    ['a document cut short', '{"items":[{"a":1},{"b":', 'not valid JSON: the document ends before its value does at byte 23; the 1 records before it were read, the rest of the document is not'],
    ['content after the document', '{"items":[{"a":1}]} {"items":[]}', 'not valid JSON: more content after the document at byte 20; the 1 records before it were read, the rest of the document is not'],
    ['a repeated key of the path', '{"items":[{"a":1}],"items":[{"b":2}]}', 'the records path\'s key "items" appears twice in one object at byte 25; the 1 records before it were read, the rest of the document is not'],
  ])('%s: the records before it, then one error item', async (_name, document, error) => {
    const items = await itemsOf(body(document), { documentRecords: streamed('items') });

    expect(items).toEqual([{ index: 0, text: '{"a":1}' }, { index: 1, error }]);
  });

  test.each([
    ['a raw control character in a string', '{"items":["a\u0001"]}'],
    ['a bad escape', '{"items":["\\x"]}'],
    ['a bad number', '{"items":[1.]}'],
    ['a bad exponent', '{"items":[1e+]}'],
    ['a lone minus', '{"items":[-]}'],
    ['a bad literal', '{"items":[nul]}'],
    ['a mismatched bracket', '{"items":[{"a":1]]}'],
    ['a trailing comma', '{"items":[{"a":1,}]}'],
    ['a missing colon', '{"items" [1]}'],
  ])('refuses what JSON.parse refuses: %s', async (_name, document) => {
    expect(() => JSON.parse(document)).toThrow(SyntaxError);

    const items = await itemsOf(body(document), { documentRecords: streamed('items') });

    expect(items).toEqual([{ index: 0, error: expect.stringMatching(/^not valid JSON: .+ at byte \d+$/) }]);
  });

  test('a record over maxRecordBytes is an error item, and the records after it are still read', async () => {
    const document = `{"items":[{"a":1},{"blob":"${'x'.repeat(5000)}"},{"c":3}]}`;

    const items = await itemsOf(body(...inChunks(Buffer.from(document), 512)), { documentRecords: streamed('items'), maxRecordBytes: 1000 });

    expect(items).toEqual([
      { index: 0, text: '{"a":1}' },
      { index: 1, error: 'record 1 is larger than 1000 bytes' },
      { index: 2, text: '{"c":3}' },
    ]);
  });

  test('a record that is not valid UTF-8 is an error item; invalid UTF-8 elsewhere makes the rest of the document unreadable', async () => {
    // Prepare
    const bad = Buffer.from([0xc3, 0x28]);
    const inRecord = Buffer.concat([Buffer.from('{"items":[{"a":"'), bad, Buffer.from('"},{"b":"\u00e9"}]}')]);
    const outside = Buffer.concat([Buffer.from('{"items":[{"a":1}],"note":"'), bad, Buffer.from('"}')]);

    // Act
    const recordItems = await itemsOf(body(inRecord), { documentRecords: streamed('items') });
    const documentItems = await itemsOf(body(outside), { documentRecords: streamed('items') });

    // Assess
    expect(recordItems).toEqual([
      { index: 0, error: 'record 0 is not valid UTF-8' },
      { index: 1, text: '{"b":"\u00e9"}' },
    ]);
    expect(documentItems).toEqual([{ index: 0, text: '{"a":1}' }, { index: 1, error: expect.stringMatching(/^not valid JSON: text that is not valid UTF-8 at byte 28;/) }]);
  });

  test('streams a 64 MiB document without holding it: memory stays far below its size', async () => {
    // Prepare: the document handed over as views of one 1 MiB block of records, so the source costs no memory.
    const record = `{"id":"r","pad":"${'p'.repeat(990)}"},`;
    const block = Buffer.from(record.repeat(Math.floor(MiB / record.length)));
    const perBlock = Math.floor(MiB / record.length);
    const baseline = process.memoryUsage().arrayBuffers;
    let peak = baseline;
    async function* document(): AsyncGenerator<Buffer> {
      yield Buffer.from('{"model":"m","items":[');
      for (let count = 0; count < 64; count++) {
        peak = Math.max(peak, process.memoryUsage().arrayBuffers);
        yield block.subarray(0);
      }
      yield Buffer.from('{"id":"last"}]}');
    }

    // Act
    let records = 0;
    let last: SourceItem | undefined;
    for await (const batch of readObjectRecords(document(), { format: 'json', gzip: false, documentRecords: streamed('items') })) {
      records += batch.length;
      last = batch[batch.length - 1];
    }
    peak = Math.max(peak, process.memoryUsage().arrayBuffers);

    // Assess: reading the document whole takes at least 64 MiB of buffers; the margin makes this deterministic.
    expect(records).toBe(64 * perBlock + 1);
    expect(last).toEqual({ index: 64 * perBlock, text: '{"id":"last"}' });
    expect(peak - baseline).toBeLessThan(16 * MiB);
  });
});

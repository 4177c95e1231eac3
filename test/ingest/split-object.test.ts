import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { splitObject } from '../../lib/ingest/split-object';
import { decodeWork, encodeWork, type WorkMessage } from '../../lib/ingest/work-message';
import { parseWorkflow } from '../../lib/workflow';

/** The splitter on its own: what it sends for an object whose records repeat ids. */

const TEMPLATE = join(__dirname, '..', 'fixtures', 'workflows', 'ingest', 'templates', 'review.liquid.html');

function workflow(extra: string) {
  const { workflow: compiled, issues } = parseWorkflow(
    `name: docs
source: {s3: {prefix: docs/}}
${extra}
activation: {Conditions: [{ConditionType: MissingField, ConditionParameters: {Path: id}}]}
flowDefinition: {template: ${JSON.stringify(TEMPLATE)}}
queues: {out: {}}
routes: [{queue: out}]
autoAccepted: {queue: out}
failures: {queue: out}
`,
    join(__dirname, 'docs.yaml'),
  );
  expect(issues).toEqual([]);
  return compiled!;
}

async function split(text: string | Buffer, key: string, extra: string, maxItemsPerMessage = 100) {
  const sent: WorkMessage[] = [];
  const staged: string[] = [];
  const report = await splitObject(
    (async function* body() {
      yield Buffer.from(text);
    })(),
    { workflow: workflow(extra), source: { type: 's3', bucket: 'in', key, etag: 'e' } },
    {
      // As SQS carries it.
      send: async (messages) => void sent.push(...messages.map((message) => decodeWork(encodeWork(message)))),
      stage: async (stagingKey) => (staged.push(stagingKey), `s3://payloads/${stagingKey}`),
    },
    { maxItemsPerMessage, maxMessageBytes: 2_000, messagesPerSend: 10, sendsInFlight: 4 },
  );
  return { report, items: sent.flatMap((message) => message.items), staged };
}

describe('splitObject and repeated record ids', () => {
  it('sends each later record of an id as a duplicate of the first, by its index in a JSON document, with its text as written (for its message)', async () => {
    const document = JSON.stringify({ items: [{ id: 'a' }, { id: 'b' }, { id: 'a', n: 1 }, { id: 7 }, { id: '7' }, { other: 1 }, { id: 'b' }] });

    const { report, items } = await split(document, 'docs/batch.json', 'records: items\nrecordId: id', 2);

    expect(items).toEqual([
      { index: 0, text: '{"id":"a"}' },
      { index: 1, text: '{"id":"b"}' },
      { index: 2, recordId: 'a', keptBy: { index: 0 }, text: '{"id":"a","n":1}' },
      { index: 3, text: '{"id":7}' },
      // recordIdOf gives a number as a string: 7 and "7" are one id, as the consumer names them.
      { index: 4, recordId: '7', keptBy: { index: 3 }, text: '{"id":"7"}' },
      { index: 5, text: '{"other":1}' },
      { index: 6, recordId: 'b', keptBy: { index: 1 }, text: '{"id":"b"}' },
    ]);
    expect(report).toMatchObject({ records: 7, duplicates: 3, idsUnchecked: 0 });
  });

  it('names the kept record by its line in JSON Lines, and never stages a duplicate as a record to evaluate', async () => {
    const big = JSON.stringify({ id: 'big', blob: 'x'.repeat(3_000) });

    const { items, staged } = await split(`${big}\n\n${big}\n{"id":"c"}\n`, 'docs/lines.jsonl', 'recordId: id');

    expect(items).toEqual([
      { index: 0, line: 1, ref: 's3://payloads/staging/docs/in/docs%2Flines.jsonl/e/0.json' },
      { index: 1, line: 3, recordId: 'big', keptBy: { line: 1 }, text: big },
      { index: 2, line: 4, text: '{"id":"c"}' },
    ]);
    expect(staged).toHaveLength(1);
  });

  it('a workflow without recordId names records by position: nothing is a duplicate', async () => {
    const { report, items } = await split('{"id":"a"}\n{"id":"a"}\n', 'docs/no-ids.jsonl', '');

    expect(items.every((item) => 'text' in item)).toBe(true);
    expect(report.duplicates).toBe(0);
  });
});

describe('splitObject and JSON documents', () => {
  it('streams a pretty-printed document: each record travels as written (its newlines too), with the positions and kept ids of a whole parse', async () => {
    // Prepare
    const document = '{\n  "items": [\n    {"id": "a", "amount": 1.50},\n    {\n      "id": "b"\n    },\n    {"id": "a", "n": 12345678901234567890}\n  ]\n}\n';

    // Act
    const { report, items } = await split(document, 'docs/pretty.json', 'records: items\nrecordId: id');

    // Assess
    expect(items).toEqual([
      { index: 0, text: '{"id": "a", "amount": 1.50}' },
      { index: 1, text: '{\n      "id": "b"\n    }' },
      { index: 2, recordId: 'a', keptBy: { index: 0 }, text: '{"id": "a", "n": 12345678901234567890}' },
    ]);
    expect(report).toMatchObject({ records: 3, duplicates: 1 });
  });

  it('a workflow without records: the document is its one record, as written', async () => {
    const { items } = await split('{\n  "id": "only",\n  "score": 0.10\n}\n', 'docs/one.json', 'format: json');

    expect(items).toEqual([{ index: 0, text: '{\n  "id": "only",\n  "score": 0.10\n}' }]);
  });

  it('a records expression that is not plain fields is still read, parsed whole', async () => {
    const { items } = await split(JSON.stringify({ items: [{ id: 'a', ok: true }, { id: 'b' }, { id: 'c', ok: true }] }), 'docs/filtered.json', 'records: "items[?ok]"');

    expect(items).toEqual([
      { index: 0, text: '{"id":"a","ok":true}' },
      { index: 1, text: '{"id":"c","ok":true}' },
    ]);
  });
});

describe('splitObject and the caps of a workflow', () => {
  it("ingest.maxRecordsPerObject: the records up to it are sent, then one ObjectTooLarge item; nothing else", async () => {
    const lines = Array.from({ length: 10 }, (_, index) => JSON.stringify({ id: `r${index}` })).join('\n');

    const { report, items } = await split(lines, 'docs/capped.jsonl', 'recordId: id\ningest: {maxRecordsPerObject: 4}', 3);

    expect(items).toEqual([
      ...[0, 1, 2, 3].map((index) => ({ index, line: index + 1, text: `{"id":"r${index}"}` })),
      { index: 4, line: 5, code: 'ObjectTooLarge', error: 'the object has more than 4 records: this record and the rest of the object are not read' },
    ]);
    expect(report).toMatchObject({ records: 5, tooLarge: 1 });
  });

  it('ingest.maxObjectBytes: counted gunzipped', async () => {
    const lines = Array.from({ length: 1000 }, (_, index) => JSON.stringify({ id: `r${String(index).padStart(3, '0')}` })).join('\n');

    const { items } = await split(gzipSync(lines), 'docs/capped.jsonl.gz', 'ingest: {maxObjectBytes: 45}');

    // 13-byte lines and their newlines: three complete within 45 bytes.
    expect(items).toEqual([
      ...[0, 1, 2].map((index) => ({ index, line: index + 1, text: `{"id":"r00${index}"}` })),
      { index: 3, line: 4, code: 'ObjectTooLarge', error: 'the object is larger than 45 bytes gunzipped: this record and the rest of the object are not read' },
    ]);
  });
});

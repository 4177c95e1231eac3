import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { messageProblems } from '../../lib/messages/validate';
import { INGEST_WORKFLOWS, IngestHarness, startDynalite } from '../support/ingest-harness';

/**
 * The caps per object through the whole ingest path (workflow `capped`: 5 records, 4,096 bytes gunzipped):
 * every record read ends in exactly one message, and what is past a cap is one `invalid` ObjectTooLarge
 * message, never silence.
 */

const WORKFLOWS = join(INGEST_WORKFLOWS, '..', 'ingest-limits');

let dynamo: Awaited<ReturnType<typeof startDynalite>>;
let harness: IngestHarness;

beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo.close();
});
beforeEach(async () => {
  harness = await IngestHarness.create(dynamo, { workflowsDir: WORKFLOWS });
});
afterEach(() => {
  for (const { message } of harness.delivered) expect(messageProblems(message)).toEqual([]);
  harness.restore();
});

const outcomes = () =>
  harness
    .deliveredTo('capped', 'out')
    .map((message) => [message.source.type === 's3' ? message.source.recordIndex : -1, message.outcome, message.recordId, message.failure?.code])
    .sort((a, b) => (a[0] as number) - (b[0] as number));

describe('caps per object', () => {
  it('records past ingest.maxRecordsPerObject: the first five are processed, one ObjectTooLarge message stands for the rest', async () => {
    const lines = Array.from({ length: 8 }, (_, index) => JSON.stringify({ id: `r${index}`, review: false }));

    await harness.uploadObject('capped/many.jsonl', `${lines.join('\n')}\n`);
    await harness.drain();

    expect(outcomes()).toEqual([
      ...[0, 1, 2, 3, 4].map((index) => [index, 'auto-accepted', `r${index}`, undefined]),
      [5, 'invalid', undefined, 'ObjectTooLarge'],
    ]);
    const [tooLarge] = harness.deliveredTo('capped', 'out').filter((message) => message.outcome === 'invalid');
    expect(tooLarge.failure?.reason).toBe('line 6: the object has more than 5 records: this record and the rest of the object are not read');
  });

  it('a gzip bomb: inflated only up to ingest.maxObjectBytes, the records within it processed, one ObjectTooLarge message for the rest', async () => {
    // 100,000 records in a few kilobytes of gzip; 4,096 bytes hold 136 lines of 30 bytes, but the record cap comes first.
    const bomb = gzipSync(`${JSON.stringify({ id: 'x', review: false })}\n`.repeat(100_000), { level: 9 });
    expect(bomb.length).toBeLessThan(10_000);

    await harness.uploadObject('capped/bomb.jsonl.gz', bomb);
    await harness.drain();

    // The id repeats: the first line keeps it, the next four are DuplicateRecordId, then the cap.
    expect(outcomes()).toEqual([
      [0, 'auto-accepted', 'x', undefined],
      ...[1, 2, 3, 4].map((index) => [index, 'invalid', 'x', 'DuplicateRecordId']),
      [5, 'invalid', undefined, 'ObjectTooLarge'],
    ]);
  });

  it('bytes past ingest.maxObjectBytes in a JSON document: the records complete within them are processed', async () => {
    const records = Array.from({ length: 4 }, (_, index) => ({ id: `big-${index}`, review: false, pad: 'p'.repeat(1500) }));

    await harness.uploadObject('capped/big.json', JSON.stringify({ items: records }));
    await harness.drain();

    expect(outcomes()).toEqual([
      [0, 'auto-accepted', 'big-0', undefined],
      [1, 'auto-accepted', 'big-1', undefined],
      [2, 'invalid', undefined, 'ObjectTooLarge'],
    ]);
  });

  it('a pretty-printed document under the caps: every record delivered, carrying what the model wrote', async () => {
    const document = '{\n  "items": [\n    {"id": "a", "review": false, "score": 0.10},\n    {\n      "id": "b",\n      "review": false\n    }\n  ]\n}\n';

    await harness.uploadObject('capped/pretty.json', document);
    await harness.drain();

    expect(outcomes()).toEqual([
      [0, 'auto-accepted', 'a', undefined],
      [1, 'auto-accepted', 'b', undefined],
    ]);
    const bodies = harness.delivered.map(({ entry }) => entry.MessageBody ?? '');
    expect(bodies.some((body) => body.includes('{"id": "a", "review": false, "score": 0.10}'))).toBe(true);
    expect(bodies.some((body) => body.includes('{\n      "id": "b",\n      "review": false\n    }'))).toBe(true);
  });
});

describe('deeply nested records', () => {
  it('a record nested 100,000 levels deep is streamed like any other: one message each, nothing crashes', async () => {
    // The `batches` workflow (records: items, no record id, no caps of its own).
    harness.restore();
    harness = await IngestHarness.create(dynamo);
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const document = `{"items":[{"flag":false},{"flag":false,"x":${deep}},{"flag":false}]}`;

    await harness.uploadObject('batches/deep.json', document);
    await harness.drain();

    const messages = harness.deliveredTo('batches', 'out').map((message) => [message.source.type === 's3' ? message.source.recordIndex : -1, message.outcome]);
    expect(messages.sort()).toEqual([
      [0, 'auto-accepted'],
      [1, 'auto-accepted'],
      [2, 'auto-accepted'],
    ]);
  });
});

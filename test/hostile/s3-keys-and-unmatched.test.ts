import { encodeS3EventKey } from '../../lib/local/s3-notifier';
import { messageProblems } from '../../lib/messages/validate';
import { IngestHarness, lambdaContext, startDynalite } from '../support/ingest-harness';

/**
 * Hostile S3 keys and events no workflow takes, through the ingest handlers (test/support/ingest-harness.ts,
 * workflows in test/fixtures/workflows/ingest): S3 notifications carry keys URL-encoded, `+` for a space.
 */

const prediction = (id: string, confidence: number) => JSON.stringify({ id, label: `label-${id}`, confidence });

let dynamo: Awaited<ReturnType<typeof startDynalite>>;
let harness: IngestHarness;

beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo.close();
});
beforeEach(async () => {
  harness = await IngestHarness.create(dynamo);
});
afterEach(() => {
  for (const { message } of harness.delivered) expect(messageProblems(message)).toEqual([]);
  harness.restore();
});

/** Stores the object and sends the notification S3 would, its key encoded as S3 encodes it. */
async function upload(key: string, body: string): Promise<string> {
  const event = harness.putObject(key, body);
  event.Records[0].s3.object.key = encodeS3EventKey(key);
  await harness.s3Handler(event, lambdaContext('ingest-s3-object'));
  await harness.drain();
  return event.Records[0].s3.object.key;
}

describe('S3 keys with spaces, unicode and `+`, URL-encoded in the event', () => {
  const keys: [string, string, string][] = [
    ['spaces', 'predictions/run 1/batch one.jsonl', 'predictions/run+1/batch+one.jsonl'],
    ['é', 'predictions/café.jsonl', 'predictions/caf%C3%A9.jsonl'],
    ['日本', 'predictions/日本/バッチ.jsonl', 'predictions/%E6%97%A5%E6%9C%AC/%E3%83%90%E3%83%83%E3%83%81.jsonl'],
    ['an emoji', 'predictions/🎉.jsonl', 'predictions/%F0%9F%8E%89.jsonl'],
    ['a literal +', 'predictions/a+b.jsonl', 'predictions/a%2Bb.jsonl'],
    ['all of them', 'predictions/a + b é 日本 🎉.jsonl', 'predictions/a+%2B+b+%C3%A9+%E6%97%A5%E6%9C%AC+%F0%9F%8E%89.jsonl'],
  ];

  it.each(keys)('a key with %s: the messages name the decoded key', async (_, key, encoded) => {
    const sent = await upload(key, `${prediction('a', 0.9)}\n${prediction('b', 0.2)}\n`);

    expect(sent).toBe(encoded);
    const accepted = harness.deliveredTo('predictions', 'accepted');
    expect(accepted).toHaveLength(1);
    expect(accepted[0]).toMatchObject({ outcome: 'auto-accepted', recordId: 'a', source: { type: 's3', key, recordIndex: 0, line: 1 } });
    expect(harness.loops).toHaveLength(1);
    expect(JSON.parse(harness.loops[0].HumanLoopInput?.InputContent as string).source).toMatchObject({ type: 's3', key, recordIndex: 1, line: 2 });
    expect(JSON.parse(harness.executions[0].input as string).source).toMatchObject({ key });
    expect(harness.workDlq).toEqual([]);
  });
});

describe('an event for no workflow', () => {
  it('an S3 key under no workflow prefix: no throw, no work, no message', async () => {
    await expect(upload('unclaimed/predictions/batch.jsonl', `${prediction('a', 0.2)}\n`)).resolves.toBe('unclaimed/predictions/batch.jsonl');
    // Under a workflow prefix but with a suffix it does not take.
    await expect(upload('predictions/batch.csv', 'id,confidence\na,0.2\n')).resolves.toBe('predictions/batch.csv');

    expect({ work: harness.work, workDlq: harness.workDlq, delivered: harness.delivered, loops: harness.loops }).toEqual({ work: [], workDlq: [], delivered: [], loops: [] });
  });

  it('an EventBridge event no workflow pattern matches: no throw, no work, no message', async () => {
    const base = { version: '0', account: '123456789012', region: 'us-east-1', time: '2026-11-22T10:00:00Z', resources: [] };
    // orders.yaml takes source acme.orders with detail-type OrderScored.
    await expect(harness.sendEvent({ ...base, id: 'evt-other-source', source: 'acme.other', 'detail-type': 'OrderScored', detail: { order: { orderId: 'o-1', fraudScore: 0.9 } } })).resolves.toBeUndefined();
    await expect(harness.sendEvent({ ...base, id: 'evt-other-type', source: 'acme.orders', 'detail-type': 'OrderShipped', detail: { order: { orderId: 'o-2', fraudScore: 0.9 } } })).resolves.toBeUndefined();
    await harness.drain();

    expect({ work: harness.work, workDlq: harness.workDlq, delivered: harness.delivered, loops: harness.loops }).toEqual({ work: [], workDlq: [], delivered: [], loops: [] });
  });
});

describe('a JSON document nested 10,000 levels deep, through the S3 ingest handler', () => {
  // A 10,000-deep document is one record carried as written, never a handler that throws (and retries for nothing).
  it('is one record, auto-accepted as written, never a crash', async () => {
    const deep = `{"id":"deep-doc","confidence":0.99,"nested":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`;

    await upload('predictions/deep.json', deep);

    const all = harness.delivered.map(({ message }) => message);
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ outcome: 'auto-accepted', recordId: 'deep-doc', source: { type: 's3', key: 'predictions/deep.json', recordIndex: 0 } });
  });
});

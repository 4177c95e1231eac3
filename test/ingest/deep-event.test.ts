/**
 * The cloud's EventBridge ingest handler (functions/ingest-event.ts) on an event whose record is nested
 * 9,000 levels deep: JSON.parse reads it (Lambda hands it over), JSON.stringify cannot serialise it. Like
 * a too-deep S3 document it is one invalid record, never a handler that throws (and is retried for nothing).
 */
import { messageProblems } from '../../lib/messages/validate';
import { IngestHarness, startDynalite } from '../support/ingest-harness';

let dynamo: Awaited<ReturnType<typeof startDynalite>>;
let harness: IngestHarness;

beforeAll(async () => {
  dynamo = await startDynalite();
  harness = await IngestHarness.create(dynamo);
});
afterAll(async () => {
  harness.restore();
  await dynamo.close();
});

it('an event whose record is 9,000 levels deep is one invalid record, and the next event is ingested', async () => {
  const depth = 9000;
  const base = { version: '0', account: '123456789012', region: 'us-east-1', time: '2026-11-22T10:00:00Z', resources: [], source: 'acme.orders', 'detail-type': 'OrderScored' };
  const deep = JSON.parse(`{"order":{"orderId":"o-deep","fraudScore":0.1,"nested":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}}`) as unknown;

  await expect(harness.sendEvent({ ...base, id: 'evt-deep', detail: deep })).resolves.toBeUndefined();
  await harness.sendEvent({ ...base, id: 'evt-plain', detail: { order: { orderId: 'o-plain', fraudScore: 0.1 } } });
  await harness.drain();

  const messages = harness.delivered.map(({ message }) => message);
  for (const message of messages) expect(messageProblems(message)).toEqual([]);
  expect(messages).toHaveLength(2);
  expect(messages.find((message) => message.source.type === 'event' && message.source.eventId === 'evt-deep')).toMatchObject({ outcome: 'invalid', failure: { code: 'UnreadableRecord' } });
  expect(messages.find((message) => message.source.type === 'event' && message.source.eventId === 'evt-plain')).toMatchObject({ outcome: 'auto-accepted', recordId: 'o-plain' });
  expect(harness.workDlq).toEqual([]);
});

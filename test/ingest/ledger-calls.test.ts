import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { join } from 'node:path';
import type { Envelope } from '../../lib/delivery';
import { ingestItems, type IngestDeps } from '../../lib/ingest/ingest-records';
import { slotIdFor } from '../../lib/ingest/reuploads';
import { DynamoDbLedger } from '../../lib/ledger';
import { type Dynalite, startDynalite } from '../support/dynalite';
import { loadWorkflows } from '../../lib/workflow';

/**
 * What an auto-accepted record costs in ledger calls, counted from the DynamoDB client's sends: its slot
 * (re-uploads), its delivery claim and its delivered mark go out as transactions of up to 100, not as one
 * UpdateItem each (three calls per record before). The protocol's effects stay those of the single calls.
 */

const [workflow] = loadWorkflows([join(__dirname, '..', 'fixtures', 'workflows', 'reupload', 'claims.yaml')]);
const RECORDS = 250;
const SOURCE = { type: 's3' as const, bucket: 'in', key: 'claims/a.jsonl', versionId: 'v1', sequencer: '01' };

describe('ledger calls per auto-accepted record', () => {
  let db: Dynalite;
  beforeAll(async () => {
    db = await startDynalite();
    await db.createLedgerTable('ledger');
  });
  afterAll(async () => {
    await db.close();
  });

  it('are a few transactions per 100 records, and every record is delivered once and holds its slot', async () => {
    // Prepare: a client whose every command is counted by name.
    const documents = DynamoDBDocumentClient.from(db.client, { marshallOptions: { removeUndefinedValues: true } });
    const calls: Record<string, number> = {};
    documents.middlewareStack.add(
      (next, context) => async (args) => {
        calls[context.commandName as string] = (calls[context.commandName as string] ?? 0) + 1;
        return next(args);
      },
      { step: 'initialize', name: 'countCalls' },
    );
    const ledger = new DynamoDbLedger(documents, 'ledger');
    const sent: Envelope[] = [];
    const deps: IngestDeps = {
      ledger,
      loops: { start: async () => ({ alreadyStarted: false }), stop: async () => undefined } as unknown as IngestDeps['loops'],
      delivery: { deliver: async (envelopes) => void sent.push(...envelopes) },
      queueAddress: (_workflow, queue) => ({ url: `https://sqs.local/${queue}`, fifo: false }),
      flowDefinitionArn: () => 'arn:aws:sagemaker:us-east-1:123456789012:flow-definition/x',
      payloads: { put: async (key: string) => `s3://payloads/${key}`, get: async () => '' } as unknown as IngestDeps['payloads'],
    };
    const items = Array.from({ length: RECORDS }, (_, index) => ({ index, line: index + 1, text: JSON.stringify({ claimId: `c-${index}`, confidence: 0.99 }) }));

    // Act
    const report = await ingestItems(items, { workflow, source: SOURCE, finalAttempt: false }, deps);
    const firstCalls = { ...calls };
    const again = await ingestItems(items, { workflow, source: SOURCE, finalAttempt: false }, deps);

    // Assess: 3 × ceil(250 / 100) transactions, no single-item call.
    expect(report).toMatchObject({ autoAccepted: RECORDS, retryLater: 0 });
    expect(firstCalls).toEqual({ TransactWriteItemsCommand: 9 });
    expect(sent.map(({ message }) => message.outcome)).toEqual(items.map(() => 'auto-accepted'));
    expect(new Set(sent.map(({ message }) => message.reviewId)).size).toBe(RECORDS);
    for (const { message } of [sent[0], sent[RECORDS - 1]]) {
      expect((await ledger.get(message.reviewId))?.state).toBe('delivered');
      expect((await ledger.getSlot(slotIdFor(workflow.definition.name, SOURCE, { recordId: message.recordId as string })))?.holder).toBe(message.reviewId);
    }
    // The same work again (a redelivered work message): nothing is sent twice.
    expect(again).toMatchObject({ autoAccepted: 0, alreadyHandled: RECORDS });
    expect(sent).toHaveLength(RECORDS);
  });
});

import { join } from 'node:path';
import type { Envelope } from '../../lib/delivery';
import { type IngestDeps, ingestItems } from '../../lib/ingest/ingest-records';
import { MemoryLedger } from '../../lib/ledger';
import { loadWorkflows } from '../../lib/workflow';

/**
 * A delivery that fails part-way (a later SendMessageBatch of the same work throws): what SQS accepted is
 * marked delivered, so the work's retry sends only the rest; every record ends in exactly one message.
 */

const [workflow] = loadWorkflows([join(__dirname, '..', 'fixtures', 'workflows', 'reupload', 'claims.yaml')]);
const RECORDS = 30;
const items = Array.from({ length: RECORDS }, (_, index) => ({ index, line: index + 1, text: JSON.stringify({ claimId: `c-${index}`, confidence: 0.99 }) }));
const context = { workflow, source: { type: 's3' as const, bucket: 'in', key: 'claims/a.jsonl', versionId: 'v1' }, finalAttempt: false };

test('the messages SQS accepted before the failure are not sent again by the retry', async () => {
  const ledger = new MemoryLedger();
  const accepted: Envelope[] = [];
  let calls = 0;
  const deps: IngestDeps = {
    ledger,
    loops: { start: async () => ({ alreadyStarted: false }), stop: async () => undefined },
    delivery: {
      deliver: async (envelopes, onSent) => {
        calls++;
        // The first attempt: two batches of ten go out, the third call fails.
        const taken = calls === 1 ? envelopes.slice(0, 20) : envelopes;
        for (let at = 0; at < taken.length; at += 10) {
          accepted.push(...taken.slice(at, at + 10));
          onSent?.(taken.slice(at, at + 10).map(({ message }) => message.reviewId));
        }
        if (calls === 1) throw Object.assign(new Error('SQS is unavailable'), { name: 'InternalError' });
      },
    },
    payloads: { put: async (key: string) => `s3://payloads/${key}`, get: async () => '' } as unknown as IngestDeps['payloads'],
    queueAddress: (_workflow, queue) => ({ url: `https://sqs.local/${queue}`, fifo: false }),
    flowDefinitionArn: () => 'arn:aws:sagemaker:us-east-1:123456789012:flow-definition/x',
  };

  await expect(ingestItems(items, context, deps)).rejects.toThrow('SQS is unavailable');
  const retry = await ingestItems(items, context, deps);

  const perRecord = new Map<string, number>();
  for (const { message } of accepted) perRecord.set(message.recordId as string, (perRecord.get(message.recordId as string) ?? 0) + 1);
  expect(perRecord.size).toBe(RECORDS);
  expect([...perRecord.values()].every((count) => count === 1)).toBe(true);
  expect({ autoAccepted: retry.autoAccepted, alreadyHandled: retry.alreadyHandled }).toEqual({ autoAccepted: 10, alreadyHandled: 20 });
});

import type { RawJson } from '../../lib/messages';
import { recordTextKey } from '../../lib/ingest/input-content';
import { join } from 'node:path';
import type { Envelope } from '../../lib/delivery';
import { ingestItems } from '../../lib/ingest/ingest-records';
import { isLaterSequencer, type ReuploadContext, type ReuploadDeps, type SlotCandidate, settleSlot } from '../../lib/ingest/reuploads';
import { MemoryLedger } from '../../lib/ledger';
import type { MessageSource } from '../../lib/messages';
import { loadWorkflows } from '../../lib/workflow';

/**
 * The slot protocol of source.s3.reupload: supersede (lib/ingest/reuploads.ts) on the in-memory ledger, which
 * test/unit-aws/ledger.test.ts holds to the DynamoDB one. test/local/reupload.test.ts runs it on the whole
 * local pipeline.
 */

const [workflow] = loadWorkflows([join(__dirname, '..', 'fixtures', 'workflows', 'reupload', 'claims.yaml')]);
const NAME = workflow.definition.name;
const NOW = '2026-12-02T08:00:00.000Z';

function world() {
  const ledger = new MemoryLedger();
  const stopped: string[] = [];
  const sent: Envelope[] = [];
  /** The payload bucket: the texts ingest kept for the loops it started. */
  const kept = new Map<string, string>();
  const deps: ReuploadDeps = {
    ledger,
    payloads: {
      uriOf: (key) => `s3://payloads/${key}`,
      get: async (uri) => {
        const text = kept.get(uri);
        if (text === undefined) throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
        return text;
      },
    },
    loops: { stop: async (name) => void stopped.push(name) },
    delivery: { deliver: async (envelopes) => void sent.push(...envelopes) },
    queueAddress: (_workflow, queue) => ({ url: `https://sqs.local/${queue}`, fifo: false }),
  };
  return { ledger, stopped, sent, deps, kept };
}

/** Record c-1 of version `versionId` of claims/a.jsonl, at position 0, with the given text and sequencer. */
function version(versionId: string, text: string, sequencer?: string): { candidate: SlotCandidate; context: ReuploadContext } {
  const source: MessageSource = { type: 's3', bucket: 'in', key: 'claims/a.jsonl', versionId, recordIndex: 0, line: 1 };
  return {
    candidate: { key: { reviewId: `${NAME}-${versionId.padEnd(26, 'a')}`, workflow: NAME, recordIndex: 0 }, match: { recordId: 'c-1' }, content: text, recordId: 'c-1', source },
    context: { workflow, source: { bucket: 'in', key: 'claims/a.jsonl', ...(sequencer ? { sequencer } : {}) }, finalAttempt: false, now: NOW },
  };
}

describe('settleSlot', () => {
  test('the first version proceeds; the same version again proceeds (a retried work message)', async () => {
    const { deps } = world();
    const v1 = version('v1', '{"claimId":"c-1"}', '01');
    expect(await settleSlot(v1.candidate, v1.context, deps)).toBe('proceed');
    expect(await settleSlot(v1.candidate, v1.context, deps)).toBe('proceed');
  });

  test('an unchanged record of a later version is unchanged, and nothing is stopped or sent', async () => {
    const { deps, stopped, sent } = world();
    const v1 = version('v1', '{"claimId":"c-1"}', '01');
    const v2 = version('v2', '{"claimId":"c-1"}', '02');
    await settleSlot(v1.candidate, v1.context, deps);
    expect(await settleSlot(v2.candidate, v2.context, deps)).toBe('unchanged');
    expect({ stopped, sent }).toEqual({ stopped: [], sent: [] });
  });

  test('a changed record stops the old loop and sends its failed Superseded message, then proceeds; once', async () => {
    const { deps, stopped, sent, ledger, kept } = world();
    const v1 = version('v1', '{"claimId":"c-1"}', '01');
    const v2 = version('v2', '{"claimId":"c-1","x":2}', '02');
    await settleSlot(v1.candidate, v1.context, deps);
    kept.set(`s3://payloads/${recordTextKey(NAME, v1.candidate.key.reviewId)}`, '{"claimId":"c-1", "n":-0}');
    await ledger.reserveStart(v1.candidate.key);
    await ledger.markStarted(v1.candidate.key.reviewId, { humanLoopName: v1.candidate.key.reviewId });

    expect(await settleSlot(v2.candidate, v2.context, deps)).toBe('proceed');
    expect(stopped).toEqual([v1.candidate.key.reviewId]);
    expect(sent.map(({ queue, message }) => [queue.url, message.reviewId, message.outcome, message.failure?.code, message.source])).toEqual([
      ['https://sqs.local/failures', v1.candidate.key.reviewId, 'failed', 'Superseded', v1.candidate.source],
    ]);
    // It carries the old record as written.
    expect((sent[0].message.record as RawJson).text).toBe('{"claimId":"c-1", "n":-0}');
    expect((await ledger.get(v1.candidate.key.reviewId))?.state).toBe('delivered');
    // The new version's work delivered again, and the old one's: nothing more is stopped or sent.
    expect(await settleSlot(v2.candidate, v2.context, deps)).toBe('proceed');
    expect(await settleSlot(v1.candidate, v1.context, deps)).toBe('superseded');
    expect(sent).toHaveLength(1);
  });

  test('a predecessor that already has its message is not sent another', async () => {
    const { deps, sent, ledger } = world();
    const v1 = version('v1', '{"claimId":"c-1"}', '01');
    const v2 = version('v2', '{"claimId":"c-1","x":2}', '02');
    await settleSlot(v1.candidate, v1.context, deps);
    await ledger.claimDelivery(v1.candidate.key, 'auto-accepted');
    await ledger.markDelivered(v1.candidate.key.reviewId);
    expect(await settleSlot(v2.candidate, v2.context, deps)).toBe('proceed');
    expect(sent).toEqual([]);
  });

  test('a version older than the holder (events out of order) is superseded at once and takes nothing', async () => {
    const { deps, stopped, sent, ledger } = world();
    const v2 = version('v2', '{"claimId":"c-1","x":2}', '0055AED6DCD90281E6');
    const v1 = version('v1', '{"claimId":"c-1"}', '55AED6DCD90281E5');
    await settleSlot(v2.candidate, v2.context, deps);
    expect(await settleSlot(v1.candidate, v1.context, deps)).toBe('superseded');
    expect({ stopped, sent }).toEqual({ stopped: [], sent: [] });
    expect((await ledger.getSlot((await firstSlotId(ledger)) as string))?.holder).toBe(v2.candidate.key.reviewId);
  });

  test('a predecessor another attempt is delivering: try later, except on the final attempt', async () => {
    const { deps, sent, ledger } = world();
    const v1 = version('v1', '{"claimId":"c-1"}', '01');
    const v2 = version('v2', '{"claimId":"c-1","x":2}', '02');
    await settleSlot(v1.candidate, v1.context, deps);
    await ledger.claimDelivery(v1.candidate.key, 'reviewed');
    expect(await settleSlot(v2.candidate, v2.context, deps)).toBe('retry-later');
    expect(await settleSlot(v2.candidate, { ...v2.context, finalAttempt: true }, deps)).toBe('proceed');
    expect(sent).toEqual([]);
  });

  test('a failed send gives the claim back and throws: the work is tried again', async () => {
    const { deps, ledger } = world();
    const v1 = version('v1', '{"claimId":"c-1"}', '01');
    const v2 = version('v2', '{"claimId":"c-1","x":2}', '02');
    await settleSlot(v1.candidate, v1.context, deps);
    const failing = { ...deps, delivery: { deliver: async () => Promise.reject(Object.assign(new Error('down'), { name: 'InternalError' })) } };
    await expect(settleSlot(v2.candidate, v2.context, failing)).rejects.toThrow('down');
    expect((await ledger.get(v1.candidate.key.reviewId))?.claimedAt).toBe(0);
    expect((await ledger.getSlot((await firstSlotId(ledger)) as string))?.holder).toBe(v1.candidate.key.reviewId);
    expect(await settleSlot(v2.candidate, v2.context, deps)).toBe('proceed');
  });

  test('records are matched by id, not by position, and ids of other keys are other records', async () => {
    const { deps } = world();
    const v1 = version('v1', '{"claimId":"c-1"}', '01');
    await settleSlot(v1.candidate, v1.context, deps);
    const moved = version('v2', '{"claimId":"c-1"}', '02');
    expect(await settleSlot({ ...moved.candidate, key: { ...moved.candidate.key, recordIndex: 7 } }, moved.context, deps)).toBe('unchanged');
    const otherKey = version('v3', '{"claimId":"c-1"}', '03');
    expect(await settleSlot(otherKey.candidate, { ...otherKey.context, source: { ...otherKey.context.source, key: 'claims/b.jsonl' } }, deps)).toBe('proceed');
  });
});

describe('isLaterSequencer', () => {
  test.each([
    ['0055AED6DCD90281E6', '0055AED6DCD90281E5', true],
    ['0055AED6DCD90281E5', '0055AED6DCD90281E6', false],
    // Of different lengths: the shorter is left-padded with zeros.
    ['55AED6DCD90281E6', '0055AED6DCD90281E5', true],
    ['A', '09', true],
    ['0a', '09', true],
    ['01', '1', false],
    [undefined, '01', false],
    ['01', undefined, false],
  ])('%s after %s: %s', (a, b, later) => {
    expect(isLaterSequencer(a, b)).toBe(later);
  });
});

async function firstSlotId(ledger: MemoryLedger): Promise<string | undefined> {
  return [...ledger.slots.keys()][0];
}

describe('a loop started for a record that was superseded meanwhile', () => {
  test('is stopped at once: the record has its failed message, its loop must not stay open beside the new one', async () => {
    const { ledger, stopped, deps } = world();
    const started: string[] = [];
    const report = await ingestItems(
      [{ index: 0, line: 1, text: '{"claimId":"c-1","confidence":0.1}' }],
      { workflow, source: { type: 's3', bucket: 'in', key: 'claims/a.jsonl', versionId: 'v1', sequencer: '01' }, finalAttempt: false },
      {
        ...deps,
        loops: {
          start: async (request) => {
            started.push(request.humanLoopName);
            // A later version's consumer supersedes the record between its reservation and markStarted.
            await ledger.claimDelivery({ reviewId: request.humanLoopName, workflow: NAME, recordIndex: 0 }, 'failed');
            return { alreadyStarted: false };
          },
          stop: deps.loops.stop,
        },
        flowDefinitionArn: () => 'arn:aws:sagemaker:us-east-1:123456789012:flow-definition/x',
        payloads: { ...deps.payloads, put: async (key: string) => `s3://payloads/${key}` },
      },
    );
    expect(report.loopsStarted).toBe(1);
    expect(stopped).toEqual(started);
  });
});

describe('a record of a version older than the one holding its slot', () => {
  test('is delivered failed Superseded at once, carrying its own text as written', async () => {
    // Prepare: version 2 (sequencer 02) holds c-1's slot.
    const { deps, sent } = world();
    const v2 = version('v2', '{"claimId":"c-1","confidence":0.9}', '02');
    await settleSlot(v2.candidate, v2.context, deps);
    const text = '{"claimId":"c-1", "confidence":0.10}';

    // Act: version 1's work arrives late.
    await ingestItems([{ index: 0, line: 1, text }], { workflow, source: { type: 's3', bucket: 'in', key: 'claims/a.jsonl', versionId: 'v1', sequencer: '01' }, finalAttempt: false }, {
      ...deps,
      loops: { start: async () => ({ alreadyStarted: false }), stop: deps.loops.stop },
      flowDefinitionArn: () => 'arn:aws:sagemaker:us-east-1:123456789012:flow-definition/x',
      payloads: { ...deps.payloads, put: async (key: string) => `s3://payloads/${key}` },
    });

    // Assess
    expect(sent.map(({ message }) => [message.outcome, message.failure?.code, (message.record as RawJson).text])).toEqual([['failed', 'Superseded', text]]);
  });
});

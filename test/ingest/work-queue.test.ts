import { decodeWork, encodeWork, type WorkItem, type WorkMessage } from '../../lib/ingest/work-message';
import { deadLetterReason, fitWork, WORK_DLQ_REASON_RESERVE_BYTES, WORK_MESSAGE_MAX_BYTES, workEntries } from '../../lib/ingest/work-queue';
import { SQS_MAX_MESSAGE_BYTES, sqsMessageBytes } from '../../lib/sqs-limits';

const source = { type: 's3' as const, bucket: 'in', key: 'predictions/a.jsonl', etag: 'e1' };
const eventSource = { type: 'event' as const, eventSource: 'acme.orders', eventId: 'e-1' };

/** A staging store that keeps what it is given. */
function staging() {
  const staged = new Map<string, string>();
  return { staged, stage: async (key: string, text: string) => (staged.set(`s3://payloads/${key}`, text), `s3://payloads/${key}`) };
}

const text = (index: number, bytes: number): WorkItem => ({ index, line: index + 1, text: JSON.stringify({ id: `r-${index}`, pad: 'p'.repeat(bytes) }) });

describe('fitWork', () => {
  it('returns messages that fit as they are, staging nothing', async () => {
    const store = staging();
    const work: WorkMessage = { workflow: 'predictions', source, items: [text(0, 10), text(1, 10)] };

    expect(await fitWork([work], store)).toEqual([work]);
    expect(store.staged.size).toBe(0);
  });

  it('stages a record too large for any work message, keeps the others inline, and every message fits with room for the DLQ reason', async () => {
    const store = staging();
    const items = [text(0, 100), text(1, 300_000), text(2, 100)];

    const fitted = await fitWork([{ workflow: 'predictions', source, items }], store);

    const decoded = fitted.flatMap((message) => decodeWork(encodeWork(message)).items);
    expect(decoded.map((item) => item.index)).toEqual([0, 1, 2]);
    expect(decoded[1]).toEqual({ index: 1, line: 2, ref: expect.stringMatching(/^s3:\/\/payloads\/staging\/predictions\/in\/predictions%2Fa\.jsonl\/e1\/1\.json$/) });
    expect(store.staged.get((decoded[1] as { ref: string }).ref)).toBe((items[1] as { text: string }).text);
    expect(decoded[0]).toEqual(items[0]);
    for (const entry of workEntries(fitted)) expect(entry.bytes).toBeLessThanOrEqual(SQS_MAX_MESSAGE_BYTES - WORK_DLQ_REASON_RESERVE_BYTES);
  });

  it('stages the 300 KiB id of a duplicate as recordIdRef, which decodes back to it', async () => {
    const store = staging();
    const recordId = `big-${'x'.repeat(300 * 1024)}`;

    const [fitted] = await fitWork([{ workflow: 'predictions', source, items: [{ index: 3, line: 4, recordId, keptBy: { line: 1 } }] }], store);

    const [item] = decodeWork(encodeWork(fitted)).items;
    expect(item).toEqual({ index: 3, line: 4, recordIdRef: expect.stringMatching(/3\.record-id\.json$/), keptBy: { line: 1 } });
    expect(JSON.parse(store.staged.get((item as { recordIdRef: string }).recordIdRef) as string)).toBe(recordId);
  });

  it('stages a duplicate too large for a work message as a duplicate: its id and its text, which decode back to them', async () => {
    const store = staging();
    const recordText = JSON.stringify({ id: 'dup', pad: 'p'.repeat(300 * 1024) });

    const [fitted] = await fitWork([{ workflow: 'predictions', source, items: [{ index: 3, line: 4, recordId: 'dup', keptBy: { line: 1 }, text: recordText }] }], store);

    const [item] = decodeWork(encodeWork(fitted)).items as unknown as [{ recordIdRef: string; textRef: string }];
    expect(item).toEqual({ index: 3, line: 4, recordIdRef: expect.stringMatching(/3\.record-id\.json$/), keptBy: { line: 1 }, textRef: expect.stringMatching(/\/3\.json$/) });
    expect(JSON.parse(store.staged.get(item.recordIdRef) as string)).toBe('dup');
    expect(store.staged.get(item.textRef)).toBe(recordText);
  });

  it('splits, in order, a message whose records fit one by one but not together', async () => {
    const store = staging();
    const items = Array.from({ length: 6 }, (_, index) => text(index, 100_000));

    const fitted = await fitWork([{ workflow: 'orders', source: eventSource, items }], store);

    expect(store.staged.size).toBe(0);
    expect(fitted.map((message) => message.items.map((item) => item.index))).toEqual([[0, 1], [2, 3], [4, 5]]);
    for (const entry of workEntries(fitted)) expect(entry.bytes).toBeLessThanOrEqual(WORK_MESSAGE_MAX_BYTES);
  });

  it('counts items exactly as encodeWork writes them: a message of WORK_MESSAGE_MAX_BYTES is kept whole, one byte more is not', async () => {
    const probe = Buffer.byteLength(encodeWork({ workflow: 'w', source, items: [text(0, 0), { index: 1, line: 2, text: '' }] }));
    const room = WORK_MESSAGE_MAX_BYTES - probe;
    const atLimit: WorkMessage = { workflow: 'w', source, items: [text(0, 0), { index: 1, line: 2, text: `${'é'.repeat(Math.floor(room / 2))}${room % 2 ? 'a' : ''}` }] };
    expect(Buffer.byteLength(encodeWork(atLimit))).toBe(WORK_MESSAGE_MAX_BYTES);
    const over: WorkMessage = { ...atLimit, items: [atLimit.items[0], { index: 1, line: 2, text: `${(atLimit.items[1] as { text: string }).text}a` }] };

    expect(await fitWork([atLimit], staging())).toEqual([atLimit]);
    const split = await fitWork([over], staging());
    expect(split.map((message) => message.items.map((item) => item.index))).toEqual([[0], [1]]);
  });
});

describe('deadLetterReason', () => {
  it('cuts a long reason so that the largest work message and its reason attribute fit SQS together', () => {
    const body = 'w'.repeat(WORK_MESSAGE_MAX_BYTES);
    const reason = deadLetterReason(body, `SendFailedError: ${'é'.repeat(10_000)}`);

    expect(reason.startsWith('SendFailedError: ')).toBe(true);
    expect(sqsMessageBytes(body, { reason: { DataType: 'String', StringValue: reason } })).toBeLessThanOrEqual(SQS_MAX_MESSAGE_BYTES);
  });

  it('keeps a short reason whole', () => {
    expect(deadLetterReason('body', 'RetryLaterError: 3 of 10 records need another attempt')).toBe('RetryLaterError: 3 of 10 records need another attempt');
  });
});

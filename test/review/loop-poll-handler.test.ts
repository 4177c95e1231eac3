import type { SQSRecord } from 'aws-lambda';
import { createHandler } from '../../functions/loop-poll';
import { lambdaContext } from '../../lib/local/lambda-context';
import type { PollDeps } from '../../lib/review/poll-loop';

/** The poll queue's consumer with nothing due: every poll goes back to the queue, and the invocation succeeds. */
describe('loop-poll handler', () => {
  const now = Date.UTC(2026, 0, 1);
  const record = (id: string, dueAt: number): SQSRecord =>
    ({
      messageId: id,
      receiptHandle: `receipt-${id}`,
      body: JSON.stringify({ reviewId: 'wf-abc', humanLoopName: 'wf-abc', workflow: 'wf', intervalSeconds: 60, dueAt }),
      attributes: { ApproximateReceiveCount: '1' },
      messageAttributes: {},
      eventSource: 'aws:sqs',
    }) as unknown as SQSRecord;

  it('hands back a batch of polls not due yet as item failures, without failing the invocation', async () => {
    const postponed: [string, number][] = [];
    const deps = {
      poll: {
        clock: { now: () => now, sleep: async () => undefined },
        polls: { postpone: async (receipt: string, seconds: number) => void postponed.push([receipt, seconds]) },
      } as unknown as PollDeps,
    };
    const handler = createHandler(() => deps);
    const response = await handler({ Records: [record('a', now + 30_000), record('b', now + 90_000)] }, lambdaContext({ functionName: 'loop-poll' }));
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'a' }, { itemIdentifier: 'b' }]);
    expect(postponed).toEqual([
      ['receipt-a', 30],
      ['receipt-b', 90],
    ]);
  });
});

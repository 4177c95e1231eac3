import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDbLedger, DEFAULT_LEDGER_OPTIONS, type Ledger, MemoryLedger } from '../../lib/ledger';
import type { PollQueue } from '../../lib/review/poll-queue';
import { wakeOnStatusEvent } from '../../lib/review/status-event';
import { parkTaskToken } from '../../lib/review/wait-for-status';
import { compileWorkflow, type Workflow } from '../../lib/workflow';
import { instantClock, startDynalite } from '../support/ingest-harness';

/**
 * A WaitForStatus attempt that timed out (middy's TimeoutError, 5 ms before Lambda's) can still be running when
 * the machine's retry parks a new token. If its write landed last, the ledger would hold a dead token: the status
 * event and every poll would wake nothing, and the machine would wait until the workflow's timeout.
 */
const sfnMock = mockClient(SFNClient);
const workflow = compileWorkflow({
  name: 'claims',
  activation: { Conditions: [{ ConditionType: 'Sampling', ConditionParameters: { RandomSamplingPercentage: 100 } }] },
  tracking: { initialPollSeconds: 300, maxPollSeconds: 1200, timeoutSeconds: 86_400 },
  input: { projection: '@', oversize: 'invalid' },
  routes: [{ queue: 'out' }],
} as unknown as Workflow);

let dynamo: Awaited<ReturnType<typeof startDynalite>>;
beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo.close();
});
beforeEach(() => {
  sfnMock.reset();
  sfnMock.on(SendTaskSuccessCommand).resolves({});
});

type Clock = ReturnType<typeof instantClock>;
const ledgers: [string, (clock: Clock) => Promise<Ledger>][] = [
  ['MemoryLedger', async (clock) => new MemoryLedger(DEFAULT_LEDGER_OPTIONS, clock)],
  [
    'DynamoDbLedger',
    async (clock) => {
      const table = `token-order-${Math.random().toString(36).slice(2)}`;
      await dynamo.createLedgerTable(table);
      return new DynamoDbLedger(DynamoDBDocumentClient.from(dynamo.client), table, DEFAULT_LEDGER_OPTIONS, clock);
    },
  ],
];

describe.each(ledgers)('%s', (_name, create) => {
  it('the token of the attempt that started last stays parked, whichever write lands last', async () => {
    const clock = instantClock();
    const ledger = await create(clock);
    await ledger.reserveStart({ reviewId: 'claims-1', workflow: 'claims', recordIndex: 0 });
    await ledger.markStarted('claims-1', { humanLoopName: 'claims-1' });
    // The first attempt's write is held back until after the retry's, as a slow attempt that timed out would be.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const slowLedger = {
      storeTaskToken: async (reviewId: string, token: string, startedAt?: number) => {
        if (token === 'dead-token') await held;
        return ledger.storeTaskToken(reviewId, token, startedAt);
      },
      markPollScheduled: (reviewId: string) => ledger.markPollScheduled(reviewId),
    } as unknown as Ledger;
    const polls: PollQueue = { schedule: async () => undefined, postpone: async () => undefined };
    const deps = { ledger: slowLedger, sfn: new SFNClient({}), polls, workflow: () => workflow, clock };
    const input = (taskToken: string) => ({ reviewId: 'claims-1', humanLoopName: 'claims-1', workflow: 'claims', taskToken, checkedAt: clock.now(), waitSeconds: 3600 });

    const zombie = parkTaskToken(input('dead-token'), deps);
    await clock.sleep(30_000);
    await parkTaskToken(input('live-token'), deps);
    release();
    await zombie;

    expect((await ledger.get('claims-1'))?.taskToken).toBe('live-token');
    expect(await wakeOnStatusEvent({ humanLoopName: 'claims-1', humanLoopStatus: 'Completed' }, { ledger, sfn: new SFNClient({}) })).toBe('woken');
    expect(sfnMock.commandCalls(SendTaskSuccessCommand).map((call) => call.args[0].input.taskToken)).toEqual(['live-token']);
  });
});

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { type Dynalite, startDynalite } from '../support/dynalite';
import { type DedupeStore, joinInFlight, ReviewInProgressError } from '../../lib/consumer/dedupe';
import { DynamoDbDedupeStore } from '../../lib/consumer/dynamodb-dedupe';

// The DynamoDB dedupe store on dynalite: the conditional writes are DynamoDB's, not a mock's.

let dynamo: Dynalite;
let client: DynamoDBClient;
let tableCount = 0;

beforeAll(async () => {
  dynamo = await startDynalite();
  client = dynamo.client;
});
afterAll(async () => {
  await dynamo.close();
});
afterEach(() => {
  jest.restoreAllMocks();
});

async function newTable(): Promise<string> {
  const tableName = `dedupe-${++tableCount}`;
  await dynamo.createTable(tableName, 'id');
  return tableName;
}

/** One store per simulated Lambda environment, each in an invocation with a minute left. */
function storeOn(tableName: string, options: { ttlSeconds?: number; remainingMs?: number } = {}): DynamoDbDedupeStore {
  const store = new DynamoDbDedupeStore({ tableName, client, keyPrefix: 'orders-consumer', ttlSeconds: options.ttlSeconds ?? 3600 });
  store.startInvocation({ getRemainingTimeInMillis: () => options.remainingMs ?? 60_000 });
  return store;
}

async function items(tableName: string): Promise<Record<string, unknown>[]> {
  const { Items = [] } = await DynamoDBDocumentClient.from(client).send(new ScanCommand({ TableName: tableName, ConsistentRead: true }));
  return Items;
}

function gate(): { open(): void; wait: Promise<void> } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { open, wait };
}

/** Date.now moved forward, as Powertools and its conditions read it; nothing waits. */
function advanceClock(ms: number): void {
  const realNow = Date.now.bind(Date);
  jest.spyOn(Date, 'now').mockImplementation(() => realNow() + ms);
}

it('runs the work for a new reviewId and records it COMPLETED under the consumer prefix with a TTL', async () => {
  // Prepare
  const tableName = await newTable();
  const store = storeOn(tableName, { ttlSeconds: 3600 });
  const work = jest.fn(async () => undefined);
  const before = Math.floor(Date.now() / 1000);

  // Act
  const result = await store.runOnce('orders-7f3a9c', work);

  // Assess
  expect(result).toBe('ran');
  expect(work).toHaveBeenCalledTimes(1);
  const [item, ...others] = await items(tableName);
  expect(others).toEqual([]);
  expect(item.id).toMatch(/^orders-consumer#/);
  expect(item.id).not.toBe('orders-consumer#');
  // The table layout the docs describe: partition key `id`, time to live on `expiration`.
  expect(Object.keys(item).sort()).toEqual(['expiration', 'id', 'in_progress_expiration', 'status']);
  expect(item.status).toBe('COMPLETED');
  expect(item.expiration).toBeGreaterThanOrEqual(before + 3600);
  expect(item.expiration).toBeLessThanOrEqual(before + 3602);
});

it('skips a reviewId that was handled, and keeps reviewIds and consumers apart', async () => {
  // Prepare
  const tableName = await newTable();
  const store = storeOn(tableName);
  await store.runOnce('orders-aaa', async () => undefined);
  const otherConsumer = new DynamoDbDedupeStore({ tableName, client, keyPrefix: 'audit-consumer' });
  otherConsumer.startInvocation({ getRemainingTimeInMillis: () => 60_000 });
  const work = jest.fn(async () => undefined);

  // Act
  const again = await storeOn(tableName).runOnce('orders-aaa', work);
  const other = await store.runOnce('orders-bbb', work);
  const byOtherConsumer = await otherConsumer.runOnce('orders-aaa', work);

  // Assess
  expect(again).toBe('duplicate');
  expect(other).toBe('ran');
  expect(byOtherConsumer).toBe('ran');
  expect(work).toHaveBeenCalledTimes(2);
  expect(await items(tableName)).toHaveLength(3);
});

it('leaves a reviewId whose work threw not done, with the work error unchanged, so a retry runs it', async () => {
  // Prepare
  const tableName = await newTable();
  const store = storeOn(tableName);
  const failure = new TypeError('downstream said no');
  const work = jest.fn<Promise<void>, []>().mockRejectedValueOnce(failure).mockResolvedValueOnce(undefined);

  // Act
  const first = await store.runOnce('orders-ccc', work).catch((error: unknown) => error);
  const left = await items(tableName);
  const retry = await store.runOnce('orders-ccc', work);

  // Assess
  expect(first).toBe(failure);
  expect(left).toEqual([]);
  expect(retry).toBe('ran');
  expect(work).toHaveBeenCalledTimes(2);
});

it('refuses a reviewId another environment is handling, then skips it once that run completed', async () => {
  // Prepare
  const tableName = await newTable();
  const [here, there] = [storeOn(tableName), storeOn(tableName)];
  const release = gate();
  let started!: () => void;
  const running = new Promise<void>((resolve) => (started = resolve));
  const slow = jest.fn(async () => {
    started();
    await release.wait;
  });
  const work = jest.fn(async () => undefined);

  // Act
  const first = here.runOnce('orders-ddd', slow);
  await running;
  const whileRunning = await there.runOnce('orders-ddd', work).catch((error: unknown) => error);
  release.open();
  await first;
  const afterwards = await there.runOnce('orders-ddd', work);

  // Assess
  expect(whileRunning).toBeInstanceOf(ReviewInProgressError);
  expect(whileRunning).toMatchObject({ name: 'ReviewInProgressError', reviewId: 'orders-ddd' });
  expect(afterwards).toBe('duplicate');
  expect(slow).toHaveBeenCalledTimes(1);
  expect(work).not.toHaveBeenCalled();
});

it('lets a redelivery take over a claim whose invocation ran out of time', async () => {
  // Prepare: a run that never finishes (its invocation died with 30 s left)
  const tableName = await newTable();
  const dead = storeOn(tableName, { remainingMs: 30_000 });
  let claimed!: () => void;
  const claim = new Promise<void>((resolve) => (claimed = resolve));
  void dead.runOnce('orders-eee', () => {
    claimed();
    return new Promise<void>(() => undefined);
  });
  await claim;
  const work = jest.fn(async () => undefined);
  const tooEarly = await storeOn(tableName).runOnce('orders-eee', work).catch((error: unknown) => error);

  // Act
  advanceClock(31_000);
  const takeOver = await storeOn(tableName).runOnce('orders-eee', work);

  // Assess
  expect(tooEarly).toBeInstanceOf(ReviewInProgressError);
  expect(takeOver).toBe('ran');
  expect(work).toHaveBeenCalledTimes(1);
});

it('forgets a handled reviewId once its TTL has passed', async () => {
  // Prepare
  const tableName = await newTable();
  await storeOn(tableName, { ttlSeconds: 600 }).runOnce('orders-fff', async () => undefined);
  const work = jest.fn(async () => undefined);
  const withinTtl = await storeOn(tableName, { ttlSeconds: 600 }).runOnce('orders-fff', work);

  // Act
  advanceClock(601_000);
  const afterTtl = await storeOn(tableName, { ttlSeconds: 600 }).runOnce('orders-fff', work);

  // Assess
  expect(withinTtl).toBe('duplicate');
  expect(afterTtl).toBe('ran');
  expect(work).toHaveBeenCalledTimes(1);
});

describe('joinInFlight', () => {
  /** A store that records calls and lets the test finish each run. */
  function manualStore(): DedupeStore & { runs: string[]; finish(error?: Error): void } {
    const pending: ((error?: Error) => void)[] = [];
    return {
      runs: [],
      runOnce(reviewId, work) {
        this.runs.push(reviewId);
        return new Promise((resolve, reject) => {
          pending.push((error) => (error ? reject(error) : work().then(() => resolve('ran'), reject)));
        });
      },
      finish(error) {
        pending.shift()?.(error);
      },
    };
  }

  it('makes a second overlapping run for the same reviewId wait for the first and report duplicate', async () => {
    // Prepare
    const inner = manualStore();
    const store = joinInFlight(inner);
    const work = jest.fn(async () => undefined);

    // Act
    const first = store.runOnce('orders-hhh', work);
    const second = store.runOnce('orders-hhh', work);
    const other = store.runOnce('orders-iii', work);
    inner.finish();
    inner.finish();
    const results = await Promise.all([first, second, other]);

    // Assess
    expect(results).toEqual(['ran', 'duplicate', 'ran']);
    expect(inner.runs).toEqual(['orders-hhh', 'orders-iii']);
    expect(work).toHaveBeenCalledTimes(2);
  });

  it('fails the waiting run with the first run\'s error, and runs again once nothing is in flight', async () => {
    // Prepare
    const inner = manualStore();
    const store = joinInFlight(inner);
    const failure = new Error('first run failed');

    // Act
    const first = store.runOnce('orders-jjj', async () => undefined).catch((error: unknown) => error);
    const second = store.runOnce('orders-jjj', async () => undefined).catch((error: unknown) => error);
    inner.finish(failure);
    const failed = await Promise.all([first, second]);
    const later = store.runOnce('orders-jjj', async () => undefined);
    inner.finish();

    // Assess
    expect(failed).toEqual([failure, failure]);
    expect(await later).toBe('ran');
    expect(inner.runs).toEqual(['orders-jjj', 'orders-jjj']);
  });
});

import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Clock } from '../../lib/clock';

/**
 * A clock for tests: `now()` is whatever the test says, `sleep()` resolves at once and records the delay
 * (advancing `now` by it, so that code waiting for time to pass sees it pass), and `random()` returns the
 * values it was given, in turn (the last one repeats).
 */
export class FakeClock implements Clock {
  readonly sleeps: number[] = [];
  #current: number;
  #randoms: number[];
  #randomIndex = 0;

  constructor(options: { now?: number; random?: number | number[]; advanceOnSleep?: boolean } = {}) {
    this.#current = options.now ?? Date.UTC(2025, 0, 15, 12, 0, 0);
    const random = options.random ?? 0.5;
    this.#randoms = Array.isArray(random) ? random : [random];
    this.advanceOnSleep = options.advanceOnSleep ?? true;
  }

  readonly advanceOnSleep: boolean;

  now(): number {
    return this.#current;
  }

  async sleep(milliseconds: number): Promise<void> {
    this.sleeps.push(milliseconds);
    if (this.advanceOnSleep) this.#current += milliseconds;
  }

  random(): number {
    const value = this.#randoms[Math.min(this.#randomIndex, this.#randoms.length - 1)];
    this.#randomIndex++;
    return value;
  }

  advance(milliseconds: number): void {
    this.#current += milliseconds;
  }

  /** Simulated time slept so far. */
  get slept(): number {
    return this.sleeps.reduce((sum, delay) => sum + delay, 0);
  }
}

/** Dummy credentials: the clients under test talk to mocks or to loopback emulators only. */
export const TEST_CREDENTIALS = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' };
export const TEST_REGION = 'us-east-1';

interface DynaliteServer {
  listen(port: number, host: string, callback: (error?: Error) => void): void;
  close(callback: (error?: Error) => void): void;
  address(): AddressInfo | string | null;
}
type DynaliteFactory = (options: { createTableMs?: number; deleteTableMs?: number; updateTableMs?: number }) => DynaliteServer;

/** dynalite (an in-process DynamoDB emulator) on a free loopback port. */
export interface Dynalite {
  endpoint: string;
  client: DynamoDBClient;
  /** Creates a table keyed by `reviewId` (S), on demand, and waits until it is ACTIVE. */
  createLedgerTable(name: string): Promise<void>;
  close(): Promise<void>;
}

export async function startDynalite(): Promise<Dynalite> {
  const load = createRequire(__filename);
  const dynalite = load('dynalite') as DynaliteFactory;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => server.listen(0, '127.0.0.1', (error) => (error ? reject(error) : resolve())));
  const address = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${address.port}`;
  const client = new DynamoDBClient({ endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS });
  return {
    endpoint,
    client,
    async createLedgerTable(name) {
      await client.send(
        new CreateTableCommand({
          TableName: name,
          AttributeDefinitions: [{ AttributeName: 'reviewId', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'reviewId', KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
      // With createTableMs: 0 the table turns ACTIVE on the emulator's next tick: a few round trips at most.
      for (let attempt = 0; attempt < 100; attempt++) {
        const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
        if (Table?.TableStatus === 'ACTIVE') return;
      }
      throw new Error(`table ${name} did not become ACTIVE`);
    },
    async close() {
      client.destroy();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

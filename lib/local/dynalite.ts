import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';

/** dynalite on loopback: a real DynamoDB API (conditional writes included) for the ledger in local mode, tests and the bench. */
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
  /** Creates a table keyed by `hashKey` (S), on demand, and waits until it is ACTIVE. */
  createTable(name: string, hashKey: string): Promise<void>;
  /** A ledger table: keyed by `reviewId`. */
  createLedgerTable(name: string): Promise<void>;
  close(): Promise<void>;
}

export async function startDynalite(options: { port?: number } = {}): Promise<Dynalite> {
  const load = createRequire(__filename);
  const dynalite = load('dynalite') as DynaliteFactory;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => server.listen(options.port ?? 0, '127.0.0.1', (error) => (error ? reject(error) : resolve())));
  const address = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${address.port}`;
  const client = new DynamoDBClient({ endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS });
  const createTable = async (name: string, hashKey: string): Promise<void> => {
    await client.send(
      new CreateTableCommand({
        TableName: name,
        AttributeDefinitions: [{ AttributeName: hashKey, AttributeType: 'S' }],
        KeySchema: [{ AttributeName: hashKey, KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    // With createTableMs: 0 the table turns ACTIVE on the emulator's next tick: a few round trips at most.
    for (let attempt = 0; attempt < 100; attempt++) {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
      if (Table?.TableStatus === 'ACTIVE') return;
    }
    throw new Error(`table ${name} did not become ACTIVE`);
  };
  return {
    endpoint,
    client,
    createTable,
    createLedgerTable: (name) => createTable(name, 'reviewId'),
    async close() {
      client.destroy();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

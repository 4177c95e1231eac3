import { type LocalDynamoDbServer, startLocalDynamoDb, TEST_CREDENTIALS, TEST_REGION } from './dynamodb/server';

/**
 * The DynamoDB API for the ledger in local mode, tests and the bench. Once dynalite; now our own in-process
 * emulator (lib/local/dynamodb/), which parses each expression once and can journal to the state folder.
 * The names stay, so the tests' helpers keep working.
 */
export { TEST_CREDENTIALS, TEST_REGION };
export type Dynalite = LocalDynamoDbServer;

export function startDynalite(options: { port?: number; journalPath?: string } = {}): Promise<Dynalite> {
  return startLocalDynamoDb(options);
}

/**
 * What local mode keeps in its state folder survives a restart: the ledger (the local DynamoDB's journal) and
 * the Step Functions executions (journaled, and those that had not ended run again from their start). A
 * "restart" here is a second instance on the same files, the first one never closed, as after `kill -9`.
 */
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDbLedger } from '../../lib/ledger';
import { LocalDynamoDb } from '../../lib/local/dynamodb/server';
import { startDynalite } from '../../lib/local/dynalite';
import { LocalStepFunctions, type LocalStateMachine } from '../../lib/local/step-functions';

const MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:durable';
const DEADLINE_MS = 10_000;

/** Start → Wait (waitForTaskToken) → Done: the shape of the review loop's wait. */
const DEFINITION = {
  StartAt: 'Start',
  States: {
    Start: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:123456789012:function:start', ResultPath: '$.started', Next: 'Wait' },
    Wait: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { FunctionName: 'arn:aws:lambda:us-east-1:123456789012:function:wait', Payload: { 'token.$': '$$.Task.Token', 'id.$': '$.id' } },
      TimeoutSeconds: 3600,
      ResultPath: '$.answer',
      Next: 'Done',
    },
    Done: { Type: 'Succeed' },
  },
};

/** A machine whose Start task counts its calls per id and whose Wait task hands its token to `parked`. */
function machine(starts: Map<string, number>, parked: Map<string, string>, waiters: Map<string, () => void>): LocalStateMachine {
  return {
    arn: MACHINE_ARN,
    definition: DEFINITION,
    tasks: {
      Start: async (input) => {
        const { id } = input as { id: string };
        starts.set(id, (starts.get(id) ?? 0) + 1);
        return true;
      },
      Wait: async (input) => {
        const { token, id } = (input as { Payload: { token: string; id: string } }).Payload;
        parked.set(id, token);
        waiters.get(id)?.();
        return { StatusCode: 200 };
      },
    },
  };
}

function parkedOnce(waiters: Map<string, () => void>, parked: Map<string, string>, id: string): Promise<string> {
  if (parked.has(id)) return Promise.resolve(parked.get(id) as string);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`execution ${id} never reached its wait`)), DEADLINE_MS);
    waiters.set(id, () => {
      clearTimeout(timer);
      resolve(parked.get(id) as string);
    });
  });
}

describe('local Step Functions across a restart', () => {
  let dir: string;
  const instances: LocalStepFunctions[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'a2i-durable-sfn-'));
  });
  afterEach(() => {
    for (const instance of instances.splice(0)) instance.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs again the executions that had not ended, keeps the ended ones, and refuses the old tokens', async () => {
    // Prepare: one execution ends, one is left waiting when the process "dies".
    const journalPath = join(dir, 'executions.jsonl');
    const first = { starts: new Map<string, number>(), parked: new Map<string, string>(), waiters: new Map<string, () => void>() };
    const before = new LocalStepFunctions([machine(first.starts, first.parked, first.waiters)], { journalPath });
    instances.push(before);
    await before.start(MACHINE_ARN, 'finished', { id: 'finished' });
    await before.start(MACHINE_ARN, 'waiting', { id: 'waiting' });
    const finishedToken = await parkedOnce(first.waiters, first.parked, 'finished');
    const oldToken = await parkedOnce(first.waiters, first.parked, 'waiting');
    await sendTaskSuccess(before, finishedToken);
    await waitUntil(() => before.executions().find((execution) => execution.name === 'finished')?.status === 'SUCCEEDED', 'the first execution to end');

    // Act: a second instance on the same journal, the first one never closed (as after a kill).
    const second = { starts: new Map<string, number>(), parked: new Map<string, string>(), waiters: new Map<string, () => void>() };
    const after = new LocalStepFunctions([machine(second.starts, second.parked, second.waiters)], { journalPath });
    instances.push(after);
    const resumed = after.resume();
    const newToken = await parkedOnce(second.waiters, second.parked, 'waiting');

    // Assess
    expect(resumed).toBe(1);
    // Run again from its start, under the same name; the ended one is not run again.
    expect(second.starts.get('waiting')).toBe(1);
    expect(second.starts.has('finished')).toBe(false);
    expect(after.executions().map(({ name, status }) => ({ name, status })).sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { name: 'finished', status: 'SUCCEEDED' },
      { name: 'waiting', status: 'RUNNING' },
    ]);
    expect(after.hasExecution(MACHINE_ARN, 'finished')).toBe(true);
    // Its name is still taken: StartExecution with other input is refused.
    await expect(after.start(MACHINE_ARN, 'finished', { id: 'other' })).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
    expect((await dispatch(after, 'SendTaskSuccess', { taskToken: oldToken, output: '{}' })).error).toBe('TaskTimedOut');
    await sendTaskSuccess(after, newToken);
    await waitUntil(() => after.executions().find((execution) => execution.name === 'waiting')?.status === 'SUCCEEDED', 'the resumed execution to end');
  });

  it('does not run an execution again once it has ended, even when the process is killed after that', async () => {
    // Prepare
    const journalPath = join(dir, 'executions.jsonl');
    const first = { starts: new Map<string, number>(), parked: new Map<string, string>(), waiters: new Map<string, () => void>() };
    const before = new LocalStepFunctions([machine(first.starts, first.parked, first.waiters)], { journalPath });
    instances.push(before);
    await before.start(MACHINE_ARN, 'one', { id: 'one' });
    await sendTaskSuccess(before, await parkedOnce(first.waiters, first.parked, 'one'));
    await waitUntil(() => before.executions()[0]?.status === 'SUCCEEDED', 'the execution to end');
    // A line cut short by the kill (a start that was never answered) is ignored.
    appendFileSync(journalPath, '{"op":"start","arn":"arn:aws:states:us-east-1:1234');

    // Act
    const after = new LocalStepFunctions([machine(new Map(), new Map(), new Map())], { journalPath });
    instances.push(after);

    // Assess
    expect(after.resume()).toBe(0);
    expect(after.executions().map(({ name, status }) => [name, status])).toEqual([['one', 'SUCCEEDED']]);
  });
});

describe('the local DynamoDB across a restart', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'a2i-durable-ddb-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps every acknowledged write, the ledger protocol included', async () => {
    // Prepare
    const journalPath = join(dir, 'dynamodb.jsonl');
    const first = await startDynalite({ journalPath });
    await first.createLedgerTable('ledger');
    const ledger = new DynamoDbLedger(DynamoDBDocumentClient.from(first.client), 'ledger');
    await ledger.claimDelivery({ reviewId: 'r-1', workflow: 'w', recordIndex: 0 }, 'auto-accepted');
    await ledger.markDelivered('r-1');
    await ledger.reserveStart({ reviewId: 'r-2', workflow: 'w', recordIndex: 1 });
    await ledger.storeTaskToken('r-2', 'token-2');
    // Not closed: the next instance reads what a killed process left.

    // Act
    const second = await startDynalite({ journalPath });
    await second.createLedgerTable('ledger');
    const again = new DynamoDbLedger(DynamoDBDocumentClient.from(second.client), 'ledger');

    // Assess
    expect(await again.claimDelivery({ reviewId: 'r-1', workflow: 'w', recordIndex: 0 }, 'auto-accepted')).toBe('delivered');
    expect(await again.get('r-2')).toMatchObject({ state: 'starting', taskToken: 'token-2', recordIndex: 1 });
    expect(await again.reserveStart({ reviewId: 'r-2', workflow: 'w', recordIndex: 2 })).toBe('duplicate-id');
    await first.close();
    await second.close();
  });

  it('answers as DynamoDB does: conditional failures, undefined and unused placeholders, the key', async () => {
    // Prepare
    const db = await startDynalite();
    await db.createTable('items', 'id');
    const documents = DynamoDBDocumentClient.from(db.client);
    const update = (input: Record<string, unknown>) => documents.send(new UpdateCommand({ TableName: 'items', Key: { id: 'a' }, ...input }));

    // Act, Assess
    await update({ UpdateExpression: 'SET n = :one, tags = :tags', ExpressionAttributeValues: { ':one': 1, ':tags': ['x'] } });
    await update({ UpdateExpression: 'SET n = n + :one, tags = list_append(tags, :more)', ConditionExpression: 'n BETWEEN :one AND :two AND size(tags) = :one', ExpressionAttributeValues: { ':one': 1, ':two': 2, ':more': ['y'] } });
    expect((await documents.send(new GetCommand({ TableName: 'items', Key: { id: 'a' } }))).Item).toEqual({ id: 'a', n: 2, tags: ['x', 'y'] });
    await expect(update({ UpdateExpression: 'SET n = :one', ConditionExpression: 'attribute_not_exists(id)', ExpressionAttributeValues: { ':one': 1 } })).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    await expect(update({ UpdateExpression: 'SET n = :one', ExpressionAttributeValues: { ':one': 1, ':unused': 2 } })).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(update({ UpdateExpression: 'SET n = :missing' })).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(update({ UpdateExpression: 'SET id = :one', ExpressionAttributeValues: { ':one': 'b' } })).rejects.toMatchObject({ name: 'ValidationException' });
    // Numbers compare as decimals, not doubles.
    await update({ UpdateExpression: 'SET big = :big', ExpressionAttributeValues: { ':big': { N: '12345678901234567890' } } as never });
    await expect(update({ UpdateExpression: 'SET n = :one', ConditionExpression: 'big = :near', ExpressionAttributeValues: { ':one': 1, ':near': { N: '12345678901234567891' } } as never })).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    await db.close();
  });

  it('serves TransactWriteItems as DynamoDB does: all or nothing, CancellationReasons in order, one item once, idempotent by token', async () => {
    // Prepare
    const db = await startDynalite();
    await db.createTable('items', 'id');
    const documents = DynamoDBDocumentClient.from(db.client);
    await documents.send(new UpdateCommand({ TableName: 'items', Key: { id: 'held' }, UpdateExpression: 'SET n = :one', ExpressionAttributeValues: { ':one': 1 } }));
    const create = (id: string) => ({ Update: { TableName: 'items', Key: { id }, UpdateExpression: 'SET n = :one', ConditionExpression: 'attribute_not_exists(id)', ExpressionAttributeValues: { ':one': 1 } } });
    const get = async (id: string) => (await documents.send(new GetCommand({ TableName: 'items', Key: { id } }))).Item;

    // Act, Assess: a failed condition cancels the whole transaction.
    const cancelled = await documents.send(new TransactWriteCommand({ TransactItems: [create('a'), create('held'), create('b')] })).catch((error: unknown) => error);
    expect(cancelled).toMatchObject({ name: 'TransactionCanceledException', CancellationReasons: [{ Code: 'None' }, { Code: 'ConditionalCheckFailed' }, { Code: 'None' }] });
    expect(await get('a')).toBeUndefined();
    await documents.send(new TransactWriteCommand({ TransactItems: [create('a'), create('b')] }));
    expect(await get('b')).toEqual({ id: 'b', n: 1 });
    await expect(documents.send(new TransactWriteCommand({ TransactItems: [create('c'), create('c')] }))).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(documents.send(new TransactWriteCommand({ TransactItems: Array.from({ length: 101 }, (_, index) => create(`x${index}`)) }))).rejects.toMatchObject({ name: 'ValidationException' });
    // The same token again (the SDK's retry of a call whose answer was lost) succeeds without writing twice.
    await documents.send(new TransactWriteCommand({ TransactItems: [create('d')], ClientRequestToken: 'token-1' }));
    await expect(documents.send(new TransactWriteCommand({ TransactItems: [create('d')], ClientRequestToken: 'token-1' }))).resolves.toBeDefined();
    await expect(documents.send(new TransactWriteCommand({ TransactItems: [create('e')], ClientRequestToken: 'token-1' }))).rejects.toMatchObject({ name: 'IdempotentParameterMismatchException' });
    await db.close();
  });

  it('journals a transaction as one line: cut short by a kill, none of it is there', () => {
    const journalPath = join(dir, 'dynamodb.jsonl');
    const first = new LocalDynamoDb(journalPath);
    first.dispatch('CreateTable', { TableName: 'items', KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }] });
    first.dispatch('TransactWriteItems', { TransactItems: [{ Put: { TableName: 'items', Item: { id: { S: 'a' } } } }, { Put: { TableName: 'items', Item: { id: { S: 'b' } } } }] });
    const whole = readFileSync(journalPath, 'utf8');
    first.dispatch('TransactWriteItems', { TransactItems: [{ Put: { TableName: 'items', Item: { id: { S: 'c' } } } }, { Put: { TableName: 'items', Item: { id: { S: 'd' } } } }] });
    // The second transaction's line, cut short in its middle as a kill would leave it.
    const after = readFileSync(journalPath, 'utf8');
    writeFileSync(journalPath, after.slice(0, whole.length + Math.floor((after.length - whole.length) * 0.7)));

    const second = new LocalDynamoDb(journalPath);

    expect(second.dispatch('Scan', { TableName: 'items' })).toMatchObject({ Count: 2, Items: [{ id: { S: 'a' } }, { id: { S: 'b' } }] });
    first.close();
    second.close();
  });

  it('skips a journal line cut short by a kill', () => {
    const journalPath = join(dir, 'dynamodb.jsonl');
    const first = new LocalDynamoDb(journalPath);
    first.dispatch('CreateTable', { TableName: 'items', KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }] });
    first.dispatch('PutItem', { TableName: 'items', Item: { id: { S: 'kept' } } });
    appendFileSync(journalPath, '{"op":"put","t":"items","item":{"id":{"S":"cut');
    const second = new LocalDynamoDb(journalPath);
    expect(second.dispatch('Scan', { TableName: 'items' })).toMatchObject({ Count: 1, Items: [{ id: { S: 'kept' } }] });
    first.close();
    second.close();
  });
});

async function dispatch(local: LocalStepFunctions, operation: string, body: Record<string, unknown>): Promise<{ error?: string }> {
  try {
    await (local as unknown as { dispatch(operation: string, body: Record<string, unknown>): Promise<unknown> }).dispatch(operation, body);
    return {};
  } catch (error) {
    return { error: (error as Error).name };
  }
}

async function sendTaskSuccess(local: LocalStepFunctions, token: string): Promise<void> {
  const { error } = await dispatch(local, 'SendTaskSuccess', { taskToken: token, output: '{"ok":true}' });
  if (error) throw new Error(`SendTaskSuccess: ${error}`);
}

async function waitUntil(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

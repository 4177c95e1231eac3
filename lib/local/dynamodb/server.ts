import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { closeSync, openSync, renameSync, writeSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Agent } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { HttpRequest, HttpResponse } from '@smithy/types';
import { refuseBrowserRequest } from '../browser-guard';
import { readJsonLines } from '../durable-logs';
import { applyUpdate, type AttributeValue, checkPlaceholders, DynamoDbError, evaluateCondition, type Item, parseCondition, parseUpdate, type Placeholders } from './expressions';

export const TEST_CREDENTIALS = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' };
export const TEST_REGION = 'us-east-1';

/** DynamoDB's item size limit. */
const MAX_ITEM_BYTES = 400 * 1024;
const JSON_CONTENT_TYPE = 'application/x-amz-json-1.0';
const TARGET_PREFIX = 'DynamoDB_20120810.';
/** Rewrite the journal at start when it holds this many times more lines than live items. */
const COMPACT_RATIO = 4;
const ERROR_NAMESPACE = 'com.amazonaws.dynamodb.v20120810#';
const DECODER = new TextDecoder();
/** TransactWriteItems' limit of actions per call. */
const MAX_TRANSACTION_ITEMS = 100;
/** How long AWS remembers a TransactWriteItems' ClientRequestToken. */
const TOKEN_LIFETIME_MS = 10 * 60_000;

interface KeyElement {
  AttributeName: string;
  KeyType: 'HASH' | 'RANGE';
}

interface Table {
  name: string;
  keySchema: KeyElement[];
  attributeDefinitions: { AttributeName: string; AttributeType: string }[];
  billingMode: string;
  createdAt: number;
  items: Map<string, Item>;
}

type JournalLine =
  | { op: 'table'; name: string; keySchema: KeyElement[]; attributeDefinitions: Table['attributeDefinitions']; billingMode: string; createdAt: number }
  | { op: 'drop'; name: string }
  | { op: 'put'; t: string; item: Item }
  | { op: 'del'; t: string; key: string }
  | { op: 'tx'; lines: ({ op: 'put'; t: string; item: Item } | { op: 'del'; t: string; key: string })[] };

/** A write worked out (its condition checked) but not yet applied: `item` undefined deletes. */
interface Write {
  table: Table;
  key: string;
  old?: Item;
  item?: Item;
  touched: Set<string>;
}

type Body = Record<string, unknown>;

/**
 * A DynamoDB API (JSON 1.0 on loopback) in this process, with just what the ledger and the consumers' dedupe
 * store call: CreateTable, DescribeTable, DeleteTable, ListTables, GetItem, PutItem, UpdateItem, DeleteItem,
 * TransactWriteItems and Scan, with condition and update expressions (parsed once per text) and AWS's error shapes. With `journalPath`,
 * every write is appended to a journal before it is answered, so what was acknowledged survives a kill.
 */
export class LocalDynamoDb {
  private readonly tables = new Map<string, Table>();
  private fd?: number;
  /** TransactWriteItems' client request tokens, oldest first. */
  private readonly tokens = new Map<string, { fingerprint: string; at: number }>();

  constructor(journalPath?: string) {
    if (journalPath) this.load(journalPath);
  }

  /**
   * An SDK request handler that hands each request to this database in the process, without a socket: what
   * the handlers' DynamoDB clients use in local mode (their middleware, the role checks included, still runs).
   */
  requestHandler(): DirectRequestHandler {
    return {
      handle: async (request) => {
        const target = request.headers['x-amz-target'] ?? request.headers['X-Amz-Target'];
        let status = 200;
        let payload: unknown;
        try {
          if (typeof target !== 'string' || !target.startsWith(TARGET_PREFIX)) throw new DynamoDbError('UnknownOperationException', 'Not a DynamoDB request');
          const text = typeof request.body === 'string' ? request.body : request.body instanceof Uint8Array ? DECODER.decode(request.body) : '';
          payload = this.dispatch(target.slice(TARGET_PREFIX.length), (text.length === 0 ? {} : JSON.parse(text)) as Body);
        } catch (error) {
          ({ status, payload } = errorPayload(error));
        }
        const body = Buffer.from(JSON.stringify(payload));
        return { response: { statusCode: status, headers: { 'content-type': JSON_CONTENT_TYPE, 'content-length': String(body.length), 'x-amzn-requestid': randomUUID() }, body: new Uint8Array(body) } };
      },
      updateHttpClientConfig: () => undefined,
      httpHandlerConfigs: () => ({}),
      destroy: () => undefined,
    };
  }

  /** Serves one API call; false when the request is not one. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const target = req.headers['x-amz-target'];
    if (req.method !== 'POST' || typeof target !== 'string' || !target.startsWith(TARGET_PREFIX)) return false;
    let status = 200;
    let payload: unknown;
    try {
      const text = await readBody(req);
      let body: unknown;
      try {
        body = text.length === 0 ? {} : JSON.parse(text);
      } catch {
        throw new DynamoDbError('SerializationException', 'Start of structure or map found where not expected');
      }
      payload = this.dispatch(target.slice(TARGET_PREFIX.length), body as Body);
    } catch (error) {
      ({ status, payload } = errorPayload(error));
    }
    const out = JSON.stringify(payload);
    res.writeHead(status, { 'Content-Type': JSON_CONTENT_TYPE, 'Content-Length': Buffer.byteLength(out), 'x-amzn-RequestId': randomUUID() });
    res.end(out);
    return true;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  dispatch(operation: string, body: Body): unknown {
    switch (operation) {
      case 'CreateTable':
        return this.createTable(body);
      case 'DescribeTable':
        return { Table: describe(this.table(body)) };
      case 'DeleteTable': {
        const table = this.table(body);
        this.tables.delete(table.name);
        this.write({ op: 'drop', name: table.name });
        return { TableDescription: { ...describe(table), TableStatus: 'DELETING' } };
      }
      case 'ListTables':
        return { TableNames: [...this.tables.keys()].sort() };
      case 'GetItem': {
        const table = this.table(body);
        const item = table.items.get(keyOf(table, body.Key));
        return item ? { Item: project(item, body) } : {};
      }
      case 'PutItem':
        return this.putItem(body);
      case 'UpdateItem':
        return this.updateItem(body);
      case 'DeleteItem':
        return this.deleteItem(body);
      case 'Scan':
        return this.scan(body);
      case 'TransactWriteItems':
        return this.transactWriteItems(body);
      default:
        throw new DynamoDbError('UnknownOperationException', `Operation ${operation} is not supported by the local DynamoDB`);
    }
  }

  private createTable(body: Body): unknown {
    const name = tableName(body);
    if (this.tables.has(name)) throw new DynamoDbError('ResourceInUseException', `Table already exists: ${name}`);
    const keySchema = body.KeySchema as KeyElement[] | undefined;
    const attributeDefinitions = (body.AttributeDefinitions as Table['attributeDefinitions'] | undefined) ?? [];
    if (!Array.isArray(keySchema) || keySchema.length < 1 || keySchema.length > 2 || keySchema[0].KeyType !== 'HASH') throw new DynamoDbError('ValidationException', 'Invalid KeySchema: the first key must be HASH');
    for (const key of keySchema) {
      if (!attributeDefinitions.some((definition) => definition.AttributeName === key.AttributeName)) throw new DynamoDbError('ValidationException', `One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [${key.AttributeName}]`);
    }
    const line: JournalLine = { op: 'table', name, keySchema, attributeDefinitions, billingMode: String(body.BillingMode ?? 'PROVISIONED'), createdAt: Date.now() };
    this.write(line);
    const table = this.addTable(line);
    return { TableDescription: describe(table) };
  }

  private putItem(body: Body): unknown {
    const write = this.planPut(body);
    this.commit([write]);
    return body.ReturnValues === 'ALL_OLD' && write.old ? { Attributes: write.old } : {};
  }

  private updateItem(body: Body): unknown {
    const write = this.planUpdate(body);
    const { item, old, touched } = write;
    this.commit([write]);
    switch (body.ReturnValues ?? 'NONE') {
      case 'NONE':
        return {};
      case 'ALL_NEW':
        return { Attributes: item };
      case 'ALL_OLD':
        return old ? { Attributes: old } : {};
      case 'UPDATED_NEW':
        return { Attributes: pick(item as Item, touched) };
      case 'UPDATED_OLD':
        return old ? { Attributes: pick(old, touched) } : {};
      default:
        throw new DynamoDbError('ValidationException', `1 validation error detected: Value '${String(body.ReturnValues)}' at 'returnValues' failed to satisfy constraint`);
    }
  }

  private deleteItem(body: Body): unknown {
    const write = this.planDelete(body);
    this.commit([write]);
    return body.ReturnValues === 'ALL_OLD' && write.old ? { Attributes: write.old } : {};
  }

  /**
   * TransactWriteItems: up to 100 Put, Update, Delete and ConditionCheck actions on distinct items, all
   * applied or none. A failed condition cancels the whole transaction with TransactionCanceledException, whose
   * CancellationReasons say, in request order, which action failed (`ConditionalCheckFailed`) and which did
   * not (`None`). A ClientRequestToken makes a retried call idempotent for 10 minutes, as in AWS.
   */
  private transactWriteItems(body: Body): unknown {
    const actions = body.TransactItems;
    if (!Array.isArray(actions) || actions.length < 1 || actions.length > MAX_TRANSACTION_ITEMS) {
      throw new DynamoDbError('ValidationException', `1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to ${MAX_TRANSACTION_ITEMS}, Member must have length greater than or equal to 1`);
    }
    const token = typeof body.ClientRequestToken === 'string' ? body.ClientRequestToken : undefined;
    const fingerprint = JSON.stringify(actions);
    if (token !== undefined) {
      this.forgetOldTokens();
      const seen = this.tokens.get(token);
      if (seen) {
        if (seen.fingerprint !== fingerprint) throw new DynamoDbError('IdempotentParameterMismatchException', 'The request uses the same client token as a previous, but non-identical request.');
        return {};
      }
    }
    const targets = new Set<string>();
    const plans: { write?: Write; failed: boolean }[] = [];
    for (const action of actions as Body[]) {
      const kinds = ['Put', 'Update', 'Delete', 'ConditionCheck'].filter((kind) => action?.[kind] !== undefined);
      if (kinds.length !== 1) throw new DynamoDbError('ValidationException', 'TransactItems can only contain one of Check, Put, Update or Delete');
      const kind = kinds[0];
      const request = action[kind] as Body;
      const table = this.table(request);
      const target = `${table.name}\u0000${keyOf(table, kind === 'Put' ? pickKey(table, request.Item) : request.Key)}`;
      if (targets.has(target)) throw new DynamoDbError('ValidationException', 'Transaction request cannot include multiple operations on one item');
      targets.add(target);
      if (kind === 'ConditionCheck' && typeof request.ConditionExpression !== 'string') throw new DynamoDbError('ValidationException', 'The ConditionCheck action requires a ConditionExpression');
      try {
        if (kind === 'Put') plans.push({ write: this.planPut(request), failed: false });
        else if (kind === 'Update') plans.push({ write: this.planUpdate(request), failed: false });
        else if (kind === 'Delete') plans.push({ write: this.planDelete(request), failed: false });
        else {
          const tableOfCheck = this.table(request);
          this.check(request, tableOfCheck.items.get(keyOf(tableOfCheck, request.Key)), []);
          plans.push({ failed: false });
        }
      } catch (error) {
        if (!(error instanceof DynamoDbError) || error.name !== 'ConditionalCheckFailedException') throw error;
        plans.push({ failed: true });
      }
    }
    if (plans.some((plan) => plan.failed)) {
      const codes = plans.map((plan) => (plan.failed ? 'ConditionalCheckFailed' : 'None'));
      throw new DynamoDbError('TransactionCanceledException', `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes.join(', ')}]`, undefined, {
        CancellationReasons: codes.map((code) => (code === 'None' ? { Code: code } : { Code: code, Message: 'The conditional request failed' })),
      });
    }
    this.commit(plans.flatMap((plan) => (plan.write ? [plan.write] : [])));
    if (token !== undefined) this.tokens.set(token, { fingerprint, at: Date.now() });
    return {};
  }

  private forgetOldTokens(): void {
    const cutoff = Date.now() - TOKEN_LIFETIME_MS;
    for (const [token, seen] of this.tokens) {
      if (seen.at >= cutoff) break;
      this.tokens.delete(token);
    }
  }

  private planPut(body: Body): Write {
    const table = this.table(body);
    const item = body.Item as Item | undefined;
    if (!item || typeof item !== 'object') throw new DynamoDbError('ValidationException', 'One or more parameter values were invalid: Missing the key in the item');
    const key = keyOf(table, pickKey(table, item));
    const old = table.items.get(key);
    this.check(body, old, []);
    checkSize(item);
    return { table, key, old, item, touched: new Set() };
  }

  private planUpdate(body: Body): Write {
    const table = this.table(body);
    if (body.AttributeUpdates !== undefined || body.Expected !== undefined) throw new DynamoDbError('ValidationException', 'the legacy parameters AttributeUpdates and Expected are not supported locally');
    const keyItem = body.Key as Item;
    const key = keyOf(table, keyItem);
    const old = table.items.get(key);
    const update = typeof body.UpdateExpression === 'string' ? parseUpdate(body.UpdateExpression) : undefined;
    const placeholders = this.check(body, old, update ? [update] : []);
    const { item, touched } = update ? applyUpdate(update.tree, old, pickKey(table, keyItem), placeholders) : { item: structuredClone(old ?? pickKey(table, keyItem)), touched: new Set<string>() };
    checkSize(item);
    return { table, key, old, item, touched };
  }

  private planDelete(body: Body): Write {
    const table = this.table(body);
    const key = keyOf(table, body.Key);
    const old = table.items.get(key);
    this.check(body, old, []);
    return { table, key, old, touched: new Set() };
  }

  /** Applies planned writes, journaled as one line: a torn line is dropped at load, so a transaction is never half there. */
  private commit(writes: Write[]): void {
    const lines: Extract<JournalLine, { op: 'put' | 'del' }>[] = [];
    for (const { table, key, old, item } of writes) {
      if (item) {
        table.items.set(key, item);
        lines.push({ op: 'put', t: table.name, item });
      } else if (old) {
        table.items.delete(key);
        lines.push({ op: 'del', t: table.name, key });
      }
    }
    if (lines.length === 1) this.write(lines[0]);
    else if (lines.length > 1) this.write({ op: 'tx', lines });
  }

  private scan(body: Body): unknown {
    const table = this.table(body);
    if (body.FilterExpression !== undefined || body.ScanFilter !== undefined) throw new DynamoDbError('ValidationException', 'Scan filters are not supported locally');
    const limit = typeof body.Limit === 'number' ? body.Limit : Infinity;
    const start = body.ExclusiveStartKey ? keyOf(table, body.ExclusiveStartKey) : undefined;
    const keys = [...table.items.keys()].sort();
    const from = start === undefined ? 0 : keys.findIndex((key) => key > start);
    const page = from < 0 ? [] : keys.slice(from, from + limit);
    const items = page.map((key) => project(table.items.get(key) as Item, body));
    const more = from >= 0 && from + page.length < keys.length;
    return {
      Items: items,
      Count: items.length,
      ScannedCount: items.length,
      ...(more && page.length > 0 ? { LastEvaluatedKey: pickKey(table, table.items.get(page[page.length - 1]) as Item) } : {}),
    };
  }

  /** Validates the placeholders against every expression of the request and evaluates its condition on `old`. */
  private check(body: Body, old: Item | undefined, others: ReturnType<typeof parseUpdate>[]): Placeholders {
    const placeholders: Placeholders = { names: (body.ExpressionAttributeNames as Record<string, string>) ?? {}, values: (body.ExpressionAttributeValues as Item) ?? {} };
    const condition = typeof body.ConditionExpression === 'string' ? parseCondition(body.ConditionExpression) : undefined;
    checkPlaceholders([...(condition ? [condition] : []), ...others], placeholders, { names: body.ExpressionAttributeNames !== undefined, values: body.ExpressionAttributeValues !== undefined });
    if (condition && !evaluateCondition(condition.tree, old, placeholders)) {
      throw new DynamoDbError('ConditionalCheckFailedException', 'The conditional request failed', body.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' ? old : undefined);
    }
    return placeholders;
  }

  private table(body: Body): Table {
    const name = tableName(body);
    const table = this.tables.get(name);
    if (!table) throw new DynamoDbError('ResourceNotFoundException', 'Requested resource not found');
    return table;
  }

  private addTable(line: Extract<JournalLine, { op: 'table' }>): Table {
    const table: Table = { name: line.name, keySchema: line.keySchema, attributeDefinitions: line.attributeDefinitions, billingMode: line.billingMode, createdAt: line.createdAt, items: new Map() };
    this.tables.set(line.name, table);
    return table;
  }

  /** Appended synchronously before the request is answered: the kernel has it even if the process is killed next. */
  private write(line: JournalLine): void {
    if (this.fd === undefined) return;
    writeSync(this.fd, `${JSON.stringify(line)}\n`);
  }

  private load(path: string): void {
    const lines = readJsonLines<JournalLine>(path, (line) => {
      if (line.op === 'table') this.addTable(line);
      else if (line.op === 'drop') this.tables.delete(line.name);
      else for (const write of line.op === 'tx' ? line.lines : [line]) this.replay(write);
    });
    const live = [...this.tables.values()].reduce((sum, table) => sum + 1 + table.items.size, 0);
    if (lines > COMPACT_RATIO * live + 100) this.compact(path);
    this.fd = openSync(path, 'a');
  }

  private replay(line: Extract<JournalLine, { op: 'put' | 'del' }>): void {
    const table = this.tables.get(line.t);
    if (!table) return;
    if (line.op === 'put') table.items.set(keyOf(table, pickKey(table, line.item)), line.item);
    else table.items.delete(line.key);
  }

  /** The journal rewritten as one line per table and live item, swapped in by rename (atomic). */
  private compact(path: string): void {
    const temporary = `${path}.compacting`;
    const fd = openSync(temporary, 'w');
    try {
      for (const table of this.tables.values()) {
        writeSync(fd, `${JSON.stringify({ op: 'table', name: table.name, keySchema: table.keySchema, attributeDefinitions: table.attributeDefinitions, billingMode: table.billingMode, createdAt: table.createdAt })}\n`);
        for (const item of table.items.values()) writeSync(fd, `${JSON.stringify({ op: 'put', t: table.name, item })}\n`);
      }
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  }
}

/** What the SDK's request handler interface asks of a handler (@smithy/types HttpHandler). */
export interface DirectRequestHandler {
  handle(request: HttpRequest): Promise<{ response: HttpResponse }>;
  updateHttpClientConfig(): void;
  httpHandlerConfigs(): object;
  destroy(): void;
}

function errorPayload(error: unknown): { status: number; payload: unknown } {
  if (error instanceof SyntaxError) error = new DynamoDbError('SerializationException', 'Start of structure or map found where not expected');
  return error instanceof DynamoDbError
    ? { status: 400, payload: { __type: `${ERROR_NAMESPACE}${error.name}`, message: error.message, ...(error.item ? { Item: error.item } : {}), ...error.fields } }
    : { status: 500, payload: { __type: `${ERROR_NAMESPACE}InternalServerError`, message: 'Internal server error' } };
}

function tableName(body: Body): string {
  const name = body.TableName;
  if (typeof name !== 'string' || !/^[A-Za-z0-9_.-]{3,255}$/.test(name)) throw new DynamoDbError('ValidationException', `1 validation error detected: Value '${String(name)}' at 'tableName' failed to satisfy constraint`);
  return name;
}

function describe(table: Table): Body {
  return {
    TableName: table.name,
    TableStatus: 'ACTIVE',
    KeySchema: table.keySchema,
    AttributeDefinitions: table.attributeDefinitions,
    CreationDateTime: table.createdAt / 1000,
    ItemCount: table.items.size,
    TableArn: `arn:aws:dynamodb:${TEST_REGION}:000000000000:table/${table.name}`,
    BillingModeSummary: { BillingMode: table.billingMode },
  };
}

/** The item's key attributes, checked against the schema's types. */
function pickKey(table: Table, item: unknown): Item {
  if (!item || typeof item !== 'object') throw new DynamoDbError('ValidationException', 'The provided key element does not match the schema');
  const key: Item = {};
  for (const { AttributeName } of table.keySchema) {
    const value = (item as Item)[AttributeName];
    const type = table.attributeDefinitions.find((definition) => definition.AttributeName === AttributeName)?.AttributeType;
    if (!value || !type || !(type in value)) throw new DynamoDbError('ValidationException', 'One or more parameter values were invalid: Missing the key or the key type does not match the schema');
    const text = (value as Record<string, unknown>)[type];
    if (text === '') throw new DynamoDbError('ValidationException', `One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: ${AttributeName}`);
    key[AttributeName] = value;
  }
  return key;
}

function keyOf(table: Table, key: unknown): string {
  if (key && typeof key === 'object' && Object.keys(key).length !== table.keySchema.length) throw new DynamoDbError('ValidationException', 'The provided key element does not match the schema');
  const picked = pickKey(table, key);
  return JSON.stringify(table.keySchema.map(({ AttributeName }) => picked[AttributeName]));
}

function pick(item: Item, names: Set<string>): Item {
  return Object.fromEntries(Object.entries(item).filter(([name]) => names.has(name)));
}

/** ProjectionExpression of top-level attributes (names or #placeholders), or the whole item. */
function project(item: Item, body: Body): Item {
  if (typeof body.ProjectionExpression !== 'string') return item;
  const names = (body.ExpressionAttributeNames as Record<string, string>) ?? {};
  const wanted = new Set(body.ProjectionExpression.split(',').map((part) => part.trim()).map((part) => (part.startsWith('#') ? names[part] : part)));
  return pick(item, wanted);
}

function checkSize(item: Item): void {
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += Buffer.byteLength(name) + valueSize(value);
  if (size > MAX_ITEM_BYTES) throw new DynamoDbError('ValidationException', 'Item size has exceeded the maximum allowed size');
}

function valueSize(value: AttributeValue): number {
  if ('S' in value) return Buffer.byteLength(value.S);
  if ('N' in value) return Math.ceil(value.N.length / 2) + 1;
  if ('B' in value) return Math.ceil((value.B.length * 3) / 4);
  if ('M' in value) return 3 + Object.entries(value.M).reduce((sum, [name, inner]) => sum + Buffer.byteLength(name) + 1 + valueSize(inner), 0);
  if ('L' in value) return 3 + value.L.reduce((sum, inner) => sum + 1 + valueSize(inner), 0);
  if ('SS' in value) return value.SS.reduce((sum, text) => sum + Buffer.byteLength(text), 0);
  if ('NS' in value) return value.NS.reduce((sum, text) => sum + Math.ceil(text.length / 2) + 1, 0);
  if ('BS' in value) return value.BS.reduce((sum, text) => sum + Math.ceil((text.length * 3) / 4), 0);
  return 1;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The local DynamoDB on a free loopback port, and a client for it. */
export interface LocalDynamoDbServer {
  endpoint: string;
  client: DynamoDBClient;
  /** The database itself: `requestHandler()` serves SDK clients in this process without a socket. */
  database: LocalDynamoDb;
  /** Creates a table keyed by `hashKey` (S), on demand; a table already there (kept from an earlier run) is left as it is. */
  createTable(name: string, hashKey: string): Promise<void>;
  /** A ledger table: keyed by `reviewId`. */
  createLedgerTable(name: string): Promise<void>;
  close(): Promise<void>;
}

export async function startLocalDynamoDb(options: { port?: number; journalPath?: string } = {}): Promise<LocalDynamoDbServer> {
  const database = new LocalDynamoDb(options.journalPath);
  const server: Server = createServer((req, res) => {
    if (refuseBrowserRequest(req, res)) return;
    database.handle(req, res).then(
      (handled) => {
        if (!handled) {
          res.writeHead(404, { 'Content-Type': JSON_CONTENT_TYPE });
          res.end(JSON.stringify({ __type: `${ERROR_NAMESPACE}UnknownOperationException`, message: 'Not a DynamoDB request' }));
        }
      },
      () => res.destroy(),
    );
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const client = new DynamoDBClient({ endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS, requestHandler: { httpAgent: agent } });
  const createTable = async (name: string, hashKey: string): Promise<void> => {
    try {
      await client.send(
        new CreateTableCommand({
          TableName: name,
          AttributeDefinitions: [{ AttributeName: hashKey, AttributeType: 'S' }],
          KeySchema: [{ AttributeName: hashKey, KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
    } catch (error) {
      if ((error as Error).name !== 'ResourceInUseException') throw error;
    }
  };
  return {
    endpoint,
    client,
    database,
    createTable,
    createLedgerTable: (name) => createTable(name, 'reviewId'),
    async close() {
      client.destroy();
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      database.close();
    },
  };
}

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { refuseBrowserRequest } from '../browser-guard';
import { type JournalRecord, StorageJournal } from './journal';
import { S3Error, S3Store, sendS3Error } from './s3';
import { SqsError, SqsStore } from './sqs';

/** The local S3 and SQS: one loopback endpoint serving both, its state in a folder. */
export interface LocalStorage {
  /** e.g. `http://127.0.0.1:4566`: S3 path-style, SQS by the AWS JSON 1.0 protocol. */
  readonly endpoint: string;
  readonly port: number;
  readonly sqs: SqsStore;
  readonly s3: S3Store;
  close(): Promise<void>;
}

export interface LocalStorageOptions {
  /** Where the journal and object bodies live (`<stateDir>/storage`): kept across restarts. */
  dir: string;
  region: string;
  /** The account in queue URLs and ARNs. */
  account: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** The journal is compacted once it has grown by this much (default 64 MiB) and by twice its live state. */
  journalCompactBytes?: number;
}

export class LocalStorageError extends Error {
  override readonly name = 'LocalStorageError';
}

/** The largest SQS request body read: ten 256 KiB entries, JSON-escaped. */
const MAX_SQS_REQUEST_BYTES = 16 * 1024 * 1024;
const SQS_TARGET_PREFIX = 'AmazonSQS.';

type SqsOperation = (store: SqsStore, input: Record<string, unknown>, host: string, gone: () => boolean) => Record<string, unknown> | Promise<Record<string, unknown>>;

const SQS_OPERATIONS: Record<string, SqsOperation> = {
  CreateQueue: (store, input, host) => store.createQueue(input, host),
  GetQueueUrl: (store, input, host) => store.getQueueUrl(input, host),
  ListQueues: (store, input, host) => store.listQueues(input, host),
  DeleteQueue: (store, input) => store.deleteQueue(input),
  GetQueueAttributes: (store, input) => store.getQueueAttributes(input),
  SetQueueAttributes: (store, input) => store.setQueueAttributes(input),
  PurgeQueue: (store, input) => store.purgeQueue(input),
  SendMessage: (store, input) => store.sendMessage(input),
  SendMessageBatch: (store, input) => store.sendMessageBatch(input),
  ReceiveMessage: (store, input, _host, gone) => store.receiveMessage(input, gone),
  DeleteMessage: (store, input) => store.deleteMessage(input),
  DeleteMessageBatch: (store, input) => store.deleteMessageBatch(input),
  ChangeMessageVisibility: (store, input) => store.changeMessageVisibility(input),
  ChangeMessageVisibilityBatch: (store, input) => store.changeMessageVisibilityBatch(input),
};

/**
 * Starts the local S3 and SQS in this process: replays and compacts the journal in `dir`, then listens on
 * loopback. Every state change is in the journal before its request is answered, so `kill -9` at any moment
 * loses nothing acknowledged: messages received but not deleted come back after their visibility timeout.
 */
export async function startLocalStorage(options: LocalStorageOptions): Promise<LocalStorage> {
  let journal: StorageJournal | undefined;
  const append = (records: JournalRecord[]) => journal?.append(records);
  const sqs = new SqsStore({ region: options.region, account: options.account, journal: append });
  const s3 = new S3Store(options.dir, append);
  journal = StorageJournal.open(
    options.dir,
    (record) => (record.t.startsWith('s') ? sqs.replay(record) : s3.replay(record)),
    function* () {
      yield* s3.snapshot();
      yield* sqs.snapshot();
    },
    options.journalCompactBytes,
  );
  s3.collectGarbage();
  const server: Server = createServer((req, res) => {
    if (refuseBrowserRequest(req, res)) return;
    const target = req.headers['x-amz-target'];
    const handled = typeof target === 'string' && target.startsWith(SQS_TARGET_PREFIX) ? handleSqs(sqs, target.slice(SQS_TARGET_PREFIX.length), req, res) : handleS3(s3, req, res);
    handled.catch((error: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end(`local storage: ${(error as Error).name}`);
      } else res.destroy();
    });
  });
  server.keepAliveTimeout = 60_000;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
  } catch (error) {
    journal.close();
    throw new LocalStorageError(`the local S3 and SQS could not listen: ${(error as Error).message}`);
  }
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    sqs,
    s3,
    close: async () => {
      sqs.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      journal?.close();
      journal = undefined;
    },
  };
}

async function handleS3(s3: S3Store, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    await s3.handle(req, res);
  } catch (error) {
    if (!(error instanceof S3Error)) throw error;
    sendS3Error(res, error, req.method === 'HEAD', randomUUID());
  }
}

/** The AWS JSON 1.0 protocol of SQS: `X-Amz-Target: AmazonSQS.<Operation>`, JSON in and out. */
async function handleSqs(sqs: SqsStore, operation: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const requestId = randomUUID();
  let gone = false;
  res.on('close', () => (gone = !res.writableFinished));
  try {
    const run = SQS_OPERATIONS[operation];
    if (!run) throw new SqsError('InvalidAction', `The action ${operation} is not valid for this endpoint.`, 400, 'InvalidAction');
    const body = await readJson(req);
    const output = await run(sqs, body, req.headers.host ?? '127.0.0.1', () => gone);
    const payload = Buffer.from(JSON.stringify(output), 'utf8');
    res.writeHead(200, { 'Content-Type': 'application/x-amz-json-1.0', 'Content-Length': String(payload.length), 'x-amzn-RequestId': requestId });
    res.end(payload);
  } catch (error) {
    if (!(error instanceof SqsError)) throw error;
    const payload = Buffer.from(JSON.stringify({ __type: `com.amazonaws.sqs#${error.code}`, message: error.message }), 'utf8');
    res.writeHead(error.status, {
      'Content-Type': 'application/x-amz-json-1.0',
      'Content-Length': String(payload.length),
      'x-amzn-RequestId': requestId,
      // What the SDK (query-compatible) names the exception by.
      'x-amzn-query-error': `${error.queryCode};${error.sender ? 'Sender' : 'Receiver'}`,
    });
    res.end(payload);
  }
}

function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_SQS_REQUEST_BYTES) chunks.push(chunk);
    });
    req.on('error', reject);
    req.on('end', () => {
      if (size > MAX_SQS_REQUEST_BYTES) return reject(new SqsError('RequestTooLong', 'The request is too long.', 413, 'RequestTooLong'));
      try {
        const text = Buffer.concat(chunks).toString('utf8');
        const parsed: unknown = text === '' ? {} : JSON.parse(text);
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
        resolve(parsed as Record<string, unknown>);
      } catch {
        reject(new SqsError('SerializationException', 'The request body is not valid JSON.', 400, 'SerializationException'));
      }
    });
  });
}

/** The storage folder of a local stack's state folder. */
export function storageDirOf(stateDir: string): string {
  return join(stateDir, 'storage');
}

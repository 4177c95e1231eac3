import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { faultResponse } from '../../lib/local/faults';

/** One answer of the server: a status, headers and body, or none at all (the connection stays open, silent). */
export type Reply = { status: number; headers?: Record<string, string>; body?: string } | 'hang';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Decides the answer to the nth request (1-based) the server received. */
export type Script = (request: ReceivedRequest, n: number) => Reply;

/**
 * An HTTP server on 127.0.0.1 that answers AWS SDK clients as a script says, and keeps every request it
 * received: what a real client built by createAwsClients does on the wire, retries included.
 */
export class LoopbackAws {
  readonly requests: ReceivedRequest[] = [];
  script: Script = () => ({ status: 500 });

  readonly #server: Server;
  #endpoint = '';

  private constructor() {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        this.requests.push(request);
        const reply = this.script(request, this.requests.length);
        if (reply === 'hang') return;
        const body = reply.body ?? '';
        res.writeHead(reply.status, { 'Content-Length': Buffer.byteLength(body), 'x-amzn-RequestId': `loopback-${this.requests.length}`, ...reply.headers });
        res.end(body);
      });
    });
  }

  static async start(): Promise<LoopbackAws> {
    const loopback = new LoopbackAws();
    await new Promise<void>((resolve, reject) => {
      loopback.#server.once('error', reject);
      loopback.#server.listen(0, '127.0.0.1', () => resolve());
    });
    loopback.#endpoint = `http://127.0.0.1:${(loopback.#server.address() as AddressInfo).port}`;
    return loopback;
  }

  get endpoint(): string {
    return this.#endpoint;
  }

  /** Forgets the requests and answers by `script` from now on. */
  answer(script: Script): void {
    this.requests.length = 0;
    this.script = script;
  }

  /** The `attempt=` of each request's amz-sdk-request header: the SDK's retry middleware numbers its attempts. */
  attempts(): string[] {
    return this.requests.map((request) => String(request.headers['amz-sdk-request']));
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

const json = (contentType: string, status: number, body: unknown, headers: Record<string, string> = {}): Reply => ({
  status,
  headers: { 'Content-Type': contentType, ...headers },
  body: JSON.stringify(body),
});

/** How each service answers, in its own protocol (error shapes as lib/local/faults.ts and the services' models give them). */
export const WIRE = {
  a2i: {
    throttle: faultResponse('a2i', 'throttle'),
    fault: faultResponse('a2i', 'error'),
    clientError: json('application/json', 400, { Message: 'InputContent is not valid JSON' }, { 'x-amzn-ErrorType': 'ValidationException' }),
    startHumanLoop: (name: string) => json('application/json', 200, { HumanLoopArn: `arn:aws:sagemaker:us-east-1:123456789012:human-loop/${name}` }),
  },
  sqs: {
    throttle: faultResponse('sqs', 'throttle'),
    fault: faultResponse('sqs', 'error'),
    clientError: json('application/x-amz-json-1.0', 400, { __type: 'com.amazonaws.sqs#QueueDoesNotExist', message: 'The specified queue does not exist.' }),
    /** SendMessageBatch's answer: the entries `failing` names failed on SQS's side, the others succeeded (with their bodies' MD5, which the SDK checks). */
    sendMessageBatch(requestBody: string, failing: string[] = []): Reply {
      const { Entries } = JSON.parse(requestBody) as { Entries: { Id: string; MessageBody: string }[] };
      return json('application/x-amz-json-1.0', 200, {
        Successful: Entries.filter((entry) => !failing.includes(entry.Id)).map((entry) => ({
          Id: entry.Id,
          MessageId: `message-${entry.Id}`,
          MD5OfMessageBody: createHash('md5').update(entry.MessageBody).digest('hex'),
        })),
        Failed: Entries.filter((entry) => failing.includes(entry.Id)).map((entry) => ({ Id: entry.Id, SenderFault: false, Code: 'InternalError', Message: 'try again' })),
      });
    },
  },
  sfn: {
    throttle: faultResponse('sfn', 'throttle'),
    fault: faultResponse('sfn', 'error'),
    clientError: json('application/x-amz-json-1.0', 400, { __type: 'InvalidExecutionInput', message: 'Invalid State Machine Execution Input' }),
    startExecution: (name: string) =>
      json('application/x-amz-json-1.0', 200, { executionArn: `arn:aws:states:us-east-1:123456789012:execution:review-loop:${name}`, startDate: 1_767_225_600 }),
  },
  s3: {
    throttle: faultResponse('s3', 'throttle'),
    fault: faultResponse('s3', 'error'),
    clientError: {
      status: 404,
      headers: { 'Content-Type': 'application/xml' },
      body: '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><RequestId>loopback</RequestId></Error>',
    } as Reply,
    getObject: (text: string): Reply => ({ status: 200, headers: { 'Content-Type': 'application/octet-stream', ETag: '"loopback"' }, body: text }),
  },
  dynamodb: {
    throttle: json('application/x-amz-json-1.0', 400, { __type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException', message: 'Rate of requests exceeds the allowed throughput.' }),
    fault: json('application/x-amz-json-1.0', 500, { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'Internal server error' }),
    clientError: json('application/x-amz-json-1.0', 400, { __type: 'com.amazon.coral.validate#ValidationException', message: 'The provided key element does not match the schema' }),
    getItem: (item: Record<string, { S: string }>) => json('application/x-amz-json-1.0', 200, { Item: item }),
  },
} as const;

/** The SDK's endpoint variables pointing every service at `endpoint`; returns how to put the environment back. */
export function pointSdkAt(endpoint: string): () => void {
  const names = ['AWS_ENDPOINT_URL_SAGEMAKER_A2I_RUNTIME', 'AWS_ENDPOINT_URL_SQS', 'AWS_ENDPOINT_URL_SFN', 'AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL_DYNAMODB'];
  const before = new Map(names.map((name) => [name, process.env[name]]));
  for (const name of names) process.env[name] = endpoint;
  return () => {
    for (const [name, value] of before) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FaultInjector } from './faults';

/** Requests carrying this header come from the local stack itself (setup, the SQS pollers, the consumer), not the handlers: never failed. */
export const INTERNAL_HEADER = 'x-a2i-local-internal';

export interface FaultProxy {
  endpoint: string;
  close(): Promise<void>;
}

/**
 * A loopback proxy in front of the S3 and SQS emulator that fails a share of the handlers' calls as the real
 * services would (SDK clients see a throttle or a 5xx) and passes the rest through untouched.
 */
export async function startFaultProxy(target: string, faults: FaultInjector): Promise<FaultProxy> {
  const upstream = new URL(target);
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const internal = req.headers[INTERNAL_HEADER] !== undefined;
    if (!internal && faults.failIfDrawn(serviceOf(req), req, res)) return;
    const forward = request(
      { hostname: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', (error) => {
      if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain' });
      res.end(`fault proxy: ${error.message}`);
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** SQS speaks JSON 1.0 (X-Amz-Target AmazonSQS.*) or the query protocol; everything else here is S3. */
function serviceOf(req: IncomingMessage): 's3' | 'sqs' {
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string' && target.startsWith('AmazonSQS.')) return 'sqs';
  return /x-www-form-urlencoded/.test(req.headers['content-type'] ?? '') ? 'sqs' : 's3';
}

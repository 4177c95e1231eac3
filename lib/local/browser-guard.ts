import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * What a browser page on another site (or a DNS-rebinding name resolving to 127.0.0.1) must not do to a local
 * port: the review port starts, stops and answers loops and takes uploads, the S3, SQS and DynamoDB ports hold
 * records and the ledger, and a simple cross-site POST (text/plain, a form) needs no preflight. The SDKs and
 * the CLI send neither `Origin` nor `Sec-Fetch-Site`; the review port's own pages send their own origin. The
 * answer is a reason to refuse, or undefined.
 */
export function browserRequestRefusal(headers: IncomingMessage['headers'], port: number | undefined): { status: 403 | 421; message: string } | undefined {
  const hosts = [`127.0.0.1:${port}`, `localhost:${port}`];
  // Port 80 may be left out of Host.
  if (port === 80) hosts.push('127.0.0.1', 'localhost');
  if (!hosts.includes((headers.host ?? '').toLowerCase())) return { status: 421, message: `This server answers only to ${hosts[0]} and ${hosts[1]}` };
  const site = headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return { status: 403, message: `Cross-site requests are refused (Sec-Fetch-Site: ${site})` };
  const origin = headers.origin;
  if (origin !== undefined && !hosts.some((host) => origin === `http://${host}`)) return { status: 403, message: `Requests from another origin are refused (Origin: ${origin})` };
  return undefined;
}

/** Answers a refused browser request (see browserRequestRefusal): true when it was refused. */
export function refuseBrowserRequest(req: IncomingMessage, res: ServerResponse): boolean {
  const refusal = browserRequestRefusal(req.headers, req.socket.localPort);
  if (!refusal) return false;
  res.writeHead(refusal.status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(refusal.message);
  return true;
}

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type A2iEmulator, ApiError, type OpenTask } from '../emulator/a2i-emulator';
import { readBody } from '../emulator/http-io';
import { CROWD_ELEMENTS_SCRIPT, escapeHtml, genericAnswerPage, renderTaskPage, TemplateRenderError } from '../review-ui/render-task';
import { pageShell, statusPage, taskListPage } from '../review-ui/pages';
import { browserRequestRefusal } from './browser-guard';
import type { FaultInjector } from './faults';
import { s3ErrorDocument } from './iam/access-denied';
import type { Journal } from './journal';
import type { TaskSummary } from './status-model';

/** An API on the shared port: serves the request and resolves true, or resolves false without touching it. */
export interface ApiFront {
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
}

export interface LocalServerDeps {
  emulator: A2iEmulator;
  /** The other APIs on this port (Step Functions). */
  apis: ApiFront[];
  /** Fails a share of A2I runtime and Step Functions calls (replay --inject-faults). */
  faults?(): FaultInjector | undefined;
  journal: Journal;
  /** Whether every part of the stack is up (GET /health). */
  ready(): boolean;
  /** grant_read_access: the object behind an s3:// URI, read as A2I reads it, with the flow definition's role. */
  readObject(bucket: string, key: string, reader: { roleArn?: string }): Promise<ObjectRead>;
  /** `dev upload`: puts a file into the input bucket as the cloud would receive it; resolves to what was done. */
  upload(fileName: string, body: Buffer): Promise<unknown>;
  /** The largest body POST /local/upload takes (default MAX_UPLOAD_BYTES). */
  maxUploadBytes?: number;
}

/**
 * The largest file `dev upload` sends: the upload is held in memory while it goes to the local S3, and this is
 * twice the largest JSON document ingest reads (256 MiB); JSON Lines files beyond it go through the inbox.
 */
export const MAX_UPLOAD_BYTES = 512 * 1024 * 1024;

/** What S3 answers a GET of an object with: the object, or its error (AccessDenied, NoSuchKey, NoSuchBucket). */
export type ObjectRead = { status: 200; body: Uint8Array; contentType?: string } | { status: 403 | 404; code: string; message: string };

/** The query parameter of a granted URL that names the role it was granted with (a pre-signed URL's credential). */
const GRANTED_ROLE_PARAMETER = 'X-Amz-Role';

/**
 * What grant_read_access gives reviewers for an s3:// URI: a URL of this server, standing for the pre-signed
 * URL A2I signs with the flow definition's role. Like a pre-signed URL it is made whatever the role may read;
 * opening it reads the object as that role (S3's 403 when it may not).
 */
export function grantedObjectUrl(s3Uri: string, roleArn: string | undefined): string {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(s3Uri);
  if (!match) return s3Uri;
  const path = `${OBJECT_PREFIX}${encodeURIComponent(match[1])}/${match[2].split('/').map(encodeURIComponent).join('/')}`;
  return roleArn ? `${path}?${GRANTED_ROLE_PARAMETER}=${encodeURIComponent(roleArn)}` : path;
}

/** Templates may carry their own scripts and styles (A2I allows it); everything else comes from this server. */
const PAGE_HEADERS = {
  'Content-Security-Policy': "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};
const TASK_PATH = /^\/tasks\/([a-z0-9-]{1,63})$/;
const ANSWER_PATH = /^\/tasks\/([a-z0-9-]{1,63})\/answer$/;
const OBJECT_PREFIX = '/s3/';
const OBJECT_PATH = /^\/s3\/([^/]+)\/(.+)$/;

/**
 * Local mode's one HTTP port: the A2I runtime and SageMaker APIs (the emulator), the Step Functions API, and
 * the review UI (task list, task pages, answers, the status page). Handlers reach the APIs through the SDK's
 * endpoint variables; people open the UI.
 */
export function createLocalServer(deps: LocalServerDeps): Server {
  return createServer((req, res) => {
    route(req, res, deps).catch((error: unknown) => {
      if (!res.headersSent) sendText(res, 500, `Internal error: ${(error as Error).message}`);
      else res.destroy();
    });
  });
}

/**
 * The request target as a URL, or undefined when it is malformed: not a path (`*`, `//host/…`, an absolute
 * URL), or a path whose percent-encoding does not decode. Routes may then decode path segments safely.
 */
export function requestUrl(target: string | undefined): URL | undefined {
  if (target === undefined || !target.startsWith('/') || target.startsWith('//')) return undefined;
  try {
    const url = new URL(target, 'http://localhost');
    decodeURIComponent(url.pathname);
    return url;
  } catch {
    return undefined;
  }
}

async function route(req: IncomingMessage, res: ServerResponse, deps: LocalServerDeps): Promise<void> {
  const refusal = browserRequestRefusal(req.headers, req.socket.localPort);
  if (refusal) {
    req.resume();
    return sendText(res, refusal.status, refusal.message);
  }
  const url = requestUrl(req.url);
  if (!url) {
    req.resume();
    return sendText(res, 400, 'Malformed request target: send a path, with valid percent-encoding');
  }
  const faults = deps.faults?.();
  if (faults) {
    const target = String(req.headers['x-amz-target'] ?? '');
    const service = target.startsWith('AWSStepFunctions.') ? 'sfn' : (req.url ?? '').startsWith('/human-loops') ? 'a2i' : undefined;
    if (service && faults.failIfDrawn(service, req, res)) return;
  }
  if (await deps.emulator.handle(req, res)) return;
  for (const api of deps.apis) if (await api.handle(req, res)) return;
  const path = url.pathname;
  const method = req.method ?? 'GET';
  if (method === 'GET' && path === '/health') return sendJson(res, deps.ready() ? 200 : 503, { status: deps.ready() ? 'ready' : 'starting' });
  if (method === 'GET' && path === '/') return sendHtml(res, 200, taskListPage(deps.emulator.openTasks().map(summary), { title: 'Open tasks · a2i-orchestrator' }));
  if (method === 'GET' && path === '/status') return sendHtml(res, 200, statusPage(deps.journal.snapshot()));
  if (method === 'GET' && path === '/status.json') return sendJson(res, 200, deps.journal.snapshot());
  if (method === 'GET' && path === '/favicon.ico') return send(res, 204, 'image/x-icon', '');
  if (method === 'GET' && path === '/crowd-elements.js') return send(res, 200, 'text/javascript; charset=utf-8', CROWD_ELEMENTS_SCRIPT);
  const task = TASK_PATH.exec(path);
  if (method === 'GET' && task) return serveTaskPage(res, deps, task[1]);
  const answer = ANSWER_PATH.exec(path);
  if (method === 'POST' && answer) return acceptAnswer(req, res, deps, answer[1]);
  const object = OBJECT_PATH.exec(path);
  if (method === 'GET' && object) return serveObject(res, deps, decodeURIComponent(object[1]), decodeURIComponent(object[2]), url.searchParams.get(GRANTED_ROLE_PARAMETER) ?? undefined);
  if (method === 'GET' && path.startsWith(OBJECT_PREFIX)) return sendText(res, 400, `An object is served at ${OBJECT_PREFIX}BUCKET/KEY`);
  if (method === 'POST' && path === '/local/upload') return acceptUpload(req, res, deps, url.searchParams.get('name'));
  req.resume();
  sendText(res, 404, `Nothing at ${method} ${path}`);
}

function summary(task: OpenTask): TaskSummary {
  const input = (task.inputContent ?? {}) as { workflow?: unknown; recordId?: unknown };
  return {
    humanLoopName: task.humanLoopName,
    workflow: typeof input.workflow === 'string' ? input.workflow : task.flowDefinitionName,
    ...(typeof input.recordId === 'string' ? { recordId: input.recordId } : {}),
    answersSoFar: task.answersSoFar,
    taskCount: task.taskCount,
    creationTime: task.creationTime,
    url: `/tasks/${task.humanLoopName}`,
  };
}

async function serveTaskPage(res: ServerResponse, deps: LocalServerDeps, name: string): Promise<void> {
  const task = deps.emulator.openTask(name);
  if (!task) {
    return sendHtml(res, 404, pageShell('Task not open', `<h1>Task not open</h1><p>${escapeHtml(name)} is not waiting for answers (it is finished, or it does not exist).</p><p><a href="/">Open tasks</a></p>`));
  }
  const options = {
    submitUrl: `/tasks/${name}/answer`,
    title: `Review ${name}`,
    grantReadAccess: (uri: string) => grantedObjectUrl(uri, task.roleArn),
  };
  const template = task.humanTaskUiArn ? deps.emulator.humanTaskUi(task.humanTaskUiArn)?.uiTemplate : undefined;
  try {
    const html = template === undefined ? genericAnswerPage(task.inputContent, options) : await renderTaskPage(template, task.inputContent, options);
    sendHtml(res, 200, html);
  } catch (error) {
    if (!(error instanceof TemplateRenderError)) throw error;
    sendHtml(res, 500, pageShell('Template error', `<h1>The worker template did not render</h1><pre>${escapeHtml(error.message)}</pre>`));
  }
}

async function acceptAnswer(req: IncomingMessage, res: ServerResponse, deps: LocalServerDeps, name: string): Promise<void> {
  // JSON only: a cross-site form cannot send it without a preflight this server never grants.
  if (!isJson(req)) {
    req.resume();
    return sendJson(res, 415, { message: 'send the answer as application/json: {"answerContent": {…}}' });
  }
  let answerContent: unknown;
  try {
    answerContent = (JSON.parse(await readBody(req)) as { answerContent?: unknown } | null)?.answerContent;
  } catch {
    return sendJson(res, 400, { message: 'the body is not JSON' });
  }
  if (answerContent === null || typeof answerContent !== 'object' || Array.isArray(answerContent)) {
    return sendJson(res, 400, { message: 'answerContent must be a JSON object' });
  }
  const task = deps.emulator.openTask(name);
  try {
    // One person plays each of the TaskCount workers in turn.
    await deps.emulator.submitAnswer(name, { answerContent, workerId: `local-reviewer-${(task?.answersSoFar ?? 0) + 1}`, timeSpentInSeconds: 0 });
  } catch (error) {
    if (error instanceof ApiError) return sendJson(res, error.httpStatus, { code: error.name, message: error.message });
    throw error;
  }
  sendJson(res, 200, { redirect: '/' });
}

async function serveObject(res: ServerResponse, deps: LocalServerDeps, bucket: string, key: string, roleArn: string | undefined): Promise<void> {
  const object = await deps.readObject(bucket, key, { roleArn });
  if (object.status !== 200) {
    // S3's error document: a reviewer's browser shows a broken image or link, as with A2I.
    return send(res, object.status, 'application/xml', s3ErrorDocument(object.code, object.message));
  }
  res.writeHead(200, { ...PAGE_HEADERS, 'Content-Type': object.contentType ?? 'application/octet-stream', 'Content-Length': object.body.byteLength });
  res.end(object.body);
}

async function acceptUpload(req: IncomingMessage, res: ServerResponse, deps: LocalServerDeps, name: string | null): Promise<void> {
  if (!name || req.headers['content-type'] !== 'application/octet-stream') {
    req.resume();
    return sendJson(res, 400, { message: 'POST the file as application/octet-stream with ?name=<file name>' });
  }
  const limit = deps.maxUploadBytes ?? MAX_UPLOAD_BYTES;
  const body = await readLimited(req, limit);
  if (!body) return refuseTooLarge(req, res, limit);
  try {
    sendJson(res, 200, await deps.upload(name, body));
  } catch (error) {
    sendJson(res, 400, { message: (error as Error).message });
  }
}

/** The body, or undefined as soon as it is known to be larger than `limit` (its Content-Length, or the bytes so far): the rest is not read. */
function readLimited(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  if (Number(req.headers['content-length'] ?? 0) > limit) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      req.pause();
      req.off('data', onData);
      chunks.length = 0;
      resolve(undefined);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

/** 413, then the connection is closed: the client is not left sending (and this server reading) the rest of a body it refused. */
function refuseTooLarge(req: IncomingMessage, res: ServerResponse, limit: number): void {
  const text = JSON.stringify({ message: `the upload is larger than ${limit} bytes, the most dev upload takes` });
  res.writeHead(413, { ...PAGE_HEADERS, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), Connection: 'close' });
  res.end(text, () => req.socket.destroy());
}

function isJson(req: IncomingMessage): boolean {
  return /^application\/json\b/i.test(req.headers['content-type'] ?? '');
}

function sendHtml(res: ServerResponse, status: number, html: string): void {
  send(res, status, 'text/html; charset=utf-8', html);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json', JSON.stringify(body));
}

function sendText(res: ServerResponse, status: number, text: string): void {
  send(res, status, 'text/plain; charset=utf-8', text);
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { ...PAGE_HEADERS, 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

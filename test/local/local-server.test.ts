/**
 * Local mode's one HTTP port (lib/local/local-server.ts) on a real LocalStack: the UI's routes, the answer
 * endpoint's validation, the headers every page carries, objects served from S3, loopback only, and the
 * A2I runtime API on the same port through the real SDK client.
 */
import '../support/quiet-env';
import { ListHumanLoopsCommand, SageMakerA2IRuntimeClient } from '@aws-sdk/client-sagemaker-a2i-runtime';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OpenTask } from '../../lib/emulator/a2i-emulator';
import { request, type Server } from 'node:http';
import type { A2iEmulator } from '../../lib/emulator/a2i-emulator';
import { createLocalServer, grantedObjectUrl } from '../../lib/local/local-server';
import { Journal } from '../../lib/local/journal';
import { LOCAL_BUCKETS } from '../../lib/local/resources';
import { type Delivery, LocalStack } from '../../lib/local/stack';

const REPO = join(__dirname, '..', '..');
const WORKFLOW = 'invoice-extraction';
const INPUT_BUCKET = LOCAL_BUCKETS.input;
const DEADLINE_MS = 20_000;
/** The sample invoices: the second one (a date read with 0.62 confidence) needs a person. */
const SAMPLES = readFileSync(join(REPO, 'samples', 'invoices.jsonl'), 'utf8').trim().split('\n');
const ACTIVATING_RECORD = `${SAMPLES[1]}\n`;

jest.setTimeout(60_000);

/** Resolves with the first item `items` receives that matches, or rejects at the deadline. */
function waitFor<T>(items: T[], listeners: (() => void)[], what: string, match: (item: T) => boolean): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const check = (): boolean => {
      const found = items.find(match);
      if (found === undefined) return false;
      clearTimeout(timer);
      listeners.splice(listeners.indexOf(listener), 1);
      resolve(found);
      return true;
    };
    const listener = () => void check();
    const timer = setTimeout(() => {
      listeners.splice(listeners.indexOf(listener), 1);
      reject(new Error(`gave up after ${DEADLINE_MS} ms waiting for ${what}`));
    }, DEADLINE_MS);
    listeners.push(listener);
    check();
  });
}

describe('local server', () => {
  let stateDir: string;
  let stack: LocalStack;
  const loops: OpenTask[] = [];
  const deliveries: Delivery[] = [];
  const listeners: (() => void)[] = [];
  const problems: string[] = [];
  const notify = () => listeners.slice().forEach((listener) => listener());

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'a2i-local-server-'));
    stack = await LocalStack.start({
      workflows: join(REPO, 'workflows'),
      stateDir,
      port: 0,
      onLoopStarted: (task) => {
        loops.push(task);
        notify();
      },
      onDelivered: (delivery) => {
        deliveries.push(delivery);
        notify();
      },
      onProblem: (text) => problems.push(text),
    });
  });

  afterAll(async () => {
    try {
      await stack?.close();
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  afterEach(() => {
    expect(problems).toEqual([]);
  });

  const get = (path: string, init?: RequestInit) => fetch(`${stack.url}${path}`, init);
  const postAnswer = (name: string, body: string, contentType = 'application/json') =>
    fetch(`${stack.url}/tasks/${name}/answer`, { method: 'POST', headers: { 'content-type': contentType }, body });

  /** Uploads one record that needs a person and resolves with its open loop. */
  async function openLoop(name: string): Promise<OpenTask> {
    await stack.upload(name, Buffer.from(ACTIVATING_RECORD));
    const key = `invoices/${name}`;
    return waitFor(loops, listeners, `a loop for ${key}`, (task) => (task.inputContent as { source?: { key?: string } }).source?.key === key);
  }

  it('listens on 127.0.0.1 only, on the port it picked', async () => {
    const url = new URL(stack.url);
    expect(url.hostname).toBe('127.0.0.1');
    expect(Number(url.port)).toBeGreaterThan(0);
    const others = Object.values(networkInterfaces())
      .flat()
      .filter((info) => info !== undefined && info.address !== '127.0.0.1')
      .map((info) => info!.address);
    for (const address of others) {
      // Another address of this machine (IPv6 loopback, a LAN address): nothing listens there
      const outcome = await new Promise<string>((resolve) => {
        const socket = connect({ host: address, port: Number(url.port) });
        socket.once('connect', () => {
          socket.destroy();
          resolve('connected');
        });
        socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
      });
      expect([address, outcome]).not.toEqual([address, 'connected']);
    }
  });

  it('answers /health with ready', async () => {
    const response = await get('/health');
    expect(response.status).toBe(200);
    await expect(response.json()).resolves.toEqual({ status: 'ready' });
  });

  it('answers 404 for a path it does not serve', async () => {
    for (const [method, path] of [
      ['GET', '/nope'],
      ['POST', '/'],
      ['GET', '/tasks/UPPER-case'],
      ['GET', '/tasks/abc/answer'],
      ['DELETE', '/status'],
    ]) {
      const response = await get(path, { method });
      expect([method, path, response.status]).toEqual([method, path, 404]);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
      await expect(response.text()).resolves.toBe(`Nothing at ${method} ${path}`);
    }
  });

  it('puts its security headers on every page', async () => {
    for (const path of ['/', '/status', '/status.json', '/tasks/no-such-loop', '/nope']) {
      const response = await get(path);
      await response.arrayBuffer();
      const csp = response.headers.get('content-security-policy') ?? '';
      expect([path, csp]).toEqual([path, expect.stringContaining("default-src 'self'")]);
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("form-action 'self'");
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
      expect(response.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('serves the crowd elements as JavaScript', async () => {
    const response = await get('/crowd-elements.js');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const script = await response.text();
    expect(script).toContain('crowd-form');
    expect(script.length).toBeGreaterThan(100);
  });

  it('serves the task list, the status page and its JSON', async () => {
    const list = await get('/');
    expect(list.status).toBe(200);
    expect(list.headers.get('content-type')).toBe('text/html; charset=utf-8');
    await expect(list.text()).resolves.toContain('<h1>Open tasks</h1>');
    const status = await get('/status');
    expect(status.status).toBe(200);
    await expect(status.text()).resolves.toContain('<h1>Pipeline status</h1>');
    const json = await get('/status.json');
    expect(json.status).toBe(200);
    expect(json.headers.get('content-type')).toBe('application/json');
    const snapshot = (await json.json()) as { workflows: { workflow: string }[] };
    expect(snapshot.workflows.map((counts) => counts.workflow)).toEqual([WORKFLOW]);
  });

  it('answers 404 with a page for a task that does not exist', async () => {
    const response = await get('/tasks/no-such-loop');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await response.text();
    expect(html).toContain('Task not open');
    expect(html).toContain('no-such-loop is not waiting for answers');
  });

  it('validates answers: JSON only, an object, for a loop that exists', async () => {
    // Not JSON: 415, whatever the body
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const response = await postAnswer('no-such-loop', '{"answerContent":{}}', contentType);
      expect([contentType, response.status]).toEqual([contentType, 415]);
      await expect(response.json()).resolves.toEqual({ message: expect.stringContaining('application/json') });
    }
    // A body that is not JSON
    const broken = await postAnswer('no-such-loop', '{"answerContent":');
    expect(broken.status).toBe(400);
    await expect(broken.json()).resolves.toEqual({ message: 'the body is not JSON' });
    // answerContent that is not an object
    for (const body of ['{}', '{"answerContent":null}', '{"answerContent":[1]}', '{"answerContent":"yes"}', '{"answerContent":3}', '[]']) {
      const response = await postAnswer('no-such-loop', body);
      expect([body, response.status]).toEqual([body, 400]);
      await expect(response.json()).resolves.toEqual({ message: 'answerContent must be a JSON object' });
    }
    // The JSON value null: refused too (its message says "not JSON", see the report)
    const nullBody = await postAnswer('no-such-loop', 'null');
    expect(nullBody.status).toBe(400);
    await nullBody.arrayBuffer();
    // A loop that does not exist: the emulator's error
    const unknown = await postAnswer('no-such-loop', '{"answerContent":{"verdict":{"correct":true}}}');
    expect(unknown.status).toBe(404);
    await expect(unknown.json()).resolves.toEqual({ code: 'ResourceNotFoundException', message: 'Human loop no-such-loop does not exist' });
    // JSON with a charset parameter is JSON
    const withCharset = await postAnswer('no-such-loop', '{"answerContent":{}}', 'application/json; charset=utf-8');
    expect(withCharset.status).toBe(404);
  });

  it('serves an open task page, takes an answer, and then says the task is not open', async () => {
    // Prepare
    const task = await openLoop('server-answer.jsonl');
    const name = task.humanLoopName;

    // Assess: the task page renders the workflow's template
    const page = await get(`/tasks/${name}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await page.text();
    expect(html).toContain(`/tasks/${name}/answer`);
    expect(html).toContain('inv-2026-000122');
    // ...and it is on the task list
    await expect((await get('/')).text()).resolves.toContain(`data-loop="${name}"`);

    // Act: answer it
    const answered = await postAnswer(name, JSON.stringify({ answerContent: { verdict: { correct: true, corrected: false } } }));

    // Assess
    expect(answered.status).toBe(200);
    await expect(answered.json()).resolves.toEqual({ redirect: '/' });
    const finished = await get(`/tasks/${name}`);
    expect(finished.status).toBe(404);
    await expect(finished.text()).resolves.toContain('Task not open');
    await expect((await get('/')).text()).resolves.not.toContain(`data-loop="${name}"`);
    // A second answer to the finished loop: the emulator's validation error
    const again = await postAnswer(name, JSON.stringify({ answerContent: { verdict: { correct: true } } }));
    expect(again.status).toBe(400);
    await expect(again.json()).resolves.toMatchObject({ code: 'ValidationException', message: expect.stringContaining('Completed') });
    // The review reaches its queue
    const delivery = await waitFor(deliveries, listeners, `the delivery for ${name}`, (d) => d.message.reviewId === name);
    expect(delivery).toMatchObject({ workflow: WORKFLOW, queue: 'reviewed', message: { outcome: 'reviewed' } });
  });

  it('serves an object as grant_read_access links it, read with the flow definition role: S3\'s 403 for what that role may not read', async () => {
    // Prepare
    const task = await openLoop('served.jsonl');
    const granted = (key: string) => get(grantedObjectUrl(`s3://${INPUT_BUCKET}/${key}`, task.roleArn));

    // Act
    const found = await granted('invoices/served.jsonl');
    const missing = await granted('invoices/missing.jsonl');
    const unsigned = await get(`/s3/${INPUT_BUCKET}/invoices/served.jsonl`);
    const otherBucket = await get(grantedObjectUrl('s3://someone-elses-docs/scans/inv-1.pdf', task.roleArn));

    // Assess
    expect(task.roleArn).toMatch(/^arn:aws:iam::123456789012:role\/.*A2iRole$/);
    expect(found.status).toBe(200);
    expect(found.headers.get('x-content-type-options')).toBe('nosniff');
    await expect(found.text()).resolves.toBe(ACTIVATING_RECORD);
    // The A2I role may read the input bucket's objects but not list it: S3 then answers a missing key with 403.
    expect(missing.status).toBe(403);
    await expect(missing.text()).resolves.toMatch(/<Code>AccessDenied<\/Code><Message>User: arn:aws:sts::123456789012:assumed-role\/\S*A2iRole\/\S+ is not authorized to perform: s3:ListBucket/);
    expect(unsigned.status).toBe(403);
    await unsigned.arrayBuffer();
    // A bucket the A2I role is given nothing on (no workflow's input.readAccess names it): the reviewer's link is refused.
    expect(otherBucket.status).toBe(403);
    await expect(otherBucket.text()).resolves.toContain('s3:GetObject on resource: &quot;arn:aws:s3:::someone-elses-docs/scans/inv-1.pdf&quot;');
    expect(problems.splice(0)).toEqual([expect.stringContaining('s3:ListBucket'), expect.stringContaining('someone-elses-docs/scans/inv-1.pdf')]);
  });

  it('takes uploads as application/octet-stream with a name, and says why it refuses one', async () => {
    const upload = (query: string, body: string, contentType = 'application/octet-stream') =>
      fetch(`${stack.url}/local/upload${query}`, { method: 'POST', headers: { 'content-type': contentType }, body });

    const noName = await upload('', ACTIVATING_RECORD);
    expect(noName.status).toBe(400);
    await expect(noName.json()).resolves.toEqual({ message: expect.stringContaining('application/octet-stream') });
    const wrongType = await upload('?name=x.jsonl', ACTIVATING_RECORD, 'text/plain');
    expect(wrongType.status).toBe(400);
    await wrongType.arrayBuffer();
    const nobodyTakes = await upload('?name=notes.txt', 'hello');
    expect(nobodyTakes.status).toBe(400);
    await expect(nobodyTakes.json()).resolves.toEqual({ message: expect.stringMatching(/^no workflow takes notes\.txt: invoice-extraction takes invoices\/\*/) });

    const taken = await upload('?name=uploaded.jsonl', ACTIVATING_RECORD);
    expect(taken.status).toBe(200);
    await expect(taken.json()).resolves.toEqual([{ bucket: INPUT_BUCKET, key: 'invoices/uploaded.jsonl', workflows: [WORKFLOW] }]);
    await waitFor(loops, listeners, 'the loop for uploaded.jsonl', (task) => (task.inputContent as { source?: { key?: string } }).source?.key === 'invoices/uploaded.jsonl');
  });

  it('answers the A2I runtime API on the same port (ListHumanLoops with the SDK client)', async () => {
    // Prepare
    const task = await openLoop('sdk-list.jsonl');
    const client = new SageMakerA2IRuntimeClient({ endpoint: stack.url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    try {
      // Act
      const listed = await client.send(new ListHumanLoopsCommand({ FlowDefinitionArn: task.flowDefinitionArn, SortOrder: 'Descending' }));

      // Assess
      const summaries = listed.HumanLoopSummaries ?? [];
      expect(summaries.map((summary) => summary.HumanLoopName)).toContain(task.humanLoopName);
      const mine = summaries.find((summary) => summary.HumanLoopName === task.humanLoopName);
      expect(mine).toMatchObject({ HumanLoopStatus: 'InProgress', FlowDefinitionArn: task.flowDefinitionArn });
      expect(mine?.CreationTime).toBeInstanceOf(Date);
    } finally {
      client.destroy();
    }
  });

  it('answers a malformed request target 400: bad percent-encoding, /s3/ paths that name no object, not a path', async () => {
    const port = Number(new URL(stack.url).port);
    const targets = ['/s3/%ZZ/key', `/s3/${INPUT_BUCKET}/%E0%A4%A`, '/s3/', `/s3/${INPUT_BUCKET}`, `/s3/${INPUT_BUCKET}/`, '/human-loops/%ZZ', '/tasks/%E0', '/a2i-emulator/human-task-uis/%ZZ/template', '//elsewhere/status', '*', 'http://127.0.0.1/health'];
    const answers: Array<[string, number]> = [];
    for (const target of targets) answers.push([target, await rawStatus(port, 'GET', target)]);

    expect(answers).toEqual(targets.map((target) => [target, 400]));
  });
});

/** The status of one request sent as written (fetch would normalise the target). */
function rawStatus(port: number, method: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { host: `127.0.0.1:${port}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.once('error', reject);
    req.end();
  });
}

describe('POST /local/upload past the limit', () => {
  const LIMIT = 1024 * 1024;
  /** How much the client is prepared to send before calling the server deaf: far past the limit. */
  const GIVE_UP_BYTES = 64 * LIMIT;
  const CHUNK = Buffer.alloc(64 * 1024, 'a');
  let server: Server;
  let port: number;
  const uploads: number[] = [];

  beforeAll(async () => {
    server = createLocalServer({
      // Only the upload route is reached: no emulator or other API takes these requests.
      emulator: { handle: async () => false } as unknown as A2iEmulator,
      apis: [],
      journal: new Journal([]),
      ready: () => true,
      readObject: async () => ({ status: 404, code: 'NoSuchKey', message: 'none' }),
      upload: async (_name, body) => {
        uploads.push(body.byteLength);
        return { taken: body.byteLength };
      },
      maxUploadBytes: LIMIT,
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });

  afterAll(() => new Promise((resolve) => server.close(resolve)));

  interface Outcome {
    status?: number;
    /** Whether the client had sent its whole body when the answer came (it never ends a refused one). */
    bodyFinished: boolean;
    sent: number;
    /** The server closed the connection. */
    closed: boolean;
  }

  /** Streams chunks until the server answers (or closes), or GIVE_UP_BYTES are sent; never ends the body of its own accord before then. */
  function streamUpload(headers: Record<string, string>): Promise<Outcome> {
    return new Promise((resolve) => {
      const outcome: Outcome = { bodyFinished: false, sent: 0, closed: false };
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/local/upload?name=big.jsonl', headers: { host: `127.0.0.1:${port}`, 'content-type': 'application/octet-stream', ...headers } });
      let answered = false;
      const finish = () => resolve(outcome);
      req.on('response', (res) => {
        answered = true;
        outcome.status = res.statusCode;
        res.resume();
        res.on('end', () => {
          // The server hangs up rather than read the rest.
          req.socket?.once('close', () => {
            outcome.closed = true;
            finish();
          });
          if (req.socket?.destroyed) {
            outcome.closed = true;
            finish();
          }
        });
      });
      req.on('error', () => {
        outcome.closed = true;
        if (!answered) finish();
      });
      const pump = () => {
        while (!answered && !req.destroyed) {
          if (outcome.sent >= GIVE_UP_BYTES) {
            outcome.bodyFinished = true;
            req.end();
            return;
          }
          outcome.sent += CHUNK.length;
          if (!req.write(CHUNK)) return void req.once('drain', pump);
        }
      };
      pump();
    });
  }

  it('refuses a body whose Content-Length is past the limit at once: 413, nothing taken, the connection closed', async () => {
    const outcome = await streamUpload({ 'content-length': String(GIVE_UP_BYTES) });

    expect(outcome).toMatchObject({ status: 413, bodyFinished: false, closed: true });
    expect(uploads).toEqual([]);
  });

  it('refuses a chunked body as soon as it passes the limit, before the client has sent it all', async () => {
    const outcome = await streamUpload({});

    expect(outcome).toMatchObject({ status: 413, bodyFinished: false, closed: true });
    expect(outcome.sent).toBeLessThan(GIVE_UP_BYTES);
    expect(uploads).toEqual([]);
  });

  it('takes a body at the limit', async () => {
    const body = Buffer.alloc(LIMIT, 'b');
    const response = await fetch(`http://127.0.0.1:${port}/local/upload?name=exact.jsonl`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body });

    expect(response.status).toBe(200);
    await expect(response.json()).resolves.toEqual({ taken: LIMIT });
    expect(uploads).toEqual([LIMIT]);
  });
});

/**
 * Local mode's one port starts, stops and answers loops, runs executions and takes uploads. A web page the
 * user happens to have open must not: a cross-site POST of text/plain (or a form) needs no CORS preflight,
 * and a DNS-rebinding name resolves to 127.0.0.1. The server refuses a request whose Sec-Fetch-Site is
 * cross-site or same-site, whose Origin is not its own, or whose Host is not 127.0.0.1:<port> or
 * localhost:<port>; the SDKs (no Origin, no Sec-Fetch-Site) and its own pages keep working. Each refusal is
 * checked by its effect: the loop was not started, not stopped, not answered; nothing was uploaded.
 */
import '../support/quiet-env';
import { DescribeHumanLoopCommand, SageMakerA2IRuntimeClient } from '@aws-sdk/client-sagemaker-a2i-runtime';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OpenTask } from '../../lib/emulator/a2i-emulator';
import { LOCAL_STATE_MACHINE_ARN } from '../../lib/local/resources';
import { LocalStack } from '../../lib/local/stack';

const REPO = join(__dirname, '..', '..');
const DEADLINE_MS = 20_000;
/** The sample's second invoice needs a person. */
const ACTIVATING_RECORD = `${readFileSync(join(REPO, 'samples', 'invoices.jsonl'), 'utf8').trim().split('\n')[1]}\n`;
const EVIL = 'http://evil.example';

jest.setTimeout(60_000);

interface Answer {
  status: number;
  body: string;
}

/** One raw HTTP request (fetch will not send some of these headers, Host among them). */
function send(port: number, method: string, path: string, headers: Record<string, string>, body = ''): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { 'content-length': String(Buffer.byteLength(body)), ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.once('error', reject);
    req.end(body);
  });
}

describe('the local port refuses what a web page sends it', () => {
  let stateDir: string;
  let stack: LocalStack;
  let port: number;
  let a2i: SageMakerA2IRuntimeClient;
  const loops: OpenTask[] = [];
  const waiting: Array<() => void> = [];

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'a2i-cross-origin-'));
    stack = await LocalStack.start({
      workflows: join(REPO, 'workflows'),
      stateDir,
      port: 0,
      onLoopStarted: (task) => {
        loops.push(task);
        for (const wake of waiting.splice(0)) wake();
      },
    });
    port = Number(new URL(stack.url).port);
    a2i = new SageMakerA2IRuntimeClient({ endpoint: stack.url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  });

  afterAll(async () => {
    a2i?.destroy();
    try {
      await stack?.close();
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  /** Uploads one record that needs a person; resolves with its loop (rejects at the deadline). */
  async function openLoop(name: string): Promise<OpenTask> {
    const key = `invoices/${name}`;
    const mine = () => loops.find((task) => (task.inputContent as { source?: { key?: string } }).source?.key === key);
    const opened = new Promise<OpenTask>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no loop for ${key} within ${DEADLINE_MS} ms`)), DEADLINE_MS);
      const check = () => {
        const task = mine();
        if (!task) return void waiting.push(check);
        clearTimeout(timer);
        resolve(task);
      };
      waiting.push(check);
    });
    await stack.upload(name, Buffer.from(ACTIVATING_RECORD));
    for (const wake of waiting.splice(0)) wake();
    return opened;
  }

  const status = async (name: string): Promise<string> => {
    try {
      return (await a2i.send(new DescribeHumanLoopCommand({ HumanLoopName: name }))).HumanLoopStatus ?? 'none';
    } catch (error) {
      if ((error as Error).name === 'ResourceNotFoundException') return 'absent';
      throw error;
    }
  };
  const host = () => `127.0.0.1:${port}`;

  /** What browsers send for a request from a page on another site. */
  const crossSite = (extra: Record<string, string> = {}) => ({ host: host(), origin: EVIL, 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors', ...extra });

  test('a cross-site text/plain POST cannot start a loop (StartHumanLoop)', async () => {
    const task = await openLoop('cross-site-start.jsonl');
    const start = JSON.stringify({ HumanLoopName: 'injected-by-a-page', FlowDefinitionArn: task.flowDefinitionArn, HumanLoopInput: { InputContent: '{}' } });

    const variants: Record<string, string>[] = [
      crossSite({ 'content-type': 'text/plain' }),
      // A browser without Fetch Metadata: the Origin alone decides.
      { host: host(), origin: EVIL, 'content-type': 'text/plain' },
      // Sandboxed frames and file:// pages send Origin: null.
      { host: host(), origin: 'null', 'content-type': 'text/plain' },
      // Another port of this machine is another site's origin.
      { host: host(), origin: `http://127.0.0.1:${port + 1}`, 'sec-fetch-site': 'same-site', 'content-type': 'text/plain' },
    ];
    const answers = [];
    for (const headers of variants) answers.push((await send(port, 'POST', '/human-loops', headers, start)).status);

    expect(answers).toEqual([403, 403, 403, 403]);
    expect(await status('injected-by-a-page')).toBe('absent');
  });

  test('a cross-site POST cannot stop a loop, nor answer it', async () => {
    const task = await openLoop('cross-site-stop.jsonl');
    const name = task.humanLoopName;

    const stop = await send(port, 'POST', '/human-loops/stop', crossSite({ 'content-type': 'text/plain' }), JSON.stringify({ HumanLoopName: name }));
    const answer = await send(port, 'POST', `/tasks/${name}/answer`, crossSite({ 'content-type': 'application/json' }), JSON.stringify({ answerContent: { verdict: { correct: true } } }));
    const remove = await send(port, 'DELETE', `/human-loops/${name}`, crossSite());

    expect([stop.status, answer.status, remove.status]).toEqual([403, 403, 403]);
    expect(await status(name)).toBe('InProgress');
    expect(stack.emulator.openTask(name)?.answersSoFar).toBe(0);
  });

  test('a cross-site upload puts nothing in S3', async () => {
    const before = loops.length;

    const upload = await send(port, 'POST', '/local/upload?name=from-a-page.jsonl', crossSite({ 'content-type': 'application/octet-stream' }), ACTIVATING_RECORD);
    // An upload that is taken opens its loop before a later one does: one taken now would be seen first.
    const control = await openLoop('after-the-page.jsonl');

    expect(upload.status).toBe(403);
    expect(control).toBeDefined();
    expect(loops.slice(before).map((task) => (task.inputContent as { source: { key: string } }).source.key)).toEqual(['invoices/after-the-page.jsonl']);
  });

  test('the SageMaker and Step Functions APIs refuse a page too', async () => {
    const listExecutions = JSON.stringify({ stateMachineArn: LOCAL_STATE_MACHINE_ARN });
    const sagemaker = await send(port, 'POST', '/', crossSite({ 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'SageMaker.ListFlowDefinitions' }), '{}');
    const sfn = await send(port, 'POST', '/', crossSite({ 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AWSStepFunctions.ListExecutions' }), listExecutions);
    const sfnWithoutMetadata = await send(port, 'POST', '/', { host: host(), origin: EVIL, 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AWSStepFunctions.ListExecutions' }, listExecutions);
    // The same calls as an SDK makes them (no Origin): answered.
    const sdkSfn = await send(port, 'POST', '/', { host: host(), 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AWSStepFunctions.ListExecutions' }, listExecutions);

    expect([sagemaker.status, sfn.status, sfnWithoutMetadata.status, sdkSfn.status]).toEqual([403, 403, 403, 200]);
    expect(JSON.parse(sdkSfn.body)).toHaveProperty('executions');
  });

  test('a DNS-rebinding name, or another port in Host, is refused (421)', async () => {
    const names = [`evil.example:${port}`, `127.0.0.1:${port + 1}`, `localhost:${port + 1}`, '127.0.0.1', `127.0.0.2:${port}`];
    const answers = [];
    for (const name of names) answers.push((await send(port, 'GET', '/status.json', { host: name })).status);

    expect(answers).toEqual([421, 421, 421, 421, 421]);
  });

  test("the server's own pages (either name) and the SDK keep working", async () => {
    const task = await openLoop('same-origin.jsonl');
    const name = task.humanLoopName;

    const list = await send(port, 'GET', '/', { host: `localhost:${port}`, 'sec-fetch-site': 'none', 'sec-fetch-mode': 'navigate' });
    const answer = await send(port, 'POST', `/tasks/${name}/answer`, { host: `localhost:${port}`, origin: `http://localhost:${port}`, 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' }, JSON.stringify({ answerContent: { verdict: { correct: true, corrected: false } } }));
    const status127 = await send(port, 'GET', '/status.json', { host: host(), origin: `http://${host()}`, 'sec-fetch-site': 'same-origin' });

    expect([list.status, answer.status, status127.status]).toEqual([200, 200, 200]);
    expect(stack.emulator.openTask(name)).toBeUndefined();
    expect(['Completed', 'InProgress']).toContain(await status(name));
  });
});

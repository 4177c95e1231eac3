/**
 * The CLI's error contract, through the real binary in a child process: every error ends in one line on
 * stderr (no stack trace unless A2I_DEBUG=1) and an exit code README's command table documents (0 ok,
 * 1 failed, 2 usage, configuration or input); a failed first `dev` start leaves no state folder behind; an
 * input that used to crash a command (an event nested 9,000 levels deep) is that record's problem instead.
 */
import { StartHumanLoopCommand } from '@aws-sdk/client-sagemaker-a2i-runtime';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_UPLOAD_BYTES } from '../../lib/local/local-server';
import { EmulatorHarness } from '../emulator/harness';

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'a2i-orchestrator.js');
const WORKFLOWS = join(ROOT, 'workflows');
const DEADLINE_MS = 60_000;
const work = mkdtempSync(join(tmpdir(), 'a2i-cli-errors-'));

jest.setTimeout(120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The environment of a user with no AWS settings at all (no region, credentials, profile or endpoints). */
function bareEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('AWS_') && key !== 'A2I_DEBUG') env[key] = value;
  return {
    ...env,
    AWS_CONFIG_FILE: join(work, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(work, 'no-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...extra,
  };
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts the binary; `done` resolves when it exits. */
function start(args: string[], env: NodeJS.ProcessEnv = bareEnv(), cwd = work): { child: ChildProcess; output: () => Run; done: Promise<Run> } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const output = () => ({ code: child.exitCode, stdout, stderr });
  const done = new Promise<Run>((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
  return { child, output, done };
}

const cli = (args: string[], env?: NodeJS.ProcessEnv): Promise<Run> => start(args, env).done;

/** Resolves once what the child printed satisfies `seen` (checked on each chunk), or rejects when it exits first or at the deadline. */
function waitForOutput(running: ReturnType<typeof start>, what: string, seen: (run: Run) => boolean): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const streams = [running.child.stdout, running.child.stderr];
    const finish = (error?: Error) => {
      clearTimeout(timer);
      for (const stream of streams) stream?.off('data', check);
      running.child.off('close', exited);
      if (error) reject(error);
      else resolve();
    };
    const check = () => {
      if (seen(running.output())) finish();
    };
    const exited = () => finish(new Error(`the process exited (${running.child.exitCode}) before ${what}: ${running.output().stderr}`));
    const timer = setTimeout(() => finish(new Error(`gave up after ${DEADLINE_MS} ms waiting for ${what}`)), DEADLINE_MS);
    // After start()'s own listeners: output() already holds each chunk.
    for (const stream of streams) stream?.on('data', check);
    running.child.once('close', exited);
    check();
  });
}

/** stderr is exactly one line, an a2i-orchestrator message, with no stack frame. */
function expectOneLineError(stderr: string): void {
  expect(stderr.endsWith('\n')).toBe(true);
  expect(stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/^a2i-orchestrator: \S/)]);
  expect(stderr).not.toMatch(/^\s+at /m);
}

function listen(server: Server | ReturnType<typeof createServer>): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

describe('--version', () => {
  test("prints package.json's version and exits 0", async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

    const run = await cli(['--version']);

    expect(run).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });
});

describe('dev on a busy port', () => {
  test('is one line and exit 1, leaves no state folder, and the next start on a free port is a first start (with the demo)', async () => {
    // Prepare: something holds the port.
    const squatter = createServer();
    const port = await listen(squatter);
    const stateDir = join(work, 'busy-state');
    const inbox = join(work, 'busy-inbox');
    try {
      // Act
      const failed = await cli(['dev', '--port', String(port), '--state', stateDir, '--inbox', inbox, '--workflows', WORKFLOWS]);

      // Assess
      expect(failed.code).toBe(1);
      expectOneLineError(failed.stderr);
      expect(failed.stderr).toContain(`port ${port} is in use`);
      expect(existsSync(stateDir)).toBe(false);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }

    // The next start (any free port) finds no state folder: it uploads the demo.
    const next = start(['dev', '--port', '0', '--state', stateDir, '--inbox', inbox, '--workflows', WORKFLOWS]);
    const demo = waitForOutput(next, 'the demo upload', ({ stderr }) => /^demo {7}invoices\.jsonl → /m.test(stderr));
    // Stopped whatever happens, then judged.
    await demo.catch(() => undefined);
    next.child.kill('SIGTERM');
    const stopped = await next.done;
    await demo;
    expect(stopped.code).toBe(0);
    expect(existsSync(stateDir)).toBe(true);
  });
});

describe('loops', () => {
  let harness: EmulatorHarness;
  let flowArn: string;

  beforeAll(async () => {
    harness = await EmulatorHarness.start();
    flowArn = await harness.createFlowDefinition();
    await harness.a2i.send(new StartHumanLoopCommand({ HumanLoopName: 'loop-region', FlowDefinitionArn: flowArn, HumanLoopInput: { InputContent: '{}' } }));
  });

  afterAll(() => harness.stop());

  test('list against AWS with no region: one line, exit 1', async () => {
    const run = await cli(['loops', 'list', '--flow-definition-arn', flowArn]);

    expect(run.code).toBe(1);
    expectOneLineError(run.stderr);
    expect(run.stderr).toContain('AWS_REGION');
  });

  test('list against the local emulator needs no region or credentials: local mode\'s are the default', async () => {
    const env = bareEnv({ AWS_ENDPOINT_URL_SAGEMAKER_A2I_RUNTIME: harness.endpoint, AWS_ENDPOINT_URL_SAGEMAKER: harness.endpoint });

    const run = await cli(['loops', 'list', '--flow-definition-arn', flowArn, '--json'], env);

    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout.trimEnd().split('\n').map((line) => (JSON.parse(line) as { HumanLoopName: string }).HumanLoopName)).toEqual(['loop-region']);
  });
});

describe('an unexpected error', () => {
  // An endpoint that answers HTML: the SDK cannot read the answer, which no command expects.
  let server: Server;
  let endpoint: string;

  beforeAll(async () => {
    server = createHttpServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>not an API</html>');
    });
    endpoint = `http://127.0.0.1:${await listen(server)}`;
  });

  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const env = (debug: boolean) => bareEnv({ AWS_ENDPOINT_URL_SAGEMAKER_A2I_RUNTIME: endpoint, AWS_MAX_ATTEMPTS: '1', ...(debug ? { A2I_DEBUG: '1' } : {}) });

  test('is one line (its name and message) and exit 1', async () => {
    const run = await cli(['loops', 'describe', 'some-loop'], env(false));

    expect(run.code).toBe(1);
    expectOneLineError(run.stderr);
    expect(run.stderr).toContain('SyntaxError');
  });

  test('with A2I_DEBUG=1 the stack comes first, and the same line (without its hint) ends it', async () => {
    const quiet = await cli(['loops', 'describe', 'some-loop'], env(false));

    const run = await cli(['loops', 'describe', 'some-loop'], env(true));

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^\s+at /m);
    expect(`${run.stderr.trimEnd().split('\n').pop()} (A2I_DEBUG=1 prints the stack)`).toBe(quiet.stderr.trimEnd());
  });
});

describe('replay of a file whose name the workflow would not take', () => {
  test('an upper-case .JSONL (S3 suffix filters are case-sensitive): one line, exit 2, nothing replayed', async () => {
    const input = join(work, 'BATCH.JSONL');
    writeFileSync(input, readFileSync(join(ROOT, 'samples', 'invoices.jsonl')));
    const out = join(work, 'upper-out');

    const run = await cli(['replay', '--workflow', join(ROOT, 'workflows', 'invoice-extraction.yaml'), '--input', input, '--out', out]);

    expect(run.code).toBe(2);
    expectOneLineError(run.stderr);
    expect(run.stderr).toContain('invoices/BATCH.JSONL');
    expect(run.stdout).toBe('');
    expect(existsSync(out)).toBe(false);
  });
});

describe('replay of an event nested 9,000 levels deep', () => {
  // The S3 path makes such a document one invalid record; an event is one record too, not a crash.
  test('is one invalid record, and the other event of the file is delivered', async () => {
    const depth = 9000;
    const deep = `{"id":"evt-deep","source":"acme.claims","detail-type":"ClaimScored","detail":{"claim":{"claimId":"c-deep","confidence":0.99,"nested":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}}}`;
    const plain = JSON.stringify({ id: 'evt-plain', source: 'acme.claims', 'detail-type': 'ClaimScored', detail: { claim: { claimId: 'c-plain', confidence: 0.99 } } });
    const input = join(work, 'deep.events.jsonl');
    writeFileSync(input, `${deep}\n${plain}\n`);
    const out = join(work, 'deep-out');
    const fixtures = join(ROOT, 'test', 'fixtures', 'replay');

    const run = await cli(['replay', '--workflow', join(fixtures, 'events.yaml'), '--input', input, '--auto-review', join(fixtures, 'events-auto-review.json'), '--out', out, '--timeout', '60']);

    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(run.stdout.trimEnd().split('\n').pop() ?? '')).toMatchObject({ records: 2, autoAccepted: 1, invalid: 1, lost: 0, duplicates: 0 });
    const messages = ['accepted', 'failures'].flatMap((queue) => readFileSync(join(out, `${queue}.jsonl`), 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>));
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ outcome: 'auto-accepted', recordId: 'c-plain' }),
        expect.objectContaining({ outcome: 'invalid', source: expect.objectContaining({ type: 'event', eventId: 'evt-deep' }), failure: expect.objectContaining({ code: 'UnreadableRecord' }) }),
      ]),
    );
    expect(messages).toHaveLength(2);
  });
});

describe('replay of an event PutEvents refuses', () => {
  test('says which event was refused and why, rather than only counting it lost', async () => {
    const big = JSON.stringify({ id: 'evt-big', source: 'acme.claims', 'detail-type': 'ClaimScored', detail: { claim: { claimId: 'c-big', confidence: 0.99, notes: 'n'.repeat(300 * 1024) } } });
    const input = join(work, 'big.events.jsonl');
    writeFileSync(input, `${big}\n`);
    const fixtures = join(ROOT, 'test', 'fixtures', 'replay');

    const run = await cli(['replay', '--workflow', join(fixtures, 'events.yaml'), '--input', input, '--auto-review', join(fixtures, 'events-auto-review.json'), '--timeout', '60']);

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^problem: PutEvents refused event evt-big: InvalidArgument: .*256 KiB/m);
    expect(JSON.parse(run.stdout.trimEnd().split('\n').pop() ?? '')).toMatchObject({ records: 1, lost: 1 });
  });
});

describe('dev upload of a file past the limit', () => {
  test('is one line and exit 1, and sends nothing', async () => {
    // A sparse file: its size without its bytes on disk.
    const big = join(work, 'huge.jsonl');
    writeFileSync(big, '');
    truncateSync(big, MAX_UPLOAD_BYTES + 1);
    const requests: string[] = [];
    const server = createHttpServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      req.resume();
      res.writeHead(500).end();
    });
    const port = await listen(server);
    try {
      const run = await cli(['dev', 'upload', big, '--port', String(port)]);

      expect(run.code).toBe(1);
      expectOneLineError(run.stderr);
      expect(requests).toEqual([]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
      rmSync(big, { force: true });
    }
  });
});

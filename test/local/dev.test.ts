/**
 * `a2i-orchestrator dev` end to end, in this process: the whole local stack started by the CLI on a free port,
 * the demo, the inbox folder, `dev upload` from another "shell", answering a task over HTTP, files of delivered
 * messages, and a restart on the same state folder. Every wait is on an event or a deadline, never a sleep.
 */
import '../support/quiet-env';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Io } from '../../lib/cli/io';
import { main } from '../../lib/cli/main';
import type { ReviewMessage } from '../../lib/messages';
import { LOCK_FILE } from '../../lib/local/inbox';
import { LOCAL_BUCKETS } from '../../lib/local/resources';
import type { StatusSnapshot } from '../../lib/local/status-model';

const REPO = join(__dirname, '..', '..');
const WORKFLOW = 'invoice-extraction';
const DEADLINE_MS = 20_000;
const POLL_MS = 50;
/** The sample invoices: the second one (a date read with 0.62 confidence) needs a person. */
const SAMPLES = readFileSync(join(REPO, 'samples', 'invoices.jsonl'), 'utf8').trim().split('\n');
const ACTIVATING_RECORD = `${SAMPLES[1]}\n`;
/** The stack's input bucket, named as the deployed stack names it. */
const INPUT = LOCAL_BUCKETS.input;

jest.setTimeout(90_000);

/** Captured output; `waitFor` resolves once the text matches, as soon as it is written. */
class Capture {
  text = '';
  private waiters: (() => void)[] = [];

  write(text: string): void {
    this.text += text;
    for (const waiter of [...this.waiters]) waiter();
  }

  /** Resolves with the match once `pattern` matches `count` times (a global regex counts matches). */
  waitFor(pattern: RegExp, what: string, count = 1, stopped?: Promise<unknown>): Promise<RegExpMatchArray[]> {
    const global = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`);
    return new Promise((resolve, reject) => {
      const check = () => {
        const matches = [...this.text.matchAll(global)];
        if (matches.length < count) return;
        done();
        resolve(matches);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`gave up after ${DEADLINE_MS} ms waiting for ${what}; output so far:\n${this.text}`));
      }, DEADLINE_MS);
      const done = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((waiter) => waiter !== check);
      };
      this.waiters.push(check);
      void stopped?.then(() => {
        if (!this.waiters.includes(check)) return;
        done();
        reject(new Error(`the command ended while waiting for ${what}; output so far:\n${this.text}`));
      });
      check();
    });
  }
}

function captureIo(): { io: Io; out: Capture; err: Capture } {
  const out = new Capture();
  const err = new Capture();
  return {
    out,
    err,
    io: {
      out: async (text) => out.write(text),
      err: (text) => err.write(text),
    },
  };
}

/** Polls `probe` every 50 ms until it returns something other than undefined, up to the deadline. */
async function poll<T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + DEADLINE_MS;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`gave up after ${DEADLINE_MS} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** A running `dev`: its output, its UI address, and how to stop it. */
interface DevRun {
  out: Capture;
  err: Capture;
  url: string;
  port: string;
  exit: Promise<number>;
  stop(): Promise<number>;
}

/** Every `dev` a test started: stopped after each test, whatever happened. */
const running = new Set<DevRun>();

async function startDev(dirs: Dirs, ...extra: string[]): Promise<DevRun> {
  const { io, out, err } = captureIo();
  const controller = new AbortController();
  const exit = main(['dev', '--port', '0', '--state', dirs.state, '--inbox', dirs.inbox, '--workflows', dirs.workflows, ...extra], io, controller.signal);
  const stop = async () => {
    controller.abort();
    return exit;
  };
  try {
    const [[, url]] = await out.waitFor(/Review UI\s+(http:\/\/127\.0\.0\.1:\d+)\//, 'the banner', 1, exit);
    const run: DevRun = { out, err, url, port: new URL(url).port, exit, stop };
    running.add(run);
    return run;
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}

interface Dirs {
  root: string;
  workflows: string;
  state: string;
  inbox: string;
}

/** A copy of workflows/ and a state folder that does not exist yet (so `dev` sees a first start). */
function freshDirs(): Dirs {
  const root = mkdtempSync(join(tmpdir(), 'a2i-dev-'));
  const workflows = join(root, 'workflows');
  cpSync(join(REPO, 'workflows'), workflows, { recursive: true });
  return { root, workflows, state: join(root, 'state'), inbox: join(root, 'inbox') };
}

const deliveredFile = (dirs: Dirs, queue: string) => join(dirs.state, 'delivered', WORKFLOW, `${queue}.jsonl`);

function deliveredMessages(dirs: Dirs, queue: string): ReviewMessage[] {
  const file = deliveredFile(dirs, queue);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ReviewMessage);
}

/** The loop names the task list links to. */
async function listedLoops(url: string): Promise<string[]> {
  const html = await (await fetch(`${url}/`)).text();
  return [...html.matchAll(/data-loop="([^"]+)"/g)].map((match) => match[1]).sort();
}

async function snapshot(url: string): Promise<StatusSnapshot> {
  const response = await fetch(`${url}/status.json`);
  expect(response.status).toBe(200);
  return (await response.json()) as StatusSnapshot;
}

const countsOf = (status: StatusSnapshot) => status.workflows.find((counts) => counts.workflow === WORKFLOW)!;

/** Names of the loops `dev` announced on stderr ("loop open  NAME  URL"). */
const LOOP_OPEN = /^loop open {2}(\S+) {2}(\S+)$/m;

async function answer(url: string, loop: string, answerContent: unknown): Promise<Response> {
  return fetch(`${url}/tasks/${loop}/answer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ answerContent }) });
}

/** Waits for the demo: 3 loops open, 2 invoices auto-accepted. */
async function demoSettled(run: DevRun): Promise<string[]> {
  const loops = await run.err.waitFor(LOOP_OPEN, '3 loops to open', 3);
  await run.err.waitFor(/^delivered {2}\S+ {2}auto-accepted → invoice-extraction\/auto-accepted$/m, '2 auto-accepted deliveries', 2);
  return loops.map((match) => match[1]).sort();
}

describe('a2i-orchestrator dev', () => {
  const roots: string[] = [];

  function dirs(): Dirs {
    const made = freshDirs();
    roots.push(made.root);
    return made;
  }

  afterEach(async () => {
    const runs = [...running];
    running.clear();
    // One stack per process: every dev is stopped before the next test starts one.
    for (const run of runs) await run.stop().catch(() => undefined);
    for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
  });

  it('on a new state folder uploads the demo: 3 invoices wait for a person, 2 are auto-accepted and delivered to files', async () => {
    // Prepare
    const d = dirs();

    // Act
    const run = await startDev(d);
    const loops = await demoSettled(run);

    // Assess: the banner
    expect(run.out.text).toContain(`a2i-orchestrator local mode: ${WORKFLOW}`);
    expect(run.out.text).toContain(`Status         ${run.url}/status`);
    expect(run.out.text).toContain(`Inbox          ${d.inbox}`);
    expect(run.out.text).toContain(`Delivered      ${join(d.state, 'delivered')}/<workflow>/<queue>.jsonl`);
    expect(run.out.text).toContain(`AWS_ENDPOINT_URL_SAGEMAKER_A2I_RUNTIME=${run.url}`);
    expect(run.err.text).toMatch(new RegExp(`^demo {7}invoices\\.jsonl → s3://${INPUT}/invoices/invoices\\.jsonl \\(invoice-extraction\\)$`, 'm'));
    // Each loop announced with its page
    for (const match of run.err.text.matchAll(new RegExp(LOOP_OPEN.source, 'gm'))) expect(match[2]).toBe(`${run.url}/tasks/${match[1]}`);

    // Assess: health
    const health = await fetch(`${run.url}/health`);
    expect(health.status).toBe(200);
    await expect(health.json()).resolves.toEqual({ status: 'ready' });

    // Assess: the task list
    expect(await listedLoops(run.url)).toEqual(loops);
    const page = await fetch(`${run.url}/tasks/${loops[0]}`);
    expect(page.status).toBe(200);
    await page.arrayBuffer();

    // Assess: the counts
    const counts = countsOf(await poll('status.json to count the demo', async () => {
      const status = await snapshot(run.url);
      return countsOf(status).outcomes['auto-accepted'] === 2 ? status : undefined;
    }));
    expect(counts).toMatchObject({ records: 5, openLoops: 3, outcomes: { reviewed: 0, 'auto-accepted': 2, failed: 0, invalid: 0 }, queues: { 'auto-accepted': 2 } });

    // Assess: the delivered messages, one line each
    const delivered = await poll('auto-accepted.jsonl to hold 2 messages', () => {
      const messages = deliveredMessages(d, 'auto-accepted');
      return messages.length === 2 ? messages : undefined;
    });
    expect(delivered.map((message) => message.recordId).sort()).toEqual(['inv-2026-000121', 'inv-2026-000125']);
    for (const message of delivered) expect(message).toMatchObject({ schemaVersion: '1.0', workflow: WORKFLOW, outcome: 'auto-accepted' });
    expect(run.err.text).not.toMatch(/^problem/m);

    // Act: stop
    expect(await run.stop()).toBe(0);
    expect(run.out.text).toContain('stopped; open loops are kept in the state folder for the next start');
  });

  it('takes a file dropped into the inbox and moves it to done/; a file no workflow takes goes to failed/', async () => {
    // Prepare
    const d = dirs();
    const run = await startDev(d, '--no-demo');

    // Act: an invoice batch
    writeFileSync(join(d.inbox, 'dropped.jsonl'), ACTIVATING_RECORD);

    // Assess
    await run.err.waitFor(new RegExp(`^inbox {6}dropped\\.jsonl → s3://${INPUT}/invoices/dropped\\.jsonl \\(invoice-extraction\\)$`, 'm'), 'the inbox to take dropped.jsonl');
    const [[, loop]] = await run.err.waitFor(LOOP_OPEN, 'the loop of the dropped invoice');
    expect(await listedLoops(run.url)).toEqual([loop]);
    await poll('dropped.jsonl in inbox/done/', () => (readdirSync(join(d.inbox, 'done')).some((name) => name.endsWith('-dropped.jsonl')) ? true : undefined));
    expect(existsSync(join(d.inbox, 'dropped.jsonl'))).toBe(false);

    // Act: a file no workflow takes
    writeFileSync(join(d.inbox, 'notes.txt'), 'remember the milk\n');

    // Assess
    await run.err.waitFor(/^inbox {6}notes\.txt moved to failed\/: no workflow takes notes\.txt: invoice-extraction takes invoices\/\*\{\.jsonl,\.json\}$/m, 'the inbox to refuse notes.txt');
    await poll('notes.txt in inbox/failed/', () => (readdirSync(join(d.inbox, 'failed')).some((name) => name.endsWith('-notes.txt')) ? true : undefined));
    expect(existsSync(join(d.inbox, 'notes.txt'))).toBe(false);
    expect(readdirSync(join(d.inbox, 'done')).filter((name) => name.endsWith('-notes.txt'))).toEqual([]);
  });

  it('`dev upload FILE --port N` hands a file to the running dev from another shell', async () => {
    // Prepare
    const d = dirs();
    const run = await startDev(d, '--no-demo');
    const file = join(d.root, 'uploaded.jsonl');
    writeFileSync(file, ACTIVATING_RECORD);
    const shell = captureIo();

    // Act
    const code = await main(['dev', 'upload', file, '--port', run.port], shell.io);

    // Assess
    expect(shell.err.text).toBe('');
    expect(code).toBe(0);
    expect(shell.out.text).toBe(`uploaded.jsonl → s3://${INPUT}/invoices/uploaded.jsonl (invoice-extraction)\n`);
    const [[, loop]] = await run.err.waitFor(LOOP_OPEN, 'the loop of the uploaded invoice');
    expect(await listedLoops(run.url)).toEqual([loop]);

    // Act: a file no workflow takes
    const notes = join(d.root, 'notes.txt');
    writeFileSync(notes, 'hello\n');
    const refused = captureIo();
    const refusedCode = await main(['dev', 'upload', notes, '--port', run.port], refused.io);

    // Assess
    expect(refusedCode).toBe(1);
    expect(refused.out.text).toBe('');
    expect(refused.err.text).toMatch(/^a2i-orchestrator: no workflow takes notes\.txt: invoice-extraction takes invoices\/\*/);
  });

  it('`dev upload` says nothing answers when no dev runs on the port', async () => {
    // Prepare: a port nothing listens on (taken from the OS, then let go)
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port: free } = server.address() as { port: number };
        server.close(() => resolve(free));
      });
    });
    const d = dirs();
    const file = join(d.root, 'lost.jsonl');
    writeFileSync(file, ACTIVATING_RECORD);
    const shell = captureIo();

    // Act
    const code = await main(['dev', 'upload', file, '--port', String(port)], shell.io);

    // Assess
    expect(code).toBe(1);
    expect(shell.out.text).toBe('');
    expect(shell.err.text).toContain(`a2i-orchestrator: nothing answers on 127.0.0.1:${port}: is \`a2i-orchestrator dev\` (npm start) running?`);
  });

  it('refuses an inbox another running dev holds: one line, exit 1, nothing started or written', async () => {
    // Prepare: a live process holds the inbox's lock (as a second `dev` would find it)
    const d = dirs();
    const holder = spawn(process.execPath, ['-e', 'setInterval(() => undefined, 1000)'], { stdio: 'ignore' });
    try {
      mkdirSync(d.inbox, { recursive: true });
      writeFileSync(join(d.inbox, LOCK_FILE), `${holder.pid}\n`);
      const shell = captureIo();

      // Act
      const code = await main(['dev', '--port', '0', '--state', d.state, '--inbox', d.inbox, '--workflows', d.workflows], shell.io, new AbortController().signal);

      // Assess
      expect(code).toBe(1);
      expect(shell.err.text.trim().split('\n')).toEqual([`a2i-orchestrator: the inbox ${d.inbox} is in use by another a2i-orchestrator dev (pid ${holder.pid}); stop it, or give this one --inbox DIR`]);
      expect(existsSync(d.state)).toBe(false);
      expect(readFileSync(join(d.inbox, LOCK_FILE), 'utf8').trim()).toBe(String(holder.pid));
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('`dev upload` without a FILE is a usage error', async () => {
    const shell = captureIo();
    expect(await main(['dev', 'upload'], shell.io)).toBe(2);
    expect(shell.err.text).toContain('a2i-orchestrator: dev upload needs a FILE');
  });

  it('delivers the reviewed message once a person answers a task (reviewed, or corrections when corrected)', async () => {
    // Prepare
    const d = dirs();
    const run = await startDev(d);
    const [first, second] = await demoSettled(run);

    // Act: confirm one invoice as read
    const confirmed = await answer(run.url, first, { verdict: { correct: true, corrected: false } });

    // Assess
    expect(confirmed.status).toBe(200);
    await expect(confirmed.json()).resolves.toEqual({ redirect: '/' });
    await run.err.waitFor(new RegExp(`^delivered {2}${first} {2}reviewed → invoice-extraction/reviewed$`, 'm'), `the review of ${first}`);
    const reviewed = await poll('reviewed.jsonl to hold the review', () => deliveredMessages(d, 'reviewed').find((message) => message.reviewId === first));
    expect(reviewed).toMatchObject({ workflow: WORKFLOW, outcome: 'reviewed', review: { humanLoopName: first, status: 'Completed', consolidated: { verdict: { correct: true, corrected: false } } } });

    // Act: correct another
    const corrected = await answer(run.url, second, { verdict: { correct: false, corrected: true }, total_amount: '1.00' });

    // Assess
    expect(corrected.status).toBe(200);
    await corrected.arrayBuffer();
    await run.err.waitFor(new RegExp(`^delivered {2}${second} {2}reviewed → invoice-extraction/corrections$`, 'm'), `the correction of ${second}`);
    const correction = await poll('corrections.jsonl to hold the correction', () => deliveredMessages(d, 'corrections').find((message) => message.reviewId === second));
    expect(correction).toMatchObject({ outcome: 'reviewed', review: { consolidated: { verdict: { corrected: true }, total_amount: '1.00' } } });

    // Assess: the UI and the counts follow
    expect(await listedLoops(run.url)).not.toContain(first);
    expect(await listedLoops(run.url)).not.toContain(second);
    const counts = countsOf(await poll('status.json to count both reviews', async () => {
      const status = await snapshot(run.url);
      return countsOf(status).outcomes.reviewed === 2 ? status : undefined;
    }));
    expect(counts).toMatchObject({ openLoops: 1, outcomes: { reviewed: 2, 'auto-accepted': 2 }, queues: { reviewed: 1, corrections: 1, 'auto-accepted': 2 } });
    const journey = (await snapshot(run.url)).records.find((record) => record.reviewId === first)!;
    expect(journey.steps.map((step) => step.step)).toEqual(['ingested', 'decision', 'loop-started', 'status', 'delivered']);
    expect(deliveredMessages(d, 'reviewed').map((message) => message.reviewId)).toEqual([first]);
    expect(run.err.text).not.toMatch(/^problem/m);
  });

  /** A first run with the demo, one loop answered, then stopped; a second run started on the same state folder. */
  async function restarted(): Promise<{ d: Dirs; run: DevRun; answeredBefore: string; stillOpen: string[] }> {
    const d = dirs();
    const firstRun = await startDev(d);
    const loops = await demoSettled(firstRun);
    const answeredBefore = loops[2];
    expect((await answer(firstRun.url, answeredBefore, { verdict: { correct: true, corrected: false } })).status).toBe(200);
    await firstRun.err.waitFor(new RegExp(`^delivered {2}${answeredBefore} `, 'm'), `the review of ${answeredBefore}`);
    running.delete(firstRun);
    expect(await firstRun.stop()).toBe(0);
    const run = await startDev(d);
    return { d, run, answeredBefore, stillOpen: loops.slice(0, 2) };
  }

  it('after a restart on the same state folder lists the loops still open, without the demo', async () => {
    // Prepare and act
    const { d, run, answeredBefore, stillOpen } = await restarted();

    // Assess: no demo this time; the two loops still open are listed again and counted open
    expect(await listedLoops(run.url)).toEqual(stillOpen);
    expect(run.err.text).not.toMatch(/^demo/m);
    expect(countsOf(await snapshot(run.url))).toMatchObject({ openLoops: 2, records: 2 });
    const page = await fetch(`${run.url}/tasks/${stillOpen[0]}`);
    expect(page.status).toBe(200);
    await page.arrayBuffer();
    expect((await fetch(`${run.url}/tasks/${answeredBefore}`)).status).toBe(404);
    // The files of the first run are kept
    expect(deliveredMessages(d, 'reviewed').map((message) => message.reviewId)).toEqual([answeredBefore]);
    expect(deliveredMessages(d, 'auto-accepted')).toHaveLength(2);
    expect(run.err.text).not.toMatch(/^problem/m);
  });

  /** Executions and the ledger live in memory: a restart must track the loops it finds open again. */
  it('after a restart still delivers the review of a loop answered then', async () => {
    // Prepare
    const { d, run, answeredBefore, stillOpen } = await restarted();
    const target = stillOpen[0];

    // Act
    const answered = await answer(run.url, target, { verdict: { correct: true, corrected: false } });
    expect(answered.status).toBe(200);
    await answered.arrayBuffer();

    // Assess: its review is delivered by this run, nothing twice
    await run.err.waitFor(new RegExp(`^delivered {2}${target} {2}reviewed → invoice-extraction/reviewed$`, 'm'), `the review of ${target} after the restart`);
    const reviewed = await poll('reviewed.jsonl to hold the review after the restart', () => deliveredMessages(d, 'reviewed').find((message) => message.reviewId === target));
    expect(reviewed).toMatchObject({ outcome: 'reviewed', review: { humanLoopName: target, status: 'Completed' } });
    expect(deliveredMessages(d, 'reviewed').map((message) => message.reviewId).sort()).toEqual([answeredBefore, target].sort());
    expect(deliveredMessages(d, 'auto-accepted')).toHaveLength(2);
    expect(await listedLoops(run.url)).toEqual([stillOpen[1]]);
    expect(run.err.text).not.toMatch(/^problem/m);
  });

  it('--no-demo on a new state folder starts with nothing to review', async () => {
    // Prepare
    const d = dirs();

    // Act
    const run = await startDev(d, '--no-demo');

    // Assess
    expect(await listedLoops(run.url)).toEqual([]);
    const html = await (await fetch(`${run.url}/`)).text();
    expect(html).toContain('Nothing to review');
    const status = await snapshot(run.url);
    expect(status.records).toEqual([]);
    expect(countsOf(status)).toMatchObject({ records: 0, openLoops: 0 });
    expect(run.err.text).not.toMatch(/^demo/m);
    expect(existsSync(deliveredFile(d, 'auto-accepted'))).toBe(false);
    expect(await run.stop()).toBe(0);
  });
});

/**
 * `kill -9` at random moments of a 5,000-record ingest through `a2i-orchestrator dev`, with the sampled loops
 * answered over HTTP as they open, then a restart on the same state folder and inbox: at the end, counted
 * from the input file and the delivered files, every record has exactly one message, and every loop whose
 * answer was accepted (HTTP 200) before a kill is delivered `reviewed`. Slow (one to two minutes on an idle
 * machine; it waits for the last message, up to CRASH_DEADLINE_MS): in
 * the integration tests.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReviewMessage } from '../../lib/messages';

const REPO = join(__dirname, '..', '..');
const WORKFLOW = 'invoice-extraction';
const RECORDS = 5_000;
const KILLS = 3;
/** The whole test's budget; the run itself is waited for with a deadline, never a fixed sleep. */
const DEADLINE_MS = Number(process.env.CRASH_DEADLINE_MS ?? 240_000);
const POLL_MS = 200;
const FETCH_TIMEOUT_MS = 10_000;
/** CRASH_VERBOSE=1: progress on stderr. */
const progress = (text: string) => process.env.CRASH_VERBOSE && process.stderr.write(`${new Date().toISOString()} ${text}\n`);

jest.setTimeout(DEADLINE_MS + 30_000);

/** A seeded draw (mulberry32), so a failing run can be repeated with the seed it prints. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Invoices read with high confidence: the workflow's 2% sampling sends about a hundred to a person. */
function invoices(count: number): string {
  const lines: string[] = [];
  for (let index = 0; index < count; index++) {
    lines.push(
      JSON.stringify({
        documentId: `crash-${index}`,
        documentUri: `s3://acme-invoices/scans/crash-${index}.pdf`,
        vendor: { name: 'Acme Supplies Ltd', trust: 'verified' },
        currency: 'EUR',
        totalAmount: 100 + index,
        fields: [
          { name: 'invoice_number', value: `C-${index}`, confidence: 0.99 },
          { name: 'total_amount', value: `${100 + index}.00`, confidence: 0.99 },
          { name: 'iban', value: 'DE89370400440532013000', confidence: 0.99 },
        ],
      }),
    );
  }
  return `${lines.join('\n')}\n`;
}

interface Dev {
  child: ChildProcess;
  url: Promise<string>;
  exited: Promise<number | null>;
  stderr: string[];
}

function startDev(dirs: { state: string; inbox: string; workflows: string }): Dev {
  const child = spawn(process.execPath, [join(REPO, 'bin', 'a2i-orchestrator.js'), 'dev', '--no-demo', '--port', '0', '--state', dirs.state, '--inbox', dirs.inbox, '--workflows', dirs.workflows], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, POWERTOOLS_DEV: '', POWERTOOLS_LOG_LEVEL: 'ERROR', AWS_LAMBDA_LOG_LEVEL: 'ERROR' },
  });
  const stderr: string[] = [];
  let out = '';
  const url = new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const match = /Review UI\s+(http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
      if (match) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`dev exited (${code}) before its banner; stderr:\n${stderr.join('').slice(-4000)}`)));
  });
  url.catch(() => undefined);
  child.stderr?.on('data', (chunk: Buffer) => {
    // Only the problems are kept: "delivered" lines for 5,000 records are many.
    for (const line of chunk.toString('utf8').split('\n')) if (/problem|Error|error/.test(line)) stderr.push(`${line}\n`);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, url, exited, stderr };
}

/** Every message in the workflow's delivered files; a line cut short by a kill would fail to parse, and fail the test. */
function delivered(state: string): ReviewMessage[] {
  const dir = join(state, 'delivered', WORKFLOW);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((file) => file.endsWith('.jsonl'))
    .flatMap((file) =>
      readFileSync(join(dir, file), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as ReviewMessage),
    );
}

/** Answers every open loop the UI lists; the names answered with HTTP 200 go into `accepted`. */
async function answerOpenLoops(url: string, accepted: Set<string>): Promise<void> {
  const html = await (await fetch(`${url}/`, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) })).text();
  for (const [, loop] of html.matchAll(/data-loop="([^"]+)"/g)) {
    if (accepted.has(loop)) continue;
    const response = await fetch(`${url}/tasks/${loop}/answer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ answerContent: { verdict: { correct: true, corrected: false } } }), signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    await response.arrayBuffer();
    if (response.status === 200) accepted.add(loop);
  }
}

describe('dev killed with SIGKILL during an ingest, then restarted', () => {
  let root: string;
  let dev: Dev | undefined;

  afterEach(async () => {
    if (dev && dev.child.exitCode === null && dev.child.signalCode === null) {
      dev.child.kill('SIGKILL');
      await dev.exited;
    }
    rmSync(root, { recursive: true, force: true });
  });

  it('loses nothing and sends nothing twice', async () => {
    // Prepare
    const seed = Number(process.env.CRASH_SEED ?? Date.now() % 100_000);
    const draw = random(seed);
    root = mkdtempSync(join(tmpdir(), 'a2i-crash-'));
    const dirs = { state: join(root, 'state'), inbox: join(root, 'inbox'), workflows: join(root, 'workflows') };
    cpSync(join(REPO, 'workflows'), dirs.workflows, { recursive: true });
    mkdirSync(dirs.inbox, { recursive: true });
    const input = invoices(RECORDS);
    const expected = input.split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { documentId: string }).documentId);
    const accepted = new Set<string>();
    const deadline = Date.now() + DEADLINE_MS;
    const problems: string[] = [];

    // Act: start, drop the file in (whole, by rename), and kill at random moments, answering loops meanwhile
    dev = startDev(dirs);
    let url = await dev.url;
    const staged = join(root, 'invoices-crash.jsonl');
    writeFileSync(staged, input);
    renameSync(staged, join(dirs.inbox, 'invoices-crash.jsonl'));
    for (let kill = 0; kill < KILLS; kill++) {
      const killAt = Date.now() + 1_000 + draw() * 5_000;
      while (Date.now() < killAt) {
        await answerOpenLoops(url, accepted).catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
      dev.child.kill('SIGKILL');
      await dev.exited;
      progress(`kill ${kill + 1}: ${delivered(dirs.state).length} delivered, ${accepted.size} answered`);
      problems.push(...dev.stderr);
      dev = startDev(dirs);
      url = await dev.url;
    }
    // After the last restart: answer until every record has a message.
    for (;;) {
      const ids = new Set(delivered(dirs.state).map((message) => message.recordId));
      if (expected.every((id) => ids.has(id))) break;
      if (Date.now() > deadline) break;
      progress(`${ids.size} delivered, ${accepted.size} answered`);
      await answerOpenLoops(url, accepted).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    dev.child.kill('SIGINT');
    await dev.exited;
    problems.push(...dev.stderr);

    // Assess: from the input file and the delivered files
    const messages = delivered(dirs.state);
    const byRecord = new Map<string, ReviewMessage[]>();
    for (const message of messages) byRecord.set(String(message.recordId), [...(byRecord.get(String(message.recordId)) ?? []), message]);
    const lost = expected.filter((id) => !byRecord.has(id));
    const twice = [...byRecord].filter(([, list]) => list.length > 1).map(([id, list]) => `${id}: ${list.map((message) => message.outcome).join(', ')}`);
    const unexpected = [...byRecord.keys()].filter((id) => !expected.includes(id));
    const answeredNotReviewed = [...accepted].filter((loop) => !messages.some((message) => message.reviewId === loop && message.outcome === 'reviewed'));
    const summary = { seed, records: expected.length, messages: messages.length, lost: lost.length, twice: twice.slice(0, 10), unexpected: unexpected.slice(0, 10), answered: accepted.size, answeredNotReviewed: answeredNotReviewed.slice(0, 10), problems: problems.slice(0, 10) };
    expect({ lost: lost.length, twice, unexpected, answeredNotReviewed, summary }).toEqual({ lost: 0, twice: [], unexpected: [], answeredNotReviewed: [], summary });
    expect(accepted.size).toBeGreaterThan(0);
    expect(messages).toHaveLength(RECORDS);
    // The inbox file was moved once all its work was queued.
    expect(readdirSync(join(dirs.inbox, 'done')).filter((file) => file.endsWith('invoices-crash.jsonl'))).toHaveLength(1);
  });
});

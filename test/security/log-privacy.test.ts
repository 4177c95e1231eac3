import { randomBytes } from 'node:crypto';
import { copyFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { format } from 'node:util';
import type { Io } from '../../lib/cli/io';

/**
 * The project's rule: no record content in logs, ids only. A replay runs through the whole local pipeline
 * (S3 trigger, splitter, work queue, ledger, A2I emulator, review-loop state machine, delivery) with
 * Powertools logging at DEBUG and metrics on, and every line anything prints is captured: Powertools' logger
 * and EMF metrics, console.*, process.stdout/stderr writes, process warnings and the CLI's own stderr. Every
 * value (and one field name) of every record carries a unique sentinel; none may appear in what was
 * captured, raw, JSON-escaped, URL-encoded or base64. The replay's stdout summary and its --out files are
 * the product's output, not logs: they are kept apart, and are checked to hold the sentinels (so the
 * sentinels did flow through the pipeline).
 */

const fixtures = join(__dirname, '..', 'fixtures', 'security');
const REPLAY_TIMEOUT_SECONDS = '60';
const FULL_RUN_MS = 150_000;
/** Over A2I's InputContent limit (3 145 728 characters) once projected. */
const OVERSIZE_CHARS = 3_300_000;

/** Unique strings that must never reach a log. */
class Sentinels {
  readonly all: string[] = [];
  private next = 1;
  /** `SECRET-<n>-<random>`. */
  make(): string {
    const sentinel = `SECRET-${this.next++}-${randomBytes(6).toString('hex')}`;
    this.all.push(sentinel);
    return sentinel;
  }
}

/** Every form a sentinel could take in a log line. */
function formsOf(sentinel: string): string[] {
  const forms = new Set([sentinel, JSON.stringify(sentinel).slice(1, -1), JSON.stringify(JSON.stringify(sentinel)).slice(2, -2), encodeURIComponent(sentinel)]);
  // base64 at each of the three alignments: only the groups of 3 bytes that lie wholly inside the sentinel.
  const bytes = Buffer.from(sentinel, 'utf8');
  for (let skip = 0; skip < 3; skip++) {
    const whole = Math.floor((bytes.length - skip) / 3) * 3;
    forms.add(bytes.subarray(skip, skip + whole).toString('base64'));
    forms.add(bytes.subarray(skip, skip + whole).toString('base64url'));
  }
  return [...forms];
}

interface Leak {
  sentinel: string;
  form: string;
  line: string;
}

function leaksIn(lines: string[], sentinels: string[]): Leak[] {
  const leaks: Leak[] = [];
  const searched = [...lines, lines.join('')]; // also across chunk boundaries
  for (const sentinel of sentinels) {
    for (const form of formsOf(sentinel)) {
      const line = searched.find((text) => text.includes(form));
      if (line !== undefined) leaks.push({ sentinel, form, line: line.length > 600 ? `${line.slice(0, 600)}…` : line });
    }
  }
  return leaks;
}

interface Captured {
  /** Everything printed (one entry per write or console call). */
  chunks: string[];
  stop(): void;
}

const text = (chunk: unknown): string => (typeof chunk === 'string' ? chunk : chunk instanceof Uint8Array ? Buffer.from(chunk).toString('utf8') : String(chunk));

/** Captures (and silences) every way this process prints: stdout, stderr, console.*, process warnings. */
function captureAll(): Captured {
  const chunks: string[] = [];
  const spies: jest.SpyInstance[] = [
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
      chunks.push(text(chunk));
      return true;
    }),
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
      chunks.push(text(chunk));
      return true;
    }),
    jest.spyOn(process, 'emitWarning').mockImplementation((...args: unknown[]) => {
      chunks.push(`(warning) ${args.map((arg) => (arg instanceof Error ? `${arg.message}\n${arg.stack}` : format(arg))).join(' ')}`);
    }),
  ];
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace', 'dir', 'table'] as const) {
    spies.push(
      jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        chunks.push(`(console.${method}) ${format(...args)}`);
      }),
    );
  }
  const onWarning = (warning: Error) => chunks.push(`(warning event) ${warning.name}: ${warning.message}\n${warning.stack}`);
  process.on('warning', onWarning);
  return {
    chunks,
    stop: () => {
      process.off('warning', onWarning);
      for (const spy of spies) spy.mockRestore();
    },
  };
}

type Main = typeof import('../../lib/cli/main').main;

/** The CLI with Powertools built as in Lambda with logging fully on: DEBUG logs and EMF metrics printed. */
function loadMainWithLoggingOn(): Main {
  let main!: Main;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    main = require('../../lib/cli/main').main;
  });
  return main;
}

interface Run {
  code: number;
  /** The product's output: the summary on stdout. */
  stdout: string;
  /** The CLI's stderr: diagnostics, checked as logs. */
  stderr: string;
  /** Every line printed by anything else during the run. */
  logLines: string[];
  /** The --out files' text. */
  outText: string;
}

async function replayCapturingLogs(workflow: string, input: string, autoReview: string, out: string): Promise<Run> {
  const savedEnv = { ...process.env };
  process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  let stdout = '';
  let stderr = '';
  const io: Io = {
    out: async (chunk) => {
      stdout += chunk;
    },
    err: (chunk) => {
      stderr += chunk;
    },
  };
  const captured = captureAll();
  let code: number;
  try {
    const main = loadMainWithLoggingOn();
    code = await main(['replay', '--workflow', workflow, '--input', input, '--auto-review', autoReview, '--out', out, '--timeout', REPLAY_TIMEOUT_SECONDS], io);
  } finally {
    captured.stop();
    process.env = savedEnv;
  }
  const logLines = [...captured.chunks, stderr]
    .join('\n')
    .split('\n')
    .filter((line) => line.trim() !== '');
  const outText = readdirSync(out)
    .sort()
    .map((file) => readFileSync(join(out, file), 'utf8'))
    .join('');
  return { code, stdout, stderr, logLines, outText };
}

/** A record whose every string value, and one field name, carries a sentinel; `claimId` is its id (allowed in logs). */
function recordOf(s: Sentinels, claimId: string | undefined, confidence: number, scenario: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...(claimId === undefined ? {} : { claimId }),
    confidence,
    scenario: `${scenario} ${s.make()}`,
    amount: s.make(),
    customer: { name: s.make(), email: `${s.make()}@example.com`, address: { street: s.make(), city: s.make() } },
    notes: `${s.make()} with "quotes" and a\nnewline ${s.make()}`,
    nested: { [s.make()]: s.make(), deeper: { list: [s.make(), { value: s.make() }] } },
    tags: [s.make(), s.make()],
    [s.make()]: s.make(),
    unprojected: s.make(),
    ...extra,
  };
}

type Rule = { when: string; answers?: Record<string, unknown>[]; status?: string };

const work: string[] = [];
function workDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'a2i-log-privacy-'));
  work.push(dir);
  // The workflow and its template next to the generated input.
  cpSync(join(fixtures, 'templates'), join(dir, 'templates'), { recursive: true });
  return dir;
}
afterAll(() => {
  for (const dir of work) rmSync(dir, { recursive: true, force: true });
});

function expectNoLeaks(run: Run, s: Sentinels): void {
  // The capture works: a run with logging on prints plenty (Powertools lines for every invocation, EMF metrics).
  expect(run.logLines.length).toBeGreaterThan(50);
  expect(run.logLines.some((line) => line.includes('"level":"INFO"'))).toBe(true);
  expect(run.logLines.some((line) => line.includes('"_aws"'))).toBe(true);
  // The sentinels did go through the pipeline: the product's output has many of them (not an event's fields
  // outside its record, nor what only an invalid record's reason would hold).
  const delivered = s.all.filter((sentinel) => run.outText.includes(sentinel));
  expect(delivered.length).toBeGreaterThan(s.all.length / 3);
  // And no log has any of them, in any form.
  expect(leaksIn(run.logLines, s.all)).toEqual([]);
}

describe('the leak check itself', () => {
  test('finds a sentinel raw, JSON-escaped, URL-encoded and base64 at any alignment, and nothing else', () => {
    const s = new Sentinels();
    const sentinel = s.make();
    const found = (line: string) => leaksIn([line], [sentinel]).length > 0;
    expect(found(`{"message":"x","value":${JSON.stringify(JSON.stringify({ a: sentinel }))}}`)).toBe(true);
    expect(found(encodeURIComponent(`key/${sentinel} x`))).toBe(true);
    for (const prefix of ['', 'a', 'ab', 'abc']) expect(found(Buffer.from(`${prefix}${sentinel}"}`).toString('base64'))).toBe(true);
    expect(found(Buffer.from(`{"v":"${sentinel}"}`).toString('base64url'))).toBe(true);
    // Split across two writes.
    expect(leaksIn([sentinel.slice(0, 9), sentinel.slice(9)], [sentinel])).not.toEqual([]);
    expect(found(`SECRET-${Number(sentinel.split('-')[1]) + 1}-000000000000 {"level":"INFO"}`)).toBe(false);
  });
});

describe('no record content in logs', () => {
  test(
    'an S3 replay with every outcome, logging fully on: no sentinel in any log line',
    async () => {
      const dir = workDir();
      const workflow = join(dir, 'privacy-claims.yaml');
      copyFileSync(join(fixtures, 'privacy-claims.yaml'), workflow);
      const s = new Sentinels();

      const agree = recordOf(s, 'c-03', 0.5, 'agree');
      const wrong = recordOf(s, 'c-04', 0.6, 'wrong');
      const stop = recordOf(s, 'c-05', 0.3, 'stop');
      const expire = recordOf(s, 'c-06', 0.3, 'expire');
      const fail = recordOf(s, 'c-07', 0.3, 'fail');
      const lines = [
        JSON.stringify(recordOf(s, 'c-01', 0.99, 'auto')),
        JSON.stringify(recordOf(s, 'c-02', 0.95, 'auto')),
        JSON.stringify(agree),
        JSON.stringify(wrong),
        JSON.stringify(stop),
        JSON.stringify(expire),
        JSON.stringify(fail),
        JSON.stringify(recordOf(s, 'c-08', 0.4, 'default')),
        // Malformed JSON: cut short; starting with content (JSON.parse quotes the start of the text); trailing content.
        `{"claimId":"c-09","notes":"${s.make()}","customer":{"name":"${s.make()}"`,
        `${s.make()} {"claimId":"c-10"}`,
        `{"claimId":"c-11","notes":"${s.make()}"} ${s.make()}`,
        // Not an object, and no record id.
        JSON.stringify([s.make(), { value: s.make() }]),
        JSON.stringify(recordOf(s, undefined, 0.4, 'no-id')),
        // The same id again.
        JSON.stringify(recordOf(s, 'c-01', 0.98, 'auto')),
        // More of each, so that the run logs plenty.
        ...['c-13', 'c-14', 'c-15', 'c-16'].map((id) => JSON.stringify(recordOf(s, id, 0.97, 'auto'))),
        ...['c-17', 'c-18', 'c-19', 'c-20', 'c-21', 'c-22'].map((id) => JSON.stringify(recordOf(s, id, 0.45, 'default'))),
        // Oversize: activated, its projection over A2I's InputContent limit.
        JSON.stringify(recordOf(s, 'c-12', 0.2, 'oversize', { notes: `${s.make()} ${'x'.repeat(OVERSIZE_CHARS)} ${s.make()}` })),
      ];
      const input = join(dir, 'claims.jsonl');
      writeFileSync(input, `${lines.join('\n')}\n`);

      const answer = (verdict: string) => ({ verdict, notes: s.make(), correction: { amount: s.make(), [s.make()]: [s.make()] } });
      const rules: Rule[] = [
        { when: `record.scenario == '${agree.scenario as string}'`, answers: [answer('correct'), answer('correct')] },
        { when: `record.scenario == '${wrong.scenario as string}'`, answers: [answer('wrong')] },
        { when: `record.scenario == '${stop.scenario as string}'`, status: 'Stopped' },
        { when: `record.scenario == '${expire.scenario as string}'`, status: 'Expired' },
        { when: `record.scenario == '${fail.scenario as string}'`, status: 'Failed' },
      ];
      const autoReview = join(dir, 'auto-review.json');
      writeFileSync(autoReview, JSON.stringify({ rules, default: { answers: [answer('correct')] } }));

      const run = await replayCapturingLogs(workflow, input, autoReview, join(dir, 'out'));

      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
      const summary = JSON.parse(run.stdout.trimEnd().split('\n').pop() as string) as Record<string, unknown>;
      expect(summary).toMatchObject({ records: 25, autoAccepted: 6, reviewed: 9, failed: 3, invalid: 7, lost: 0, duplicates: 0 });
      expectNoLeaks(run, s);
    },
    FULL_RUN_MS,
  );

  test(
    'an EventBridge replay (matched, duplicated, unmatched and invalid events): no sentinel in any log line',
    async () => {
      const dir = workDir();
      const workflow = join(dir, 'privacy-events.yaml');
      copyFileSync(join(fixtures, 'privacy-events.yaml'), workflow);
      const s = new Sentinels();

      const event = (id: string, claim: unknown, source = 'acme.claims') => ({ id, source, 'detail-type': 'ClaimScored', detail: { claim, other: s.make(), [s.make()]: { value: s.make() } } });
      const reviewed = recordOf(s, 'e-2', 0.4, 'agree');
      const stopped = recordOf(s, 'e-3', 0.3, 'stop');
      const events = [
        event('evt-1', recordOf(s, 'e-1', 0.99, 'auto')),
        event('evt-2', reviewed),
        event('evt-2', reviewed),
        event('evt-3', stopped),
        event('evt-9', recordOf(s, 'x-9', 0.2, 'unmatched'), 'acme.other'),
        event('evt-4', recordOf(s, undefined, 0.4, 'no-id')),
        event('evt-5', s.make()),
        ...[6, 7, 8, 9, 10, 11, 12].map((n) => event(`evt-${n}`, recordOf(s, `e-${n}`, 0.5, 'default'))),
      ];
      const input = join(dir, 'events.jsonl');
      writeFileSync(input, `${events.map((item) => JSON.stringify(item)).join('\n')}\n`);
      const answer = () => ({ verdict: 'correct', notes: s.make() });
      const rules: Rule[] = [
        { when: `record.scenario == '${reviewed.scenario as string}'`, answers: [answer(), answer()] },
        { when: `record.scenario == '${stopped.scenario as string}'`, status: 'Stopped' },
      ];
      const autoReview = join(dir, 'auto-review.json');
      writeFileSync(autoReview, JSON.stringify({ rules, default: { answers: [answer()] } }));

      const run = await replayCapturingLogs(workflow, input, autoReview, join(dir, 'out'));

      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
      const summary = JSON.parse(run.stdout.trimEnd().split('\n').pop() as string) as Record<string, unknown>;
      expect(summary).toMatchObject({ lost: 0, duplicates: 0 });
      expectNoLeaks(run, s);
    },
    FULL_RUN_MS,
  );
});

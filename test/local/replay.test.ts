import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli as run } from '../support/run-cli';
import { LocalStack } from '../../lib/local/stack';
import type { ReviewMessage } from '../../lib/messages';
import { messageProblems } from '../../lib/messages/validate';

/**
 * `a2i-orchestrator replay` end to end, in-process: the whole local pipeline (the local S3, SQS and DynamoDB, the A2I
 * emulator, the state machine, the event bus) runs for each full test, answered by --auto-review rules.
 */

const fixtures = join(__dirname, '..', 'fixtures', 'replay');
const fixture = (name: string): string => join(fixtures, name);
/** Generous: a full replay takes a few seconds, more on a slow CI machine. */
const FULL_RUN_MS = 90_000;
/** Passed as --timeout, so that a record that never gets its message fails the test instead of hanging it. */
const REPLAY_TIMEOUT_SECONDS = '45';

const outDirs: string[] = [];
function outDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'a2i-replay-test-'));
  outDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of outDirs) rmSync(dir, { recursive: true, force: true });
});

/** The last stdout line, which the contract says is the JSON summary. */
function summaryOf(stdout: string): unknown {
  const lines = stdout.trimEnd().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

/** Each DIR/<queue>.jsonl as its messages, every one checked against the message contract. */
function readOut(dir: string): Record<string, ReviewMessage[]> {
  const queues: Record<string, ReviewMessage[]> = {};
  for (const file of readdirSync(dir).sort()) {
    expect(file).toMatch(/^[a-z0-9][a-z0-9-]*\.jsonl$/);
    const text = readFileSync(join(dir, file), 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    queues[file.replace(/\.jsonl$/, '')] = text
      .trimEnd()
      .split('\n')
      .map((line) => {
        const message = JSON.parse(line) as ReviewMessage;
        expect(messageProblems(message)).toEqual([]);
        return message;
      });
  }
  return queues;
}

const counts = (queues: Record<string, ReviewMessage[]>): Record<string, number> => Object.fromEntries(Object.entries(queues).map(([queue, messages]) => [queue, messages.length]));

const byRecordId = (messages: ReviewMessage[]): Record<string, ReviewMessage> => Object.fromEntries(messages.map((message) => [message.recordId as string, message]));

describe('replay of an S3 JSON Lines workflow', () => {
  test(
    'every record gets exactly one terminal message on the right queue, and the summary counts them',
    async () => {
      const out = outDir();

      const { code, stdout, stderr } = await run(
        'replay',
        '--workflow',
        fixture('claims.yaml'),
        '--input',
        fixture('claims.jsonl'),
        '--auto-review',
        fixture('auto-review.json'),
        '--out',
        out,
        '--timeout',
        REPLAY_TIMEOUT_SECONDS,
      );

      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      // 12 lines: 11 records (c-01…c-08, the malformed line 9, c-10, the second c-01 on line 12) and a blank line 11.
      expect(summaryOf(stdout)).toEqual({
        records: 11,
        activated: 7,
        autoAccepted: 2,
        invalid: 2,
        loopsStarted: 7,
        reviewed: 4,
        failed: 3,
        delivered: { accepted: 2, reviewed: 3, corrections: 1, failures: 3, rejected: 2 },
        lost: 0,
        duplicates: 0,
      });
      expect(stdout.endsWith('\n')).toBe(true);

      const queues = readOut(out);
      expect(counts(queues)).toEqual({ accepted: 2, reviewed: 3, corrections: 1, failures: 3, rejected: 2 });
      const all = Object.values(queues).flat();
      for (const message of all) {
        expect(message.workflow).toBe('replay-claims');
        expect(message.source).toMatchObject({ type: 's3', key: 'claims/claims.jsonl' });
      }

      // Each record (index 0…10) exactly once across all files; the blank line 11 is no record.
      const indexes = all.map((message) => (message.source.type === 's3' ? message.source.recordIndex : -1)).sort((a, b) => a - b);
      expect(indexes).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      const lineOf = Object.fromEntries(all.map((message) => [message.source.type === 's3' ? message.source.recordIndex : -1, message.source.type === 's3' ? message.source.line : undefined]));
      expect(lineOf).toEqual({ 0: 1, 1: 2, 2: 3, 3: 4, 4: 5, 5: 6, 6: 7, 7: 8, 8: 9, 9: 10, 10: 12 });
      expect(new Set(all.map((message) => message.reviewId)).size).toBe(all.length);

      // High confidence: auto-accepted, with the record and a decision that did not activate.
      for (const message of queues.accepted) {
        expect(message.outcome).toBe('auto-accepted');
        expect(message.decision).toMatchObject({ activated: false });
        expect(message.review).toBeUndefined();
      }
      expect(queues.accepted.map((message) => message.recordId).sort()).toEqual(['c-01', 'c-02']);

      // Reviewed: both workers' answers, and the consolidated verdict; routed by `routes[].when` on it.
      const reviewed = byRecordId(queues.reviewed);
      expect(Object.keys(reviewed).sort()).toEqual(['c-03', 'c-04', 'c-10']);
      for (const message of [...queues.reviewed, ...queues.corrections]) {
        expect(message.outcome).toBe('reviewed');
        expect(message.decision).toMatchObject({ activated: true });
        expect(message.review?.status).toBe('Completed');
        expect(message.review?.humanLoopName).toBe(message.reviewId);
        expect(message.review?.answers).toHaveLength(2);
        expect(message.review?.agreement).toBe(1);
        expect(message.review?.tie).toBe(false);
        expect(message.failure).toBeUndefined();
      }
      const answersOf = (message: ReviewMessage) => (message.review?.answers as { answerContent: unknown; workerId: string }[]).map(({ answerContent, workerId }) => ({ answerContent, workerId }));
      expect(answersOf(reviewed['c-03'])).toEqual([
        { answerContent: { verdict: 'correct', notes: 'first' }, workerId: 'auto-reviewer-1' },
        { answerContent: { verdict: 'correct', notes: 'second' }, workerId: 'auto-reviewer-2' },
      ]);
      expect(reviewed['c-03'].review?.consolidated).toEqual({ verdict: 'correct' });
      // The record as written (reviewers saw the projection), kept at ingest for the reviewed message.
      expect(reviewed['c-03'].record).toEqual({ claimId: 'c-03', amount: 640, confidence: 0.5, scenario: 'agree' });
      // The default answer, given once, is repeated for the second worker.
      expect(answersOf(reviewed['c-10']).map(({ answerContent }) => answerContent)).toEqual([
        { verdict: 'correct', notes: 'default' },
        { verdict: 'correct', notes: 'default' },
      ]);
      expect(reviewed['c-10'].review?.consolidated).toEqual({ verdict: 'correct' });

      expect(queues.corrections.map((message) => message.recordId)).toEqual(['c-05']);
      const [correction] = queues.corrections;
      expect(answersOf(correction).map(({ answerContent }) => answerContent)).toEqual([{ verdict: 'wrong' }, { verdict: 'wrong' }]);
      expect(correction.review?.consolidated).toEqual({ verdict: 'wrong' });

      // Stopped, Expired and Failed loops: one `failed` message each, with deliver-failure's codes.
      const failures = byRecordId(queues.failures);
      expect(Object.keys(failures).sort()).toEqual(['c-06', 'c-07', 'c-08']);
      for (const message of queues.failures) {
        expect(message.outcome).toBe('failed');
        expect(message.review?.humanLoopName).toBe(message.reviewId);
        expect(message.failure?.reason).toEqual(expect.any(String));
      }
      expect(failures['c-06'].failure?.code).toBe('Stopped');
      expect(failures['c-06'].review?.status).toBe('Stopped');
      expect(failures['c-07'].failure?.code).toBe('Expired');
      expect(failures['c-07'].review?.status).toBe('Expired');
      expect(failures['c-08'].failure?.code).toBe('InternalError');
      expect(failures['c-08'].review?.status).toBe('Failed');

      // The malformed line and the second c-01: `invalid`, each named by its line.
      const invalid = queues.rejected;
      for (const message of invalid) expect(message.outcome).toBe('invalid');
      const malformed = invalid.find((message) => message.failure?.code === 'InvalidJson');
      expect(malformed?.source).toMatchObject({ recordIndex: 8, line: 9 });
      expect(malformed?.failure?.reason).toMatch(/^line 9: not valid JSON/);
      const duplicate = invalid.find((message) => message.failure?.code === 'DuplicateRecordId');
      expect(duplicate?.recordId).toBe('c-01');
      // The first line keeps the id: line 1 is accepted, line 12 is its duplicate.
      expect(duplicate?.failure?.reason).toBe('line 12: recordId "c-01" is kept by line 1, the first in this source with it');
      const c01 = all.filter((message) => message.recordId === 'c-01');
      expect(c01.map((message) => [message.source.type === 's3' ? message.source.line : undefined, message.outcome])).toEqual(expect.arrayContaining([[1, 'auto-accepted'], [12, 'invalid']]));
      expect(c01).toHaveLength(2);
    },
    FULL_RUN_MS,
  );
});

describe('replay of an EventBridge workflow', () => {
  test(
    'duplicated events count once, an event the pattern does not match is no record, and nothing is lost',
    async () => {
      const out = outDir();

      const { code, stdout, stderr } = await run(
        'replay',
        '--workflow',
        fixture('events.yaml'),
        '--input',
        fixture('events.jsonl'),
        '--auto-review',
        fixture('events-auto-review.json'),
        '--out',
        out,
        '--timeout',
        REPLAY_TIMEOUT_SECONDS,
      );

      // events.jsonl: evt-1…evt-4 of acme.claims (evt-1 and evt-2 twice each), evt-9 of acme.other, a blank line.
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      expect(summaryOf(stdout)).toEqual({
        records: 4,
        activated: 2,
        autoAccepted: 2,
        invalid: 0,
        loopsStarted: 2,
        reviewed: 2,
        failed: 0,
        delivered: { accepted: 2, reviewed: 2 },
        lost: 0,
        duplicates: 0,
      });

      const queues = readOut(out);
      expect(counts(queues)).toEqual({ accepted: 2, reviewed: 2 });
      const all = Object.values(queues).flat();
      const eventIds = all.map((message) => (message.source.type === 'event' ? `${message.source.eventSource}/${message.source.eventId}` : 'not an event')).sort();
      expect(eventIds).toEqual(['acme.claims/evt-1', 'acme.claims/evt-2', 'acme.claims/evt-3', 'acme.claims/evt-4']);
      expect(byRecordId(queues.accepted)['e-1'].outcome).toBe('auto-accepted');
      expect(Object.keys(byRecordId(queues.accepted)).sort()).toEqual(['e-1', 'e-4']);
      for (const message of queues.reviewed) {
        expect(message.outcome).toBe('reviewed');
        expect(message.source).toMatchObject({ type: 'event', eventSource: 'acme.claims', detailType: 'ClaimScored' });
        expect(message.review?.answers).toHaveLength(2);
        expect(message.review?.consolidated).toEqual({ verdict: 'correct' });
      }
      expect(Object.keys(byRecordId(queues.reviewed)).sort()).toEqual(['e-2', 'e-3']);
      expect(byRecordId(queues.reviewed)['e-2'].record).toEqual({ claimId: 'e-2', confidence: 0.4 });
    },
    FULL_RUN_MS,
  );
});

describe('replay --out, run twice into one directory', () => {
  const args = (out: string, autoReview: string) => ['replay', '--workflow', fixture('claims.yaml'), '--input', fixture('claims.jsonl'), '--auto-review', fixture(autoReview), '--out', out, '--timeout', REPLAY_TIMEOUT_SECONDS];

  test(
    'the second run replaces the first run\'s files',
    async () => {
      const out = outDir();
      const first = await run(...args(out, 'auto-review.json'));
      expect(first.code).toBe(0);
      const firstQueues = readOut(out);
      const secondStarted = new Date().toISOString();

      const second = await run(...args(out, 'auto-review.json'));

      expect(second.code).toBe(0);
      const secondQueues = readOut(out);
      expect(counts(secondQueues)).toEqual(counts(firstQueues));
      expect(counts(secondQueues)).toEqual((summaryOf(second.stdout) as { delivered: Record<string, number> }).delivered);
      for (const message of Object.values(secondQueues).flat()) expect(message.createdAt >= secondStarted).toBe(true);
    },
    2 * FULL_RUN_MS,
  );

  // A queue the second run delivers nothing to must not keep the first run's file.
  test(
    'a queue the second run delivers nothing to keeps no file of the first run',
    async () => {
      const out = outDir();
      const first = await run(...args(out, 'auto-review.json'));
      expect(first.code).toBe(0);
      expect(existsSync(join(out, 'failures.jsonl'))).toBe(true);

      // Every loop answered `correct`: nothing goes to failures or corrections this time.
      const second = await run(...args(out, 'events-auto-review.json'));

      expect(second.code).toBe(0);
      expect((summaryOf(second.stdout) as { delivered: Record<string, number> }).delivered).toEqual({ accepted: 2, reviewed: 7, rejected: 2 });
      expect(counts(readOut(out))).toEqual({ accepted: 2, reviewed: 7, rejected: 2 });
    },
    2 * FULL_RUN_MS,
  );
});

describe('replay: mistakes in what it is given', () => {
  let startSpy: jest.SpyInstance;
  beforeEach(() => {
    startSpy = jest.spyOn(LocalStack, 'start');
  });
  afterEach(() => startSpy.mockRestore());

  test('without --workflow or --input it exits 2 with the usage', async () => {
    for (const argv of [
      ['replay', '--input', fixture('claims.jsonl')],
      ['replay', '--workflow', fixture('claims.yaml')],
      ['replay'],
    ]) {
      const { code, stdout, stderr } = await run(...argv);

      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toContain('replay needs --workflow FILE and --input FILE');
      expect(stderr).toContain('usage:');
      expect(stderr).toContain('a2i-orchestrator replay --workflow FILE --input FILE [--auto-review FILE] [--out DIR]');
    }
    expect(startSpy).not.toHaveBeenCalled();
  });

  const autoReviewErrors: [string, string, RegExp][] = [
    ['not JSON', 'bad-json-auto-review.json', /not valid JSON/],
    ['an invalid rule', 'bad-rule-auto-review.json', /rules\[0\]\.status: must be one of Stopped, Expired, Failed, got "Paused".*rules\[1\]\.when: is missing/],
    ['missing', 'no-such-auto-review.json', /cannot read the file/],
  ];

  test.each(autoReviewErrors)('an --auto-review file that is %s fails at once, naming the file', async (_, name, problem) => {
    const out = outDir();
    const file = fixture(name);

    const { code, stdout, stderr } = await run('replay', '--workflow', fixture('claims.yaml'), '--input', fixture('claims.jsonl'), '--auto-review', file, '--out', out);

    expect(code).not.toBe(0);
    expect(stdout).toBe('');
    expect(stderr).toContain(`invalid auto-review rules in ${file}`);
    expect(stderr).toMatch(problem);
    expect(startSpy).not.toHaveBeenCalled();
    expect(readdirSync(out)).toEqual([]);
  });

  test.each(autoReviewErrors)('an --auto-review file that is %s is a clean config error: exit 1 or 2, no stack trace', async (_, name) => {
    const { code, stderr } = await run('replay', '--workflow', fixture('claims.yaml'), '--input', fixture('claims.jsonl'), '--auto-review', fixture(name));

    expect([1, 2]).toContain(code);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  test('a workflow that fails validation is reported before any stack starts', async () => {
    const workflow = fixture('unknown-queue.yaml');
    const started = Date.now();

    const { code, stdout, stderr } = await run('replay', '--workflow', workflow, '--input', fixture('claims.jsonl'), '--auto-review', fixture('auto-review.json'), '--out', outDir());

    expect(code).not.toBe(0);
    expect(stdout).toBe('');
    expect(stderr).toContain(`${workflow}:19:12: routes[0].queue: unknown queue "nowhere" (declared in queues: reviewed, failures)`);
    expect(startSpy).not.toHaveBeenCalled();
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  test('a workflow that fails validation is a clean config error: exit 1 or 2, no stack trace', async () => {
    const { code, stderr } = await run('replay', '--workflow', fixture('unknown-queue.yaml'), '--input', fixture('claims.jsonl'));

    expect([1, 2]).toContain(code);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});

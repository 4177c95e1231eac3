import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { DONE_DIR, FAILED_DIR, Inbox, InboxLockedError, LOCK_FILE, lockInbox, TAKING_DIR } from '../../lib/local/inbox';

const SETTLE_MS = 20;
const DEADLINE_MS = 10_000;

interface Take {
  name: string;
  body: string;
}

/** Records each take; `next(n)` resolves once `n` takes have been seen, or rejects at the deadline. */
class Takes {
  readonly seen: Take[] = [];
  private waiters: { count: number; resolve(): void }[] = [];
  /** What each take does: resolves by default. */
  behaviour: (take: Take) => Promise<void> = async () => undefined;

  readonly take = (name: string, body: Buffer): Promise<void> => {
    const take = { name, body: body.toString('utf8') };
    this.seen.push(take);
    for (const waiter of this.waiters.filter((w) => this.seen.length >= w.count)) waiter.resolve();
    return this.behaviour(take);
  };

  until(count: number): Promise<Take[]> {
    if (this.seen.length >= count) return Promise.resolve(this.seen);
    return new Promise<Take[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`gave up after ${DEADLINE_MS} ms waiting for ${count} take(s); saw ${JSON.stringify(this.seen.map((t) => t.name))}`)), DEADLINE_MS);
      this.waiters.push({
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve(this.seen);
        },
      });
    });
  }
}

/** Files in a folder whose names end with `-name` (the inbox prefixes a timestamp when it moves them). */
const movedAs = (dir: string, name: string): string[] => (existsSync(dir) ? readdirSync(dir).filter((file) => file.endsWith(`-${name}`)) : []);

describe('Inbox', () => {
  let dir: string;
  let inbox: Inbox | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'a2i-inbox-'));
  });

  afterEach(async () => {
    jest.useRealTimers();
    await inbox?.stop();
    inbox = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes the files present at start, one at a time, and moves them to done/', async () => {
    // Prepare
    writeFileSync(join(dir, 'a.jsonl'), 'first\n');
    writeFileSync(join(dir, 'b.jsonl'), 'second\n');
    const takes = new Takes();
    let inFlight = 0;
    let maxInFlight = 0;
    takes.behaviour = async () => {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight--;
    };
    inbox = new Inbox({ dir, take: takes.take, settleMs: SETTLE_MS });

    // Act
    inbox.start();
    const seen = await takes.until(2);
    await inbox.stop();

    // Assess
    expect(seen.map((take) => [take.name, take.body]).sort()).toEqual([
      ['a.jsonl', 'first\n'],
      ['b.jsonl', 'second\n'],
    ]);
    expect(maxInFlight).toBe(1);
    expect(movedAs(join(dir, DONE_DIR), 'a.jsonl')).toHaveLength(1);
    expect(movedAs(join(dir, DONE_DIR), 'b.jsonl')).toHaveLength(1);
    expect(readFileSync(join(dir, DONE_DIR, movedAs(join(dir, DONE_DIR), 'a.jsonl')[0]), 'utf8')).toBe('first\n');
    expect(readdirSync(dir).sort()).toEqual([TAKING_DIR, DONE_DIR, FAILED_DIR]);
    expect(readdirSync(join(dir, FAILED_DIR))).toEqual([]);
  });

  it('creates the folder and its done/ and failed/ folders when they are missing', async () => {
    const nested = join(dir, 'not', 'there');
    inbox = new Inbox({ dir: nested, take: new Takes().take, settleMs: SETTLE_MS });
    inbox.start();
    await inbox.stop();
    expect(readdirSync(nested).sort()).toEqual([TAKING_DIR, DONE_DIR, FAILED_DIR]);
  });

  it('takes a file dropped in while it runs', async () => {
    const takes = new Takes();
    inbox = new Inbox({ dir, take: takes.take, settleMs: SETTLE_MS });
    inbox.start();

    writeFileSync(join(dir, 'late.json'), '{"late":true}');
    const [take] = await takes.until(1);
    await inbox.stop();

    expect(take).toEqual({ name: 'late.json', body: '{"late":true}' });
    expect(movedAs(join(dir, DONE_DIR), 'late.json')).toHaveLength(1);
    expect(existsSync(join(dir, 'late.json'))).toBe(false);
  });

  it('waits until a growing file stops growing, then takes all of it once', async () => {
    // Fake timers: the settle delay passes when the test says so (promises and fs events stay real)
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const settleMs = 1000;
    writeFileSync(join(dir, 'big.jsonl'), 'part 1\n');
    const takes = new Takes();
    inbox = new Inbox({ dir, take: takes.take, settleMs });
    inbox.start();

    // Act: the file grows at every settle interval
    for (const part of ['part 2\n', 'part 3\n']) {
      appendFileSync(join(dir, 'big.jsonl'), part);
      jest.advanceTimersByTime(settleMs);
      await new Promise((resolve) => setImmediate(resolve));
      // Assess: not taken while it grows
      expect(takes.seen).toEqual([]);
    }

    // Act: it stops growing; the settle interval passes (a late fs event may restart it once more)
    const deadline = Date.now() + DEADLINE_MS;
    while (takes.seen.length === 0 && Date.now() < deadline) {
      jest.advanceTimersByTime(settleMs);
      await new Promise((resolve) => setImmediate(resolve));
    }
    jest.useRealTimers();
    await inbox.stop();

    // Assess
    expect(takes.seen).toEqual([{ name: 'big.jsonl', body: 'part 1\npart 2\npart 3\n' }]);
    expect(movedAs(join(dir, DONE_DIR), 'big.jsonl')).toHaveLength(1);
  });

  it('moves a file whose take rejects to failed/ and reports the error', async () => {
    const takes = new Takes();
    takes.behaviour = async (take) => {
      if (take.name === 'notes.txt') throw new Error('no workflow takes notes.txt');
    };
    const errors: [string, unknown][] = [];
    inbox = new Inbox({ dir, take: takes.take, settleMs: SETTLE_MS, onError: (name, error) => errors.push([name, error]) });
    writeFileSync(join(dir, 'notes.txt'), 'hello');
    inbox.start();

    await takes.until(1);
    writeFileSync(join(dir, 'good.jsonl'), '{}\n');
    await takes.until(2);
    await inbox.stop();

    expect(errors).toHaveLength(1);
    expect(errors[0][0]).toBe('notes.txt');
    expect((errors[0][1] as Error).message).toBe('no workflow takes notes.txt');
    expect(movedAs(join(dir, FAILED_DIR), 'notes.txt')).toHaveLength(1);
    expect(movedAs(join(dir, DONE_DIR), 'notes.txt')).toHaveLength(0);
    // A failure does not stop the inbox: the next file is still taken
    expect(movedAs(join(dir, DONE_DIR), 'good.jsonl')).toHaveLength(1);
  });

  it('moves a file whose take rejects to failed/ without an onError', async () => {
    const takes = new Takes();
    takes.behaviour = async () => {
      throw new Error('nope');
    };
    inbox = new Inbox({ dir, take: takes.take, settleMs: SETTLE_MS });
    writeFileSync(join(dir, 'x.json'), '[]');
    inbox.start();
    await takes.until(1);
    await inbox.stop();
    expect(movedAs(join(dir, FAILED_DIR), 'x.json')).toHaveLength(1);
  });

  it('ignores hidden files and folders', async () => {
    writeFileSync(join(dir, '.hidden.jsonl'), 'secret');
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'inner.jsonl'), 'inner');
    const takes = new Takes();
    inbox = new Inbox({ dir, take: takes.take, settleMs: SETTLE_MS });
    inbox.start();

    // Act: a hidden file while running too (an editor's swap file), then a visible one
    writeFileSync(join(dir, '.swap'), 'partial');
    writeFileSync(join(dir, 'visible.jsonl'), 'shown');
    await takes.until(1);
    await inbox.stop();

    expect(takes.seen.map((take) => take.name)).toEqual(['visible.jsonl']);
    expect(readFileSync(join(dir, '.hidden.jsonl'), 'utf8')).toBe('secret');
    expect(readFileSync(join(dir, '.swap'), 'utf8')).toBe('partial');
    expect(readFileSync(join(dir, 'sub', 'inner.jsonl'), 'utf8')).toBe('inner');
  });

  it('stop() resolves only once the file being taken is done', async () => {
    // Prepare: a take that finishes when the test says so
    const takes = new Takes();
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    takes.behaviour = () => released;
    writeFileSync(join(dir, 'slow.jsonl'), 'slow');
    inbox = new Inbox({ dir, take: takes.take, settleMs: SETTLE_MS });
    inbox.start();
    await takes.until(1);

    // Act: stop while the take is in progress
    let stopped = false;
    const stopping = inbox.stop().then(() => {
      stopped = true;
    });
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));

    // Assess: still waiting, the file not yet moved to done/
    expect(stopped).toBe(false);
    expect(existsSync(join(dir, TAKING_DIR, 'slow.jsonl'))).toBe(true);
    expect(movedAs(join(dir, DONE_DIR), 'slow.jsonl')).toEqual([]);

    // Act: the take finishes
    release();
    await stopping;

    // Assess
    expect(stopped).toBe(true);
    expect(movedAs(join(dir, DONE_DIR), 'slow.jsonl')).toHaveLength(1);
  });

  it('stop() before a pending file settles leaves it in place for the next start', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    writeFileSync(join(dir, 'pending.jsonl'), 'later');
    const takes = new Takes();
    inbox = new Inbox({ dir, take: takes.take, settleMs: 1000 });
    inbox.start();
    await inbox.stop();
    jest.advanceTimersByTime(5000);
    jest.useRealTimers();

    expect(takes.seen).toEqual([]);
    expect(readFileSync(join(dir, 'pending.jsonl'), 'utf8')).toBe('later');

    // Next start: taken
    inbox = new Inbox({ dir, take: takes.take, settleMs: SETTLE_MS });
    inbox.start();
    await takes.until(1);
    expect(takes.seen).toEqual([{ name: 'pending.jsonl', body: 'later' }]);
  });

  it('forgets a file that disappears before it is taken, without failing it or stopping', async () => {
    // Prepare: the first take holds the line while the second file settles and waits its turn
    const takes = new Takes();
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    takes.behaviour = (take) => (take.name === 'first.jsonl' ? released : Promise.resolve());
    const errors: string[] = [];
    writeFileSync(join(dir, 'first.jsonl'), 'first');
    writeFileSync(join(dir, 'gone.jsonl'), 'gone');
    inbox = new Inbox({ dir, take: takes.take, settleMs: SETTLE_MS, onError: (name) => errors.push(name) });
    inbox.start();
    await takes.until(1);
    // Both have settled once the first is being taken and the second has been seen at the same size twice.
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS * 5));

    // Act: the second file goes (moved away mid-upload), then the first take ends; then a third file arrives
    rmSync(join(dir, 'gone.jsonl'));
    release();
    writeFileSync(join(dir, 'third.jsonl'), 'third');
    await takes.until(2);
    await inbox.stop();

    // Assess: the inbox went on; nothing failed
    expect(takes.seen.map((take) => take.name)).toEqual(['first.jsonl', 'third.jsonl']);
    expect(errors).toEqual([]);
    expect(readdirSync(join(dir, FAILED_DIR))).toEqual([]);
    expect(movedAs(join(dir, DONE_DIR), 'third.jsonl')).toHaveLength(1);
  });
});

describe('Inbox after a kill', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'a2i-inbox-kill-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('takes again, first and as resumed, a file whose take a killed process had begun; then moves it to done/', async () => {
    // Prepare: what a process killed mid-take leaves (the file in .taking/), and a new file
    mkdirSync(join(dir, TAKING_DIR), { recursive: true });
    writeFileSync(join(dir, TAKING_DIR, 'interrupted.jsonl'), 'half-queued');
    writeFileSync(join(dir, 'new.jsonl'), 'new');
    const seen: [string, string, boolean][] = [];
    const inbox = new Inbox({
      dir,
      settleMs: SETTLE_MS,
      take: async (name, body, resumed) => {
        seen.push([name, body.toString('utf8'), resumed]);
      },
    });

    // Act
    inbox.start();
    const deadline = Date.now() + DEADLINE_MS;
    while (seen.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    await inbox.stop();

    // Assess
    expect(seen).toEqual([
      ['interrupted.jsonl', 'half-queued', true],
      ['new.jsonl', 'new', false],
    ]);
    expect(readdirSync(join(dir, TAKING_DIR))).toEqual([]);
    expect(movedAs(join(dir, DONE_DIR), 'interrupted.jsonl')).toHaveLength(1);
  });
});

describe('lockInbox', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'a2i-inbox-lock-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses an inbox whose lock a live process holds, and frees it on release', () => {
    // Prepare: this test's process holds it (as another dev would)
    const release = lockInbox(dir, process.pid);

    // Act, Assess: another process may not take it
    let refusal: unknown;
    try {
      lockInbox(dir, process.pid + 1);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(InboxLockedError);
    expect(refusal).toMatchObject({ pid: process.pid });
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8').trim()).toBe(String(process.pid));
    release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    lockInbox(dir, process.pid + 1)();
  });

  it('takes over a lock left by a process that was killed', () => {
    // Prepare: the pid of a process that has ended
    const { pid } = spawnSync(process.execPath, ['-e', '']);
    writeFileSync(join(dir, LOCK_FILE), `${pid}\n`);

    // Act
    const release = lockInbox(dir, process.pid);

    // Assess
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8').trim()).toBe(String(process.pid));
    release();
  });
});

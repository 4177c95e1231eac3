/**
 * A key uploaded again (source.s3.reupload): on the whole local pipeline, with A2I's loops as the emulator
 * keeps them. Under `supersede` (the default) an unchanged record is neither reviewed nor delivered again, a
 * changed record's open loop is stopped and delivered `failed` Superseded before the new version's review,
 * and no record of the key ever has two open tasks; under `separate` every version is reviewed on its own.
 */
import '../support/quiet-env';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OpenTask } from '../../lib/emulator/a2i-emulator';
import { type Delivery, LocalStack } from '../../lib/local/stack';

const WORKFLOWS = join(__dirname, '..', 'fixtures', 'workflows', 'reupload');
const DEADLINE_MS = 30_000;
const RECORDS = 40;

jest.setTimeout(120_000);

/** Record `claimId` c-<i>: every fourth one has a confidence that activates a review. */
function record(i: number, changes: Record<string, unknown> = {}): string {
  return JSON.stringify({ claimId: `c-${i}`, confidence: i % 4 === 0 ? 0.5 : 0.99, note: 'first version', ...changes });
}
const version = (overrides: Record<number, Record<string, unknown>> = {}): string =>
  Array.from({ length: RECORDS }, (_, i) => `${record(i, overrides[i])}\n`).join('');

describe('re-uploading a key', () => {
  let stateDir: string;
  let stack: LocalStack;
  const deliveries: Delivery[] = [];
  const problems: string[] = [];
  const listeners = new Set<() => void>();
  const notify = () => listeners.forEach((listener) => listener());

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'a2i-reupload-'));
    stack = await LocalStack.start({
      workflows: WORKFLOWS,
      stateDir,
      port: 0,
      onLoopStarted: notify,
      onDelivered: (delivery) => {
        deliveries.push(delivery);
        notify();
      },
      onProblem: (text) => problems.push(text),
    });
  });
  afterAll(async () => {
    await stack?.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  /** Resolves once `holds` is true (checked at every delivery and loop start), or fails at the deadline. (quiesce would wait for the open loops.) */
  async function until(what: string, holds: () => boolean): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!holds()) return;
        finish();
        resolve();
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`gave up after ${DEADLINE_MS} ms waiting for ${what}`));
      }, DEADLINE_MS);
      const finish = () => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });
  }

  const messagesOf = (workflow: string) => deliveries.filter((delivery) => delivery.workflow === workflow).map((delivery) => delivery.message);
  const openTasksOf = (workflow: string): OpenTask[] =>
    stack.emulator.openTasks().filter((task) => (task.inputContent as { workflow?: string }).workflow === workflow);
  const recordIdOf = (task: OpenTask) => (task.inputContent as { recordId: string }).recordId;
  const countBy = <T>(items: T[], key: (item: T) => string): Map<string, number> => {
    const counts = new Map<string, number>();
    for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
    return counts;
  };

  test('supersede: unchanged records are left alone, a changed one ends its old review first, never two open tasks', async () => {
    const workflow = 'reupload-claims';
    const key = 'claims/batch.jsonl';
    await stack.upload(key, Buffer.from(version()));
    await until('the first version settled', () => messagesOf(workflow).length === 30 && openTasksOf(workflow).length === 10);
    const firstReviewOf = new Map(openTasksOf(workflow).map((task) => [recordIdOf(task), task.humanLoopName]));
    // c-4's reviewer answers before the new version comes: its review is delivered, nothing is left to supersede.
    await stack.emulator.submitAnswer(firstReviewOf.get('c-4') as string, { answerContent: { verdict: 'ok' } });
    await until('c-4 reviewed', () => messagesOf(workflow).some((message) => message.recordId === 'c-4' && message.outcome === 'reviewed'));

    // c-0 (loop open) and c-4 (reviewed) change and still need a person; c-1 changes and is still auto-accepted;
    // c-5 changes into one that needs a person. The 36 others are the same text.
    await stack.upload(key, Buffer.from(version({ 0: { note: 'second' }, 1: { note: 'second' }, 4: { note: 'second' }, 5: { note: 'second', confidence: 0.2 } })));
    await until(
      'the second version settled',
      () =>
        messagesOf(workflow).some((message) => message.recordId === 'c-0' && message.outcome === 'failed') &&
        messagesOf(workflow).filter((message) => message.recordId === 'c-1').length === 2 &&
        ['c-0', 'c-4', 'c-5'].every((id) => openTasksOf(workflow).some((task) => recordIdOf(task) === id && task.humanLoopName !== firstReviewOf.get(id))),
    );

    expect(problems).toEqual([]);
    // Never two open tasks for one record; the open ones are the new versions' and the untouched first ones'.
    const open = openTasksOf(workflow);
    expect([...countBy(open, recordIdOf).values()].every((count) => count === 1)).toBe(true);
    const expectedOpen = [...firstReviewOf.keys()].filter((id) => id !== 'c-4').concat('c-4', 'c-5');
    expect(open.map(recordIdOf).sort()).toEqual(expectedOpen.sort());
    expect(open.find((task) => recordIdOf(task) === 'c-8')?.humanLoopName).toBe(firstReviewOf.get('c-8'));

    // The superseded review's one message: failed Superseded, under its own review id.
    const superseded = messagesOf(workflow).filter((message) => message.outcome === 'failed');
    expect(superseded.map((message) => [message.recordId, message.reviewId, message.failure?.code])).toEqual([['c-0', firstReviewOf.get('c-0'), 'Superseded']]);

    // Unchanged records: still one message each (none was sent again); c-1 changed: a second one, its own.
    const perRecord = countBy(messagesOf(workflow), (message) => message.recordId as string);
    for (let i = 0; i < RECORDS; i++) {
      const id = `c-${i}`;
      const expected = id === 'c-1' ? 2 : i % 4 === 0 && id !== 'c-4' && id !== 'c-0' ? 0 : 1;
      expect({ id, messages: perRecord.get(id) ?? 0 }).toEqual({ id, messages: expected });
    }
    const c1 = messagesOf(workflow).filter((message) => message.recordId === 'c-1');
    expect(new Set(c1.map((message) => message.reviewId)).size).toBe(2);
    expect(c1.map((message) => (message.record as { note: string }).note)).toEqual(['first version', 'second']);
  });

  test('separate: every version of the key is reviewed on its own', async () => {
    const workflow = 'reupload-separate';
    const key = 'separate/batch.jsonl';
    await stack.upload(key, Buffer.from(version()));
    await until('the first version settled', () => messagesOf(workflow).length === 30 && openTasksOf(workflow).length === 10);
    await stack.upload(key, Buffer.from(version()));
    await until('the second version settled', () => messagesOf(workflow).length === 60 && openTasksOf(workflow).length === 20);
    expect(messagesOf(workflow).every((message) => message.outcome === 'auto-accepted')).toBe(true);
  });
});

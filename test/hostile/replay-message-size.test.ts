import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReviewMessage } from '../../lib/messages';
import { runCli } from '../support/run-cli';
import { hostile, HOSTILE, lineOf, removeTempDirs, replay, REPLAY_MS, tempDir } from './replay-support';

/**
 * Records whose messages cannot fit SQS inline, through the whole local pipeline (`replay`), whose queues
 * refuse what AWS refuses (lib/sqs-limits.ts): every record gets exactly one message, counted from the input.
 */

afterAll(removeTempDirs);

const BIG_ID = `big-${'x'.repeat(300 * 1024)}`;

/** The line of every message, in order. */
function linesOf(all: ReviewMessage[]): number[] {
  return all.map((message) => lineOf(message) as number).sort((a, b) => a - b);
}

describe('a 300 KiB recordId among 21 records', () => {
  it(
    'gets its message with the id by reference, and so do the 20 others of its work message',
    async () => {
      const dir = tempDir('a2i-msgsize-in-');
      const lines = Array.from({ length: 21 }, (_, index) => JSON.stringify({ id: index === 10 ? BIG_ID : `r-${index}`, confidence: 0.9, tags: [] }));
      const input = join(dir, 'big-id.jsonl');
      writeFileSync(input, `${lines.join('\n')}\n`);

      const result = await replay(hostile('hostile.yaml'), input);

      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
      expect(result.summary).toMatchObject({ records: 21, autoAccepted: 21, lost: 0, duplicates: 0 });
      expect(linesOf(result.all)).toEqual(Array.from({ length: 21 }, (_, index) => index + 1));
      const big = result.all.find((message) => lineOf(message) === 11) as ReviewMessage;
      expect(big).toMatchObject({ outcome: 'auto-accepted', recordIdRef: expect.stringMatching(/^s3:\/\//), recordRef: expect.stringMatching(/^s3:\/\//) });
      expect(big).not.toHaveProperty('recordId');
    },
    REPLAY_MS,
  );
});

describe('an In list of 20,000 values (every message would embed a decision over the SQS limit)', () => {
  it(
    'is refused before any record is read: replay exits 2 naming the condition',
    async () => {
      const dir = tempDir('a2i-msgsize-wide-');
      cpSync(join(HOSTILE, 'templates'), join(dir, 'templates'), { recursive: true });
      const values = Array.from({ length: 20_000 }, (_, index) => `flagged-${index}`);
      const workflow = readFileSync(hostile('hostile.yaml'), 'utf8').replace(
        /activation:[\s\S]*?flowDefinition:/,
        `activation:\n  Conditions:\n    - ConditionType: FieldValueCheck\n      ConditionParameters: {Path: label, In: ${JSON.stringify(values)}}\nflowDefinition:`,
      );
      writeFileSync(join(dir, 'wide.yaml'), workflow);
      const input = join(dir, 'wide.jsonl');
      writeFileSync(input, `${JSON.stringify({ id: 'w-0', label: 'plain' })}\n`);

      const out = tempDir('a2i-msgsize-wide-out-');
      const result = await runCli('replay', '--workflow', join(dir, 'wide.yaml'), '--input', input, '--out', out);

      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/Conditions\[0\]/);
      expect(readdirSync(out)).toEqual([]);
    },
    REPLAY_MS,
  );
});

import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReviewMessage } from '../../lib/messages';
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

describe('a decision larger than SQS takes', () => {
  it(
    'travels as decisionRef: every record of the object gets its message',
    async () => {
      const dir = tempDir('a2i-msgsize-wide-');
      cpSync(join(HOSTILE, 'templates'), join(dir, 'templates'), { recursive: true });
      const values = Array.from({ length: 1_000 }, (_, index) => `flagged-${index}-${'v'.repeat(300)}`);
      const workflow = readFileSync(hostile('hostile.yaml'), 'utf8').replace(
        /activation:[\s\S]*?flowDefinition:/,
        `activation:\n  Conditions:\n    - ConditionType: FieldValueCheck\n      ConditionParameters: {Path: label, In: ${JSON.stringify(values)}}\nflowDefinition:`,
      );
      writeFileSync(join(dir, 'wide.yaml'), workflow);
      const lines = Array.from({ length: 10 }, (_, index) => JSON.stringify({ id: `w-${index}`, label: index === 4 ? values[7] : `plain-${index}` }));
      const input = join(dir, 'wide.jsonl');
      writeFileSync(input, `${lines.join('\n')}\n`);

      const result = await replay(join(dir, 'wide.yaml'), input);

      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
      expect(result.summary).toMatchObject({ records: 10, autoAccepted: 9, reviewed: 1, lost: 0, duplicates: 0 });
      expect(linesOf(result.all)).toEqual(Array.from({ length: 10 }, (_, index) => index + 1));
      for (const message of result.all) {
        expect(message).not.toHaveProperty('decision');
        expect(message.decisionRef).toMatch(/^s3:\/\//);
      }
    },
    REPLAY_MS,
  );
});

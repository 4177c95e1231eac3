import { MAX_INPUT_CONTENT_CHARS } from '../../lib/ingest/input-content';
import { DEFAULT_MAX_RECORD_BYTES } from '../../lib/ingest/object-records';
import { TEN_MB, writeOverInputContentInput, writeTenMbInput, writeTwelveMbInput } from '../fixtures/hostile/generate';
import { hostile, messageOnLine, removeTempDirs, replay, REPLAY_MS, tempDir } from './replay-support';

/**
 * Hostile objects through the whole local pipeline (`replay`): huge lines (generated here, too big to
 * commit: test/fixtures/hostile/generate.ts) and a JSON document nested 10,000 levels deep.
 */

afterAll(removeTempDirs);

let inputs: string;
beforeAll(() => {
  inputs = tempDir('a2i-hostile-in-');
});

describe('a 10 MB single line', () => {
  it(
    'is read (under the 32 MiB record limit) but over the InputContent limit: InputContentTooLarge; the good records around it are processed',
    async () => {
      expect(TEN_MB).toBeLessThan(DEFAULT_MAX_RECORD_BYTES);

      const result = await replay(hostile('hostile.yaml'), writeTenMbInput(inputs));

      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
      expect(result.summary).toMatchObject({ records: 3, activated: 1, autoAccepted: 1, invalid: 1, loopsStarted: 1, reviewed: 1, lost: 0, duplicates: 0 });
      expect(messageOnLine(result.all, 1)).toMatchObject({ outcome: 'auto-accepted', recordId: 'g-t1' });
      expect(messageOnLine(result.all, 2)).toMatchObject({
        outcome: 'invalid',
        recordId: 'ten-mb',
        failure: { code: 'InputContentTooLarge', reason: expect.stringMatching(new RegExp(`^line 2: InputContent would be \\d+ characters, over A2I's limit of ${MAX_INPUT_CONTENT_CHARS}$`)) },
      });
      expect(messageOnLine(result.all, 3)).toMatchObject({ outcome: 'reviewed', recordId: 'g-t3' });
    },
    REPLAY_MS,
  );
});

describe('a record over the InputContent limit', () => {
  it(
    'is InputContentTooLarge when it activates a review; a 5 MB record that activates none is auto-accepted by reference',
    async () => {
      const result = await replay(hostile('hostile.yaml'), writeOverInputContentInput(inputs));

      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
      expect(result.summary).toMatchObject({ records: 3, activated: 1, autoAccepted: 1, invalid: 1, loopsStarted: 1, reviewed: 1, lost: 0, duplicates: 0 });
      const tooLarge = messageOnLine(result.all, 1);
      expect(tooLarge).toMatchObject({ outcome: 'invalid', recordId: 'over-input-content', failure: { code: 'InputContentTooLarge' } });
      expect(tooLarge.failure?.reason).toMatch(/^line 1: InputContent would be 32\d{5} characters, over A2I's limit of 3145728$/);
      // Too large for SQS: the record travels as recordRef, never truncated (README "Messages").
      const accepted = messageOnLine(result.all, 2);
      expect(accepted).toMatchObject({ outcome: 'auto-accepted', recordId: 'five-mb-accepted', recordRef: expect.stringMatching(/^s3:\/\//) });
      expect(accepted.record).toBeUndefined();
      expect(messageOnLine(result.all, 3)).toMatchObject({ outcome: 'reviewed', recordId: 'g-o3' });
    },
    REPLAY_MS,
  );

  // The local S3 takes at most 11 MiB a request: larger inputs go up in parts, as the AWS uploaders do.
  it(
    'an input over 11 MiB (one 12 MiB line) replays like any other',
    async () => {
      const result = await replay(hostile('hostile.yaml'), writeTwelveMbInput(inputs));

      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
      expect(messageOnLine(result.all, 1)).toMatchObject({ outcome: 'auto-accepted', recordId: 'twelve-mb' });
    },
    REPLAY_MS,
  );
});

describe('a JSON document nested 10,000 levels deep (deep.json)', () => {
  // The document streams as its text (never re-serialised, which overflowed the stack): one record, carried as written.
  it(
    'is one record, auto-accepted as written, never a crash',
    async () => {
      const result = await replay(hostile('documents.yaml'), hostile('deep.json'));

      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
      expect(result.summary).toMatchObject({ records: 1, autoAccepted: 1, lost: 0, duplicates: 0 });
      expect(result.all).toHaveLength(1);
      expect(result.all[0]).toMatchObject({ outcome: 'auto-accepted', recordId: 'deep-doc', source: { type: 's3', key: 'hostile-documents/deep.json', recordIndex: 0 } });
    },
    REPLAY_MS,
  );
});

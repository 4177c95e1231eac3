import type { ReviewMessage } from '../../lib/messages';
import { hostile, lineOf, messageOnLine, removeTempDirs, replay, REPLAY_MS, type Replayed } from './replay-support';

/**
 * The hostile-input corpus, record by record, through the whole local pipeline (`replay`): one JSON Lines
 * object mixing good records with every kind of bad one (test/fixtures/hostile/mixed.jsonl, see README.md
 * there for the line-by-line list). Each bad record ends in its own `invalid` message, named by its line;
 * the good ones still get theirs; nothing is lost or duplicated.
 */

afterAll(removeTempDirs);

describe('hostile records in one JSON Lines object (mixed.jsonl)', () => {
  let result: Replayed;
  beforeAll(async () => {
    result = await replay(hostile('hostile.yaml'), hostile('mixed.jsonl'));
  }, REPLAY_MS);

  const invalidOn = (line: number): ReviewMessage => {
    const message = messageOnLine(result.all, line);
    expect(message.outcome).toBe('invalid');
    expect(result.queues.rejected).toContain(message);
    expect(message.failure?.reason.startsWith(`line ${line}: `)).toBe(true);
    return message;
  };

  it('exits 0: 22 records (23 lines, one blank), each with exactly one message, none lost or duplicated', () => {
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    expect(result.summary).toEqual({
      records: 22,
      activated: 1,
      autoAccepted: 3,
      invalid: 18,
      loopsStarted: 1,
      reviewed: 1,
      failed: 0,
      delivered: { accepted: 3, rejected: 18, reviewed: 1 },
      lost: 0,
      duplicates: 0,
    });
    const lines = result.all.map((message) => lineOf(message) as number).sort((a, b) => a - b);
    expect(lines).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 22, 23]);
    expect(new Set(result.all.map((message) => message.reviewId)).size).toBe(22);
  });

  it('good records are processed: a BOM before line 1 is dropped (its record is read, id g-01), line 21 is auto-accepted', () => {
    expect(messageOnLine(result.all, 1)).toMatchObject({ outcome: 'auto-accepted', recordId: 'g-01' });
    expect(messageOnLine(result.all, 21)).toMatchObject({ outcome: 'auto-accepted', recordId: 'g-21', record: { id: 'g-21', confidence: 0.7, tags: ['a'] } });
  });

  it('malformed JSON (lines 3, 4) is InvalidJson', () => {
    expect(invalidOn(3).failure).toEqual({ code: 'InvalidJson', reason: expect.stringMatching(/^line 3: not valid JSON: /) });
    expect(invalidOn(4).failure).toEqual({ code: 'InvalidJson', reason: expect.stringMatching(/^line 4: not valid JSON: /) });
  });

  it('an array, a string and null (lines 5, 6, 7, 18) are NotAnObject; a 10,000-deep array is one of them, not a crash', () => {
    expect(invalidOn(5).failure).toEqual({ code: 'NotAnObject', reason: 'line 5: a record must be a JSON object, got an array' });
    expect(invalidOn(6).failure).toEqual({ code: 'NotAnObject', reason: 'line 6: a record must be a JSON object, got string' });
    expect(invalidOn(7).failure).toEqual({ code: 'NotAnObject', reason: 'line 7: a record must be a JSON object, got null' });
    expect(invalidOn(18).failure).toEqual({ code: 'NotAnObject', reason: 'line 18: a record must be a JSON object, got an array' });
  });

  it('an empty object, a record without id and one whose id is an object (lines 8, 9, 10) are MissingRecordId', () => {
    for (const line of [8, 9, 10]) {
      expect(invalidOn(line).failure).toEqual({ code: 'MissingRecordId', reason: `line ${line}: recordId "id" yields no string or number` });
    }
    expect(messageOnLine(result.all, 8).record).toEqual({});
  });

  it('wrong types for the paths the conditions read: a string confidence is ConditionError, never auto-accepted (line 11); a non-array tags is UnprocessableRecord (lines 12, 13)', () => {
    // FieldConfidenceCheck needs numbers: "0.1" cannot be evaluated (README: Malformed model output).
    expect(invalidOn(11)).toMatchObject({ recordId: 'w-11', failure: { code: 'ConditionError', reason: expect.stringMatching(/^line 11: conditions could not be evaluated: Conditions\[\d+\](\.Or\[\d+\])?: FieldConfidenceCheck: Path "confidence" yields a string, not a number$/) } });
    // The Expression `length(tags) > 3` is a JMESPath type error on a number or null: the record cannot be evaluated.
    expect(invalidOn(12).failure).toEqual({ code: 'UnprocessableRecord', reason: expect.stringMatching(/^line 12: could not be evaluated: Invalid type: length\(\) .* received type number/) });
    expect(invalidOn(13).failure).toEqual({ code: 'UnprocessableRecord', reason: expect.stringMatching(/^line 13: could not be evaluated: Invalid type: length\(\) .* received type null/) });
  });

  it('duplicate record ids (g-01 on lines 1 and 14, g-02 on lines 2 and 15): the first line keeps the id, the later one is DuplicateRecordId', () => {
    const pairOf = (first: number, second: number, kept: ReviewMessage['outcome'], id: string) => {
      const keeper = messageOnLine(result.all, first);
      expect(keeper).toMatchObject({ outcome: kept, recordId: id });
      const duplicate = invalidOn(second);
      expect(duplicate.recordId).toBe(id);
      expect(duplicate.failure).toEqual({ code: 'DuplicateRecordId', reason: `line ${second}: recordId "${id}" is kept by line ${first}, the first in this source with it` });
      return keeper;
    };
    // Lines 1 and 14 both activate nothing.
    expect(result.queues.accepted).toContain(pairOf(1, 14, 'auto-accepted', 'g-01'));
    // Lines 2 and 15 both activate a review.
    const reviewed = pairOf(2, 15, 'reviewed', 'g-02');
    expect(reviewed).toMatchObject({ review: { status: 'Completed', consolidated: { verdict: 'correct' } } });
    expect(result.queues.reviewed).toEqual([reviewed]);
  });

  it('invalid UTF-8 bytes (line 16) are UnreadableRecord', () => {
    expect(invalidOn(16).failure).toEqual({ code: 'UnreadableRecord', reason: 'line 16: line 16 is not valid UTF-8' });
  });

  it('an object nested 10,000 levels deep: auto-accepted as it is (line 17), or UnprocessableRecord when its review input cannot be built (line 22) — never a crash', () => {
    const accepted = messageOnLine(result.all, 17);
    expect(accepted).toMatchObject({ outcome: 'auto-accepted', recordId: 'd-17' });
    let depth = 0;
    for (let node = (accepted.record as { nested: unknown }).nested; typeof node === 'object' && node !== null; node = (node as { a: unknown }).a) depth++;
    expect(depth).toBe(10_000);
    expect(invalidOn(22).failure).toEqual({ code: 'UnprocessableRecord', reason: 'line 22: could not be evaluated: Maximum call stack size exceeded' });
  });

  it('a BOM that is not at the start of the object (line 19) is part of the line: InvalidJson', () => {
    expect(invalidOn(19).failure).toEqual({ code: 'InvalidJson', reason: expect.stringMatching(/^line 19: not valid JSON: /) });
  });

  it('a truncated last line without a newline (line 23) is InvalidJson', () => {
    expect(invalidOn(23).failure).toEqual({ code: 'InvalidJson', reason: expect.stringMatching(/^line 23: not valid JSON: Unterminated string/) });
  });
});

describe('an empty object (empty.jsonl)', () => {
  it(
    'is zero records: exit 0, summary records 0, no messages',
    async () => {
      const result = await replay(hostile('hostile.yaml'), hostile('empty.jsonl'));

      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
      expect(result.summary).toEqual({ records: 0, activated: 0, autoAccepted: 0, invalid: 0, loopsStarted: 0, reviewed: 0, failed: 0, delivered: {}, lost: 0, duplicates: 0 });
      expect(result.all).toEqual([]);
    },
    REPLAY_MS,
  );
});

import { messageProblems } from '../../lib/messages/validate';
import { reviewIdFor, type SourceIdentity } from '../../lib/naming';
import { IngestHarness, startDynalite } from '../support/ingest-harness';

/**
 * Record ids are compared by their exact text: a string as it is (lone surrogates included), a number as its
 * JSON literal as written, never through a double. The predictions workflow: recordId `id`, confidence 0.9
 * is auto-accepted.
 */

let dynamo: Awaited<ReturnType<typeof startDynalite>>;
let harness: IngestHarness;

beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo.close();
});
beforeEach(async () => {
  harness = await IngestHarness.create(dynamo);
});
afterEach(() => {
  for (const { message } of harness.delivered) expect(messageProblems(message)).toEqual([]);
  harness.restore();
});

/** A line whose `id` is the given JSON text, written as is. */
const line = (idText: string) => `{"id":${idText},"label":"x","confidence":0.9}`;
const jsonl = (lines: string[]) => `${lines.join('\n')}\n`;

describe('record ids', () => {
  it('1,000 distinct 19-digit numeric ids are 1,000 ids, each carried as written', async () => {
    // Prepare: snowflake-like ids, far beyond 2^53: as doubles, neighbours collapse into one.
    const ids = Array.from({ length: 1000 }, (_, index) => (1234567890123456789n + BigInt(index) * 7n).toString());

    // Act
    await harness.uploadObject('predictions/snowflakes.jsonl', jsonl(ids.map(line)));
    await harness.drain();

    // Assess
    expect(harness.deliveredTo('predictions', 'failures')).toEqual([]);
    const accepted = harness.deliveredTo('predictions', 'accepted');
    expect(accepted.map((message) => message.recordId).sort()).toEqual([...ids].sort());
    expect(new Set(accepted.map((message) => message.reviewId)).size).toBe(1000);
  }, 300_000);

  it('keeps lone surrogates: "sur-\\ud800" and "sur-\\udbff" are two ids with two review ids', async () => {
    // Prepare
    const key = 'predictions/surrogates.jsonl';

    // Act
    const event = await harness.uploadObject(key, jsonl([line('"sur-\\ud800"'), line('"sur-\\udbff"'), line('"sur-\\ufffd"')]));
    await harness.drain();

    // Assess
    expect(harness.deliveredTo('predictions', 'failures')).toEqual([]);
    const accepted = harness.deliveredTo('predictions', 'accepted');
    expect(accepted.map((message) => message.recordId)).toEqual(['sur-\ud800', 'sur-\udbff', 'sur-\ufffd']);
    const source: SourceIdentity = { type: 's3', bucket: 'model-outputs', key, etag: event.Records[0].s3.object.eTag };
    expect(new Set(accepted.map((message) => message.reviewId)).size).toBe(3);
    expect(accepted[2].reviewId).toBe(reviewIdFor('predictions', source, { recordId: 'sur-\ufffd', index: 2 }));
  });

  it('the rule for numbers and strings: 1 and "1" are one id; 1.0, -0, 0, 1e400 and "Infinity" are five more', async () => {
    // Act
    await harness.uploadObject('predictions/number-rule.jsonl', jsonl(['1', '"1"', '1.0', '-0', '0', '1e400', '"Infinity"', '"1e400"'].map(line)));
    await harness.drain();

    // Assess: the first of each id keeps it, as for any repeated id.
    const invalid = harness.deliveredTo('predictions', 'failures');
    expect(invalid.map((message) => [message.recordId, message.failure?.code, message.failure?.reason])).toEqual([
      ['1', 'DuplicateRecordId', 'line 2: recordId "1" is kept by line 1, the first in this source with it'],
      ['1e400', 'DuplicateRecordId', 'line 8: recordId "1e400" is kept by line 6, the first in this source with it'],
    ]);
    expect(harness.deliveredTo('predictions', 'accepted').map((message) => message.recordId)).toEqual(['1', '1.0', '-0', '0', '1e400', 'Infinity']);
  });
});

describe('review ids', () => {
  const source: SourceIdentity = { type: 's3', bucket: 'b', key: 'k.jsonl', etag: 'e' };

  it('of well-formed ids are what they always were (an upgrade reviews nothing again)', () => {
    expect(reviewIdFor('w', source, { recordId: 'doc-1', index: 0 })).toBe('w-lpkuknoyfcp3oxi7rwjle5neta');
    expect(reviewIdFor('w', source, { recordId: 'café ☕ 😀', index: 0 })).toBe('w-klbdrsmq2vmmn75vtpa7g62ks4');
    expect(reviewIdFor('w', source, { recordId: 'sur-\ufffd', index: 0 })).toBe('w-dzsod6guj6wz5wur3lvgxaal4v');
  });

  it('of ids with lone surrogates differ from each other and from U+FFFD', () => {
    const ids = ['sur-\ud800', 'sur-\udbff', 'sur-\udc00', 'sur-\ufffd', '\ud800sur', 'sur-\ud800\ud800'].map((recordId) => reviewIdFor('w', source, { recordId, index: 0 }));
    expect(new Set(ids).size).toBe(ids.length);
  });
});

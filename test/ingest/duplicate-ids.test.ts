import { messageProblems } from '../../lib/messages/validate';
import { reviewIdFor, type SourceIdentity } from '../../lib/naming';
import { INPUT_BUCKET, IngestHarness, startDynalite } from '../support/ingest-harness';

/**
 * Duplicate record ids in one object: the first line in the file keeps the id, whatever order its work
 * messages are consumed in; every later line with it is invalid (DuplicateRecordId) naming the kept line.
 * The predictions workflow: recordId `id`, a loop when confidence < 0.5, 100 records per work message.
 */

const line = (id: string, confidence: number) => JSON.stringify({ id, label: `label-${id}`, confidence });
const jsonl = (lines: string[]) => `${lines.join('\n')}\n`;

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

/** 250 records r0…r249, except that `dup-a` is on lines 1 and 201 and `dup-b` on lines 150 and 240: in three work messages. */
function fileWithDuplicatesAcrossBatches(): string[] {
  const lines = Array.from({ length: 250 }, (_, index) => line(`r${index}`, 0.9));
  lines[0] = line('dup-a', 0.9); // kept: auto-accepted
  lines[200] = line('dup-a', 0.1); // would start a loop if it kept the id
  lines[149] = line('dup-b', 0.2); // kept: a loop
  lines[239] = line('dup-b', 0.95); // would be auto-accepted if it kept the id
  return lines;
}

const sourceOf = (key: string, etag: string): SourceIdentity => ({ type: 's3', bucket: INPUT_BUCKET, key, etag });
const loopIds = () => harness.loops.map((loop) => JSON.parse(loop.HumanLoopInput?.InputContent as string)).map((input) => [input.recordId, input.source.line]);

describe('duplicate record ids in one object', () => {
  it('the first line keeps the id even when the work messages are consumed last to first', async () => {
    // Prepare
    const key = 'predictions/duplicates-across-batches.jsonl';
    const event = await harness.uploadObject(key, jsonl(fileWithDuplicatesAcrossBatches()));
    expect(harness.work).toHaveLength(3);
    // Act: the later lines' batches reach the consumer (and the ledger) first.
    harness.work.reverse();
    await harness.drain();

    // Assess
    const source = sourceOf(key, event.Records[0].s3.object.eTag);
    const invalid = harness.deliveredTo('predictions', 'failures');
    expect(invalid.map((message) => [message.recordId, message.source.type === 's3' && message.source.line, message.failure?.code, message.failure?.reason])).toEqual([
      ['dup-a', 201, 'DuplicateRecordId', 'line 201: recordId "dup-a" is kept by line 1, the first in this source with it'],
      ['dup-b', 240, 'DuplicateRecordId', 'line 240: recordId "dup-b" is kept by line 150, the first in this source with it'],
    ]);
    // Each carries its own line as written, as every outcome does.
    const duplicateBodies = harness.delivered.filter(({ message }) => message.failure?.code === 'DuplicateRecordId').map(({ entry }) => entry.MessageBody as string);
    const lines = fileWithDuplicatesAcrossBatches();
    expect(duplicateBodies.map((body, at) => body.includes(`"record":${lines[[200, 239][at]]},`))).toEqual([true, true]);
    // A duplicate is named by its position, so that it never takes the id's review id.
    expect(invalid.map((message) => message.reviewId)).toEqual([
      reviewIdFor('predictions', source, { index: 200 }),
      reviewIdFor('predictions', source, { index: 239 }),
    ]);
    const accepted = harness.deliveredTo('predictions', 'accepted');
    const keptA = accepted.find((message) => message.recordId === 'dup-a');
    expect(keptA).toMatchObject({ reviewId: reviewIdFor('predictions', source, { recordId: 'dup-a', index: 0 }), source: { line: 1 } });
    expect(loopIds()).toEqual([['dup-b', 150]]);
    // Exactly one message per record: 246 auto-accepted (r*, dup-a), 1 loop (dup-b), 2 duplicates; 250 in all.
    expect(accepted).toHaveLength(247);
    expect(accepted.filter((message) => message.recordId === 'dup-b')).toEqual([]);
    expect(harness.delivered).toHaveLength(249);
    expect(new Set(harness.delivered.map((delivered) => delivered.message.reviewId)).size).toBe(249);
    expect(harness.workDlq).toEqual([]);
  });

  it('a retried split and redelivered work give the same answer and send nothing twice', async () => {
    // Prepare
    const key = 'predictions/duplicates-retried.jsonl';
    const event = harness.putObject(key, jsonl(fileWithDuplicatesAcrossBatches()));

    // Act: the S3 event twice (Lambda's retry), every work message twice, consumed last to first.
    await harness.s3Handler(event, {} as never);
    await harness.s3Handler(event, {} as never);
    expect(harness.work).toHaveLength(6);
    harness.work.reverse();
    await harness.drain();

    // Assess
    expect(harness.deliveredTo('predictions', 'failures').map((message) => [message.recordId, message.source.type === 's3' && message.source.line])).toEqual([
      ['dup-a', 201],
      ['dup-b', 240],
    ]);
    expect(loopIds()).toEqual([['dup-b', 150]]);
    expect(harness.deliveredTo('predictions', 'accepted')).toHaveLength(247);
    expect(harness.delivered).toHaveLength(249);
  });

  it('every later line of an id is a duplicate of the first, in the same batch too, whatever each would have become', async () => {
    // Prepare: x on lines 1, 2 and 4 (a loop, auto-accept, a loop); y on line 3 only.
    const key = 'predictions/three-times.jsonl';

    // Act
    await harness.uploadObject(key, jsonl([line('x', 0.1), line('x', 0.9), line('y', 0.9), line('x', 0.2)]));
    await harness.drain();

    // Assess
    expect(harness.deliveredTo('predictions', 'failures').map((message) => message.failure?.reason)).toEqual([
      'line 2: recordId "x" is kept by line 1, the first in this source with it',
      'line 4: recordId "x" is kept by line 1, the first in this source with it',
    ]);
    expect(loopIds()).toEqual([['x', 1]]);
    expect(harness.deliveredTo('predictions', 'accepted').map((message) => message.recordId)).toEqual(['y']);
  });

  it('a first line that is not valid JSON but names the id keeps it: its invalid message carries the id', async () => {
    // Prepare: Python's json.dumps writes NaN; the model then wrote the record again, valid.
    const key = 'predictions/nan-then-valid.jsonl';

    // Act
    const event = await harness.uploadObject(key, jsonl(['{"id": "n1", "confidence": NaN}', line('n1', 0.9), line('n2', 0.9)]));
    await harness.drain();

    // Assess
    const source = sourceOf(key, event.Records[0].s3.object.eTag);
    const invalid = harness.deliveredTo('predictions', 'failures');
    expect(invalid.map((message) => [message.recordId, message.failure?.code, message.reviewId])).toEqual([
      ['n1', 'InvalidJson', reviewIdFor('predictions', source, { recordId: 'n1', index: 0 })],
      ['n1', 'DuplicateRecordId', reviewIdFor('predictions', source, { index: 1 })],
    ]);
    expect(invalid[1].failure?.reason).toBe('line 2: recordId "n1" is kept by line 1, the first in this source with it');
    expect(harness.deliveredTo('predictions', 'accepted').map((message) => message.recordId)).toEqual(['n2']);
  });

  it('the same recordId in another object, or changed in a new version of the same key, is another review', async () => {
    // Act
    await harness.uploadObject('predictions/first.jsonl', jsonl([line('same', 0.2)]));
    await harness.uploadObject('predictions/second.jsonl', jsonl([line('same', 0.2)]));
    await harness.uploadObject('predictions/first.jsonl', jsonl([line('same', 0.2)]));
    await harness.uploadObject('predictions/first.jsonl', jsonl([line('same', 0.3)]));
    await harness.drain();

    // Assess: the unchanged re-upload is the first review; the changed one supersedes it (source.s3.reupload).
    expect(new Set(harness.loops.map((loop) => loop.HumanLoopName)).size).toBe(3);
    const superseded = harness.deliveredTo('predictions', 'failures');
    expect(superseded.map((message) => [message.reviewId, message.failure?.code])).toEqual([[harness.loops[0].HumanLoopName, 'Superseded']]);
  });
});

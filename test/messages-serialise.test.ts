import fc from 'fast-check';
import { RawJson, reviewMessage, serialiseMessage, type MessageSource, type Outcome } from '../lib/messages';

const text = fc.string({ unit: 'binary', maxLength: 20 });
const source: fc.Arbitrary<MessageSource> = fc.oneof(
  fc.record(
    { type: fc.constant('s3' as const), bucket: text, key: text, versionId: text, etag: text, recordIndex: fc.nat(), line: fc.integer({ min: 1 }) },
    { requiredKeys: ['type', 'bucket', 'key', 'recordIndex'] },
  ),
  fc.record({ type: fc.constant('event' as const), eventSource: text, eventId: text, detailType: text, recordIndex: fc.nat() }, { requiredKeys: ['type', 'eventSource', 'eventId', 'recordIndex'] }),
);

describe('serialiseMessage', () => {
  it('equals JSON.stringify for any message', () => {
    fc.assert(
      fc.property(
        source,
        fc.constantFrom<Outcome>('reviewed', 'auto-accepted', 'failed', 'invalid'),
        fc.option(text, { nil: undefined }),
        fc.option(fc.jsonValue(), { nil: undefined }),
        fc.option(fc.record({ code: text, reason: text }), { nil: undefined }),
        (messageSource, outcome, recordId, record, failure) => {
          const message = reviewMessage(
            { reviewId: 'wf-abc', workflow: 'wf', source: messageSource, ...(recordId !== undefined ? { recordId } : {}) },
            outcome,
            {
              record: record ?? undefined,
              failure,
              decision: { activated: false, humanTaskActivationConditionResults: { Conditions: [{ EvaluationResult: false }] } },
              review: outcome === 'reviewed' ? { humanLoopName: 'wf-abc', status: 'Completed', answers: [record ?? null] } : undefined,
            },
            '2026-11-22T10:00:00.000Z',
          );
          expect(serialiseMessage(message)).toBe(JSON.stringify(message));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('splices a record and decision carried as RawJson as their text, and JSON.stringify agrees', () => {
    const message = reviewMessage(
      { reviewId: 'wf-abc', workflow: 'wf', source: { type: 's3', bucket: 'b', key: 'k', recordIndex: 0 } },
      'auto-accepted',
      { record: new RawJson('{ "a" : 1 }'), decision: new RawJson('{"activated":false,"humanTaskActivationConditionResults":{"Conditions":[]}}') },
      '2026-11-22T10:00:00.000Z',
    );

    const json = serialiseMessage(message);

    expect(json).toContain('"record":{ "a" : 1 }');
    expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(message)));
    expect(JSON.parse(json).record).toEqual({ a: 1 });
  });
});

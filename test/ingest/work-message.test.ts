import { decodeWork, encodeWork, MalformedWorkError, type WorkMessage } from '../../lib/ingest/work-message';
import { sqsSafeJson, sqsSafeRecordText } from '../../lib/sqs-text';

const source = { type: 's3' as const, bucket: 'b', key: 'in/a.jsonl', etag: 'e' };

describe('work message codec', () => {
  it('round-trips text, error, staged and duplicate items in order, with record text carried unescaped', () => {
    const work: WorkMessage = {
      workflow: 'predictions',
      source,
      items: [
        { index: 0, line: 1, text: '{"id":"a","note":"say \\"hi\\""}' },
        { index: 1, line: 3, error: 'line 3 is not valid UTF-8' },
        { index: 2, line: 4, ref: 's3://payloads/staging/x.json' },
        { index: 3, line: 5, text: '  {"id":"d"}  ' },
        { index: 4, text: '{"id":"e"}' },
        { index: 5, line: 7, recordId: 'a\uFFFF', keptBy: { line: 1 } },
        { index: 6, recordId: 'e', keptBy: { index: 4 } },
        // A duplicate's text travels in its header entry: it is not a record line to evaluate.
        { index: 7, line: 9, recordId: 'a', keptBy: { line: 1 }, text: '{"id":"a", "n":-0}' },
      ],
    };

    const body = encodeWork(work);

    expect(decodeWork(body)).toEqual(work);
    expect(body).toContain('\n{"id":"a","note":"say \\"hi\\""}');
  });

  it.each([
    ['no version line', 'hello'],
    ['a header that is not JSON', 'a2io-work/1\n{nope'],
    ['a header of the wrong shape', 'a2io-work/1\n{"workflow": 3}'],
    ['fewer lines than the header lists', 'a2io-work/1\n{"workflow":"w","source":{},"items":[{"index":0},{"index":1}]}\n{}'],
    ['more lines than the header lists', 'a2io-work/1\n{"workflow":"w","source":{},"items":[{"index":0}]}\n{}\n{}'],
  ])('rejects %s with MalformedWorkError, quoting no content', (_case, body) => {
    expect(() => decodeWork(body)).toThrow(MalformedWorkError);
    try {
      decodeWork(body);
    } catch (error) {
      expect((error as Error).message).not.toContain('nope');
    }
  });
});

describe('SQS-safe text', () => {
  it('writes U+FFFE and U+FFFF as JSON escapes, which parse back to the same value', () => {
    const value = { text: 'a\uFFFEb\uFFFFc' };
    const safe = sqsSafeJson(JSON.stringify(value));

    expect(safe).toBe('{"text":"a\\ufffeb\\uffffc"}');
    expect(JSON.parse(safe)).toEqual(value);
  });

  it('leaves ordinary text as it is and reports the column of a raw control character', () => {
    expect(sqsSafeRecordText('{"a":"é ✓ \\u0001"}')).toEqual({ text: '{"a":"é ✓ \\u0001"}' });
    expect(sqsSafeRecordText('{"a":"x\u0001"}')).toEqual({ controlColumn: 8 });
    expect(sqsSafeRecordText('{"a":"\uFFFF"}')).toEqual({ text: '{"a":"\\uffff"}' });
  });
});

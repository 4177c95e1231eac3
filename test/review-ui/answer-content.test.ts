import { answerContent, type FieldState } from '../../lib/review-ui/answer-content';

describe('answerContent', () => {
  it('records crowd-input and crowd-text-area values as strings by name', () => {
    // Prepare
    const fields: FieldState[] = [
      { kind: 'text', name: 'total_amount', value: '1234.50' },
      { kind: 'text', name: 'notes', value: 'line one\nline two' },
    ];

    // Act
    const answer = answerContent(fields);

    // Assess
    expect(answer).toEqual({ total_amount: '1234.50', notes: 'line one\nline two' });
  });

  it('leaves empty fields out', () => {
    const answer = answerContent([
      { kind: 'text', name: 'notes', value: '' },
      { kind: 'classifier', name: 'sentiment', label: null },
      { kind: 'classifier', name: 'topic', label: '' },
      { kind: 'classifier-multi', name: 'tags', labels: [] },
      { kind: 'text', name: 'kept', value: ' ' },
    ]);

    expect(answer).toEqual({ kept: ' ' });
  });

  it('ignores fields without a name', () => {
    expect(answerContent([{ kind: 'text', name: '', value: 'x' }])).toEqual({});
  });

  it('records a crowd-checkbox under its value, "on" by default, unchecked as false', () => {
    const answer = answerContent([
      { kind: 'checkbox', name: 'agree', checked: true },
      { kind: 'checkbox', name: 'newsletter', checked: false },
      { kind: 'checkbox', name: 'blank-value', value: '', checked: true },
    ]);

    expect(answer).toEqual({ agree: { on: true }, newsletter: { on: false }, 'blank-value': { on: true } });
  });

  it('merges checkboxes that share a name', () => {
    const answer = answerContent([
      { kind: 'checkbox', name: 'issues', value: 'blurry', checked: true },
      { kind: 'checkbox', name: 'issues', value: 'cropped', checked: false },
      { kind: 'checkbox', name: 'issues', value: 'rotated', checked: true },
    ]);

    expect(answer).toEqual({ issues: { blurry: true, cropped: false, rotated: true } });
  });

  it('records every value of a radio group, the chosen one true', () => {
    const answer = answerContent([
      { kind: 'radio', name: 'verdict', value: 'correct', checked: false },
      { kind: 'radio', name: 'verdict', value: 'corrected', checked: true },
    ]);

    expect(answer).toEqual({ verdict: { correct: false, corrected: true } });
  });

  it('records a radio group with nothing chosen as all false', () => {
    const answer = answerContent([
      { kind: 'radio', name: 'verdict', value: 'correct', checked: false },
      { kind: 'radio', name: 'verdict', value: 'corrected', checked: false },
    ]);

    expect(answer).toEqual({ verdict: { correct: false, corrected: false } });
  });

  it('records a crowd-toggle-button as {"on": bool}', () => {
    const answer = answerContent([
      { kind: 'toggle', name: 'urgent', checked: true },
      { kind: 'toggle', name: 'spam', checked: false },
    ]);

    expect(answer).toEqual({ urgent: { on: true }, spam: { on: false } });
  });

  it('records crowd-classifier as {"label"} and the multi-select as {"labels"}', () => {
    const answer = answerContent([
      { kind: 'classifier', name: 'sentiment', label: 'Positive' },
      { kind: 'classifier-multi', name: 'topics', labels: ['billing', 'tax'] },
    ]);

    expect(answer).toEqual({ sentiment: { label: 'Positive' }, topics: { labels: ['billing', 'tax'] } });
  });

  it('records crowd-bounding-box boxes with their keys in A2I order and the image size', () => {
    const answer = answerContent([
      {
        kind: 'bounding-box',
        name: 'annotatedResult',
        boxes: [{ width: 40, top: 20, left: 10, label: 'total', height: 15 }],
        image: { width: 800, height: 600 },
      },
    ]);

    expect(answer).toEqual({
      annotatedResult: {
        boundingBoxes: [{ height: 15, label: 'total', left: 10, top: 20, width: 40 }],
        inputImageProperties: { height: 600, width: 800 },
      },
    });
    const box = (answer.annotatedResult as { boundingBoxes: object[] }).boundingBoxes[0];
    expect(Object.keys(box)).toEqual(['height', 'label', 'left', 'top', 'width']);
  });

  it('records a bounding box with no box drawn as an empty list', () => {
    const answer = answerContent([{ kind: 'bounding-box', name: 'bb', boxes: [], image: { height: 1, width: 2 } }]);

    expect(answer).toEqual({ bb: { boundingBoxes: [], inputImageProperties: { height: 1, width: 2 } } });
  });

  it('does not share arrays with the field states', () => {
    const labels = ['a'];
    const answer = answerContent([{ kind: 'classifier-multi', name: 'm', labels }]);
    labels.push('b');

    expect(answer).toEqual({ m: { labels: ['a'] } });
  });

  it('builds the invoice template answer', () => {
    const answer = answerContent([
      { kind: 'text', name: 'invoice_date', value: '2026-11-02' },
      { kind: 'text', name: 'iban', value: '' },
      { kind: 'text', name: 'total_amount', value: '1234.5' },
      { kind: 'radio', name: 'verdict', value: 'correct', checked: true },
      { kind: 'radio', name: 'verdict', value: 'corrected', checked: false },
      { kind: 'text', name: 'notes', value: '' },
    ]);

    expect(answer).toEqual({
      invoice_date: '2026-11-02',
      total_amount: '1234.5',
      verdict: { correct: true, corrected: false },
    });
  });
});

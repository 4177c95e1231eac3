import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileTargetInput, InvalidRequestContentException, lambdaPayload, type RuleIdentity, TargetInputError, type TargetInputSettings } from '../../lib/local/event-targets';

/**
 * A target's input as EventBridge makes it, held to AWS's own worked examples (the user guide's table) and
 * to what was recorded against AWS where the guide is silent: each case asserts the exact text sent.
 */

const FIXTURES = join(__dirname, '..', 'fixtures', 'event-targets');
const fixture = <T>(name: string): T => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as T;

interface Example {
  description: string;
  template: string;
  output: string;
  inputPathsMap?: Record<string, string>;
}
const guide = fixture<{ rule: RuleIdentity; event: Record<string, unknown>; inputPathsMap: Record<string, string>; examples: Example[] }>('user-guide-examples.json');
const recorded = fixture<{
  rule: RuleIdentity;
  ingestionTime: string;
  event: Record<string, unknown>;
  transforms: Example[];
  inputPaths: { path: string; output: string }[];
  refused: { description: string; target: TargetInputSettings; error: string }[];
}>('recorded-against-aws.json');

const TARGET = 'target-1';
const INGESTED = '2015-11-11T21:29:55Z';

describe('InputTransformer: the user guide\'s examples', () => {
  test.each(guide.examples)('$description', ({ template, output }) => {
    // Prepare
    const render = compileTargetInput(TARGET, { InputTransformer: { InputPathsMap: guide.inputPathsMap, InputTemplate: template } }, guide.rule);

    // Act
    const rendered = render(guide.event, INGESTED);

    // Assess
    expect(rendered).toEqual({ text: output });
  });
});

describe('InputTransformer and InputPath: behaviour recorded against AWS', () => {
  test.each(recorded.transforms)('$description', ({ inputPathsMap, template, output }) => {
    const render = compileTargetInput(TARGET, { InputTransformer: { ...(inputPathsMap ? { InputPathsMap: inputPathsMap } : {}), InputTemplate: template } }, recorded.rule);

    expect(render(recorded.event, recorded.ingestionTime)).toEqual({ text: output });
  });

  test.each(recorded.inputPaths)('InputPath $path', ({ path, output }) => {
    expect(compileTargetInput(TARGET, { InputPath: path }, recorded.rule)(recorded.event, recorded.ingestionTime)).toEqual({ text: output });
  });

  test.each(recorded.refused)('refused when the target is created: $description', ({ target, error }) => {
    expect(() => compileTargetInput(TARGET, target, recorded.rule)).toThrow(new TargetInputError(error.replace('<target-id>', TARGET)));
  });
});

describe('compileTargetInput: the rest of the documented contract', () => {
  const event = guide.event;

  test('without input settings the target gets the event itself; Input is sent as written', () => {
    expect(compileTargetInput(TARGET, {}, guide.rule)(event, INGESTED)).toEqual({ text: JSON.stringify(event) });
    expect(compileTargetInput(TARGET, { Input: '{ "key": "value", "n": [1, true] }' }, guide.rule)(event, INGESTED)).toEqual({ text: '{ "key": "value", "n": [1, true] }' });
    expect(() => compileTargetInput(TARGET, { Input: 'not json' }, guide.rule)).toThrow(new TargetInputError(`Input for target ${TARGET} is not a valid JSON text.`));
  });

  test('a value inside a string is not escaped: a quote in it breaks the JSON, which Lambda then refuses', () => {
    // Prepare
    const render = compileTargetInput(TARGET, { InputTransformer: { InputPathsMap: { note: '$.detail.note' }, InputTemplate: '{"text": "note: <note>", "value": <note>}' } }, guide.rule);

    // Act
    const rendered = render({ ...event, detail: { note: 'say "hi"' } }, INGESTED) as { text: string };

    // Assess
    expect(rendered.text).toBe('{"text": "note: say "hi"", "value": "say \\"hi\\""}');
    expect(() => lambdaPayload(rendered.text)).toThrow(InvalidRequestContentException);
  });

  test('objects and arrays go in as JSON outside strings, without their quotes inside one; numbers in the template stay as written', () => {
    const render = compileTargetInput(TARGET, { InputTransformer: { InputPathsMap: { detail: '$.detail', all: '$.resources' }, InputTemplate: '{"d": <detail>, "r": <all>, "s": "<detail> <all>", "k": 1.50}' } }, guide.rule);

    expect(render({ ...event, detail: { a: 'x', n: 7 }, resources: ['r1', 'r2'] }, INGESTED)).toEqual({ text: '{"d":{"a":"x","n":7},"r":["r1","r2"],"s":"{a:x,n:7} [r1,r2]","k":1.50}' });
  });

  test('<aws.events.event> has no detail: a template that takes the record from it loses the record', () => {
    // Prepare: the shape of the defect the workflow rule had.
    const render = compileTargetInput(TARGET, { InputTransformer: { InputPathsMap: {}, InputTemplate: '{"workflow": "w", "event": <aws.events.event>}' } }, guide.rule);

    // Act
    const payload = lambdaPayload((render(event, INGESTED) as { text: string }).text) as { event: Record<string, unknown> };

    // Assess
    expect(payload.event).not.toHaveProperty('detail');
    expect(payload.event).toMatchObject({ id: event.id, detailType: event['detail-type'], time: INGESTED });
  });

  test('wildcards give the array of what they match; an InputPath that matches nothing sends nothing', () => {
    const render = compileTargetInput(TARGET, { InputTransformer: { InputPathsMap: { values: '$.detail.*' }, InputTemplate: '{"v": <values>}' } }, guide.rule);
    expect(render(event, INGESTED)).toEqual({ text: '{"v":["i-0123456789","RUNNING"]}' });
    expect(compileTargetInput(TARGET, { InputPath: "$.detail['instance-id']" }, guide.rule)(event, INGESTED)).toEqual({ text: '"i-0123456789"' });
    expect(compileTargetInput(TARGET, { InputPath: '$.detail.missing' }, guide.rule)(event, INGESTED)).toEqual({ nothing: expect.stringContaining('$.detail.missing') });
  });

  test('PutTargets\' limits and restrictions are refused when the rule is read', () => {
    const transformer = (InputPathsMap: Record<string, string>, InputTemplate: string): TargetInputSettings => ({ InputTransformer: { InputPathsMap, InputTemplate } });
    const tooMany = Object.fromEntries(Array.from({ length: 101 }, (_, index) => [`v${index}`, '$.id']));
    const cases: [TargetInputSettings, RegExp][] = [
      [transformer(tooMany, '"x"'), /101 variables: at most 100/],
      [transformer({ 'aws.events.rule-name': '$.id' }, '"<aws.events.rule-name>"'), /must match \[A-Za-z0-9_-\]\+/],
      [transformer({ id: '$["id"]' }, '{"id": <id>}'), /not a JSONPath EventBridge evaluates/],
      [transformer({ id: 'id' }, '{"id": <id>}'), /must start with \$/],
      [transformer({ key: '$.id' }, '{<key>: 1}'), /<key> as an object key/],
      [transformer({}, ''), /must not be empty/],
      [transformer({}, `"${'x'.repeat(8192)}"`), /longer than 8192/],
      [{ InputPath: `$.${'a'.repeat(256)}` }, /longer than 256/],
      [{ Input: '{}', InputPath: '$' }, /Only one of Input, InputPath, or InputTransformer/],
    ];
    for (const [settings, message] of cases) expect(() => compileTargetInput(TARGET, settings, guide.rule)).toThrow(message);
  });
});

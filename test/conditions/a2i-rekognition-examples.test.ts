import { compileConditions, type CompiledConditions, type ConditionResult, type Decision } from '../../lib/conditions';
import { samplingIdentity } from '../../lib/record-identity';
import { awsResponse, conditionFixture, identities, withinFiveSigma, withoutResults } from './helpers';

/**
 * Every example of "Use Human Loop Activation Conditions JSON Schema with Amazon Rekognition"
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/a2i-json-humantaskactivationconditions-rekognition-example.html,
 * awsdocs/amazon-sagemaker-developer-guide doc_source/a2i-json-humantaskactivationconditions-rekognition-example.md),
 * copied verbatim into test/fixtures/conditions/a2i-rekognition-example-N.json, evaluated on DetectModerationLabels
 * responses (test/fixtures/aws-responses/rekognition-*.json) on which it is true and ones on which it is false.
 */

const example = (n: number): CompiledConditions => compileConditions(conditionFixture(`a2i-rekognition-example-${n}`));
type ResponseName =
  | 'rekognition-graphic-male-nudity-93'
  | 'rekognition-graphic-male-nudity-99'
  | 'rekognition-graphic-male-nudity-55'
  | 'rekognition-graphic-male-nudity-47'
  | 'rekognition-graphic-female-nudity-85'
  | 'rekognition-suggestive-swimwear'
  | 'rekognition-safe'
  | 'a2i-echo-rekognition-suggestive';

const IMAGES = identities(4_000, 'image');
/** The identity the workflow would give image `id` (its record id within the workflow). */
const identityOf = (id: string) => () => samplingIdentity(undefined, 'content-moderation', id);

function activatedShare(compiled: CompiledConditions, response: ResponseName): number {
  const record = awsResponse(response);
  return IMAGES.filter((id) => compiled.evaluate(record, identityOf(id)).activated).length;
}

describe('Example 1: ModerationLabelConfidenceCheck with the And operator', () => {
  // "Graphic Male Nudity moderation label with a confidence between 90 and 99" or "Graphic Female Nudity
  // moderation label with a confidence between 80 and 99"; "Amazon Augmented AI evaluates all conditions".
  test.each<[ResponseName, boolean, boolean]>([
    ['rekognition-graphic-male-nudity-93', true, false],
    ['rekognition-graphic-female-nudity-85', false, true],
    ['rekognition-graphic-male-nudity-99', false, false],
    ['rekognition-graphic-male-nudity-55', false, false],
    ['rekognition-suggestive-swimwear', false, false],
    ['rekognition-safe', false, false],
    ['a2i-echo-rekognition-suggestive', false, false],
  ])('on %s: male branch %s, female branch %s', (response, male, female) => {
    // Act
    const decision = example(1).evaluate(awsResponse(response), identityOf('image-1'));

    // Assess
    const [or] = decision.humanTaskActivationConditionResults.Conditions;
    const branches = (or.Or as { EvaluationResult: boolean }[]).map((branch) => branch.EvaluationResult);
    expect(branches).toEqual([male, female]);
    expect(decision.activated).toBe(male || female);
  });

  test('the result reports every condition, as in A2I\'s output data', () => {
    // Act
    const decision = example(1).evaluate(awsResponse('rekognition-graphic-male-nudity-93'), identityOf('image-1'));

    // Assess
    const check = (ModerationLabelName: string, comparison: Record<string, number>, EvaluationResult: boolean) => ({
      ConditionType: 'ModerationLabelConfidenceCheck',
      ConditionParameters: { ModerationLabelName, ...comparison },
      EvaluationResult,
    });
    expect(decision).toEqual({
      activated: true,
      humanTaskActivationConditionResults: {
        Conditions: [
          {
            Or: [
              {
                And: [
                  check('Graphic Male Nudity', { ConfidenceLessThanEquals: 99 }, true),
                  check('Graphic Male Nudity', { ConfidenceGreaterThanEquals: 90 }, true),
                ],
                EvaluationResult: true,
              },
              {
                And: [
                  check('Graphic Female Nudity', { ConfidenceLessThanEquals: 99 }, false),
                  check('Graphic Female Nudity', { ConfidenceGreaterThanEquals: 80 }, false),
                ],
                EvaluationResult: false,
              },
            ],
            EvaluationResult: true,
          },
        ],
      },
    });
    expect(withoutResults(decision.humanTaskActivationConditionResults)).toEqual(conditionFixture('a2i-rekognition-example-1'));
  });
});

describe('Example 2: ModerationLabelConfidenceCheck with the catch-all value (*)', () => {
  // "if any moderation label with a confidence greater than or equal to 75 is detected, a human loop is initiated"
  test.each<[ResponseName, boolean]>([
    ['rekognition-graphic-male-nudity-93', true],
    ['rekognition-graphic-male-nudity-99', true],
    ['rekognition-graphic-female-nudity-85', true],
    ['rekognition-suggestive-swimwear', true],
    ['a2i-echo-rekognition-suggestive', true],
    ['rekognition-graphic-male-nudity-55', false],
    ['rekognition-graphic-male-nudity-47', false],
    ['rekognition-safe', false],
  ])('on %s: %s', (response, expected) => {
    expect(example(2).evaluate(awsResponse(response), identityOf('image-1')).activated).toBe(expected);
  });
});

describe('Example 3: Sampling', () => {
  // "5% of Amazon Rekognition inferences from a DetectModerationLabels request are sent to human workers"
  test.each<ResponseName>(['rekognition-safe', 'rekognition-graphic-male-nudity-93'])('about 5%% of images are sampled, whatever the labels (%s)', (response) => {
    expect(withinFiveSigma(activatedShare(example(3), response), IMAGES.length, 0.05)).toBe(true);
  });

  test('"If you send the same request to DetectModerationLabels multiple times, the result of Sampling does not change"', () => {
    // Prepare: 2,000 distinct responses; without a record id, the identity is the response's content
    const base = awsResponse('rekognition-graphic-male-nudity-93') as { ModerationLabels: { Confidence: number }[] };
    const responses = Array.from({ length: 2000 }, (_, i) => {
      const response = structuredClone(base);
      for (const label of response.ModerationLabels) label.Confidence = 50 + i / 50;
      return response;
    });
    const decide = (compiled: CompiledConditions, record: unknown) => compiled.evaluate(record, () => samplingIdentity(record)).activated;

    // Act: the same requests again, as new objects, on a new compilation of the flow definition
    const first = responses.map((record) => decide(example(3), record));
    const again = responses.map((record) => decide(example(3), JSON.parse(JSON.stringify(record))));

    // Assess
    expect(again).toEqual(first);
    expect(withinFiveSigma(first.filter(Boolean).length, responses.length, 0.05)).toBe(true);
  });
});

describe('Example 4: Sampling and ModerationLabelConfidenceCheck with the And operator', () => {
  // "5% of Amazon Rekognition inferences of the Graphic Male Nudity moderation label with a confidence greater than 50"
  test('about 5% of images with Graphic Male Nudity above 50 activate, and the same images whatever the confidence', () => {
    // Prepare
    const compiled = example(4);
    const [at93, at55] = [awsResponse('rekognition-graphic-male-nudity-93'), awsResponse('rekognition-graphic-male-nudity-55')];

    // Act
    const activatedAt93 = IMAGES.filter((id) => compiled.evaluate(at93, identityOf(id)).activated);
    const activatedAt55 = IMAGES.filter((id) => compiled.evaluate(at55, identityOf(id)).activated);

    // Assess
    expect(withinFiveSigma(activatedAt93.length, IMAGES.length, 0.05)).toBe(true);
    expect(activatedAt55).toEqual(activatedAt93);
  });

  test.each<ResponseName>(['rekognition-graphic-male-nudity-47', 'rekognition-graphic-female-nudity-85', 'rekognition-safe'])(
    'no image activates on %s, sampled or not',
    (response) => {
      expect(activatedShare(example(4), response)).toBe(0);
    },
  );

  test('a sampled image activates only when the label condition holds too', () => {
    // Prepare: the first image the Sampling operand selects
    const compiled = example(4);
    const operands = (decision: Decision) =>
      (decision.humanTaskActivationConditionResults.Conditions[0].And as ConditionResult[]).map((operand) => operand.EvaluationResult);
    const safe = awsResponse('rekognition-safe');
    const sampled = IMAGES.find((id) => operands(compiled.evaluate(safe, identityOf(id)))[0]) as string;

    // Act
    const on93 = compiled.evaluate(awsResponse('rekognition-graphic-male-nudity-93'), identityOf(sampled));
    const on47 = compiled.evaluate(awsResponse('rekognition-graphic-male-nudity-47'), identityOf(sampled));

    // Assess
    expect(on93.activated).toBe(true);
    expect(operands(on93)).toEqual([true, true]);
    expect(on47.activated).toBe(false);
    expect(operands(on47)).toEqual([true, false]);
  });
});

describe('Example 5: always review low confidence, sample high confidence', () => {
  // "Inferences for the Graphic Male Nudity moderation label the with confidence scores less than 60 are always
  // sent"; "5% of all inferences for the Graphic Male Nudity moderation label the with confidence scores greater
  // than 90 are sent"
  test.each<ResponseName>(['rekognition-graphic-male-nudity-55', 'rekognition-graphic-male-nudity-47'])('every image activates on %s', (response) => {
    expect(activatedShare(example(5), response)).toBe(IMAGES.length);
  });

  test.each<ResponseName>(['rekognition-graphic-male-nudity-93', 'rekognition-graphic-male-nudity-99'])('about 5%% of images activate on %s', (response) => {
    expect(withinFiveSigma(activatedShare(example(5), response), IMAGES.length, 0.05)).toBe(true);
  });

  test.each<ResponseName>(['rekognition-graphic-female-nudity-85', 'rekognition-suggestive-swimwear', 'rekognition-safe'])(
    'no image activates on %s',
    (response) => {
      expect(activatedShare(example(5), response)).toBe(0);
    },
  );
});

describe('Example 6: Sampling and ModerationLabelConfidenceCheck with the Or operator', () => {
  // "a human loop is created if the ... response contains the 'Graphic Male Nudity' label with inference confidence
  // greater than 50. Additionally, 5% of all other inferences initiate a human loop."
  test.each<ResponseName>(['rekognition-graphic-male-nudity-93', 'rekognition-graphic-male-nudity-55'])('every image activates on %s', (response) => {
    expect(activatedShare(example(6), response)).toBe(IMAGES.length);
  });

  test.each<ResponseName>(['rekognition-graphic-male-nudity-47', 'rekognition-graphic-female-nudity-85', 'rekognition-safe'])(
    'about 5%% of images activate on %s',
    (response) => {
      expect(withinFiveSigma(activatedShare(example(6), response), IMAGES.length, 0.05)).toBe(true);
    },
  );
});

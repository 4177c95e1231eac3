import { FlowSpecError } from '../../lib/flows/errors';
import { desiredFlow, type FlowTarget } from '../../lib/flows/flow-plan';
import { parseWorkflow } from '../../lib/workflow';
import { PUBLIC_WORKTEAM_ARN, ROLE_ARN, target, TOPIC_ARN } from './support';

function issuesOf(flowTarget: FlowTarget): string[] {
  try {
    desiredFlow(flowTarget);
  } catch (error) {
    if (!(error instanceof FlowSpecError)) throw error;
    return error.issues.map((issue) => `${issue.location}: ${issue.message}`);
  }
  return [];
}

const textractConditions = { Conditions: [{ ConditionType: 'ImportantFormKeyConfidenceCheck', ConditionParameters: { ImportantFormKey: 'Total', KeyValueBlockConfidenceLessThan: 90 } }] };

describe('desiredFlow validates every documented constraint', () => {
  test('a valid spec gives the CreateHumanTaskUi and CreateFlowDefinition inputs', () => {
    const flow = desiredFlow(target({ namePrefix: 'prod' }, { taskCount: 2, taskKeywords: ['invoice', 'data entry'], kmsKeyId: 'alias/review', tags: { team: 'finance' } }));

    expect(flow.name).toMatch(/^prod-invoices-[0-9a-f]{10}$/);
    expect(flow.humanTaskUi).toEqual({ HumanTaskUiName: flow.name, UiTemplate: { Content: target().template }, Tags: [{ Key: 'team', Value: 'finance' }] });
    expect(flow.flowDefinition).toEqual({
      FlowDefinitionName: flow.name,
      RoleArn: ROLE_ARN,
      OutputConfig: { S3OutputPath: 's3://review-output/a2i/', KmsKeyId: 'alias/review' },
      HumanLoopConfig: {
        WorkteamArn: target().spec.workteamArn,
        TaskTitle: 'Check an invoice',
        TaskDescription: 'Compare the fields',
        TaskCount: 2,
        TaskTimeLimitInSeconds: 3600,
        TaskAvailabilityLifetimeInSeconds: 864000,
        TaskKeywords: ['invoice', 'data entry'],
      },
      Tags: [{ Key: 'team', Value: 'finance' }],
    });
  });

  test('the name changes with the template and the spec, and only with them', () => {
    const name = desiredFlow(target()).name;

    expect(desiredFlow(target()).name).toBe(name);
    expect(desiredFlow(target({ template: `${target().template}\n` })).name).not.toBe(name);
    expect(desiredFlow(target({}, { taskCount: 3 })).name).not.toBe(name);
  });

  test.each<[string, Partial<FlowTarget>, FlowTarget['spec'], string]>([
    ['name pattern', { workflow: 'Invoices' }, {}, 'name: name "Invoices-0000000000" must match'],
    ['name length', { workflow: 'a'.repeat(40), namePrefix: 'a-very-long-stage-name' }, {}, 'namePrefix + name: name "a-very-long-stage-name-aaaa'],
    ['TaskCount below 1', {}, { taskCount: 0 }, 'flowDefinition.taskCount: must be between 1 and 3 (is 0)'],
    ['TaskCount above 3', {}, { taskCount: 4 }, 'flowDefinition.taskCount: must be between 1 and 3 (is 4)'],
    ['TaskCount not an integer', {}, { taskCount: 1.5 }, 'flowDefinition.taskCount: must be an integer'],
    ['TaskTimeLimitInSeconds below 30', {}, { taskTimeLimitInSeconds: 29 }, 'flowDefinition.taskTimeLimitInSeconds: must be between 30 and 28800 (is 29)'],
    ['TaskAvailabilityLifetimeInSeconds too short', {}, { taskAvailabilityLifetimeInSeconds: 59 }, 'flowDefinition.taskAvailabilityLifetimeInSeconds: must be between 60 and 864000 (is 59)'],
    ['TaskAvailabilityLifetimeInSeconds over 10 days', {}, { taskAvailabilityLifetimeInSeconds: 864001 }, 'flowDefinition.taskAvailabilityLifetimeInSeconds: must be between 60 and 864000'],
    ['TaskAvailabilityLifetimeInSeconds over 12 hours on the public workforce', {}, { workteamArn: PUBLIC_WORKTEAM_ARN, taskAvailabilityLifetimeInSeconds: 43201 }, 'must be between 60 and 43200 (is 43201)'],
    ['a price not on the list', {}, { workteamArn: PUBLIC_WORKTEAM_ARN, taskAvailabilityLifetimeInSeconds: 3600, publicWorkforceTaskPrice: { amountInUsd: { cents: 5 } } }, 'flowDefinition.publicWorkforceTaskPrice: USD 0.050 is not a documented price for custom tasks; use one of 0.012, 0.024'],
    ['a Textract-only price for a custom task', {}, { workteamArn: PUBLIC_WORKTEAM_ARN, taskAvailabilityLifetimeInSeconds: 3600, publicWorkforceTaskPrice: { amountInUsd: { dollars: 2, cents: 40 } } }, 'USD 2.400 is not a documented price for custom tasks'],
    ['price parts out of range', {}, { publicWorkforceTaskPrice: { amountInUsd: { dollars: 3 } } }, 'flowDefinition.publicWorkforceTaskPrice.amountInUsd.dollars: must be between 0 and 2 (is 3)'],
    ['no task keywords', {}, { taskKeywords: [] }, 'flowDefinition.taskKeywords: must be a list of 1–5 keywords'],
    ['six task keywords', {}, { taskKeywords: ['a', 'b', 'c', 'd', 'e', 'f'] }, 'flowDefinition.taskKeywords: must be a list of 1–5 keywords'],
    ['a keyword with punctuation', {}, { taskKeywords: ['data-entry'] }, 'flowDefinition.taskKeywords[0]: must match'],
    ['a keyword over 30 characters', {}, { taskKeywords: ['a'.repeat(31)] }, 'flowDefinition.taskKeywords[0]: must be 1–30 characters long (is 31)'],
    ['an https output path', {}, { outputPath: 'https://bucket.s3.amazonaws.com/out' }, 'flowDefinition.outputPath: must match'],
    ['no output path', {}, { outputPath: undefined }, 'flowDefinition.outputPath: is required'],
    ['a KMS key with spaces', {}, { kmsKeyId: 'my key' }, 'flowDefinition.kmsKeyId: must match'],
    ['a reserved tag key', {}, { tags: { 'aws:owner': 'me' } }, 'flowDefinition.tags.aws:owner: the aws: prefix is reserved for AWS'],
    ['a tag value over 256 characters', {}, { tags: { team: 'x'.repeat(257) } }, 'flowDefinition.tags.team: tag values are at most 256'],
    ['51 tags', {}, { tags: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])) }, 'flowDefinition.tags: at most 50 tags (has 51)'],
    ['no workteam', {}, { workteamArn: undefined }, 'flowDefinition.workteamArn: is required'],
    ['a malformed workteam', {}, { workteamArn: 'reviewers' }, 'flowDefinition.workteamArn: must match'],
    ['a task title over 128 characters', {}, { taskTitle: 't'.repeat(129) }, 'flowDefinition.taskTitle: must be 1–128 characters long (is 129)'],
    ['a task description over 255 characters', {}, { taskDescription: 'd'.repeat(256) }, 'flowDefinition.taskDescription: must be 1–255 characters long (is 256)'],
    ['a role that is not a role ARN', { roleArn: 'arn:aws:iam::123456789012:user/me' }, {}, 'roleArn: must be an IAM role ARN'],
    ['an empty template', { template: '' }, {}, 'template: the worker template is empty'],
    ['a template over 128,000 characters', { template: 'x'.repeat(128001) }, {}, 'template: the worker template is 128001 characters'],
    ['an unknown request source', {}, { humanLoopRequestSource: 'AWS/Comprehend/DetectEntities/V1' }, 'flowDefinition.humanLoopRequestSource: must be one of'],
    ['activation conditions without a request source', {}, { humanLoopActivationConfig: textractConditions }, 'flowDefinition.humanLoopActivationConfig: activation conditions are for A2I built-in integrations only'],
    ['activation conditions our compiler rejects', {}, { humanLoopRequestSource: 'AWS/Textract/AnalyzeDocument/Forms/V1', humanLoopActivationConfig: { Conditions: [{ ConditionType: 'NoSuchCheck' }] } }, 'flowDefinition.humanLoopActivationConfig.Conditions[0]'],
    ['a notification topic that is not an SNS ARN', {}, { notificationTopicArn: 'arn:aws:sqs:us-east-1:123456789012:q' }, 'flowDefinition.notificationTopicArn: must match'],
    ['notifications for the public workforce', {}, { workteamArn: PUBLIC_WORKTEAM_ARN, taskAvailabilityLifetimeInSeconds: 3600, notificationTopicArn: TOPIC_ARN }, 'flowDefinition.notificationTopicArn: notifications are for private work teams only'],
  ])('%s', (_title, overrides, spec, expected) => {
    const issues = issuesOf(target(overrides, spec));

    expect(issues.some((issue) => issue.includes(expected))).toBe(true);
  });

  test('activation conditions over 10,240 characters as JSON', () => {
    const conditions = { Conditions: Array.from({ length: 90 }, (_, i) => ({ ConditionType: 'ImportantFormKeyConfidenceCheck', ConditionParameters: { ImportantFormKey: `Key number ${i} of the form`, KeyValueBlockConfidenceLessThan: 90 } })) };

    const issues = issuesOf(target({}, { humanLoopRequestSource: 'AWS/Textract/AnalyzeDocument/Forms/V1', humanLoopActivationConfig: conditions }));

    expect(issues).toEqual([expect.stringMatching(/^flowDefinition\.humanLoopActivationConfig: is \d+ characters as JSON; A2I accepts at most 10240$/)]);
  });

  test('every problem is reported at once', () => {
    const issues = issuesOf(target({}, { taskCount: 9, taskTimeLimitInSeconds: 10, outputPath: 'bucket/out' }));

    expect(issues).toHaveLength(3);
  });

  test.each([
    ['custom tasks, the lowest price', undefined, { cents: 1, tenthFractionsOfACent: 2 }],
    ['custom tasks, the highest price', undefined, { dollars: 1, cents: 20 }],
    ['Textract forms, the highest price', 'AWS/Textract/AnalyzeDocument/Forms/V1', { dollars: 2, cents: 40 }],
    ['Rekognition moderation', 'AWS/Rekognition/DetectModerationLabels/Image/V3', { cents: 96 }],
  ])('a documented price is accepted: %s', (_title, source, amountInUsd) => {
    const flow = desiredFlow(target({}, { workteamArn: PUBLIC_WORKTEAM_ARN, taskAvailabilityLifetimeInSeconds: 3600, humanLoopRequestSource: source, publicWorkforceTaskPrice: { amountInUsd } }));

    expect(flow.flowDefinition.HumanLoopConfig.PublicWorkforceTaskPrice?.AmountInUsd).toEqual({ Dollars: 0, Cents: 0, TenthFractionsOfACent: 0, ...Object.fromEntries(Object.entries(amountInUsd).map(([k, v]) => [k.charAt(0).toUpperCase() + k.slice(1), v])) });
  });

  test('a built-in integration carries its request source and the conditions as JSON', () => {
    const flow = desiredFlow(target({}, { humanLoopRequestSource: 'AWS/Textract/AnalyzeDocument/Forms/V1', humanLoopActivationConfig: textractConditions }));

    expect(flow.flowDefinition.HumanLoopRequestSource).toEqual({ AwsManagedHumanLoopRequestSource: 'AWS/Textract/AnalyzeDocument/Forms/V1' });
    expect(flow.flowDefinition.HumanLoopActivationConfig).toEqual({ HumanLoopActivationConditionsConfig: { HumanLoopActivationConditions: JSON.stringify(textractConditions) } });
  });
});

describe('workflow files accept the new flow spec keys', () => {
  const workflow = (flowDefinition: Record<string, unknown>) =>
    JSON.stringify({
      name: 'forms',
      source: { s3: { prefix: 'forms/', suffix: '.json' } },
      activation: { Conditions: [{ ConditionType: 'Sampling', ConditionParameters: { RandomSamplingPercentage: 5 } }] },
      flowDefinition: { template: '../../../workflows/templates/invoice-extraction.liquid.html', ...flowDefinition },
      queues: { reviewed: {}, failures: {} },
      routes: [{ queue: 'reviewed' }],
      autoAccepted: { queue: 'reviewed' },
      failures: { queue: 'failures' },
    });
  const file = `${__dirname}/../fixtures/workflows/forms.json`;

  test('request source, activation conditions and notification topic', () => {
    const { workflow: loaded, issues } = parseWorkflow(workflow({ humanLoopRequestSource: 'AWS/Textract/AnalyzeDocument/Forms/V1', humanLoopActivationConfig: textractConditions, notificationTopicArn: TOPIC_ARN }), file);

    expect(issues).toEqual([]);
    expect(loaded?.definition.flowDefinition).toMatchObject({ humanLoopRequestSource: 'AWS/Textract/AnalyzeDocument/Forms/V1', notificationTopicArn: TOPIC_ARN });
  });

  test('activation conditions without a request source, and bad ones, are located', () => {
    const { issues } = parseWorkflow(workflow({ humanLoopActivationConfig: { Conditions: [{ ConditionType: 'NoSuchCheck' }] }, notificationTopicArn: 'topic' }), file);

    const locations = issues.map((issue) => issue.location);
    expect(locations).toContain('flowDefinition.humanLoopActivationConfig');
    expect(locations).toContain('flowDefinition.humanLoopActivationConfig.Conditions[0]');
    expect(locations).toContain('flowDefinition.notificationTopicArn');
  });

  test('an unknown request source is a schema error', () => {
    const { issues } = parseWorkflow(workflow({ humanLoopRequestSource: 'AWS/Other/V1' }), file);

    expect(issues.map((issue) => issue.location)).toContain('flowDefinition.humanLoopRequestSource');
  });
});

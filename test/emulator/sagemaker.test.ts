import {
  CreateFlowDefinitionCommand,
  type CreateFlowDefinitionCommandInput,
  CreateHumanTaskUiCommand,
  DeleteFlowDefinitionCommand,
  DeleteHumanTaskUiCommand,
  DescribeFlowDefinitionCommand,
  DescribeHumanTaskUiCommand,
  DescribeWorkteamCommand,
  ListFlowDefinitionsCommand,
  ListHumanTaskUisCommand,
  paginateListFlowDefinitions,
  ResourceInUse,
  ResourceNotFound,
  SageMakerServiceException,
  UpdateWorkteamCommand,
} from '@aws-sdk/client-sagemaker';
import { StartHumanLoopCommand } from '@aws-sdk/client-sagemaker-a2i-runtime';
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_FLOW_DELETION_MS } from '../../lib/emulator/a2i-emulator';
import { ACCOUNT, EmulatorHarness, fixtureJson, fixtureText, REGION, rejectionOf, START_TIME } from './harness';

/**
 * The SageMaker operations behind A2I through the real SDK client (awsJson1_1, `X-Amz-Target:
 * SageMaker.<Op>`): worker task templates and flow definitions, their errors as the SDK's classes.
 */
let harness: EmulatorHarness;
const template = fixtureText('invoice-review-template.liquid');
const flowInput = (uiArn: string, overrides: Partial<CreateFlowDefinitionCommandInput> = {}): CreateFlowDefinitionCommandInput => {
  const base = fixtureJson<CreateFlowDefinitionCommandInput>('create-flow-definition.json');
  return { ...base, HumanLoopConfig: { ...base.HumanLoopConfig!, HumanTaskUiArn: uiArn }, ...overrides };
};

beforeEach(async () => {
  harness = await EmulatorHarness.start();
});
afterEach(async () => {
  await harness.stop();
});

const createUi = (name = 'invoice-review') => harness.sagemaker.send(new CreateHumanTaskUiCommand({ HumanTaskUiName: name, UiTemplate: { Content: template } }));

describe('human task UIs (worker task templates)', () => {
  it('CreateHumanTaskUi returns the ARN; DescribeHumanTaskUi reports it Active with the template URL and SHA-256', async () => {
    const { HumanTaskUiArn } = await createUi();
    harness.advance(1000);

    const described = await harness.sagemaker.send(new DescribeHumanTaskUiCommand({ HumanTaskUiName: 'invoice-review' }));
    const served = await fetch(described.UiTemplate?.Url as string);

    expect(HumanTaskUiArn).toBe(`arn:aws:sagemaker:${REGION}:${ACCOUNT}:human-task-ui/invoice-review`);
    expect(described).toMatchObject({ HumanTaskUiArn, HumanTaskUiName: 'invoice-review', HumanTaskUiStatus: 'Active' });
    expect(described.CreationTime).toEqual(new Date(START_TIME));
    expect(described.UiTemplate?.ContentSha256).toBe(createHash('sha256').update(template).digest('hex'));
    expect(described.UiTemplate?.Url).toBe(`${harness.endpoint}/a2i-emulator/human-task-uis/invoice-review/template`);
    expect(await served.text()).toBe(template);
    expect(harness.emulator.humanTaskUi(HumanTaskUiArn as string)).toEqual({ uiTemplate: template });
  });

  it('answers ResourceInUse for a name that exists', async () => {
    await createUi();

    const error = await rejectionOf(createUi());

    expect(error).toBeInstanceOf(ResourceInUse);
    expect(error.name).toBe('ResourceInUse');
    expect(error.$metadata?.httpStatusCode).toBe(400);
  });

  it('DeleteHumanTaskUi removes it; Describe and Delete then answer ResourceNotFound', async () => {
    const { HumanTaskUiArn } = await createUi();

    await harness.sagemaker.send(new DeleteHumanTaskUiCommand({ HumanTaskUiName: 'invoice-review' }));

    expect(await rejectionOf(harness.sagemaker.send(new DescribeHumanTaskUiCommand({ HumanTaskUiName: 'invoice-review' })))).toBeInstanceOf(ResourceNotFound);
    expect(await rejectionOf(harness.sagemaker.send(new DeleteHumanTaskUiCommand({ HumanTaskUiName: 'invoice-review' })))).toBeInstanceOf(ResourceNotFound);
    expect(harness.emulator.humanTaskUi(HumanTaskUiArn as string)).toBeUndefined();
    expect((await fetch(`${harness.endpoint}/a2i-emulator/human-task-uis/invoice-review/template`)).status).toBe(404);
  });

  it('ListHumanTaskUis pages newest first', async () => {
    for (const name of ['ui-1', 'ui-2', 'ui-3']) {
      await createUi(name);
      harness.advance(1000);
    }

    const first = await harness.sagemaker.send(new ListHumanTaskUisCommand({ MaxResults: 2 }));
    const second = await harness.sagemaker.send(new ListHumanTaskUisCommand({ MaxResults: 2, NextToken: first.NextToken }));

    expect(first.HumanTaskUiSummaries?.map((ui) => ui.HumanTaskUiName)).toEqual(['ui-3', 'ui-2']);
    expect(second.HumanTaskUiSummaries?.map((ui) => ui.HumanTaskUiName)).toEqual(['ui-1']);
    expect(second.NextToken).toBeUndefined();
  });

  it('answers ValidationException (a SageMakerServiceException) for an invalid name or empty template', async () => {
    const error = await rejectionOf(harness.sagemaker.send(new CreateHumanTaskUiCommand({ HumanTaskUiName: 'Invoice Review', UiTemplate: { Content: '' } })));

    expect(error).toBeInstanceOf(SageMakerServiceException);
    expect(error.name).toBe('ValidationException');
    expect(error.$metadata?.httpStatusCode).toBe(400);
    expect(error.message).toBe(
      "2 validation errors detected: Value 'Invoice Review' at 'humanTaskUiName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-z0-9](-*[a-z0-9])*; Value '' at 'uiTemplate.content' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
  });
});

describe('flow definitions', () => {
  let uiArn: string;
  beforeEach(async () => {
    uiArn = (await createUi()).HumanTaskUiArn as string;
  });

  it('CreateFlowDefinition returns the ARN; DescribeFlowDefinition echoes the configuration, Active', async () => {
    const input = flowInput(uiArn, {
      HumanLoopActivationConfig: { HumanLoopActivationConditionsConfig: { HumanLoopActivationConditions: '{"Conditions":[{"ConditionType":"Sampling","ConditionParameters":{"RandomSamplingPercentage":5}}]}' } },
    });
    const { FlowDefinitionArn } = await harness.sagemaker.send(new CreateFlowDefinitionCommand(input));

    const described = await harness.sagemaker.send(new DescribeFlowDefinitionCommand({ FlowDefinitionName: 'invoice-check' }));

    expect(FlowDefinitionArn).toBe(`arn:aws:sagemaker:${REGION}:${ACCOUNT}:flow-definition/invoice-check`);
    expect(described).toMatchObject({
      FlowDefinitionArn,
      FlowDefinitionName: 'invoice-check',
      FlowDefinitionStatus: 'Active',
      HumanLoopConfig: input.HumanLoopConfig,
      OutputConfig: input.OutputConfig,
      RoleArn: input.RoleArn,
    });
    expect(described.CreationTime).toEqual(new Date(START_TIME));
    expect(String(described.HumanLoopActivationConfig?.HumanLoopActivationConditionsConfig?.HumanLoopActivationConditions)).toContain('RandomSamplingPercentage');
    expect(described.FailureReason).toBeUndefined();
  });

  it('answers ResourceInUse for a name that exists', async () => {
    await harness.sagemaker.send(new CreateFlowDefinitionCommand(flowInput(uiArn)));

    const error = await rejectionOf(harness.sagemaker.send(new CreateFlowDefinitionCommand(flowInput(uiArn))));

    expect(error).toBeInstanceOf(ResourceInUse);
    expect(error.message).toBe('Flow definition invoice-check already exists');
  });

  it.each<[string, (input: CreateFlowDefinitionCommandInput) => CreateFlowDefinitionCommandInput, string]>([
    ['TaskCount 4', (input) => ({ ...input, HumanLoopConfig: { ...input.HumanLoopConfig!, TaskCount: 4 } }), "Value '4' at 'humanLoopConfig.taskCount' failed to satisfy constraint: Member must have value less than or equal to 3"],
    ['TaskCount 0', (input) => ({ ...input, HumanLoopConfig: { ...input.HumanLoopConfig!, TaskCount: 0 } }), "Value '0' at 'humanLoopConfig.taskCount' failed to satisfy constraint: Member must have value greater than or equal to 1"],
    ['TaskTimeLimitInSeconds 29', (input) => ({ ...input, HumanLoopConfig: { ...input.HumanLoopConfig!, TaskTimeLimitInSeconds: 29 } }), "at 'humanLoopConfig.taskTimeLimitInSeconds' failed to satisfy constraint: Member must have value greater than or equal to 30"],
    ['TaskAvailabilityLifetimeInSeconds 0', (input) => ({ ...input, HumanLoopConfig: { ...input.HumanLoopConfig!, TaskAvailabilityLifetimeInSeconds: 0 } }), "at 'humanLoopConfig.taskAvailabilityLifetimeInSeconds'"],
    ['six TaskKeywords', (input) => ({ ...input, HumanLoopConfig: { ...input.HumanLoopConfig!, TaskKeywords: ['a', 'b', 'c', 'd', 'e', 'f'] } }), "at 'humanLoopConfig.taskKeywords' failed to satisfy constraint: Member must have length less than or equal to 5"],
    ['a keyword with punctuation', (input) => ({ ...input, HumanLoopConfig: { ...input.HumanLoopConfig!, TaskKeywords: ['invoice!'] } }), "Value 'invoice!' at 'humanLoopConfig.taskKeywords.1.member'"],
    ['a name with upper case', (input) => ({ ...input, FlowDefinitionName: 'Invoice-Check' }), "Value 'Invoice-Check' at 'flowDefinitionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-z0-9](-*[a-z0-9]){0,62}"],
    ['a name of 64 characters', (input) => ({ ...input, FlowDefinitionName: 'f'.repeat(64) }), "at 'flowDefinitionName' failed to satisfy constraint: Member must have length less than or equal to 63"],
    ['a role that is not an IAM role ARN', (input) => ({ ...input, RoleArn: 'arn:aws:iam::123456789012:user/someone' }), "at 'roleArn' failed to satisfy constraint: Member must satisfy regular expression pattern"],
    ['an output path that is not a URI', (input) => ({ ...input, OutputConfig: { S3OutputPath: 'review-output/a2i' } }), "at 'outputConfig.s3OutputPath' failed to satisfy constraint"],
    ['an https output path', (input) => ({ ...input, OutputConfig: { S3OutputPath: 'https://review-output.s3.amazonaws.com/a2i' } }), 'must be an s3:// URI'],
    ['a workteam that is not a workteam ARN', (input) => ({ ...input, HumanLoopConfig: { ...input.HumanLoopConfig!, WorkteamArn: 'private-crowd' } }), "at 'humanLoopConfig.workteamArn'"],
    ['no HumanLoopConfig', (input) => ({ ...input, HumanLoopConfig: undefined }), 'HumanLoopConfig is required'],
    ['a HumanTaskUiArn that does not exist', (input) => ({ ...input, HumanLoopConfig: { ...input.HumanLoopConfig!, HumanTaskUiArn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:human-task-ui/missing` } }), 'human-task-ui/missing does not exist'],
    [
      'activation conditions that are not JSON',
      (input) => ({ ...input, HumanLoopActivationConfig: { HumanLoopActivationConditionsConfig: { HumanLoopActivationConditions: '{Conditions' } } }),
      'HumanLoopActivationConditions must be a JSON document',
    ],
  ])('answers ValidationException for %s', async (_case, change, wording) => {
    const error = await rejectionOf(harness.sagemaker.send(new CreateFlowDefinitionCommand(change(flowInput(uiArn)))));

    expect(error).toBeInstanceOf(SageMakerServiceException);
    expect(error.name).toBe('ValidationException');
    expect(error.message).toContain(wording);
  });

  it('answers ResourceNotFound for DescribeFlowDefinition and DeleteFlowDefinition of an unknown name', async () => {
    const described = await rejectionOf(harness.sagemaker.send(new DescribeFlowDefinitionCommand({ FlowDefinitionName: 'missing' })));
    const deleted = await rejectionOf(harness.sagemaker.send(new DeleteFlowDefinitionCommand({ FlowDefinitionName: 'missing' })));

    expect(described).toBeInstanceOf(ResourceNotFound);
    expect(deleted).toBeInstanceOf(ResourceNotFound);
    expect(described.message).toBe(`Flow definition arn:aws:sagemaker:${REGION}:${ACCOUNT}:flow-definition/missing does not exist`);
  });

  it('DeleteFlowDefinition answers ResourceInUse while a loop is in progress, and deletes once it ended', async () => {
    const { FlowDefinitionArn } = await harness.sagemaker.send(new CreateFlowDefinitionCommand(flowInput(uiArn)));
    await harness.a2i.send(new StartHumanLoopCommand({ HumanLoopName: 'open-loop', FlowDefinitionArn, HumanLoopInput: { InputContent: '{}' } }));

    const inUse = await rejectionOf(harness.sagemaker.send(new DeleteFlowDefinitionCommand({ FlowDefinitionName: 'invoice-check' })));
    await harness.emulator.setStatus('open-loop', 'Stopped');
    await harness.sagemaker.send(new DeleteFlowDefinitionCommand({ FlowDefinitionName: 'invoice-check' }));
    harness.advance(DEFAULT_FLOW_DELETION_MS);

    expect(inUse).toBeInstanceOf(ResourceInUse);
    expect(await rejectionOf(harness.sagemaker.send(new DescribeFlowDefinitionCommand({ FlowDefinitionName: 'invoice-check' })))).toBeInstanceOf(ResourceNotFound);
  });

  describe('deleting, which A2I finishes later', () => {
    const describeFlow = (FlowDefinitionName = 'invoice-check') => harness.sagemaker.send(new DescribeFlowDefinitionCommand({ FlowDefinitionName }));
    const deleteFlow = (FlowDefinitionName = 'invoice-check') => harness.sagemaker.send(new DeleteFlowDefinitionCommand({ FlowDefinitionName }));
    const deleteUi = () => harness.sagemaker.send(new DeleteHumanTaskUiCommand({ HumanTaskUiName: 'invoice-review' }));

    it('a deleted flow definition is Deleting, in Describe and List, until its deletion ends; then it is ResourceNotFound and unlisted', async () => {
      // Prepare
      await harness.sagemaker.send(new CreateFlowDefinitionCommand(flowInput(uiArn)));

      // Act
      await deleteFlow();
      const deleting = await describeFlow();
      const listedDeleting = await harness.sagemaker.send(new ListFlowDefinitionsCommand({}));
      harness.advance(DEFAULT_FLOW_DELETION_MS);
      const gone = await rejectionOf(describeFlow());
      const listedGone = await harness.sagemaker.send(new ListFlowDefinitionsCommand({}));

      // Assess
      expect(deleting.FlowDefinitionStatus).toBe('Deleting');
      expect(listedDeleting.FlowDefinitionSummaries?.map((flow) => [flow.FlowDefinitionName, flow.FlowDefinitionStatus])).toEqual([['invoice-check', 'Deleting']]);
      expect(gone).toBeInstanceOf(ResourceNotFound);
      expect(listedGone.FlowDefinitionSummaries).toEqual([]);
    });

    it('a flow definition already Deleting is not deleted again (ResourceInUse), and takes no new loops', async () => {
      // Prepare
      const { FlowDefinitionArn } = await harness.sagemaker.send(new CreateFlowDefinitionCommand(flowInput(uiArn)));
      await deleteFlow();

      // Act
      const again = await rejectionOf(deleteFlow());
      const start = await rejectionOf(harness.a2i.send(new StartHumanLoopCommand({ HumanLoopName: 'late-loop', FlowDefinitionArn, HumanLoopInput: { InputContent: '{}' } })));

      // Assess
      expect(again).toBeInstanceOf(ResourceInUse);
      expect(start.name).toBe('ValidationException');
    });

    it('DeleteHumanTaskUi answers ResourceInUse while a flow definition uses the UI, Deleting included, and deletes it once that is gone', async () => {
      // Prepare
      await harness.sagemaker.send(new CreateFlowDefinitionCommand(flowInput(uiArn)));

      // Act
      const whileActive = await rejectionOf(deleteUi());
      await deleteFlow();
      const whileDeleting = await rejectionOf(deleteUi());
      harness.advance(DEFAULT_FLOW_DELETION_MS);
      await deleteUi();

      // Assess
      expect(whileActive).toBeInstanceOf(ResourceInUse);
      expect(whileDeleting).toBeInstanceOf(ResourceInUse);
      expect(whileDeleting.message).toContain('flow-definition/invoice-check (Deleting)');
      expect(await rejectionOf(harness.sagemaker.send(new DescribeHumanTaskUiCommand({ HumanTaskUiName: 'invoice-review' })))).toBeInstanceOf(ResourceNotFound);
    });

    it('the name is taken while Deleting and free once the deletion has ended', async () => {
      // Prepare
      await harness.sagemaker.send(new CreateFlowDefinitionCommand(flowInput(uiArn)));
      await deleteFlow();

      // Act
      const whileDeleting = await rejectionOf(harness.sagemaker.send(new CreateFlowDefinitionCommand(flowInput(uiArn))));
      harness.advance(DEFAULT_FLOW_DELETION_MS);
      const recreated = await harness.sagemaker.send(new CreateFlowDefinitionCommand(flowInput(uiArn)));

      // Assess
      expect(whileDeleting).toBeInstanceOf(ResourceInUse);
      expect(recreated.FlowDefinitionArn).toBe(`arn:aws:sagemaker:${REGION}:${ACCOUNT}:flow-definition/invoice-check`);
      expect((await describeFlow()).FlowDefinitionStatus).toBe('Active');
    });
  });

  it('ListFlowDefinitions pages with NextToken, filters by creation time and works with the SDK paginator', async () => {
    for (const name of ['flow-1', 'flow-2', 'flow-3', 'flow-4']) {
      await harness.sagemaker.send(new CreateFlowDefinitionCommand(flowInput(uiArn, { FlowDefinitionName: name })));
      harness.advance(1000);
    }

    const names: string[] = [];
    for await (const page of paginateListFlowDefinitions({ client: harness.sagemaker, pageSize: 3 }, { SortOrder: 'Ascending' })) {
      names.push(...(page.FlowDefinitionSummaries ?? []).map((flow) => flow.FlowDefinitionName as string));
    }
    const filtered = await harness.sagemaker.send(new ListFlowDefinitionsCommand({ CreationTimeAfter: new Date(START_TIME + 1000), CreationTimeBefore: new Date(START_TIME + 3000) }));

    expect(names).toEqual(['flow-1', 'flow-2', 'flow-3', 'flow-4']);
    expect(filtered.FlowDefinitionSummaries).toEqual([
      { FlowDefinitionName: 'flow-3', FlowDefinitionArn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:flow-definition/flow-3`, FlowDefinitionStatus: 'Active', CreationTime: new Date(START_TIME + 2000) },
      { FlowDefinitionName: 'flow-2', FlowDefinitionArn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:flow-definition/flow-2`, FlowDefinitionStatus: 'Active', CreationTime: new Date(START_TIME + 1000) },
    ]);
  });

  it('ListFlowDefinitions answers ValidationException for MaxResults 101 and a foreign NextToken', async () => {
    const tooMany = await rejectionOf(harness.sagemaker.send(new ListFlowDefinitionsCommand({ MaxResults: 101 })));
    const foreign = await rejectionOf(harness.sagemaker.send(new ListFlowDefinitionsCommand({ NextToken: 'not-ours' })));

    expect(tooMany.name).toBe('ValidationException');
    expect(foreign.name).toBe('ValidationException');
  });
});

describe('private work teams', () => {
  const TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:review-tasks`;
  const describeTeam = async (WorkteamName = 'reviewers') => (await harness.sagemaker.send(new DescribeWorkteamCommand({ WorkteamName }))).Workteam;
  const setTopic = (NotificationTopicArn: string, WorkteamName = 'reviewers') =>
    harness.sagemaker.send(new UpdateWorkteamCommand({ WorkteamName, NotificationConfiguration: { NotificationTopicArn } }));

  it('DescribeWorkteam answers for any name: a private team of the Cognito workforce, without notifications', async () => {
    const team = await describeTeam();

    expect(team).toEqual({
      WorkteamName: 'reviewers',
      WorkteamArn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:workteam/private-crowd/reviewers`,
      WorkforceArn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:workforce/default`,
      MemberDefinitions: [{ CognitoMemberDefinition: { UserPool: `${REGION}_a2iEmulator`, UserGroup: 'reviewers', ClientId: expect.any(String) } }],
      Description: expect.stringContaining('reviewers'),
      SubDomain: `a2i-emulator.labeling.${REGION}.sagemaker.aws`,
      CreateDate: new Date(START_TIME),
      LastUpdatedDate: new Date(START_TIME),
    });
    expect(team?.NotificationConfiguration).toBeUndefined();
  });

  it('UpdateWorkteam sets the notification topic and returns the team; DescribeWorkteam then shows it', async () => {
    await describeTeam();
    harness.advance(5000);

    const { Workteam } = await setTopic(TOPIC);
    const described = await describeTeam();

    expect(Workteam).toMatchObject({ WorkteamName: 'reviewers', NotificationConfiguration: { NotificationTopicArn: TOPIC }, LastUpdatedDate: new Date(START_TIME + 5000) });
    expect(described).toEqual(Workteam);
    expect(described?.CreateDate).toEqual(new Date(START_TIME));
  });

  it('UpdateWorkteam replaces the description and members; an empty NotificationConfiguration turns notifications off', async () => {
    await setTopic(TOPIC);
    const [member] = (await describeTeam())?.MemberDefinitions ?? [];
    const cognito = { ...member.CognitoMemberDefinition!, UserGroup: 'senior-reviewers' };

    await harness.sagemaker.send(new UpdateWorkteamCommand({ WorkteamName: 'reviewers', Description: 'Invoice reviewers', MemberDefinitions: [{ CognitoMemberDefinition: cognito }] }));
    const kept = await describeTeam();
    await harness.sagemaker.send(new UpdateWorkteamCommand({ WorkteamName: 'reviewers', NotificationConfiguration: {} }));

    expect(kept).toMatchObject({ Description: 'Invoice reviewers', MemberDefinitions: [{ CognitoMemberDefinition: cognito }], NotificationConfiguration: { NotificationTopicArn: TOPIC } });
    expect((await describeTeam())?.NotificationConfiguration).toBeUndefined();
  });

  it('keeps each team to itself', async () => {
    await setTopic(TOPIC, 'reviewers');

    expect((await describeTeam('auditors'))?.NotificationConfiguration).toBeUndefined();
  });

  it.each<[string, () => Promise<unknown>, string]>([
    ['a name with an underscore', () => describeTeam('review_team'), "Value 'review_team' at 'workteamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"],
    ['a name of 64 characters', () => setTopic(TOPIC, 'r'.repeat(64)), "at 'workteamName' failed to satisfy constraint: Member must have length less than or equal to 63"],
    ['a name ending in a hyphen', () => setTopic(TOPIC, 'reviewers-'), "Value 'reviewers-' at 'workteamName'"],
    [
      'an SQS queue for the topic',
      () => setTopic(`arn:aws:sqs:${REGION}:${ACCOUNT}:review-tasks`),
      `Value 'arn:aws:sqs:${REGION}:${ACCOUNT}:review-tasks' at 'notificationConfiguration.notificationTopicArn' failed to satisfy constraint: Member must satisfy regular expression pattern`,
    ],
    ['a topic name instead of its ARN', () => setTopic('review-tasks'), "at 'notificationConfiguration.notificationTopicArn'"],
    ['a description of 201 characters', () => harness.sagemaker.send(new UpdateWorkteamCommand({ WorkteamName: 'reviewers', Description: 'd'.repeat(201) })), "at 'description'"],
    [
      'OIDC members on the Cognito workforce',
      () => harness.sagemaker.send(new UpdateWorkteamCommand({ WorkteamName: 'reviewers', MemberDefinitions: [{ OidcMemberDefinition: { Groups: ['reviewers'] } }] })),
      'use CognitoMemberDefinition',
    ],
    [
      'another user pool',
      () => harness.sagemaker.send(new UpdateWorkteamCommand({ WorkteamName: 'reviewers', MemberDefinitions: [{ CognitoMemberDefinition: { UserPool: 'us-east-1_other', UserGroup: 'x', ClientId: 'c' } }] })),
      "must use the workforce's UserPool",
    ],
  ])('answers ValidationException for %s, changing nothing', async (_case, call, wording) => {
    const error = await rejectionOf(call());

    expect(error).toBeInstanceOf(SageMakerServiceException);
    expect(error.name).toBe('ValidationException');
    expect(error.$metadata?.httpStatusCode).toBe(400);
    expect(error.message).toContain(wording);
    const team = await describeTeam();
    expect(team?.NotificationConfiguration).toBeUndefined();
    expect(team?.Description).not.toBe('d'.repeat(201));
  });

  it('keeps the team, its dates and its topic across a restart', async () => {
    await describeTeam();
    harness.advance(1000);
    const { Workteam } = await setTopic(TOPIC);

    harness.restart();
    harness.advance(1000);

    expect(readdirSync(join(harness.stateDir, 'workteams'))).toEqual(['reviewers.json']);
    expect(await describeTeam()).toEqual(Workteam);
    expect(Workteam?.CreateDate).toEqual(new Date(START_TIME));
    expect(Workteam?.LastUpdatedDate).toEqual(new Date(START_TIME + 1000));
  });
});

describe('the awsJson1_1 wire format', () => {
  const call = (target: string | undefined, body: string, method = 'POST') =>
    fetch(`${harness.endpoint}/`, { method, headers: { 'content-type': 'application/x-amz-json-1.1', ...(target ? { 'x-amz-target': target } : {}) }, ...(method === 'POST' ? { body } : {}) });

  it('answers an unknown SageMaker operation with Coral UnknownOperationException (400)', async () => {
    const response = await call('SageMaker.DescribeNothing', '{}');

    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(await response.json()).toMatchObject({ __type: 'com.amazon.coral.service#UnknownOperationException' });
  });

  it('answers a body that is not JSON, or a member of the wrong type, with SerializationException', async () => {
    const notJson = await call('SageMaker.DescribeFlowDefinition', '{"FlowDefinitionName"');
    const wrongType = await call('SageMaker.DescribeFlowDefinition', '{"FlowDefinitionName": 7}');

    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ __type: 'com.amazon.coral.service#SerializationException' });
    expect(await wrongType.json()).toMatchObject({ __type: 'com.amazon.coral.service#SerializationException' });
  });

  it('puts modelled errors in __type with the message', async () => {
    const response = await call('SageMaker.DescribeHumanTaskUi', '{"HumanTaskUiName":"missing"}');

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      __type: 'ResourceNotFound',
      Message: `Human task UI arn:aws:sagemaker:${REGION}:${ACCOUNT}:human-task-ui/missing does not exist`,
      message: `Human task UI arn:aws:sagemaker:${REGION}:${ACCOUNT}:human-task-ui/missing does not exist`,
    });
  });

  it('sends CreationTime as epoch seconds, the protocol default', async () => {
    await createUi();

    const response = await call('SageMaker.DescribeHumanTaskUi', '{"HumanTaskUiName":"invoice-review"}');

    expect(((await response.json()) as { CreationTime: number }).CreationTime).toBe(START_TIME / 1000);
  });

  it('leaves other requests to the server: handle() resolves false without answering', async () => {
    const otherService = await call('AWSStepFunctions.StartExecution', '{}');
    const getWithTarget = await call('SageMaker.ListFlowDefinitions', '', 'GET');
    const otherPath = await fetch(`${harness.endpoint}/review/tasks`);

    expect([otherService.status, getWithTarget.status, otherPath.status]).toEqual([404, 404, 404]);
    expect(await otherPath.text()).toBe('not the emulator');
  });
});

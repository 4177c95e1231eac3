import { DescribeWorkteamCommand } from '@aws-sdk/client-sagemaker';
import { StartHumanLoopCommand } from '@aws-sdk/client-sagemaker-a2i-runtime';
import type { Context } from 'aws-lambda';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHandler } from '../../functions/flow-resources';
import { sageMakerFlowApi } from '../../lib/flows/api';
import { putResponse } from '../../lib/flows/custom-resource';
import { desiredFlow } from '../../lib/flows/flow-plan';
import { EmulatorHarness } from '../emulator/harness';
import { fakeClock, ROLE_ARN, target, TEMPLATE, TOPIC_ARN, WORKTEAM_ARN } from './support';

/** Stands in for CloudFormation's pre-signed S3 URL: records each PUT's headers and body. */
class ResponseServer {
  readonly puts: Array<{ url: string; contentType: string | undefined; body: Record<string, unknown> }> = [];
  url = '';
  private readonly server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      this.puts.push({ url: `${req.method} ${req.url}`, contentType: req.headers['content-type'], body: JSON.parse(body) as Record<string, unknown> });
      res.writeHead(200);
      res.end();
    });
  });

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/cfn-response?X-Amz-Signature=abc`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  last() {
    return this.puts[this.puts.length - 1].body;
  }
}

/** The request CloudFormation sends for the workflow's Custom::A2iFlow. */
function cfnEvent(responses: ResponseServer, RequestType: 'Create' | 'Update' | 'Delete', properties: Record<string, unknown> = {}, PhysicalResourceId?: string) {
  return {
    RequestType,
    ResponseURL: responses.url,
    StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/a2i/1',
    RequestId: `request-${responses.puts.length + 1}`,
    LogicalResourceId: 'InvoicesFlow',
    ResourceType: 'Custom::A2iFlow',
    ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:flow-resources',
    ...(PhysicalResourceId ? { PhysicalResourceId } : {}),
    ResourceProperties: {
      ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:flow-resources',
      Workflow: 'invoices',
      Template: TEMPLATE,
      Spec: JSON.stringify(spec),
      RoleArn: ROLE_ARN,
      OutputPath: 's3://review-output/a2i/',
      NamePrefix: 'dev',
      ...properties,
    },
  };
}

const context = { functionName: 'flow-resources', awsRequestId: 'req', getRemainingTimeInMillis: () => 300_000 } as unknown as Context;
const spec = { taskTitle: 'Check an invoice', taskDescription: 'Compare the fields', taskCount: 2, workteamArn: WORKTEAM_ARN };

describe('the flow resources custom resource, end to end', () => {
  let harness: EmulatorHarness;
  let responses: ResponseServer;
  let handler: ReturnType<typeof createHandler>;
  beforeEach(async () => {
    harness = await EmulatorHarness.start();
    responses = new ResponseServer();
    await responses.start();
    handler = createHandler(() => ({ api: sageMakerFlowApi(harness.sagemaker), respond: putResponse, clock: harness.clock() }));
  });
  afterEach(async () => {
    await responses.stop();
    await harness.stop();
  });

  const event = (RequestType: 'Create' | 'Update' | 'Delete', properties: Record<string, unknown> = {}, PhysicalResourceId?: string) => cfnEvent(responses, RequestType, properties, PhysicalResourceId);
  const invoke = (request: ReturnType<typeof event>) => handler(request as never, context);
  const existing = async () => (await sageMakerFlowApi(harness.sagemaker).listFlowDefinitions()).map((flow) => flow.name);

  test('Create answers SUCCESS with the flow definition ARN as the physical id', async () => {
    await invoke(event('Create'));

    const { name } = desiredFlow(target({ namePrefix: 'dev' }, spec));
    const arn = `arn:aws:sagemaker:us-east-1:123456789012:flow-definition/${name}`;
    expect(responses.puts).toHaveLength(1);
    expect(responses.puts[0].url).toBe('PUT /cfn-response?X-Amz-Signature=abc');
    expect(responses.puts[0].contentType).toBe('');
    expect(responses.last()).toEqual({
      Status: 'SUCCESS',
      PhysicalResourceId: arn,
      StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/a2i/1',
      RequestId: 'request-1',
      LogicalResourceId: 'InvoicesFlow',
      Data: { FlowDefinitionArn: arn, FlowDefinitionName: name, HumanTaskUiArn: `arn:aws:sagemaker:us-east-1:123456789012:human-task-ui/${name}` },
    });
  });

  test('an unchanged Update keeps the physical id; a changed template replaces it, and the old one goes on Delete', async () => {
    await invoke(event('Create'));
    const first = responses.last().PhysicalResourceId as string;

    await invoke(event('Update', {}, first));
    expect(responses.last()).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: first });

    await invoke(event('Update', { Template: `${TEMPLATE}<p>v2</p>` }, first));
    const second = responses.last().PhysicalResourceId as string;
    expect(second).not.toBe(first);
    expect(await existing()).toHaveLength(2);

    // CloudFormation's cleanup after a replacement.
    await invoke(event('Delete', {}, first));
    expect(responses.last()).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: first });
    expect(await existing()).toEqual([second.slice(second.lastIndexOf('/') + 1)]);
  });

  test('a Spec with notificationTopicArn sets it on the private work team', async () => {
    await invoke(event('Create', { Spec: JSON.stringify({ ...spec, notificationTopicArn: TOPIC_ARN }) }));

    const { Workteam } = await harness.sagemaker.send(new DescribeWorkteamCommand({ WorkteamName: 'reviewers' }));
    expect(responses.last().Status).toBe('SUCCESS');
    expect(Workteam?.NotificationConfiguration).toEqual({ NotificationTopicArn: TOPIC_ARN });
  });

  test('an invalid spec answers FAILED with every problem, and creates nothing', async () => {
    await invoke(event('Create', { Spec: JSON.stringify({ ...spec, taskCount: 5, taskTimeLimitInSeconds: 10 }) }));

    const body = responses.last();
    expect(body.Status).toBe('FAILED');
    expect(body.Reason).toBe('FlowSpecError: invoices: flowDefinition.taskCount: must be between 1 and 3 (is 5)\ninvoices: flowDefinition.taskTimeLimitInSeconds: must be between 30 and 28800 (is 10)');
    expect(body.PhysicalResourceId).toBe('InvoicesFlow-not-created-request-1');
    expect(await existing()).toEqual([]);
  });

  test('missing properties and a Spec that is not JSON are FAILED with the reason', async () => {
    await invoke(event('Create', { RoleArn: undefined, Template: '' }));
    expect(responses.last().Reason).toBe('FlowSpecError: invoices: Template: is a required property of the resource\ninvoices: RoleArn: is a required property of the resource');

    await invoke(event('Create', { Spec: '{"taskCount":' }));
    expect(responses.last().Reason).toMatch(/^FlowSpecError: invoices: Spec: is not JSON/);
  });

  test('the rollback Delete of a failed Create succeeds without calling anything', async () => {
    await invoke(event('Delete', {}, 'InvoicesFlow-not-created-request-1'));

    expect(responses.last()).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'InvoicesFlow-not-created-request-1' });
  });

  test('a failed Update keeps the old physical id', async () => {
    await invoke(event('Create'));
    const first = responses.last().PhysicalResourceId as string;

    await invoke(event('Update', { RoleArn: 'not-a-role' }, first));

    expect(responses.last()).toMatchObject({ Status: 'FAILED', PhysicalResourceId: first });
  });

  test('Delete while loops are in progress answers FAILED, saying so', async () => {
    await invoke(event('Create'));
    const arn = responses.last().PhysicalResourceId as string;
    await harness.a2i.send(new StartHumanLoopCommand({ HumanLoopName: 'loop-1', FlowDefinitionArn: arn, HumanLoopInput: { InputContent: '{}' } }));

    await invoke(event('Delete', {}, arn));

    expect(responses.last().Status).toBe('FAILED');
    expect(responses.last().Reason).toMatch(/^FlowDefinitionInUseError: flow definition dev-invoices-[0-9a-f]+ cannot be deleted while human loops are in progress/);
  });

  test('an unanswered PUT makes the invocation fail, so that it is retried', async () => {
    const failing = createHandler(() => ({ api: sageMakerFlowApi(harness.sagemaker), respond: putResponse, clock: fakeClock() }));

    await expect(failing({ ...event('Delete', {}, 'none'), ResponseURL: 'http://127.0.0.1:1/closed' } as never, context)).rejects.toThrow();
  });
});

describe('stack delete while A2I is still deleting the flow definition', () => {
  /** How long the emulator keeps a deleted flow definition Deleting: several of the custom resource's polls. */
  const DELETING_MS = 5000;
  const POLL_MS = 2000;
  let harness: EmulatorHarness;
  let responses: ResponseServer;
  let clock: ReturnType<EmulatorHarness['clock']>;
  const handlerWithin = (timeoutMs?: number) =>
    createHandler(() => ({ api: sageMakerFlowApi(harness.sagemaker), respond: putResponse, clock, pollMs: POLL_MS, ...(timeoutMs !== undefined ? { timeoutMs } : {}) }));
  const invoke = (request: ReturnType<typeof cfnEvent>, timeoutMs?: number) => handlerWithin(timeoutMs)(request as never, context);
  const created = async () => {
    await invoke(cfnEvent(responses, 'Create'));
    const arn = responses.last().PhysicalResourceId as string;
    return { arn, name: arn.slice(arn.lastIndexOf('/') + 1) };
  };
  const api = () => sageMakerFlowApi(harness.sagemaker);

  beforeEach(async () => {
    harness = await EmulatorHarness.start({ flowDeletionMs: DELETING_MS });
    clock = harness.clock();
    responses = new ResponseServer();
    await responses.start();
  });
  afterEach(async () => {
    await responses.stop();
    await harness.stop();
  });

  test('Delete waits through Deleting until the flow definition is gone, then deletes the task UI', async () => {
    // Prepare
    const { arn, name } = await created();

    // Act
    await invoke(cfnEvent(responses, 'Delete', {}, arn));

    // Assess: three polls found it Deleting; the UI went once Describe answered ResourceNotFound.
    expect(responses.last()).toEqual(expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: arn }));
    expect(responses.last().Reason).toBeUndefined();
    expect(clock.sleeps).toEqual([POLL_MS, POLL_MS, POLL_MS]);
    expect(await api().describeFlowDefinition(name)).toBeUndefined();
    expect(await api().describeHumanTaskUi(name)).toBeUndefined();
  });

  test('past the deadline the Delete still succeeds, keeping the task UI and naming it; a Delete sent again finishes the job', async () => {
    // Prepare: a deadline shorter than the deletion.
    const { arn, name } = await created();

    // Act
    await invoke(cfnEvent(responses, 'Delete', {}, arn), 3000);
    const first = responses.last();
    const uiAfterFirst = await api().describeHumanTaskUi(name);
    const flowAfterFirst = await api().describeFlowDefinition(name);
    // CloudFormation sends Delete again (a retried stack delete): the flow definition is still Deleting, and is not deleted twice.
    await invoke(cfnEvent(responses, 'Delete', {}, arn));

    // Assess
    expect(first).toEqual(expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: arn }));
    expect(first.Reason).toContain(`human task UI ${name} was left in place`);
    expect(uiAfterFirst?.name).toBe(name);
    expect(flowAfterFirst?.status).toBe('Deleting');
    expect(responses.last()).toEqual(expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: arn }));
    expect(responses.last().Reason).toBeUndefined();
    expect(await api().describeHumanTaskUi(name)).toBeUndefined();
  });
});

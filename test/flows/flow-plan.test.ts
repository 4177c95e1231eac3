import { DescribeWorkteamCommand, UpdateWorkteamCommand } from '@aws-sdk/client-sagemaker';
import { StartHumanLoopCommand } from '@aws-sdk/client-sagemaker-a2i-runtime';
import { sageMakerFlowApi } from '../../lib/flows/api';
import { FlowDefinitionFailedError, FlowDefinitionInUseError, FlowDefinitionTimeoutError } from '../../lib/flows/errors';
import { apply, deleteFlow, describeAction, desiredFlow, plan, readState } from '../../lib/flows/flow-plan';
import { DEFAULT_FLOW_DELETION_MS } from '../../lib/emulator/a2i-emulator';
import { EmulatorHarness } from '../emulator/harness';
import { fakeClock, stubApi, target, TEMPLATE, TOPIC_ARN, WORKTEAM_ARN } from './support';

describe('plan and apply against the emulator', () => {
  let harness: EmulatorHarness;
  beforeEach(async () => {
    harness = await EmulatorHarness.start();
  });
  afterEach(() => harness.stop());

  const names = async () => {
    const api = sageMakerFlowApi(harness.sagemaker);
    return { flows: (await api.listFlowDefinitions()).map((flow) => flow.name).sort(), uis: (await api.listHumanTaskUis()).map((ui) => ui.name).sort() };
  };
  const converge = async (flowTarget = target()) => {
    const api = sageMakerFlowApi(harness.sagemaker);
    const desired = [desiredFlow(flowTarget)];
    const flowPlan = plan(desired, await readState(api, desired, 'all'), { prune: true });
    return { flowPlan, flows: await apply(flowPlan, api, { clock: harness.clock() }) };
  };

  test('creates the task UI and the flow definition, which the emulator then describes', async () => {
    const { flowPlan, flows } = await converge();

    const { name } = desiredFlow(target());
    expect(flowPlan.actions.map(describeAction)).toEqual([`+ create human task UI ${name}`, `+ create flow definition ${name}`]);
    expect(flows).toEqual([
      {
        workflow: 'invoices',
        name,
        flowDefinitionArn: `arn:aws:sagemaker:us-east-1:123456789012:flow-definition/${name}`,
        humanTaskUiArn: `arn:aws:sagemaker:us-east-1:123456789012:human-task-ui/${name}`,
      },
    ]);
    const described = await sageMakerFlowApi(harness.sagemaker).describeFlowDefinition(name);
    expect(described?.status).toBe('Active');
  });

  test('applying again is a no-op', async () => {
    const first = await converge();

    const second = await converge();

    expect(second.flowPlan.actions).toEqual([]);
    expect(second.flows).toEqual(first.flows);
  });

  test('a changed template creates a new version and deletes the old one, after the new one exists', async () => {
    const { flows: [old] } = await converge();

    const { flowPlan, flows: [current] } = await converge(target({ template: `${TEMPLATE}<p>v2</p>` }));

    expect(current.name).not.toBe(old.name);
    expect(flowPlan.actions.map((action) => `${action.kind} ${'name' in action ? action.name : ''}`)).toEqual([
      `create-human-task-ui ${current.name}`,
      `create-flow-definition ${current.name}`,
      `delete-flow-definition ${old.name}`,
      `delete-human-task-ui ${old.name}`,
    ]);
    expect(await names()).toEqual({ flows: [current.name], uis: [current.name] });
  });

  test('pruning keeps an old task UI while its flow definition is still Deleting at the deadline, and deletes it on a later apply', async () => {
    // Prepare: the old version's deletion takes longer than this apply may wait.
    const { flows: [old] } = await converge();
    const api = sageMakerFlowApi(harness.sagemaker);
    const desired = [desiredFlow(target({ template: `${TEMPLATE}<p>v2</p>` }))];
    const kept: string[] = [];

    // Act
    await apply(plan(desired, await readState(api, desired, 'all'), { prune: true }), api, { clock: harness.clock(), timeoutMs: DEFAULT_FLOW_DELETION_MS / 2, onKept: ({ name }) => void kept.push(name) });
    const afterFirst = await names();
    const { flowPlan: later } = await converge(target({ template: `${TEMPLATE}<p>v2</p>` }));

    // Assess
    expect(kept).toEqual([old.name]);
    expect(afterFirst).toEqual({ flows: [desired[0].name, old.name].sort(), uis: [desired[0].name, old.name].sort() });
    expect((await api.describeFlowDefinition(old.name))).toBeUndefined();
    expect(later.actions.map(describeAction)).toEqual([`- delete human task UI ${old.name}`]);
    expect(await names()).toEqual({ flows: [desired[0].name], uis: [desired[0].name] });
  });

  test('other workflows and other resources are never pruned', async () => {
    await converge(target({ workflow: 'receipts' }));
    await harness.createFlowDefinition({ FlowDefinitionName: 'invoices-hand-made' });

    await converge();

    const { flows } = await names();
    expect(flows).toEqual(expect.arrayContaining(['invoices-hand-made', desiredFlow(target({ workflow: 'receipts' })).name, desiredFlow(target()).name]));
  });

  test('delete removes both, and deleting again is fine', async () => {
    const { flows: [flow] } = await converge();
    const api = sageMakerFlowApi(harness.sagemaker);

    await deleteFlow(api, flow.name, { clock: harness.clock() });
    await deleteFlow(api, flow.name, { clock: harness.clock() });

    expect(await names()).toEqual({ flows: [], uis: [] });
  });

  test('a flow definition with a loop in progress cannot be deleted: FlowDefinitionInUseError says why', async () => {
    const { flows: [flow] } = await converge();
    await harness.a2i.send(new StartHumanLoopCommand({ HumanLoopName: 'loop-1', FlowDefinitionArn: flow.flowDefinitionArn, HumanLoopInput: { InputContent: '{"record":{}}' } }));

    const error = await deleteFlow(sageMakerFlowApi(harness.sagemaker), flow.name).catch((caught: Error) => caught);

    expect(error).toBeInstanceOf(FlowDefinitionInUseError);
    expect((error as Error).message).toContain(`flow definition ${flow.name} cannot be deleted while human loops are in progress`);
  });
});

describe('waiting for Active', () => {
  test('polls while Initializing, without sleeping for real', async () => {
    const { api, calls } = stubApi([{ status: 'Initializing' }, { status: 'Initializing' }, { status: 'Active' }]);
    const clock = fakeClock();
    const desired = [desiredFlow(target())];

    const [flow] = await apply(plan(desired, await readState(api, desired, 'desired')), api, { clock, pollMs: 5000 });

    expect(flow.flowDefinitionArn).toContain(':flow-definition/invoices-');
    expect(clock.sleeps).toEqual([5000, 5000]);
    // One Describe finds nothing before the create, then three until Active.
    expect(calls.filter((call) => call.startsWith('describeFlowDefinition'))).toHaveLength(1 + 3);
  });

  test('a Failed flow definition reports its FailureReason', async () => {
    const { api } = stubApi([{ status: 'Failed', failureReason: 'The role cannot be assumed' }]);
    const desired = [desiredFlow(target())];

    const error = await apply(plan(desired, await readState(api, desired, 'desired')), api, { clock: fakeClock() }).catch((caught: Error) => caught);

    expect(error).toBeInstanceOf(FlowDefinitionFailedError);
    expect(error).toMatchObject({ name: 'FlowDefinitionFailedError', failureReason: 'The role cannot be assumed' });
  });

  test('still Initializing at the deadline: FlowDefinitionTimeoutError', async () => {
    const { api } = stubApi(Array.from({ length: 100 }, () => ({ status: 'Initializing' })));
    const clock = fakeClock();
    const desired = [desiredFlow(target())];

    const error = await apply(plan(desired, await readState(api, desired, 'desired')), api, { clock, timeoutMs: 10_000, pollMs: 3000 }).catch((caught: Error) => caught);

    expect(error).toBeInstanceOf(FlowDefinitionTimeoutError);
    expect(clock.sleeps).toEqual([3000, 3000, 3000, 1000]);
  });

  test('an existing flow definition that Failed is reported by plan', async () => {
    const { flows } = stubApi();
    const desired = [desiredFlow(target())];
    flows.set(desired[0].name, { name: desired[0].name, arn: 'arn', status: 'Failed', failureReason: 'bad KMS key' });

    expect(() => plan(desired, { flowDefinitions: [...flows.values()], humanTaskUis: [], notificationTopics: {} })).toThrow(/bad KMS key/);
  });

  test('an existing Initializing flow definition is waited for', () => {
    const desired = [desiredFlow(target())];

    const { actions } = plan(desired, { flowDefinitions: [{ name: desired[0].name, arn: 'arn', status: 'Initializing' }], humanTaskUis: [{ name: desired[0].name, arn: 'ui' }], notificationTopics: {} });

    expect(actions).toEqual([{ kind: 'wait-flow-definition', workflow: 'invoices', name: desired[0].name, status: 'Initializing' }]);
  });
});

describe('work team notifications against the emulator', () => {
  let harness: EmulatorHarness;
  beforeEach(async () => {
    harness = await EmulatorHarness.start();
  });
  afterEach(() => harness.stop());

  const converge = async (topicArn: string) => {
    const api = sageMakerFlowApi(harness.sagemaker);
    const desired = [desiredFlow(target({}, { notificationTopicArn: topicArn }))];
    const flowPlan = plan(desired, await readState(api, desired, 'all'), { prune: true });
    await apply(flowPlan, api, { clock: fakeClock() });
    return flowPlan;
  };
  const teamTopic = async () => (await harness.sagemaker.send(new DescribeWorkteamCommand({ WorkteamName: 'reviewers' }))).Workteam?.NotificationConfiguration?.NotificationTopicArn;

  test('sets the topic on the private work team (UpdateWorkteam), then plans nothing', async () => {
    const first = await converge(TOPIC_ARN);
    const again = await converge(TOPIC_ARN);

    expect(first.actions.map(describeAction)).toContain(`~ notify workteam ${WORKTEAM_ARN} on ${TOPIC_ARN}`);
    expect(await teamTopic()).toBe(TOPIC_ARN);
    expect(again.actions).toEqual([]);
  });

  test('a team notifying another topic is switched to the desired one', async () => {
    await harness.sagemaker.send(new UpdateWorkteamCommand({ WorkteamName: 'reviewers', NotificationConfiguration: { NotificationTopicArn: 'arn:aws:sns:us-east-1:123456789012:old-topic' } }));

    const flowPlan = await converge(TOPIC_ARN);

    expect(flowPlan.actions).toContainEqual({ kind: 'update-workteam-notifications', workflow: 'invoices', workteamArn: WORKTEAM_ARN, topicArn: TOPIC_ARN });
    expect(await teamTopic()).toBe(TOPIC_ARN);
  });

  test('the setting survives an emulator restart, so a later plan is still empty', async () => {
    await converge(TOPIC_ARN);

    harness.restart();

    expect((await converge(TOPIC_ARN)).actions).toEqual([]);
  });
});

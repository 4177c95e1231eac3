import { join } from 'node:path';
import { buildStack, type StackModel } from '../../lib/deploy/stack-model';
import { type DeadLetter, LocalEventBus } from '../../lib/local/event-bus';
import { busRulesOf, type LocalTargetFunction, StackRuleError } from '../../lib/local/event-rules';
import { LOCAL_STACK, LOCAL_STACK_NAME, localFunctionArn, localFunctionName } from '../../lib/local/resources';
import { localStackValues } from '../../lib/local/stack-values';
import { standInResources } from '../support/local-roles';
import { loadWorkflows } from '../../lib/workflow';
import { within } from './plumbing/support';

/**
 * The local bus's rules come from the generated stack: each AWS::Events::Rule's pattern and targets, the
 * intrinsics resolved to local values, each target bound to the local function with its ARN if the stack's
 * Lambda permissions let EventBridge invoke it. A rule changed in the stack is a rule changed locally.
 */

const WORKFLOWS = loadWorkflows([join(__dirname, '..', 'fixtures', 'deploy', 'workflows')]);
const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const DLQ = standInResources(WORKFLOWS).eventsDlq.arn;
const LOCAL_FLOWS = Object.fromEntries(WORKFLOWS.filter(({ definition }) => 'template' in definition.flowDefinition).map(({ definition }) => [definition.name, `arn:aws:sagemaker:${REGION}:${ACCOUNT}:flow-definition/local-${definition.name}-0123456789ab`]));
const EXISTING_FLOW = 'arn:aws:sagemaker:us-east-1:123456789012:flow-definition/partner-review';

type Resources = Record<string, { Type: string; Properties: Record<string, any> }>;
const resourcesOf = (model: StackModel): Resources => model.resources.Resources as Resources;
/** A workflow's own template (its nested stack). */
const nestedOf = (model: StackModel, workflow: string): Resources => model.workflowStacks.find((stack) => stack.workflow === workflow)?.template.Resources as Resources;

/** The stack's functions that rules may target, each recording what it is given. */
function recordingFunctions(): { functions: LocalTargetFunction[]; received: Record<string, unknown[]> } {
  const received: Record<string, unknown[]> = { ingestEvent: [], loopStatusEvent: [] };
  const functions = Object.keys(received).map((key) => ({ key, name: localFunctionName(key), arn: localFunctionArn(key), invoke: async (input: unknown) => void received[key].push(input) }));
  return { functions, received };
}

function busFor(model: StackModel, functions: LocalTargetFunction[], letters: DeadLetter[] = []): LocalEventBus {
  const bus = new LocalEventBus({ region: REGION, account: ACCOUNT, onDeadLetter: (letter) => letters.push(letter) });
  const values = localStackValues(standInResources(WORKFLOWS));
  for (const rule of busRulesOf(model, values, functions)) bus.addRule(rule);
  return bus;
}

const partnerEvent = { id: 'evt-1', source: 'acme.partner', 'detail-type': 'PredictionMade', detail: { prediction: { predictionId: 'p-1', confidence: 0.3 } } };
const statusEvent = (flowDefinitionArn: string, id: string) => ({ id, source: 'aws.sagemaker', 'detail-type': 'SageMaker A2I HumanLoop Status Change', detail: { flowDefinitionArn, humanLoopStatus: 'Completed' } });

describe('busRulesOf: the generated stack\'s rules on the local bus', () => {
  test('a workflow\'s events reach the event trigger as the rule\'s transformer makes them; status events of every flow definition reach the status function', async () => {
    // Prepare
    const { functions, received } = recordingFunctions();
    const letters: DeadLetter[] = [];
    const bus = busFor(buildStack({ ...LOCAL_STACK, workflows: WORKFLOWS }), functions, letters);

    // Act
    bus.put([partnerEvent, { ...partnerEvent, id: 'evt-other', source: 'acme.other' }, statusEvent(LOCAL_FLOWS.alpha, 's-1'), statusEvent(EXISTING_FLOW, 's-2'), statusEvent('arn:aws:sagemaker:us-east-1:123456789012:flow-definition/someone-elses', 's-3')]);
    await within(bus.idle(), 5000, 'deliveries');

    // Assess
    expect(letters).toEqual([]);
    expect(received.ingestEvent).toEqual([{ workflow: 'partner-events', event: expect.objectContaining({ id: 'evt-1', detail: partnerEvent.detail }) }]);
    expect((received.loopStatusEvent as { id: string }[]).map((event) => event.id).sort()).toEqual(['s-1', 's-2']);
    expect(received.loopStatusEvent[0]).toMatchObject({ source: 'aws.sagemaker', detail: { humanLoopStatus: 'Completed' } });
  });

  test('a target the stack gives no permission to invoke is not invoked: the event goes to the rule\'s DLQ', async () => {
    // Prepare
    const model = buildStack({ ...LOCAL_STACK, workflows: WORKFLOWS });
    delete resourcesOf(model).WorkflowRulesPartnerBusPermission;
    const { functions, received } = recordingFunctions();
    const letters: DeadLetter[] = [];
    const bus = busFor(model, functions, letters);

    // Act
    bus.put([partnerEvent]);
    await within(bus.idle(), 5000, 'deliveries');

    // Assess
    expect(received.ingestEvent).toEqual([]);
    expect(letters).toEqual([expect.objectContaining({ errorCode: 'AccessDeniedException', deadLetterArn: DLQ, targetArn: functions[0].arn, ruleArn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/partner-bus/${LOCAL_STACK_NAME}_wf_partner-events` })]);
  });

  test('one permission whose SourceArn is a pattern covers every rule it matches', async () => {
    // Prepare: the workflow rules' own permissions replaced by one for all of this stack's rules.
    const model = buildStack({ ...LOCAL_STACK, workflows: WORKFLOWS });
    const resources = resourcesOf(model);
    delete resources.WorkflowRulesPartnerBusPermission;
    resources.EventRulesPermission = {
      Type: 'AWS::Lambda::Permission',
      Properties: { Action: 'lambda:InvokeFunction', FunctionName: { 'Fn::GetAtt': ['IngestEventLambdaFunction', 'Arn'] }, Principal: 'events.amazonaws.com', SourceArn: { 'Fn::Sub': `arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:rule/*/${LOCAL_STACK_NAME}_wf_*` } },
    };
    const { functions, received } = recordingFunctions();
    const bus = busFor(model, functions);

    // Act
    bus.put([partnerEvent]);
    await within(bus.idle(), 5000, 'deliveries');

    // Assess
    expect(received.ingestEvent).toHaveLength(1);
  });

  test('a status rule matching this stack\'s flow definitions by ARN prefix (an Fn::Sub) takes theirs and no one else\'s', async () => {
    // Prepare
    const model = buildStack({ ...LOCAL_STACK, workflows: WORKFLOWS });
    resourcesOf(model).A2iStatusRule.Properties.EventPattern.detail = { flowDefinitionArn: [{ prefix: { 'Fn::Sub': 'arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:flow-definition/local-alpha' } }] };
    const { functions, received } = recordingFunctions();
    const bus = busFor(model, functions);

    // Act
    bus.put([statusEvent(LOCAL_FLOWS.alpha, 's-1'), statusEvent(LOCAL_FLOWS['alpha-sub'], 's-2'), statusEvent(LOCAL_FLOWS.beta, 's-3')]);
    await within(bus.idle(), 5000, 'deliveries');

    // Assess
    expect((received.loopStatusEvent as { id: string }[]).map((event) => event.id).sort()).toEqual(['s-1', 's-2']);
  });

  test('follows what the stack says: a changed pattern, a disabled rule, a rule in a nested template; refuses a retry policy EventBridge refuses', async () => {
    // Prepare
    const model = buildStack({ ...LOCAL_STACK, workflows: WORKFLOWS });
    const resources = resourcesOf(model);
    nestedOf(model, 'partner-events').EventRule.Properties.EventPattern = { source: [{ prefix: 'acme.' }] };
    resources.A2iStatusRule.Properties.State = 'DISABLED';
    const extra = { workflow: 'extra', logicalId: 'WfExtraStack', fileName: 'workflow-stack-extra.json', template: { Resources: { ExtraRule: { Type: 'AWS::Events::Rule', Properties: { Name: 'extra', EventPattern: JSON.stringify({ source: ['extra'] }), Targets: [{ Id: 'x', Arn: localFunctionArn('loopStatusEvent') }] } } } } };
    const withNested = { ...model, workflowStacks: [...model.workflowStacks, extra] } as StackModel;
    const { functions, received } = recordingFunctions();
    const letters: DeadLetter[] = [];
    const bus = busFor(withNested, functions, letters);

    // Act
    bus.put([{ ...partnerEvent, source: 'acme.other' }, statusEvent(LOCAL_FLOWS.alpha, 's-1'), { id: 'x-1', source: 'extra', 'detail-type': 'X', detail: {} }]);
    await within(bus.idle(), 5000, 'deliveries');

    // Assess
    expect((received.ingestEvent as { event: { source: string } }[]).map(({ event }) => event.source)).toEqual(['acme.other']);
    // The nested rule has no permission in the stack: EventBridge may not invoke its target.
    expect((received.loopStatusEvent as unknown[]).length).toBe(0);
    expect(letters.map((letter) => [letter.rule, letter.errorCode])).toEqual([['extra', 'AccessDeniedException']]);
    nestedOf(model, 'partner-events').EventRule.Properties.Targets[0].RetryPolicy.MaximumRetryAttempts = 186;
    expect(() => busFor(model, functions)).toThrow(StackRuleError);
  });
});

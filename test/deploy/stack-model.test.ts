import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildStack, type StackModel } from '../../lib/deploy/stack-model';
import { createHandler as createEventHandler, type IngestEventInput } from '../../functions/ingest-event';
import { eventRoutes } from '../../lib/ingest/match';
import type { WorkMessage } from '../../lib/ingest/work-message';
import { compileTargetInput, lambdaPayload, type TargetInputSettings } from '../../lib/local/event-targets';
import { lambdaContext } from '../../lib/local/lambda-context';
import { loadWorkflows, WorkflowConfigError } from '../../lib/workflow';

/**
 * The workflow-dependent part of the stack comes from the workflows/ files alone: a root whose workflows/
 * holds the fixtures of test/fixtures/deploy/workflows gets each workflow's queues, flow definition, trigger,
 * permissions and dashboard widget, with nothing written anywhere else.
 */
type Resource = { Type: string; Properties: Record<string, any> };
type Statement = { Sid?: string; Effect: string; Action: string | string[]; Resource: unknown };

const FIXTURES = join(__dirname, '..', 'fixtures', 'deploy');
const SERVICE = 'a2i-orchestrator';
const STAGE = 'test';
const EXISTING_FLOW = 'arn:aws:sagemaker:us-east-1:123456789012:flow-definition/partner-review';

/** What the fixture workflows declare, as written in their files. */
const WORKFLOWS = {
  'alpha-sub': { queues: { out: false }, spec: 'review.liquid.html' },
  alpha: { queues: { reviewed: false, ordered: true, failures: false }, spec: 'alpha.liquid.html' },
  beta: { queues: { reviewed: false, accepted: false, failures: false }, spec: 'review.liquid.html' },
  'external-outputs': { queues: { out: false }, spec: 'review.liquid.html' },
  'partner-events': { queues: { reviewed: false, accepted: true, failures: false }, spec: undefined },
} as const satisfies Record<string, { queues: Record<string, boolean>; spec: string | undefined }>;
type Name = keyof typeof WORKFLOWS;
const NAMES = Object.keys(WORKFLOWS) as Name[];
const SPEC_NAMES = NAMES.filter((name) => WORKFLOWS[name].spec !== undefined);
const PASCAL: Record<Name, string> = { 'alpha-sub': 'AlphaSub', alpha: 'Alpha', beta: 'Beta', 'external-outputs': 'ExternalOutputs', 'partner-events': 'PartnerEvents' };
const QUEUE_PASCAL: Record<string, string> = { out: 'Out', reviewed: 'Reviewed', ordered: 'Ordered', failures: 'Failures', accepted: 'Accepted' };

const declaredQueues = NAMES.flatMap((workflow) =>
  Object.entries(WORKFLOWS[workflow].queues).map(([queue, fifo]) => ({ workflow, queue, fifo, id: `Wf${PASCAL[workflow]}Queue${QUEUE_PASCAL[queue]}` })),
);
const getAtt = (id: string, attribute: string) => ({ 'Fn::GetAtt': [id, attribute] });
const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

const roots: string[] = [];
/** A fresh root whose workflows/ holds the given fixture directories' files (templates included). */
function makeRoot(...sources: string[]): string {
  const root = mkdtempSync(join(tmpdir(), 'a2i-stack-model-'));
  roots.push(root);
  for (const source of sources) cpSync(join(FIXTURES, source), join(root, 'workflows'), { recursive: true });
  return root;
}
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

let model: StackModel;
let resources: Record<string, Resource>;
beforeAll(() => {
  model = buildStack({ root: makeRoot('workflows'), service: SERVICE, stage: STAGE });
  resources = model.resources.Resources as Record<string, Resource>;
});

const ofType = (type: string) => Object.entries(resources).filter(([, resource]) => resource.Type === type);
/** The logical ids a value refers to (Ref, GetAtt, ${…} in Fn::Sub). */
function referencedIds(value: unknown): string[] {
  if (value === null || typeof value !== 'object') return [];
  const object = value as Record<string, unknown>;
  if (typeof object.Ref === 'string') return [object.Ref];
  if (Array.isArray(object['Fn::GetAtt'])) return [(object['Fn::GetAtt'] as string[])[0]];
  if (typeof object['Fn::Sub'] === 'string') return [...(object['Fn::Sub'] as string).matchAll(/\$\{([A-Za-z0-9]+)[.}]/g)].map((match) => match[1]);
  return Object.values(object).flatMap(referencedIds);
}
/** The Allow statements of a role's policies (the `then` branch of conditional ones). */
function allowStatements(roleId: string): Statement[] {
  const found: Statement[] = [];
  for (const policy of resources[roleId].Properties.Policies as { PolicyDocument: { Statement: unknown[] } }[]) {
    for (const statement of policy.PolicyDocument.Statement) {
      const resolved = (statement as Record<string, unknown>)['Fn::If'] ? ((statement as { 'Fn::If': unknown[] })['Fn::If'][1] as Statement) : (statement as Statement);
      if (resolved.Effect === 'Allow') found.push(resolved);
    }
  }
  return found;
}
const resourcesOf = (roleId: string, action: string): unknown[] =>
  allowStatements(roleId)
    .filter((statement) => list(statement.Action).includes(action))
    .flatMap((statement) => list(statement.Resource));
const parseSub = (value: unknown): unknown => JSON.parse((value as { 'Fn::Sub': string })['Fn::Sub']);

describe('buildStack: the stack parts generated from workflows/', () => {
  it('creates one queue and one DLQ per declared queue, FIFO on both for FIFO queues, with SSE, a redrive policy and a DLQ alarm', () => {
    expect(ofType('AWS::SQS::Queue')).toHaveLength(2 * declaredQueues.length);
    const alarms = ofType('AWS::CloudWatch::Alarm');
    for (const { workflow, queue, fifo, id } of declaredQueues) {
      const main = resources[id];
      const dlq = resources[`${id}Dlq`];
      expect({ id, type: main?.Type, dlqType: dlq?.Type }).toEqual({ id, type: 'AWS::SQS::Queue', dlqType: 'AWS::SQS::Queue' });
      expect({ id, fifo: main.Properties.FifoQueue, dlqFifo: dlq.Properties.FifoQueue }).toEqual(fifo ? { id, fifo: true, dlqFifo: true } : { id, fifo: undefined, dlqFifo: undefined });
      for (const properties of [main.Properties, dlq.Properties]) {
        expect(properties.KmsMasterKeyId).toEqual({ 'Fn::If': ['HasKmsKey', { Ref: 'KmsKeyArn' }, { Ref: 'AWS::NoValue' }] });
        expect(properties.SqsManagedSseEnabled).toEqual({ 'Fn::If': ['HasKmsKey', { Ref: 'AWS::NoValue' }, true] });
      }
      expect(main.Properties.RedrivePolicy).toEqual({ deadLetterTargetArn: getAtt(`${id}Dlq`, 'Arn'), maxReceiveCount: 5 });
      expect(dlq.Properties.RedrivePolicy).toBeUndefined();
      expect(main.Properties.Tags).toEqual([
        { Key: 'workflow', Value: workflow },
        { Key: 'queue', Value: queue },
      ]);
      const dlqAlarms = alarms.filter(([, alarm]) => referencedIds(alarm.Properties.Dimensions).includes(`${id}Dlq`));
      expect({ id, alarms: dlqAlarms.map(([alarmId]) => alarmId) }).toEqual({ id, alarms: [`${id}DlqAlarm`] });
      expect(dlqAlarms[0][1].Properties).toMatchObject({ Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
    }
  });

  it('outputs each queue\'s URL and ARN', () => {
    const expected: Record<string, unknown> = {};
    for (const { id } of declaredQueues) {
      expected[`${id}Url`] = expect.objectContaining({ Value: { Ref: id } });
      expected[`${id}Arn`] = { Value: getAtt(id, 'Arn') };
    }
    expect(model.resources.Outputs).toEqual(expected);
  });

  it('names exactly each workflow\'s queues in QUEUE_URLS', () => {
    const expected: Record<string, Record<string, string>> = {};
    for (const { workflow, queue, id } of declaredQueues) (expected[workflow] ??= {})[queue] = `\${${id}}`;
    expect(parseSub(model.queueUrls)).toEqual(expected);
    for (const id of referencedIds(model.queueUrls)) expect({ id, type: resources[id]?.Type }).toEqual({ id, type: 'AWS::SQS::Queue' });
  });

  it('names only the workflows with a flow spec in FLOW_DEFINITION_ARNS', () => {
    expect(parseSub(model.flowDefinitionArns)).toEqual(Object.fromEntries(SPEC_NAMES.map((name) => [name, `\${Wf${PASCAL[name]}FlowDefinition.FlowDefinitionArn}`])));
  });

  it('creates a flow definition (custom resource) per flow-spec workflow, with its template\'s content, the stage as name prefix and the A2I role', () => {
    const flows = ofType('Custom::A2iFlowDefinition');
    expect(flows.map(([id]) => id).sort()).toEqual(SPEC_NAMES.map((name) => `Wf${PASCAL[name]}FlowDefinition`).sort());
    for (const name of SPEC_NAMES) {
      const { Properties } = resources[`Wf${PASCAL[name]}FlowDefinition`];
      expect(Properties).toMatchObject({
        ServiceToken: getAtt('FlowResourcesLambdaFunction', 'Arn'),
        NamePrefix: STAGE,
        Workflow: name,
        Template: readFileSync(join(FIXTURES, 'workflows', 'templates', WORKFLOWS[name].spec as string), 'utf8'),
        RoleArn: getAtt('A2iRole', 'Arn'),
        WorkteamArn: { Ref: 'WorkteamArn' },
        OutputPath: { 'Fn::Sub': `s3://\${OutputBucket}/${name}` },
      });
      // The spec, without the template's path (a moved file is not a changed flow definition).
      expect(JSON.parse(Properties.Spec as string)).not.toHaveProperty('templateFile');
    }
    expect(resources.WfAlphaFlowDefinition.Properties.Template).toContain('the alpha workflow\'s own task template');
    expect(resources.WfPartnerEventsFlowDefinition).toBeUndefined();
  });

  it('notifies the S3 trigger once per covering prefix of the input bucket\'s workflows', () => {
    const { LambdaConfigurations } = model.inputNotifications as { LambdaConfigurations: { Event: string; Function: unknown; Filter?: { S3Key: { Rules: unknown[] } } }[] };
    // a/sub/ is inside a/ (S3 refuses overlapping rules); c/ is in another bucket (external-outputs).
    expect(LambdaConfigurations.map((configuration) => configuration.Filter?.S3Key.Rules)).toEqual([[{ Name: 'prefix', Value: 'a/' }], [{ Name: 'prefix', Value: 'b/' }]]);
    for (const configuration of LambdaConfigurations) {
      expect(configuration.Event).toBe('s3:ObjectCreated:*');
      expect(configuration.Function).toEqual(getAtt('IngestS3ObjectLambdaFunction', 'Arn'));
    }
  });

  it('routes each EventBridge workflow\'s events from its bus to the event trigger as {workflow, event}, with a DLQ', () => {
    const rules = ofType('AWS::Events::Rule').filter(([id]) => id !== 'A2iStatusRule');
    expect(rules.map(([id]) => id)).toEqual(['WfPartnerEventsEventRule']);
    const { Properties } = rules[0][1];
    expect(Properties.EventBusName).toBe('partner-bus');
    expect(Properties.EventPattern).toEqual({ source: ['acme.partner'], 'detail-type': ['PredictionMade'] });
    expect(Properties.Targets).toHaveLength(1);
    const [target] = Properties.Targets as Record<string, any>[];
    expect(target.Arn).toEqual(getAtt('IngestEventLambdaFunction', 'Arn'));
    expect(target).not.toHaveProperty('Input');
    expect(target).not.toHaveProperty('InputPath');
    expect(target.DeadLetterConfig).toEqual({ Arn: getAtt('EventsDlq', 'Arn') });
    expect(resources.WfPartnerEventsEventRulePermission.Properties).toMatchObject({
      Action: 'lambda:InvokeFunction',
      FunctionName: getAtt('IngestEventLambdaFunction', 'Arn'),
      Principal: 'events.amazonaws.com',
      SourceArn: getAtt('WfPartnerEventsEventRule', 'Arn'),
    });
  });

  it('gives the event trigger, through the rule target\'s input transformer, an event whose record is there', async () => {
    // Prepare: a partner event as EventBridge delivers it, and the trigger as deployed, its queue stubbed.
    const [, rule] = ofType('AWS::Events::Rule').find(([id]) => id === 'WfPartnerEventsEventRule') as [string, Resource];
    const [target] = rule.Properties.Targets as (TargetInputSettings & { Id: string })[];
    const event = {
      version: '0',
      id: 'evt-7',
      'detail-type': 'PredictionMade',
      source: 'acme.partner',
      account: '123456789012',
      time: '2026-03-01T10:00:00Z',
      region: 'us-east-1',
      resources: [],
      detail: { prediction: { predictionId: 'p-7', confidence: 0.42 } },
    };
    const routes = eventRoutes(loadWorkflows([join(makeRoot('workflows'), 'workflows')]));
    const sent: WorkMessage[] = [];
    const trigger = createEventHandler(() => ({ routes, splitDeps: { send: async (messages) => void sent.push(...messages) } }));

    // Act: what EventBridge sends the function, as the Lambda runtime parses it.
    const rendered = compileTargetInput(target.Id, target, { ruleName: 'partner-rule', ruleArn: 'arn:aws:events:us-east-1:123456789012:rule/partner-bus/partner-rule' })(event, event.time);
    await trigger(lambdaPayload((rendered as { text: string }).text) as IngestEventInput, lambdaContext({ functionName: 'ingest-event' }));

    // Assess
    expect(sent).toEqual([{ workflow: 'partner-events', source: { type: 'event', eventSource: 'acme.partner', eventId: 'evt-7', detailType: 'PredictionMade' }, items: [{ index: 0, text: JSON.stringify(event.detail.prediction) }] }]);
  });

  it('sends A2I status events of every workflow\'s flow definition: created ones by GetAtt, existing ones by ARN', () => {
    const { Properties } = resources.A2iStatusRule;
    expect(Properties.EventPattern).toEqual({
      source: ['aws.sagemaker'],
      'detail-type': ['SageMaker A2I HumanLoop Status Change'],
      detail: { flowDefinitionArn: NAMES.map((name) => (WORKFLOWS[name].spec ? getAtt(`Wf${PASCAL[name]}FlowDefinition`, 'FlowDefinitionArn') : EXISTING_FLOW)) },
    });
    expect(Properties.Targets[0]).toMatchObject({ Arn: getAtt('LoopStatusEventLambdaFunction', 'Arn'), DeadLetterConfig: { Arn: getAtt('EventsDlq', 'Arn') } });
  });

  it('lets ingestWork start loops of every workflow\'s flow definition, named after the workflow', () => {
    const humanLoops = NAMES.map((name) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:sagemaker:\${AWS::Region}:\${AWS::AccountId}:human-loop/${name}-*` }));
    const flowDefinitions = NAMES.map((name) => (WORKFLOWS[name].spec ? getAtt(`Wf${PASCAL[name]}FlowDefinition`, 'FlowDefinitionArn') : EXISTING_FLOW));
    expect(resourcesOf('IngestWorkRole', 'sagemaker:StartHumanLoop')).toEqual([...flowDefinitions, ...humanLoops]);
    for (const role of ['ReviewLoopCheckRole', 'ReviewLoopFailRole', 'LoopPollRole']) expect({ role, resources: resourcesOf(role, 'sagemaker:DescribeHumanLoop') }).toEqual({ role, resources: humanLoops });
    expect(resourcesOf('ReviewLoopFailRole', 'sagemaker:StopHumanLoop')).toEqual(humanLoops);
  });

  it('lets the delivering functions send to exactly the workflows\' queues', () => {
    const destinations = declaredQueues.map(({ id }) => getAtt(id, 'Arn'));
    for (const role of ['IngestWorkRole', 'ReviewLoopCompleteRole', 'ReviewLoopFailRole']) {
      const deliver = allowStatements(role).find((statement) => statement.Sid === 'Deliver');
      expect({ role, resources: deliver?.Resource }).toEqual({ role, resources: destinations });
    }
  });

  it('lets ingestS3Object read the input bucket and the external bucket a workflow names', () => {
    expect(resourcesOf('IngestS3ObjectRole', 's3:GetObject')).toEqual([
      { 'Fn::Sub': `arn:\${AWS::Partition}:s3:::${SERVICE}-${STAGE}-input-\${AWS::AccountId}-\${AWS::Region}/*` },
      { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::acme-model-outputs/*' },
    ]);
  });

  it('grants no wildcard action in any function role', () => {
    const roles = ofType('AWS::IAM::Role');
    expect(roles).toHaveLength(10);
    for (const [id] of roles) {
      for (const statement of allowStatements(id)) {
        for (const action of list(statement.Action)) expect({ id, action, wildcard: action.includes('*') }).toEqual({ id, action, wildcard: false });
      }
    }
  });

  it('has a throttling alarm and a dashboard widget per workflow', () => {
    for (const name of NAMES) {
      expect(resources[`Wf${PASCAL[name]}StartThrottledAlarm`].Properties.Dimensions).toEqual([
        { Name: 'service', Value: 'a2i-orchestrator' },
        { Name: 'workflow', Value: name },
      ]);
    }
    const { Properties } = resources.Dashboard;
    expect(Properties.DashboardName).toBe(`${SERVICE}-${STAGE}`);
    const { widgets } = parseSub(Properties.DashboardBody) as { widgets: { properties: { title: string; metrics: unknown[][] } }[] };
    expect(widgets.map((widget) => widget.properties.title)).toEqual(NAMES);
    for (const widget of widgets) {
      for (const metric of widget.properties.metrics) expect(metric.slice(2, 6)).toEqual(['service', 'a2i-orchestrator', 'workflow', widget.properties.title]);
    }
  });

  it('adds a workflow\'s parts when its file is added, changing no other workflow\'s own parts', () => {
    const root = makeRoot('workflows');
    rmSync(join(root, 'workflows', 'beta.yaml'));
    const without = buildStack({ root, service: SERVICE, stage: STAGE }).resources.Resources as Record<string, Resource>;
    const added = Object.keys(resources).filter((id) => !(id in without));
    expect(added.sort()).toEqual(
      [
        ...Object.keys(WORKFLOWS.beta.queues).flatMap((queue) => {
          const id = `WfBetaQueue${QUEUE_PASCAL[queue]}`;
          return [id, `${id}Dlq`, `${id}DlqAlarm`];
        }),
        'WfBetaFlowDefinition',
        'WfBetaStartThrottledAlarm',
      ].sort(),
    );
    expect(Object.keys(without).filter((id) => !(id in resources))).toEqual([]);
    // Shared parts (roles, status rule, dashboard) change; each other workflow's own resources do not.
    for (const id of Object.keys(without).filter((key) => /^Wf(?!Beta)/.test(key))) expect({ id, resource: without[id] }).toEqual({ id, resource: resources[id] });
  });

  it('fails fast with the config error when a workflow in workflows/ is invalid', () => {
    const root = makeRoot('workflows', 'invalid');
    let error: unknown;
    try {
      buildStack({ root, service: SERVICE, stage: STAGE });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(WorkflowConfigError);
    const { issues } = error as WorkflowConfigError;
    expect(issues).toEqual([expect.objectContaining({ file: join(root, 'workflows', 'broken.yaml'), location: 'routes[0].queue', message: expect.stringContaining('unknown queue "nowhere"') })]);
    expect((error as Error).message).toContain('broken.yaml');
  });

  it('fails fast when there is no workflows/ directory', () => {
    expect(() => buildStack({ root: makeRoot(), service: SERVICE, stage: STAGE })).toThrow(WorkflowConfigError);
  });
});

describe('generated resource ids', () => {
  it('refuses two names that generate the same resource (queues orders and orders-dlq)', () => {
    const root = mkdtempSync(join(tmpdir(), 'a2i-stack-collide-'));
    try {
      mkdirSync(join(root, 'workflows', 'templates'), { recursive: true });
      const fixture = readFileSync(join(__dirname, '..', 'fixtures', 'deploy', 'workflows', 'beta.yaml'), 'utf8');
      const queues = fixture.replace(/^queues:\n/m, 'queues:\n  orders: {}\n  orders-dlq: {}\n');
      writeFileSync(join(root, 'workflows', 'beta.yaml'), queues);
      cpSync(join(__dirname, '..', 'fixtures', 'deploy', 'workflows', 'templates'), join(root, 'workflows', 'templates'), { recursive: true });
      expect(() => buildStack({ root, service: 'a2i-orchestrator', stage: 'test' })).toThrow(/same CloudFormation resource WfBetaQueueOrdersDlq/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

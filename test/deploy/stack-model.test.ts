import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHandler as createEventHandler, type IngestEventInput } from '../../functions/ingest-event';
import { buildStack, type StackModel, type WorkflowStack } from '../../lib/deploy/stack-model';
import { compileEventPattern } from '../../lib/event-pattern';
import { eventRoutes } from '../../lib/ingest/match';
import type { WorkMessage } from '../../lib/ingest/work-message';
import { compileTargetInput, lambdaPayload, type TargetInputSettings } from '../../lib/local/event-targets';
import { lambdaContext } from '../../lib/local/lambda-context';
import { queueDirectory } from '../../lib/runtime/ingest-wiring';
import { type CompiledWorkflow, loadWorkflows, WorkflowConfigError } from '../../lib/workflow';
import { ACCOUNT, permissionsAllow, REGION, resolveCfn, roleAllows } from '../support/cfn';

/**
 * The workflow-dependent part of the stack comes from the workflows/ files alone: a root whose workflows/
 * holds the fixtures of test/fixtures/deploy/workflows gets, per workflow, a nested stack with its queues,
 * flow definition, trigger and alarms, and in the root template the permissions, status rule and dashboard,
 * with nothing written anywhere else. Names, ARNs and permissions are checked by what they let happen.
 */
type Resource = { Type: string; Properties: Record<string, any>; Metadata?: Record<string, unknown> };
type Statement = { Sid?: string; Effect: string; Action: string | string[]; Resource: unknown };

const FIXTURES = join(__dirname, '..', 'fixtures', 'deploy');
const SERVICE = 'a2i-orchestrator';
const STAGE = 'test';
const EXISTING_FLOW = 'arn:aws:sagemaker:us-east-1:123456789012:flow-definition/partner-review';
const QUEUE_URL_BASE = `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/`;

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
const QUEUE_PASCAL: Record<string, string> = { out: 'Out', reviewed: 'Reviewed', ordered: 'Ordered', failures: 'Failures', accepted: 'Accepted' };

const declaredQueues = NAMES.flatMap((workflow) => Object.entries(WORKFLOWS[workflow].queues).map(([queue, fifo]) => ({ workflow, queue, fifo, id: `Queue${QUEUE_PASCAL[queue]}` })));
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
let workflows: CompiledWorkflow[];
beforeAll(() => {
  const root = makeRoot('workflows');
  model = buildStack({ root, service: SERVICE, stage: STAGE });
  resources = model.resources.Resources as Record<string, Resource>;
  workflows = loadWorkflows([join(root, 'workflows')]);
});

const ofType = (type: string) => Object.entries(resources).filter(([, resource]) => resource.Type === type);
const stackOf = (workflow: string): WorkflowStack => {
  const found = model.workflowStacks.find((stack) => stack.workflow === workflow);
  if (!found) throw new Error(`no stack for ${workflow}`);
  return found;
};
const nested = (workflow: string) => stackOf(workflow).template.Resources as Record<string, Resource>;
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
/** What the root's references resolve to in the tests' account (the ones role statements use). */
const ROOT_VALUES = {
  KmsKeyArn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
  'LedgerTable.Arn': `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/ledger`,
  'PayloadBucket.Arn': 'arn:aws:s3:::payloads',
  'OutputBucket.Arn': 'arn:aws:s3:::outputs',
  'WorkQueue.Arn': `arn:aws:sqs:${REGION}:${ACCOUNT}:work`,
  'WorkDlq.Arn': `arn:aws:sqs:${REGION}:${ACCOUNT}:work-dlq`,
  'PollQueue.Arn': `arn:aws:sqs:${REGION}:${ACCOUNT}:polls`,
  'TriggerFailuresDlq.Arn': `arn:aws:sqs:${REGION}:${ACCOUNT}:trigger-failures`,
  'A2iRole.Arn': `arn:aws:iam::${ACCOUNT}:role/a2i`,
  WorkteamArn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:workteam/private-crowd/reviewers`,
  'IngestEventLambdaFunction.Arn': `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${SERVICE}-${STAGE}-ingestEvent`,
  'IngestS3ObjectLambdaFunction.Arn': `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${SERVICE}-${STAGE}-ingestS3Object`,
  'LoopStatusEventLambdaFunction.Arn': `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${SERVICE}-${STAGE}-loopStatusEvent`,
  'A2iStatusRule.Arn': `arn:aws:events:${REGION}:${ACCOUNT}:rule/${SERVICE}-${STAGE}-A2iStatusRule-1`,
};
/** A role's statements as IAM gets them, with the stack's key given. */
const roleStatements = (roleId: string) => resolveCfn(resources[roleId].Properties.Policies.flatMap((policy: { PolicyDocument: { Statement: unknown[] } }) => policy.PolicyDocument.Statement), ROOT_VALUES, { HasKmsKey: true }) as unknown[];
const queueArn = (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;
const flowArn = (name: string) => `arn:aws:sagemaker:${REGION}:${ACCOUNT}:flow-definition/${name}`;
const loopArn = (name: string) => `arn:aws:sagemaker:${REGION}:${ACCOUNT}:human-loop/${name}`;

describe('buildStack: one nested stack per workflow', () => {
  it('creates one queue and one DLQ per declared queue, FIFO on both for FIFO queues, with SSE, a redrive policy and a DLQ alarm', () => {
    for (const { workflow, queue, fifo, id } of declaredQueues) {
      const own = nested(workflow);
      const main = own[id];
      const dlq = own[`${id}Dlq`];
      expect({ id, type: main?.Type, dlqType: dlq?.Type }).toEqual({ id, type: 'AWS::SQS::Queue', dlqType: 'AWS::SQS::Queue' });
      expect({ id, fifo: main.Properties.FifoQueue, dlqFifo: dlq.Properties.FifoQueue }).toEqual(fifo ? { id, fifo: true, dlqFifo: true } : { id, fifo: undefined, dlqFifo: undefined });
      // SQS refuses a FIFO queue whose name does not end in .fifo, and a standard one whose name does.
      expect({ id, fifoNames: [main.Properties.QueueName.endsWith('.fifo'), dlq.Properties.QueueName.endsWith('.fifo')] }).toEqual({ id, fifoNames: [fifo, fifo] });
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
      const dlqAlarms = Object.entries(own).filter(([, resource]) => resource.Type === 'AWS::CloudWatch::Alarm' && referencedIds(resource.Properties.Dimensions).includes(`${id}Dlq`));
      expect({ id, alarms: dlqAlarms.map(([alarmId]) => alarmId) }).toEqual({ id, alarms: [`${id}DlqAlarm`] });
      expect(dlqAlarms[0][1].Properties).toMatchObject({ Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
    }
  });

  it('names each queue where the functions send its messages', () => {
    const address = queueDirectory(workflows, { QUEUE_URL_BASE, QUEUE_NAME_PREFIX: model.environment.QUEUE_NAME_PREFIX });
    const names = new Set<string>();
    for (const { workflow, queue, fifo, id } of declaredQueues) {
      const { QueueName } = nested(workflow)[id].Properties;
      // CloudFormation's Ref of a queue (its URL) is <account's SQS URL>/<QueueName>.
      expect({ workflow, queue, address: address(workflow, queue) }).toEqual({ workflow, queue, address: { url: `${QUEUE_URL_BASE}${QueueName}`, fifo } });
      names.add(QueueName).add(nested(workflow)[`${id}Dlq`].Properties.QueueName);
    }
    expect(names.size).toBe(2 * declaredQueues.length);
    expect(resolveCfn(model.environment.QUEUE_URL_BASE)).toBe(QUEUE_URL_BASE);
  });

  it('outputs each queue\'s URL and ARN from its workflow\'s stack', () => {
    for (const name of NAMES) {
      const expected: Record<string, unknown> = {};
      for (const { id } of declaredQueues.filter((queue) => queue.workflow === name)) {
        expected[`${id}Url`] = expect.objectContaining({ Value: { Ref: id } });
        expected[`${id}Arn`] = { Value: getAtt(id, 'Arn') };
      }
      if (WORKFLOWS[name].spec) expected.FlowDefinitionArn = expect.objectContaining({ Value: getAtt('FlowDefinition', 'FlowDefinitionArn') });
      expect({ name, outputs: stackOf(name).template.Outputs }).toEqual({ name, outputs: expected });
    }
  });

  it('gives each workflow stack the root values it uses, and only those, as parameters', () => {
    for (const name of NAMES) {
      const { template, logicalId } = stackOf(name);
      const root = resources[logicalId];
      expect(root.Type).toBe('AWS::CloudFormation::Stack');
      const declared = Object.keys(template.Parameters ?? {}).sort();
      expect(Object.keys(root.Properties.Parameters).sort()).toEqual(declared);
      const used = new Set(referencedIds(template.Resources).filter((id) => !(id in template.Resources) && !id.startsWith('AWS::')));
      expect({ name, declared }).toEqual({ name, declared: [...used].sort() });
    }
    expect(resources.WfAlphaStack.Properties.Parameters).toEqual({
      KmsKeyArn: { Ref: 'KmsKeyArn' },
      AlarmTopicArn: { Ref: 'AlarmTopicArn' },
      WorkteamArn: { Ref: 'WorkteamArn' },
      A2iRoleArn: getAtt('A2iRole', 'Arn'),
      OutputBucket: { Ref: 'OutputBucket' },
      FlowResourcesFunctionArn: getAtt('FlowResourcesLambdaFunction', 'Arn'),
    });
  });

  it('creates a flow definition (custom resource) per flow-spec workflow, with its template\'s content, the stage as name prefix and the A2I role', () => {
    for (const name of NAMES) {
      const flow = nested(name).FlowDefinition;
      if (!WORKFLOWS[name].spec) {
        expect(flow).toBeUndefined();
        continue;
      }
      expect(flow.Type).toBe('Custom::A2iFlowDefinition');
      expect(flow.Properties).toMatchObject({
        ServiceToken: { Ref: 'FlowResourcesFunctionArn' },
        NamePrefix: STAGE,
        Workflow: name,
        Template: readFileSync(join(FIXTURES, 'workflows', 'templates', WORKFLOWS[name].spec as string), 'utf8'),
        RoleArn: { Ref: 'A2iRoleArn' },
        WorkteamArn: { Ref: 'WorkteamArn' },
        OutputPath: { 'Fn::Sub': `s3://\${OutputBucket}/${name}` },
      });
      // The spec, without the template's path (a moved file is not a changed flow definition).
      expect(JSON.parse(flow.Properties.Spec as string)).not.toHaveProperty('templateFile');
    }
    expect(nested('alpha').FlowDefinition.Properties.Template).toContain('the alpha workflow\'s own task template');
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
    const rules = NAMES.filter((name) => nested(name).EventRule);
    expect(rules).toEqual(['partner-events']);
    const { Properties } = nested('partner-events').EventRule;
    expect(Properties.EventBusName).toBe('partner-bus');
    expect(Properties.EventPattern).toEqual({ source: ['acme.partner'], 'detail-type': ['PredictionMade'] });
    expect(Properties.Targets).toHaveLength(1);
    const [target] = Properties.Targets as Record<string, any>[];
    expect(target.Arn).toEqual({ Ref: 'IngestEventFunctionArn' });
    expect(resources.WfPartnerEventsStack.Properties.Parameters).toMatchObject({ IngestEventFunctionArn: getAtt('IngestEventLambdaFunction', 'Arn'), EventsDlqArn: getAtt('EventsDlq', 'Arn') });
    expect(target.DeadLetterConfig).toEqual({ Arn: { Ref: 'EventsDlqArn' } });
  });

  it('lets EventBridge invoke the event trigger from this stage\'s workflow rules, one permission per bus, and from no other rule', async () => {
    const permissions = ofType('AWS::Lambda::Permission')
      .filter(([, resource]) => referencedIds(resource.Properties.FunctionName).includes('IngestEventLambdaFunction'))
      .map(([, resource]) => resolveCfn(resource.Properties, ROOT_VALUES) as Record<string, unknown>);
    expect(permissions).toHaveLength(1);
    const fn = ROOT_VALUES['IngestEventLambdaFunction.Arn'];
    const { Name } = nested('partner-events').EventRule.Properties;
    // A rule on a custom bus has the ARN rule/<bus>/<name>.
    const rule = (bus: string, name: string) => `arn:aws:events:${REGION}:${ACCOUNT}:rule/${bus}/${name}`;
    expect(await permissionsAllow(permissions, fn, 'events.amazonaws.com', rule('partner-bus', Name))).toBe(true);
    expect(await permissionsAllow(permissions, fn, 'events.amazonaws.com', rule('partner-bus', `${SERVICE}-prod_wf_partner-events`))).toBe(false);
    expect(await permissionsAllow(permissions, fn, 'events.amazonaws.com', rule('partner-bus', 'someone-elses-rule'))).toBe(false);
    expect(await permissionsAllow(permissions, fn, 'events.amazonaws.com', rule('other-bus', Name))).toBe(false);
  });

  it('gives the event trigger, through the rule target\'s input transformer, an event whose record is there', async () => {
    // Prepare: a partner event as EventBridge delivers it, and the trigger as deployed, its queue stubbed.
    const rule = nested('partner-events').EventRule;
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

  it('sends A2I status events of every version of this stage\'s flow definitions and of the ones workflows name, and no others', () => {
    const { Properties } = resources.A2iStatusRule;
    const matches = compileEventPattern(resolveCfn(Properties.EventPattern));
    const event = (flowDefinitionArn: string) => ({ source: 'aws.sagemaker', 'detail-type': 'SageMaker A2I HumanLoop Status Change', detail: { flowDefinitionArn, humanLoopStatus: 'Completed' } });
    expect(matches(event(flowArn(`${STAGE}-alpha-0123456789`)))).toBe(true);
    // A version since replaced: its loops still wake their executions.
    expect(matches(event(flowArn(`${STAGE}-alpha-9876543210`)))).toBe(true);
    expect(matches(event(EXISTING_FLOW))).toBe(true);
    expect(matches(event(flowArn('prod-alpha-0123456789')))).toBe(false);
    expect(matches(event(flowArn('partner-review-2')))).toBe(false);
    expect(Properties.Targets[0]).toMatchObject({ Arn: getAtt('LoopStatusEventLambdaFunction', 'Arn'), DeadLetterConfig: { Arn: getAtt('EventsDlq', 'Arn') } });
  });

  it('lets ingestWork start loops on this stage\'s flow definitions and the ones workflows name, and describe and stop only each workflow\'s loops', async () => {
    const ingestWork = roleStatements('IngestWorkRole');
    expect(await roleAllows(ingestWork, 'sagemaker:StartHumanLoop', flowArn(`${STAGE}-alpha-0123456789`))).toBe(true);
    expect(await roleAllows(ingestWork, 'sagemaker:StartHumanLoop', EXISTING_FLOW)).toBe(true);
    expect(await roleAllows(ingestWork, 'sagemaker:StartHumanLoop', flowArn('prod-alpha-0123456789'))).toBe(false);
    for (const role of ['ReviewLoopCheckRole', 'ReviewLoopFailRole', 'LoopPollRole']) {
      const statements = roleStatements(role);
      for (const name of NAMES) expect({ role, name, allowed: await roleAllows(statements, 'sagemaker:DescribeHumanLoop', loopArn(`${name}-abcdefghijklmnopqrstuvwxyz`)) }).toEqual({ role, name, allowed: true });
      expect({ role, allowed: await roleAllows(statements, 'sagemaker:DescribeHumanLoop', loopArn('gamma-abcdefghijklmnopqrstuvwxyz')) }).toEqual({ role, allowed: false });
    }
    expect(await roleAllows(roleStatements('ReviewLoopFailRole'), 'sagemaker:StopHumanLoop', loopArn('beta-abcdefghijklmnopqrstuvwxyz'))).toBe(true);
  });

  it('lets the delivering functions send to every workflow queue of the stage, and not to their DLQs', async () => {
    for (const role of ['IngestWorkRole', 'ReviewLoopCompleteRole', 'ReviewLoopFailRole']) {
      const statements = roleStatements(role);
      for (const { workflow, id } of declaredQueues) {
        const { QueueName } = nested(workflow)[id].Properties;
        const dlqName = nested(workflow)[`${id}Dlq`].Properties.QueueName;
        expect({ role, QueueName, allowed: await roleAllows(statements, 'sqs:SendMessage', queueArn(QueueName)) }).toEqual({ role, QueueName, allowed: true });
        expect({ role, dlqName, allowed: await roleAllows(statements, 'sqs:SendMessage', queueArn(dlqName)) }).toEqual({ role, dlqName, allowed: false });
      }
      expect(await roleAllows(statements, 'sqs:SendMessage', queueArn(`${SERVICE}-prod_wf_alpha_reviewed`))).toBe(false);
    }
  });

  it('lets ingestS3Object read the input bucket and the external bucket a workflow names', async () => {
    const statements = resolveCfn(allowStatements('IngestS3ObjectRole'), ROOT_VALUES) as unknown[];
    expect(await roleAllows(statements, 's3:GetObject', `arn:aws:s3:::${SERVICE}-${STAGE}-input-${ACCOUNT}-${REGION}/a/1.jsonl`)).toBe(true);
    expect(await roleAllows(statements, 's3:GetObject', 'arn:aws:s3:::acme-model-outputs/c/1.jsonl')).toBe(true);
    expect(await roleAllows(statements, 's3:GetObject', 'arn:aws:s3:::someone-else/c/1.jsonl')).toBe(false);
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

  it('has a throttling alarm per workflow in its stack, and a dashboard widget per workflow', () => {
    for (const name of NAMES) {
      expect(nested(name).StartThrottledAlarm.Properties.Dimensions).toEqual([
        { Name: 'service', Value: 'a2i-orchestrator' },
        { Name: 'workflow', Value: name },
      ]);
    }
    const { Properties } = resources.Dashboard;
    expect(Properties.DashboardName).toBe(`${SERVICE}-${STAGE}`);
    const { widgets } = JSON.parse((Properties.DashboardBody as { 'Fn::Sub': string })['Fn::Sub']) as { widgets: { properties: { title: string; metrics: unknown[][] } }[] };
    expect(widgets.map((widget) => widget.properties.title)).toEqual(NAMES);
    for (const widget of widgets) {
      for (const metric of widget.properties.metrics) expect(metric.slice(2, 6)).toEqual(['service', 'a2i-orchestrator', 'workflow', widget.properties.title]);
    }
  });

  it('adds a workflow\'s stack when its file is added, changing no other workflow\'s stack', () => {
    const root = makeRoot('workflows');
    rmSync(join(root, 'workflows', 'beta.yaml'));
    const without = buildStack({ root, service: SERVICE, stage: STAGE });
    const withoutIds = Object.keys(without.resources.Resources);
    expect(Object.keys(resources).filter((id) => !withoutIds.includes(id))).toEqual(['WfBetaStack']);
    expect(withoutIds.filter((id) => !(id in resources))).toEqual([]);
    expect(without.workflowStacks.map((stack) => stack.workflow)).toEqual(NAMES.filter((name) => name !== 'beta'));
    for (const stack of without.workflowStacks) expect({ workflow: stack.workflow, stack }).toEqual({ workflow: stack.workflow, stack: stackOf(stack.workflow) });
    for (const id of withoutIds.filter((key) => key.endsWith('Stack'))) expect({ id, resource: without.resources.Resources[id] }).toEqual({ id, resource: resources[id] });
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
      expect(() => buildStack({ root, service: 'a2i-orchestrator', stage: 'test' })).toThrow(/workflow beta generate the same CloudFormation resource QueueOrdersDlq/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

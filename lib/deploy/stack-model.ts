import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HASH_CHARS } from '../flows/flow-plan';
import { flowResourceProperties } from '../flows/stack-flow';
import { resourceNameIssues } from '../flows/validate';
import { assertDistinctNames, stagePrefix, workflowDlqName, workflowQueueName, workflowRuleName, workflowRulePrefix } from '../resource-names';
import { type CompiledWorkflow, isFlowSpec, isS3Source, loadWorkflows } from '../workflow';
import { type Cfn, functionLogicalId, getAtt, ifCondition, NO_VALUE, pascal, ref, sub } from './cfn';
import { a2iReadAccess } from './a2i-read-access';
import { functionRoles } from './function-roles';
import { DASHBOARD_MAX_METRICS, DASHBOARD_MAX_METRICS_PER_WIDGET, DASHBOARD_MAX_WIDGETS, EVENTBRIDGE_MAX_PATTERN_CHARS, S3_MAX_NOTIFICATION_CONFIGURATIONS } from './limits';
import { coveringMatches, type Match } from './prefix-cover';

export class StackModelError extends Error {
  override readonly name = 'StackModelError';
}

export interface StackOptions {
  root: string;
  service: string;
  stage: string;
  /** The workflow files (default: `<root>/workflows`). */
  workflowsDir?: string;
  /** The workflows to deploy, already loaded (local mode runs the workflows it was given); default: `workflowsDir`'s. */
  workflows?: CompiledWorkflow[];
}

/** A CloudFormation template, as the stack model writes one. */
export interface Template {
  AWSTemplateFormatVersion: '2010-09-09';
  Description: string;
  Parameters?: Record<string, { Type: 'String'; Description: string }>;
  Conditions?: Record<string, Cfn>;
  Resources: Record<string, unknown>;
  Outputs?: Record<string, { Description?: string; Value: Cfn }>;
}

/**
 * One workflow's own resources, in a nested stack of their own (AWS::CloudFormation::Stack in the root): its
 * destination queues with their DLQs and alarms, its throttling alarm, its flow definition (custom resource)
 * and its EventBridge rule. A workflow added or removed adds or removes its stack and changes no other one.
 */
export interface WorkflowStack {
  workflow: string;
  /** The root's AWS::CloudFormation::Stack resource. */
  logicalId: string;
  /** The file the template is packaged as, in `.serverless/` (plugins/workflow-stacks.js). */
  fileName: string;
  template: Template;
}

/** What serverless.yml takes from the workflows: resources to merge, nested templates, environment values. */
export interface StackModel {
  /** Merged into the root template; each workflow stack's resource has its TemplateURL set when packaged. */
  resources: { Resources: Record<string, unknown>; Outputs: Record<string, unknown> };
  workflowStacks: WorkflowStack[];
  /** The input bucket's NotificationConfiguration: ObjectCreated under each workflow prefix to the S3 trigger. */
  inputNotifications: Cfn;
  /** What the functions compute workflow queue URLs and flow definition ARNs from (see lib/runtime/ingest-wiring.ts). */
  environment: { QUEUE_URL_BASE: Cfn; QUEUE_NAME_PREFIX: string; FLOW_DEFINITION_ARN_BASE: Cfn; FLOW_NAME_PREFIX: string };
}

export interface WorkflowQueue {
  workflow: string;
  queue: string;
  fifo: boolean;
  /** In the workflow's stack. */
  logicalId: string;
  dlqLogicalId: string;
  name: string;
  dlqName: string;
}

/** What every generated part needs to know about the stack. */
export interface StackFacts extends StackOptions {
  workflows: CompiledWorkflow[];
  queues: WorkflowQueue[];
  /** The flow definition ARNs workflows name (not made by the stack), each once. */
  externalFlowDefinitionArns: string[];
  /** Buckets named by workflows (not the stack's input bucket): their objects are read by the S3 trigger. */
  externalBuckets: string[];
}

/** The review-loop machine's name: known before it exists, so functions can name it without a dependency cycle. */
export const stateMachineName = (facts: StackOptions): string => `${facts.service}-${facts.stage}-review-loop`;
/** The input bucket's name is fixed (not generated) so its notification permission can name it without a cycle. */
export const inputBucketName = (facts: StackOptions): string => `${facts.service}-${facts.stage}-input-\${AWS::AccountId}-\${AWS::Region}`;
export const functionName = (facts: StackOptions, fn: string): string => `${facts.service}-${facts.stage}-${fn}`;
/** Flow definitions and task UIs of this stack are named `<prefix><workflow>-<hash>` by the flow-resources function. */
export const flowResourcePrefix = (facts: StackOptions): string => `${facts.stage}-`;
/** The ARN of every flow definition of the stack but for its name. */
export const FLOW_DEFINITION_ARN_BASE = sub('arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:flow-definition/');
/** Queue URLs are `https://sqs.<region>.<suffix>/<account>/<name>`, as CloudFormation's Ref of a queue returns them. */
export const QUEUE_URL_BASE = sub('https://sqs.${AWS::Region}.${AWS::URLSuffix}/${AWS::AccountId}/');

const STATUS_CHANGE = 'SageMaker A2I HumanLoop Status Change';
const METRICS_NAMESPACE = 'A2IOrchestrator';
const SERVICE_DIMENSION = 'a2i-orchestrator';
/** Generous upper bounds of what CloudFormation resolves `${AWS::Partition}`, `${AWS::Region}`, `${AWS::AccountId}` to. */
const RESOLVED_ARN_START = 'arn:aws-xxxxxxx:sagemaker:xx-xxxxxxxxx-99:123456789012:'.length;

/** The root's parameters a workflow stack may take, with what the root passes. */
const WORKFLOW_STACK_PARAMETERS = {
  KmsKeyArn: { value: ref('KmsKeyArn'), description: 'The stack\'s KMS key (empty: SQS-managed keys)' },
  AlarmTopicArn: { value: ref('AlarmTopicArn'), description: 'The alarms\' SNS topic (empty: none)' },
  WorkteamArn: { value: ref('WorkteamArn'), description: 'The work team for a flow spec that names none' },
  A2iRoleArn: { value: getAtt('A2iRole', 'Arn'), description: 'The role A2I assumes' },
  OutputBucket: { value: ref('OutputBucket'), description: 'Where A2I writes output.json' },
  FlowResourcesFunctionArn: { value: getAtt(functionLogicalId('flowResources'), 'Arn'), description: 'The Custom::A2iFlowDefinition provider' },
  IngestEventFunctionArn: { value: getAtt(functionLogicalId('ingestEvent'), 'Arn'), description: 'The EventBridge trigger' },
  EventsDlqArn: { value: getAtt('EventsDlq', 'Arn'), description: 'Where EventBridge puts events it could not deliver' },
} as const;
type WorkflowStackParameter = keyof typeof WORKFLOW_STACK_PARAMETERS;

export function buildStack(options: StackOptions): StackModel {
  const workflows = options.workflows ?? loadWorkflows([options.workflowsDir ?? join(options.root, 'workflows')]);
  const stage = stagePrefix(options);
  const byId = new Map<string, string>();
  for (const { definition } of workflows) {
    const other = byId.get(pascal(definition.name));
    if (other) throw new StackModelError(`workflows ${other} and ${definition.name} generate the same CloudFormation resource names: rename one of them`);
    byId.set(pascal(definition.name), definition.name);
  }
  // A2I names are at most 63 characters: <stage>-<workflow>-<hash> must fit for every workflow with a flow spec.
  const unnamed = workflows.flatMap(({ definition }) => (isFlowSpec(definition.flowDefinition) ? resourceNameIssues(`${flowResourcePrefix(options)}${definition.name}-${'0'.repeat(HASH_CHARS)}`, definition.name) : []));
  if (unnamed.length > 0) throw new StackModelError(`flow definitions of stage ${options.stage} would have names A2I refuses: ${unnamed.map((issue) => `${issue.location}: ${issue.message}`).join('; ')}`);
  const queues = workflows.flatMap(({ definition }) =>
    Object.entries(definition.queues).map(([queue, { fifo }]) => {
      const logicalId = `Queue${pascal(queue)}`;
      return {
        workflow: definition.name,
        queue,
        fifo,
        logicalId,
        dlqLogicalId: `${logicalId}Dlq`,
        name: workflowQueueName(stage, definition.name, queue, fifo),
        dlqName: workflowDlqName(stage, definition.name, queue, fifo),
      };
    }),
  );
  assertDistinctNames(queues.flatMap((queue) => [{ name: queue.name, of: `${queue.workflow}/${queue.queue}` }, { name: queue.dlqName, of: `${queue.workflow}/${queue.queue} (DLQ)` }]));
  const externalFlowDefinitionArns = [...new Set(workflows.flatMap(({ definition }) => (isFlowSpec(definition.flowDefinition) ? [] : [definition.flowDefinition.arn])))];
  const externalBuckets = [...new Set(workflows.flatMap(({ definition: { source } }) => (isS3Source(source) && source.s3.bucket ? [source.s3.bucket] : [])))];
  const facts: StackFacts = { ...options, workflows, queues, externalFlowDefinitionArns, externalBuckets };

  const workflowStacks = workflows.map((workflow) => workflowStack(facts, workflow));
  const Resources: Record<string, unknown> = {};
  const stackResources = Object.fromEntries(workflowStacks.map((stack) => [stack.logicalId, stackResource(stack)]));
  for (const part of [stackResources, triggerResources(facts), functionRoles(facts), a2iReadAccess(facts), dashboards(facts)]) {
    for (const [id, resource] of Object.entries(part)) {
      if (id in Resources) throw new StackModelError(`two workflow names generate the same CloudFormation resource ${id}: rename one of them`);
      Resources[id] = resource;
    }
  }
  return {
    resources: { Resources, Outputs: {} },
    workflowStacks,
    inputNotifications: inputNotifications(facts),
    environment: { QUEUE_URL_BASE, QUEUE_NAME_PREFIX: stage, FLOW_DEFINITION_ARN_BASE, FLOW_NAME_PREFIX: options.stage },
  };
}

/** Messages outlive the stack: deleting it (or a workflow) or replacing a queue keeps the queue and what is in it. */
const RETAINED = { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' } as const;

/** Same SSE as every queue of the stack: the stack's KMS key when given, SQS-managed keys otherwise. */
export function queueEncryption(): Record<string, Cfn> {
  return {
    KmsMasterKeyId: ifCondition('HasKmsKey', ref('KmsKeyArn'), NO_VALUE),
    SqsManagedSseEnabled: ifCondition('HasKmsKey', NO_VALUE, true),
  };
}

/** The root's resource for a workflow stack; plugins/workflow-stacks.js adds its TemplateURL. */
function stackResource(stack: WorkflowStack): unknown {
  const parameters = Object.keys(stack.template.Parameters ?? {}) as WorkflowStackParameter[];
  return {
    Type: 'AWS::CloudFormation::Stack',
    Metadata: { WorkflowStackFile: stack.fileName },
    Properties: {
      Parameters: Object.fromEntries(parameters.map((name) => [name, WORKFLOW_STACK_PARAMETERS[name].value])),
      Tags: [{ Key: 'workflow', Value: stack.workflow }],
    },
  };
}

function workflowStack(facts: StackFacts, { definition }: CompiledWorkflow): WorkflowStack {
  const used = new Set<WorkflowStackParameter>(['KmsKeyArn', 'AlarmTopicArn']);
  const resources: Record<string, unknown> = {};
  const outputs: Record<string, { Description?: string; Value: Cfn }> = {};
  const add = (id: string, resource: unknown) => {
    // Names map to ids by dropping dashes, so two names can meet (queues `orders` + `orders-dlq`): never silently.
    if (id in resources) throw new StackModelError(`two queue names of workflow ${definition.name} generate the same CloudFormation resource ${id}: rename one of them`);
    resources[id] = resource;
  };
  for (const queue of facts.queues.filter((candidate) => candidate.workflow === definition.name)) {
    const fifo = queue.fifo ? { FifoQueue: true } : {};
    add(queue.dlqLogicalId, { Type: 'AWS::SQS::Queue', ...RETAINED, Properties: { QueueName: queue.dlqName, ...fifo, ...queueEncryption(), MessageRetentionPeriod: 1_209_600 } });
    add(queue.logicalId, {
      Type: 'AWS::SQS::Queue',
      ...RETAINED,
      Properties: {
        // Named by lib/resource-names.ts: the functions compute its URL from its name.
        QueueName: queue.name,
        ...fifo,
        ...queueEncryption(),
        // Consumers retry a message up to 5 times before it is parked in the DLQ for a person to look at.
        RedrivePolicy: { deadLetterTargetArn: getAtt(queue.dlqLogicalId, 'Arn'), maxReceiveCount: 5 },
        MessageRetentionPeriod: 1_209_600,
        Tags: [
          { Key: 'workflow', Value: queue.workflow },
          { Key: 'queue', Value: queue.queue },
        ],
      },
    });
    add(`${queue.dlqLogicalId}Alarm`, dlqAlarm(queue.dlqLogicalId, `${queue.workflow}/${queue.queue}: messages consumers could not handle`));
    outputs[`${queue.logicalId}Url`] = { Description: `${queue.workflow}: the ${queue.queue} queue`, Value: ref(queue.logicalId) };
    outputs[`${queue.logicalId}Arn`] = { Value: getAtt(queue.logicalId, 'Arn') };
  }
  add('StartThrottledAlarm', startThrottledAlarm(definition.name));
  if (isFlowSpec(definition.flowDefinition)) {
    const spec = definition.flowDefinition;
    used.add('A2iRoleArn').add('FlowResourcesFunctionArn');
    if (spec.workteamArn === undefined) used.add('WorkteamArn');
    if (spec.outputPath === undefined) used.add('OutputBucket');
    const properties = flowResourceProperties<Cfn>(definition, readFileSync(spec.templateFile, 'utf8'), {
      namePrefix: facts.stage,
      roleArn: ref('A2iRoleArn'),
      workteamArn: ref('WorkteamArn'),
      outputPath: (name) => sub(`s3://\${OutputBucket}/${name}`),
      kmsKeyId: ifCondition('HasKmsKey', ref('KmsKeyArn'), NO_VALUE),
    });
    add('FlowDefinition', {
      Type: 'Custom::A2iFlowDefinition',
      Properties: { ServiceToken: ref('FlowResourcesFunctionArn'), ...Object.fromEntries(Object.entries(properties).filter(([, value]) => value !== undefined)) },
    });
    outputs.FlowDefinitionArn = { Description: `${definition.name}: the current flow definition`, Value: getAtt('FlowDefinition', 'FlowDefinitionArn') };
  }
  if (!isS3Source(definition.source)) {
    // The workflow's custom events, from its bus to the event trigger, wrapped as {workflow, event}.
    used.add('IngestEventFunctionArn').add('EventsDlqArn');
    const { pattern, eventBusName } = definition.source.eventBridge;
    add('EventRule', {
      Type: 'AWS::Events::Rule',
      Properties: {
        // Named by lib/resource-names.ts: ingestEvent's one permission per bus names every workflow rule by its prefix.
        Name: workflowRuleName(stagePrefix(facts), definition.name),
        Description: `${definition.name}: custom events to ingest`,
        EventBusName: eventBusName,
        EventPattern: pattern,
        Targets: [
          {
            Id: 'ingest-event',
            Arn: ref('IngestEventFunctionArn'),
            InputTransformer: { InputPathsMap: {}, InputTemplate: `{"workflow": ${JSON.stringify(definition.name)}, "event": <aws.events.event.json>}` },
            RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
            DeadLetterConfig: { Arn: ref('EventsDlqArn') },
          },
        ],
      },
    });
  }
  const parameters = (Object.keys(WORKFLOW_STACK_PARAMETERS) as WorkflowStackParameter[]).filter((name) => used.has(name));
  return {
    workflow: definition.name,
    logicalId: `Wf${pascal(definition.name)}Stack`,
    fileName: `workflow-stack-${definition.name}.json`,
    template: {
      AWSTemplateFormatVersion: '2010-09-09',
      Description: `${stagePrefix(facts)}: workflow ${definition.name} (its queues, alarms, flow definition and trigger)`,
      Parameters: Object.fromEntries(parameters.map((name) => [name, { Type: 'String', Description: WORKFLOW_STACK_PARAMETERS[name].description }])),
      Conditions: {
        HasKmsKey: { 'Fn::Not': [{ 'Fn::Equals': [ref('KmsKeyArn'), ''] }] },
        HasAlarmTopic: { 'Fn::Not': [{ 'Fn::Equals': [ref('AlarmTopicArn'), ''] }] },
      },
      Resources: resources,
      Outputs: outputs,
    },
  };
}

/** The bus a rule is on, by name (EventBusName may be a name or an ARN). */
const busNameOf = (eventBusName: string): string => (eventBusName.startsWith('arn:') ? eventBusName.slice(eventBusName.indexOf(':event-bus/') + ':event-bus/'.length) : eventBusName);

/**
 * Who may invoke the triggers: EventBridge, from this stage's workflow rules on each bus (one permission per
 * bus, its SourceArn a pattern over the rules' names: Lambda compares SourceArn with StringLike, so `*`
 * matches); S3, from each bucket a workflow names but the stack does not own (the bucket's owner adds the
 * notification). And the rule for A2I's status events of this stage's flow definitions.
 */
function triggerResources(facts: StackFacts): Record<string, unknown> {
  const resources: Record<string, unknown> = {};
  const ingestEvent = getAtt(functionLogicalId('ingestEvent'), 'Arn');
  const buses = [...new Set(facts.workflows.flatMap(({ definition: { source } }) => (isS3Source(source) ? [] : [busNameOf(source.eventBridge.eventBusName)])))].sort();
  for (const bus of buses) {
    // A default-bus rule's ARN is rule/<name>; a custom bus's, rule/<bus>/<name>.
    const rules = `${bus === 'default' ? '' : `${bus}/`}${workflowRulePrefix(stagePrefix(facts))}*`;
    resources[bus === 'default' ? 'WorkflowRulesPermission' : `WorkflowRules${pascal(bus)}Permission`] = {
      Type: 'AWS::Lambda::Permission',
      Properties: { Action: 'lambda:InvokeFunction', FunctionName: ingestEvent, Principal: 'events.amazonaws.com', SourceArn: sub(`arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:rule/${rules}`) },
    };
  }
  for (const bucket of facts.externalBuckets) {
    resources[`ExternalBucket${pascal(bucket)}Permission`] = {
      Type: 'AWS::Lambda::Permission',
      Properties: {
        Action: 'lambda:InvokeFunction',
        FunctionName: getAtt(functionLogicalId('ingestS3Object'), 'Arn'),
        Principal: 's3.amazonaws.com',
        SourceArn: sub(`arn:\${AWS::Partition}:s3:::${bucket}`),
        SourceAccount: ref('AWS::AccountId'),
      },
    };
  }
  resources.A2iStatusRule = {
    Type: 'AWS::Events::Rule',
    Properties: {
      Description: 'A2I human loop status changes of this stage\'s flow definitions, current and replaced ones',
      EventPattern: { source: ['aws.sagemaker'], 'detail-type': [STATUS_CHANGE], detail: { flowDefinitionArn: statusRuleFlowDefinitions(facts) } },
      Targets: [
        {
          Id: 'loop-status-event',
          Arn: getAtt(functionLogicalId('loopStatusEvent'), 'Arn'),
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
          DeadLetterConfig: { Arn: getAtt('EventsDlq', 'Arn') },
        },
      ],
    },
  };
  resources.A2iStatusRulePermission = {
    Type: 'AWS::Lambda::Permission',
    Properties: { Action: 'lambda:InvokeFunction', FunctionName: getAtt(functionLogicalId('loopStatusEvent'), 'Arn'), Principal: 'events.amazonaws.com', SourceArn: getAtt('A2iStatusRule', 'Arn') },
  };
  return resources;
}

/** What the status rule's pattern may spend on the external flow definitions (the rest of it is ~300 characters). */
const STATUS_PATTERN_EXTERNAL_CHARS = EVENTBRIDGE_MAX_PATTERN_CHARS - 400;

/**
 * The status rule's flowDefinitionArn filter: every version of this stage's flow definitions by their name
 * prefix (a loop started under a version since replaced still wakes its execution), plus the flow definitions
 * workflows name. Those are listed one by one while the pattern stays within EventBridge's size; beyond that,
 * ARNs sharing a start are matched by it: a status event of someone else's loop is then ignored (not-ours).
 */
export function statusRuleFlowDefinitions(facts: StackFacts): Cfn[] {
  const external = coveringMatches(
    facts.externalFlowDefinitionArns.map((text) => ({ text, prefix: false })),
    STATUS_PATTERN_EXTERNAL_CHARS,
    (match) => JSON.stringify(match.prefix ? { prefix: match.text } : match.text).length + 1,
  );
  return [{ prefix: sub(`arn:\${AWS::Partition}:sagemaker:\${AWS::Region}:\${AWS::AccountId}:flow-definition/${flowResourcePrefix(facts)}`) }, ...external.map((match) => (match.prefix ? { prefix: match.text } : match.text))];
}

/** Human loops are named `<workflow>-<hash>` (the review id): what a role may describe or stop, as ARN patterns. */
export function humanLoopPatterns(facts: StackFacts, budget: number): Cfn[] {
  const loops: Match[] = facts.workflows.map(({ definition }) => ({ text: `${definition.name}-`, prefix: true }));
  return coveringMatches(loops, budget, (match) => RESOLVED_ARN_START + 'human-loop/'.length + match.text.length + 4).map((match) =>
    sub(`arn:\${AWS::Partition}:sagemaker:\${AWS::Region}:\${AWS::AccountId}:human-loop/${match.text}*`),
  );
}

/**
 * One rule per distinct prefix of the workflows reading the stack's input bucket, without suffixes: S3 refuses
 * overlapping rules, and the function matches prefixes and suffixes itself. A prefix inside another one is
 * covered by it; past S3's count of notification configurations, prefixes sharing a start are merged into it.
 */
function inputNotifications(facts: StackFacts): Cfn {
  const prefixes = facts.workflows.flatMap(({ definition: { source } }) => (isS3Source(source) && !source.s3.bucket ? [{ text: source.s3.prefix, prefix: true }] : []));
  const covering = coveringMatches(prefixes, S3_MAX_NOTIFICATION_CONFIGURATIONS, () => 1).map((match) => match.text);
  return {
    LambdaConfigurations: covering.map((prefix) => ({
      Event: 's3:ObjectCreated:*',
      Function: getAtt(functionLogicalId('ingestS3Object'), 'Arn'),
      ...(prefix ? { Filter: { S3Key: { Rules: [{ Name: 'prefix', Value: prefix }] } } } : {}),
    })),
  };
}

function startThrottledAlarm(workflow: string): unknown {
  return {
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmDescription: `${workflow}: A2I throttled StartHumanLoop (raise the quota or lower ingest.maxStartsPerSecond)`,
      Namespace: METRICS_NAMESPACE,
      MetricName: 'StartThrottled',
      Dimensions: [
        { Name: 'service', Value: SERVICE_DIMENSION },
        { Name: 'workflow', Value: workflow },
      ],
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: ifCondition('HasAlarmTopic', [ref('AlarmTopicArn')], NO_VALUE),
    },
  };
}

/** Any message in a DLQ is something nothing will retry: alarm at once. */
export function dlqAlarm(dlqLogicalId: string, description: string): unknown {
  return {
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmDescription: description,
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: getAtt(dlqLogicalId, 'QueueName') }],
      Statistic: 'Maximum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: ifCondition('HasAlarmTopic', [ref('AlarmTopicArn')], NO_VALUE),
    },
  };
}

const DASHBOARD_METRICS: [string, string][] = [
  ['LoopsStarted', 'Sum'],
  ['RecordsAutoAccepted', 'Sum'],
  ['RecordsInvalid', 'Sum'],
  ['RecordsReviewed', 'Sum'],
  ['RecordsFailed', 'Sum'],
  ['SecondsInReview', 'Average'],
];
/** Workflows per dashboard: one widget each, within CloudWatch's widgets and metrics per dashboard. */
const WORKFLOWS_PER_DASHBOARD = Math.min(DASHBOARD_MAX_WIDGETS, Math.floor(DASHBOARD_MAX_METRICS / DASHBOARD_METRICS.length));

/** A widget per workflow; the workflows past a dashboard's capacity go on `<service>-<stage>-2`, and so on. */
function dashboards(facts: StackFacts): Record<string, unknown> {
  if (DASHBOARD_METRICS.length > DASHBOARD_MAX_METRICS_PER_WIDGET) throw new StackModelError('a dashboard widget has more metrics than CloudWatch allows');
  const resources: Record<string, unknown> = {};
  for (let start = 0, page = 1; start === 0 || start < facts.workflows.length; start += WORKFLOWS_PER_DASHBOARD, page++) {
    const widgets = facts.workflows.slice(start, start + WORKFLOWS_PER_DASHBOARD).map(({ definition }, index) => ({
      type: 'metric',
      x: (index % 2) * 12,
      y: Math.floor(index / 2) * 6,
      width: 12,
      height: 6,
      properties: {
        title: definition.name,
        region: '${AWS::Region}',
        view: 'timeSeries',
        period: 300,
        metrics: DASHBOARD_METRICS.map(([metric, stat]) => [METRICS_NAMESPACE, metric, 'service', SERVICE_DIMENSION, 'workflow', definition.name, { stat, ...(metric === 'SecondsInReview' ? { yAxis: 'right' } : {}) }]),
      },
    }));
    resources[page === 1 ? 'Dashboard' : `Dashboard${page}`] = {
      Type: 'AWS::CloudWatch::Dashboard',
      Properties: { DashboardName: page === 1 ? `${facts.service}-${facts.stage}` : `${facts.service}-${facts.stage}-${page}`, DashboardBody: sub(JSON.stringify({ widgets })) },
    };
  }
  return resources;
}

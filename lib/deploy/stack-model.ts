import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CompiledWorkflow, isFlowSpec, isS3Source, loadWorkflows } from '../workflow';
import { type Cfn, functionLogicalId, getAtt, ifCondition, NO_VALUE, pascal, ref, sub } from './cfn';
import { functionRoles } from './function-roles';

export class StackModelError extends Error {
  override readonly name = 'StackModelError';
}

export interface StackOptions {
  root: string;
  service: string;
  stage: string;
  /** The workflows to deploy: those in `<root>/workflows` unless given (local mode runs the workflows it was given). */
  workflows?: CompiledWorkflow[];
}

/** What serverless.yml takes from the workflows: resources to merge, and environment values. */
export interface StackModel {
  resources: { Resources: Record<string, unknown>; Outputs: Record<string, unknown> };
  /** QUEUE_URLS: {"<workflow>": {"<queue>": "<url>"}} as an Fn::Sub. */
  queueUrls: Cfn;
  /** FLOW_DEFINITION_ARNS: {"<workflow>": "<arn>"} for the workflows whose flow definition the stack creates. */
  flowDefinitionArns: Cfn;
  /** The input bucket's NotificationConfiguration: ObjectCreated under each workflow prefix to the S3 trigger. */
  inputNotifications: Cfn;
}

export interface WorkflowQueue {
  workflow: string;
  queue: string;
  fifo: boolean;
  logicalId: string;
  dlqLogicalId: string;
}

/** What every generated part needs to know about the stack. */
export interface StackFacts extends StackOptions {
  workflows: CompiledWorkflow[];
  queues: WorkflowQueue[];
  /** The flow definition ARN of each workflow (created by the stack, or named by the workflow). */
  flowDefinitionArns: Map<string, Cfn>;
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

const STATUS_CHANGE = 'SageMaker A2I HumanLoop Status Change';
const METRICS_NAMESPACE = 'A2IOrchestrator';
const SERVICE_DIMENSION = 'a2i-orchestrator';

/** The logical ids of a workflow queue and of its DLQ. */
export function workflowQueueLogicalIds(workflow: string, queue: string): { logicalId: string; dlqLogicalId: string } {
  const logicalId = `Wf${pascal(workflow)}Queue${pascal(queue)}`;
  return { logicalId, dlqLogicalId: `${logicalId}Dlq` };
}

export function buildStack(options: StackOptions): StackModel {
  const workflows = options.workflows ?? loadWorkflows([join(options.root, 'workflows')]);
  const queues = workflows.flatMap(({ definition }) =>
    Object.entries(definition.queues).map(([queue, { fifo }]) => ({ workflow: definition.name, queue, fifo, ...workflowQueueLogicalIds(definition.name, queue) })),
  );
  const flowDefinitionArns = new Map<string, Cfn>(
    workflows.map(({ definition }) => [
      definition.name,
      isFlowSpec(definition.flowDefinition) ? getAtt(flowLogicalId(definition.name), 'FlowDefinitionArn') : definition.flowDefinition.arn,
    ]),
  );
  const externalBuckets = [...new Set(workflows.flatMap(({ definition: { source } }) => (isS3Source(source) && source.s3.bucket ? [source.s3.bucket] : [])))];
  const byId = new Map<string, string>();
  for (const { definition } of workflows) {
    const other = byId.get(pascal(definition.name));
    if (other) throw new StackModelError(`workflows ${other} and ${definition.name} generate the same CloudFormation resource names: rename one of them`);
    byId.set(pascal(definition.name), definition.name);
  }
  const facts: StackFacts = { ...options, workflows, queues, flowDefinitionArns, externalBuckets };
  const Resources: Record<string, unknown> = {};
  for (const part of [queueResources(facts), flowDefinitionResources(facts), triggerResources(facts), functionRoles(facts), alarmResources(facts), { Dashboard: dashboard(facts) }]) {
    for (const [id, resource] of Object.entries(part)) {
      // Names map to ids by dropping dashes, so two names can meet (queues `orders` + `orders-dlq`): never silently.
      if (id in Resources) throw new StackModelError(`two workflow or queue names generate the same CloudFormation resource ${id}: rename one of them`);
      Resources[id] = resource;
    }
  }
  const Outputs: Record<string, unknown> = {};
  for (const queue of queues) {
    Outputs[`${queue.logicalId}Url`] = { Description: `${queue.workflow}: the ${queue.queue} queue`, Value: ref(queue.logicalId) };
    Outputs[`${queue.logicalId}Arn`] = { Value: getAtt(queue.logicalId, 'Arn') };
  }
  return { resources: { Resources, Outputs }, queueUrls: queueUrlsJson(facts), flowDefinitionArns: flowArnsJson(facts), inputNotifications: inputNotifications(facts) };
}

export const flowLogicalId = (workflow: string): string => `Wf${pascal(workflow)}FlowDefinition`;

/** Same SSE as every queue of the stack: the stack's KMS key when given, SQS-managed keys otherwise. */
export function queueEncryption(): Record<string, Cfn> {
  return {
    KmsMasterKeyId: ifCondition('HasKmsKey', ref('KmsKeyArn'), NO_VALUE),
    SqsManagedSseEnabled: ifCondition('HasKmsKey', NO_VALUE, true),
  };
}

function queueResources(facts: StackFacts): Record<string, unknown> {
  const resources: Record<string, unknown> = {};
  for (const queue of facts.queues) {
    for (const id of [queue.logicalId, queue.dlqLogicalId]) {
      if (id in resources) throw new StackModelError(`two queue names of workflow ${queue.workflow} generate the same CloudFormation resource ${id}: rename one of them`);
    }
    const fifo = queue.fifo ? { FifoQueue: true } : {};
    resources[queue.dlqLogicalId] = { Type: 'AWS::SQS::Queue', Properties: { ...fifo, ...queueEncryption(), MessageRetentionPeriod: 1_209_600 } };
    resources[queue.logicalId] = {
      Type: 'AWS::SQS::Queue',
      Properties: {
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
    };
  }
  return resources;
}

/** The task UI and flow definition of each workflow with a flow spec, made by the flow-resources custom resource. */
function flowDefinitionResources(facts: StackFacts): Record<string, unknown> {
  const resources: Record<string, unknown> = {};
  for (const { definition } of facts.workflows) {
    if (!isFlowSpec(definition.flowDefinition)) continue;
    const spec = definition.flowDefinition;
    resources[flowLogicalId(definition.name)] = {
      Type: 'Custom::A2iFlowDefinition',
      Properties: {
        ServiceToken: getAtt(functionLogicalId('flowResources'), 'Arn'),
        // Names are <stage>-<workflow>-<hash>: the flow-resources role may touch this stage's A2I resources only.
        NamePrefix: facts.stage,
        Workflow: definition.name,
        // The template's content (not its path): a changed template is a changed resource.
        Template: readFileSync(spec.templateFile, 'utf8'),
        Spec: JSON.stringify({ ...spec, templateFile: undefined, template: undefined }),
        RoleArn: getAtt('A2iRole', 'Arn'),
        WorkteamArn: spec.workteamArn ?? ref('WorkteamArn'),
        OutputPath: spec.outputPath ?? sub(`s3://\${OutputBucket}/${definition.name}`),
        KmsKeyId: spec.kmsKeyId ?? ifCondition('HasKmsKey', ref('KmsKeyArn'), NO_VALUE),
      },
    };
  }
  return resources;
}

/**
 * S3: one notification per distinct prefix on the stack's input bucket (S3 refuses overlapping rules; the
 * function matches suffixes itself). EventBridge: a rule per custom-event workflow, wrapping the event as
 * {workflow, event}; and one rule for A2I's status events of this stack's flow definitions.
 */
function triggerResources(facts: StackFacts): Record<string, unknown> {
  const resources: Record<string, unknown> = {};
  const ingestEvent = getAtt(functionLogicalId('ingestEvent'), 'Arn');
  for (const { definition } of facts.workflows) {
    if (isS3Source(definition.source)) continue;
    const { pattern, eventBusName } = definition.source.eventBridge;
    const rule = `Wf${pascal(definition.name)}EventRule`;
    resources[rule] = {
      Type: 'AWS::Events::Rule',
      Properties: {
        Description: `${definition.name}: custom events to ingest`,
        EventBusName: eventBusName,
        EventPattern: pattern,
        Targets: [
          {
            Id: 'ingest-event',
            Arn: ingestEvent,
            InputTransformer: { InputPathsMap: {}, InputTemplate: `{"workflow": "${definition.name}", "event": <aws.events.event>}` },
            RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
            DeadLetterConfig: { Arn: getAtt('EventsDlq', 'Arn') },
          },
        ],
      },
    };
    resources[`${rule}Permission`] = {
      Type: 'AWS::Lambda::Permission',
      Properties: { Action: 'lambda:InvokeFunction', FunctionName: ingestEvent, Principal: 'events.amazonaws.com', SourceArn: getAtt(rule, 'Arn') },
    };
  }
  // A bucket the stack does not own cannot be given a notification here: the permission lets its owner add one.
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
      Description: 'A2I human loop status changes of this stack\'s flow definitions',
      EventPattern: { source: ['aws.sagemaker'], 'detail-type': [STATUS_CHANGE], detail: { flowDefinitionArn: [...facts.flowDefinitionArns.values()] } },
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

/**
 * One rule per distinct prefix of the workflows reading the stack's input bucket, without suffixes: S3 refuses
 * overlapping rules, and the function matches suffixes itself. A prefix inside another one is covered by it.
 */
function inputNotifications(facts: StackFacts): Cfn {
  const prefixes = [...new Set(facts.workflows.flatMap(({ definition: { source } }) => (isS3Source(source) && !source.s3.bucket ? [source.s3.prefix] : [])))].sort();
  const covering = prefixes.filter((prefix, index) => !prefixes.some((other, otherIndex) => otherIndex !== index && prefix.startsWith(other) && (other !== prefix || otherIndex < index)));
  return {
    LambdaConfigurations: covering.map((prefix) => ({
      Event: 's3:ObjectCreated:*',
      Function: getAtt(functionLogicalId('ingestS3Object'), 'Arn'),
      ...(prefix ? { Filter: { S3Key: { Rules: [{ Name: 'prefix', Value: prefix }] } } } : {}),
    })),
  };
}

function alarmResources(facts: StackFacts): Record<string, unknown> {
  const resources: Record<string, unknown> = {};
  for (const queue of facts.queues) {
    resources[`${queue.dlqLogicalId}Alarm`] = dlqAlarm(queue.dlqLogicalId, `${queue.workflow}/${queue.queue}: messages consumers could not handle`);
  }
  for (const { definition } of facts.workflows) {
    resources[`Wf${pascal(definition.name)}StartThrottledAlarm`] = {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmDescription: `${definition.name}: A2I throttled StartHumanLoop (raise the quota or lower ingest.maxStartsPerSecond)`,
        Namespace: METRICS_NAMESPACE,
        MetricName: 'StartThrottled',
        Dimensions: [
          { Name: 'service', Value: SERVICE_DIMENSION },
          { Name: 'workflow', Value: definition.name },
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
  return resources;
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

function dashboard(facts: StackFacts): unknown {
  const widgets = facts.workflows.map(({ definition }, index) => ({
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
  return {
    Type: 'AWS::CloudWatch::Dashboard',
    Properties: { DashboardName: `${facts.service}-${facts.stage}`, DashboardBody: sub(JSON.stringify({ widgets })) },
  };
}

function queueUrlsJson(facts: StackFacts): Cfn {
  const byWorkflow: Record<string, Record<string, string>> = {};
  for (const queue of facts.queues) (byWorkflow[queue.workflow] ??= {})[queue.queue] = `\${${queue.logicalId}}`;
  return sub(JSON.stringify(byWorkflow));
}

function flowArnsJson(facts: StackFacts): Cfn {
  const created: Record<string, string> = {};
  for (const { definition } of facts.workflows) {
    if (isFlowSpec(definition.flowDefinition)) created[definition.name] = `\${${flowLogicalId(definition.name)}.FlowDefinitionArn}`;
  }
  return sub(JSON.stringify(created));
}

import { isFlowSpec } from '../workflow';
import { arn, type Cfn, getAtt, ifCondition, NO_VALUE, ref, sub } from './cfn';
import { stagePrefix, workflowQueuePrefix } from '../resource-names';
import { flowResourcePrefix, functionName, humanLoopPatterns, inputBucketName, type StackFacts, stateMachineName } from './stack-model';

interface Statement {
  Sid?: string;
  Effect: 'Allow';
  Action: string[];
  Resource: Cfn[] | Cfn;
}

/** The functions serverless.yml deploys; each gets `role: <Name>Role`. */
export const DEPLOYED_FUNCTIONS = [
  'ingestS3Object',
  'ingestWork',
  'ingestEvent',
  'reviewLoopCheck',
  'reviewLoopWait',
  'reviewLoopComplete',
  'reviewLoopFail',
  'loopStatusEvent',
  'loopPoll',
  'flowResources',
] as const;
export type DeployedFunction = (typeof DEPLOYED_FUNCTIONS)[number];

export const roleLogicalId = (fn: string): string => `${fn[0].toUpperCase()}${fn.slice(1)}Role`;

/**
 * What a role's human-loop patterns may take of IAM's 10,240 characters per role (lib/deploy/limits.ts): a
 * pattern per workflow while they fit, else patterns over the starts workflow names share.
 */
const HUMAN_LOOP_PATTERNS_CHARS = 6_000;

const LEDGER_READ_WRITE = ['dynamodb:GetItem', 'dynamodb:UpdateItem'];
const SQS_CONSUME = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility'];

/**
 * One role per function with exactly the actions its code calls, on exactly the resources it calls them on.
 * `Resource: "*"` appears only where the API has no resource-level permissions, each with the reason.
 */
export function functionRoles(facts: StackFacts): Record<string, unknown> {
  const roles: Record<string, unknown> = {};
  const policies = statementsByFunction(facts);
  for (const fn of DEPLOYED_FUNCTIONS) {
    roles[roleLogicalId(fn)] = {
      Type: 'AWS::IAM::Role',
      Properties: {
        Description: `${fn}: least privilege for ${functionName(facts, fn)}`,
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        },
        Policies: [
          {
            PolicyName: fn,
            PolicyDocument: { Version: '2012-10-17', Statement: [...common(facts, fn), ...policies[fn]] },
          },
        ],
      },
    };
  }
  return roles;
}

/** Its own log group, X-Ray, and the stack's KMS key when there is one. */
function common(facts: StackFacts, fn: string): Statement[] {
  return [
    { Sid: 'OwnLogGroup', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: [arn('logs', `log-group:/aws/lambda/${functionName(facts, fn)}:*`)] },
    // X-Ray has no resource-level permissions: PutTraceSegments and PutTelemetryRecords accept only "*".
    { Sid: 'XRayTracingNoResourceLevel', Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' },
    ifCondition('HasKmsKey', { Sid: 'StackKey', Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: [ref('KmsKeyArn')] }, NO_VALUE) as Statement,
  ];
}

function statementsByFunction(facts: StackFacts): Record<DeployedFunction, Statement[]> {
  const ledger = [getAtt('LedgerTable', 'Arn')];
  const payloads = [sub('${PayloadBucket.Arn}/*')];
  // Every destination queue of the stage is named <service>-<stage>_wf_… (lib/resource-names.ts); their DLQs are not.
  const destinations = [arn('sqs', `${workflowQueuePrefix(stagePrefix(facts))}*`)];
  const machine = arn('states', `stateMachine:${stateMachineName(facts)}`);
  // Loops are named <workflow>-<hash>: each workflow's loops, and no one else's (while the patterns fit).
  const humanLoops = humanLoopPatterns(facts, HUMAN_LOOP_PATTERNS_CHARS);
  // Every version of the stage's own flow definitions (<stage>-<workflow>-<hash>), and those workflows name.
  const flowDefinitions = [arn('sagemaker', `flow-definition/${flowResourcePrefix(facts)}*`), ...facts.externalFlowDefinitionArns];
  // SendTaskSuccess has no resource-level permissions (the task token names the execution): only "*" works.
  const sendTaskSuccess: Statement = { Sid: 'SendTaskSuccessNoResourceLevel', Effect: 'Allow', Action: ['states:SendTaskSuccess'], Resource: '*' };
  const deliver: Statement[] = [
    { Sid: 'Ledger', Effect: 'Allow', Action: LEDGER_READ_WRITE, Resource: ledger },
    { Sid: 'Deliver', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: destinations },
    { Sid: 'Payloads', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'], Resource: payloads },
  ];
  // The input bucket by name: its notification needs the function, so the function's role cannot need the bucket.
  // Lambda's on-failure destination sends with the function's role.
  const failureDestination: Statement = { Sid: 'FailureDestination', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [getAtt('TriggerFailuresDlq', 'Arn')] };
  const inputObjects = [sub(`arn:\${AWS::Partition}:s3:::${inputBucketName(facts)}/*`), ...facts.externalBuckets.map((bucket) => sub(`arn:\${AWS::Partition}:s3:::${bucket}/*`))];
  const prefix = flowResourcePrefix(facts);
  // The work teams whose notifications a flow spec sets: its own workteamArn, or the stack's WorkteamArn parameter.
  const notifiedTeams = facts.workflows.flatMap(({ definition: { flowDefinition } }) => (isFlowSpec(flowDefinition) && flowDefinition.notificationTopicArn !== undefined ? [flowDefinition.workteamArn ?? ref('WorkteamArn')] : []));
  const notified = [...new Map(notifiedTeams.map((team) => [JSON.stringify(team), team])).values()];
  return {
    ingestS3Object: [
      // The input bucket is versioned: a notification names the version it announces, and a read of a version is
      // authorized as s3:GetObjectVersion alone; an unversioned (workflow-named) bucket's events have none: s3:GetObject.
      { Sid: 'ReadModelOutputs', Effect: 'Allow', Action: ['s3:GetObject', 's3:GetObjectVersion'], Resource: inputObjects },
      // Large payloads go up in parts: a failed upload is aborted.
      { Sid: 'StageLargeRecords', Effect: 'Allow', Action: ['s3:PutObject', 's3:AbortMultipartUpload'], Resource: payloads },
      { Sid: 'SendWork', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [getAtt('WorkQueue', 'Arn')] },
      failureDestination,
    ],
    ingestEvent: [
      // Large payloads go up in parts: a failed upload is aborted.
      { Sid: 'StageLargeRecords', Effect: 'Allow', Action: ['s3:PutObject', 's3:AbortMultipartUpload'], Resource: payloads },
      { Sid: 'SendWork', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [getAtt('WorkQueue', 'Arn')] },
      failureDestination,
    ],
    ingestWork: [
      { Sid: 'ConsumeWork', Effect: 'Allow', Action: SQS_CONSUME, Resource: [getAtt('WorkQueue', 'Arn')] },
      // Records a consumer has no time left to start are handed on as a new work message.
      { Sid: 'HandOnWork', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [getAtt('WorkQueue', 'Arn')] },
      { Sid: 'DeadLetterWork', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [getAtt('WorkDlq', 'Arn')] },
      // StartHumanLoop is authorized on the flow definition only (its one resource type).
      { Sid: 'StartLoops', Effect: 'Allow', Action: ['sagemaker:StartHumanLoop'], Resource: flowDefinitions },
      { Sid: 'TrackLoops', Effect: 'Allow', Action: ['states:StartExecution'], Resource: [machine] },
      // A changed record in a new version of its key stops the loop of the version it supersedes (reuploads.ts).
      { Sid: 'StopSupersededLoops', Effect: 'Allow', Action: ['sagemaker:StopHumanLoop'], Resource: humanLoops },
      ...deliver,
    ],
    reviewLoopCheck: [{ Sid: 'DescribeLoops', Effect: 'Allow', Action: ['sagemaker:DescribeHumanLoop'], Resource: humanLoops }],
    reviewLoopWait: [
      { Sid: 'Ledger', Effect: 'Allow', Action: LEDGER_READ_WRITE, Resource: ledger },
      { Sid: 'SchedulePolls', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [getAtt('PollQueue', 'Arn')] },
      sendTaskSuccess,
    ],
    reviewLoopComplete: [{ Sid: 'ReadLoopOutput', Effect: 'Allow', Action: ['s3:GetObject'], Resource: [sub('${OutputBucket.Arn}/*')] }, ...deliver],
    reviewLoopFail: [{ Sid: 'StopLoops', Effect: 'Allow', Action: ['sagemaker:DescribeHumanLoop', 'sagemaker:StopHumanLoop'], Resource: humanLoops }, ...deliver],
    loopStatusEvent: [{ Sid: 'Ledger', Effect: 'Allow', Action: LEDGER_READ_WRITE, Resource: ledger }, sendTaskSuccess, failureDestination],
    loopPoll: [
      { Sid: 'ConsumePolls', Effect: 'Allow', Action: [...SQS_CONSUME, 'sqs:SendMessage'], Resource: [getAtt('PollQueue', 'Arn')] },
      { Sid: 'DescribeLoops', Effect: 'Allow', Action: ['sagemaker:DescribeHumanLoop'], Resource: humanLoops },
      { Sid: 'Ledger', Effect: 'Allow', Action: LEDGER_READ_WRITE, Resource: ledger },
      sendTaskSuccess,
    ],
    flowResources: [
      {
        Sid: 'TaskUis',
        Effect: 'Allow',
        Action: ['sagemaker:CreateHumanTaskUi', 'sagemaker:DescribeHumanTaskUi', 'sagemaker:DeleteHumanTaskUi', 'sagemaker:AddTags'],
        Resource: [arn('sagemaker', `human-task-ui/${prefix}*`)],
      },
      {
        Sid: 'FlowDefinitions',
        Effect: 'Allow',
        Action: ['sagemaker:CreateFlowDefinition', 'sagemaker:DescribeFlowDefinition', 'sagemaker:DeleteFlowDefinition', 'sagemaker:AddTags'],
        Resource: [arn('sagemaker', `flow-definition/${prefix}*`)],
      },
      { Sid: 'PassA2iRole', Effect: 'Allow', Action: ['iam:PassRole'], Resource: [getAtt('A2iRole', 'Arn')] },
      ...(notified.length > 0 ? [{ Sid: 'WorkteamNotifications', Effect: 'Allow' as const, Action: ['sagemaker:DescribeWorkteam', 'sagemaker:UpdateWorkteam'], Resource: notified }] : []),
    ],
  };
}

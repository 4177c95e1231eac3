/**
 * Every AWS call the product makes, held to a real generated role as local mode holds it: the call is sent
 * through the real SDK client with the role's middleware, mapped to the IAM actions and resource ARNs AWS
 * authorizes it as, and evaluated by iam-simulate. Each has an allowed case (the call leaves the client:
 * the stand-in transport is reached) and a denied one (the client throws what the real SDK throws for AWS's
 * 403). The commands are found in the sources, so a new one fails here until it is mapped and covered.
 */
import '../../support/quiet-env';
import { S3ServiceException } from '@aws-sdk/client-s3';
import { SageMakerServiceException } from '@aws-sdk/client-sagemaker';
import { SageMakerA2IRuntimeServiceException } from '@aws-sdk/client-sagemaker-a2i-runtime';
import { SFNServiceException } from '@aws-sdk/client-sfn';
import { SQSServiceException } from '@aws-sdk/client-sqs';
import { DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { DeployedFunction } from '../../../lib/deploy/function-roles';
import { PolicySimulationError, RoleAuthorizer } from '../../../lib/local/iam/authorizer';
import { type AccessDenial, enforceRole } from '../../../lib/local/iam/enforce';
import { type AuthorizationRequest, authorizationRequests, UnmappedCallError } from '../../../lib/local/iam/requests';
import { LOCAL_ACCOUNT, LOCAL_BUCKETS, LOCAL_REGION, LOCAL_STATE_MACHINE_ARN, LOCAL_WORKTEAM_ARN, localRoleArn } from '../../../lib/local/resources';
import { isRetryable } from '../../../lib/retry';
import { EXAMPLE_WORKFLOW, flowArn, localRoles, queueArn, queueUrl, REPO } from '../../support/local-roles';

const NOTIFIED_WORKFLOW = join(__dirname, '..', '..', 'fixtures', 'iam', 'workflows', 'notified-review.yaml');
const roles = localRoles([EXAMPLE_WORKFLOW, NOTIFIED_WORKFLOW]);
const ENVIRONMENT = { region: LOCAL_REGION, account: LOCAL_ACCOUNT };

const IN = LOCAL_BUCKETS.input;
const PAY = LOCAL_BUCKETS.payloads;
const OUT = LOCAL_BUCKETS.output;
const WORK = 'a2i-orchestrator-local-work';
const POLL = 'a2i-orchestrator-local-poll';
const TABLE = 'a2i-orchestrator-local-ledger';
const TABLE_ARN = `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${TABLE}`;
const FLOW = roles.flows['invoice-extraction'];
const LOOP = 'invoice-extraction-7yk2ja4lgjosmvobgtwx7jagvf';
const loopArn = (name: string) => `arn:aws:sagemaker:${LOCAL_REGION}:${LOCAL_ACCOUNT}:human-loop/${name}`;
const sagemakerArn = (resource: string) => `arn:aws:sagemaker:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${resource}`;
const A2I_ROLE = localRoleArn('A2iRole');

/**
 * The operator's CLI (`loops`, `flows`) runs with the operator's own credentials, not a role of the stack:
 * its allowed cases are held to this policy, written for the purpose; its denied ones to a generated role.
 */
const operator = new RoleAuthorizer(
  { logicalId: 'Operator', roleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/operator`, sessionArn: `arn:aws:sts::${LOCAL_ACCOUNT}:assumed-role/operator/cli` },
  [
    {
      name: 'operate-review-loops',
      document: {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: ['sagemaker:ListHumanLoops', 'sagemaker:ListFlowDefinitions', 'sagemaker:ListHumanTaskUis'], Resource: '*' },
          { Effect: 'Allow', Action: ['sagemaker:DescribeHumanLoop', 'sagemaker:StopHumanLoop', 'sagemaker:DeleteHumanLoop'], Resource: sagemakerArn('human-loop/invoice-extraction-*') },
        ],
      },
    },
  ],
  LOCAL_ACCOUNT,
);

type Principal = DeployedFunction | 'operator';
const authorizerOf = (principal: Principal): RoleAuthorizer => (principal === 'operator' ? operator : (roles.functions.get(principal) as RoleAuthorizer));

interface Call {
  as: Principal;
  input: Record<string, unknown>;
}
interface Case {
  /** `<package> <Command>`, as the sources import and send it. */
  sent: string;
  what: string;
  allowed: Call & { needs: AuthorizationRequest[] };
  denied: Call & { refused: AuthorizationRequest };
}

const s3Object = (bucket: string, key: string) => `arn:aws:s3:::${bucket}/${key}`;
const need = (action: string, resource: string, context?: Record<string, string>): AuthorizationRequest => ({ action, resource, ...(context ? { context } : {}) });

const CASES: Case[] = [
  {
    sent: '@aws-sdk/client-s3 GetObjectCommand',
    what: 'with the VersionId of a notification (the S3 trigger): s3:GetObjectVersion',
    allowed: { as: 'ingestS3Object', input: { Bucket: IN, Key: 'invoices/a b.jsonl', VersionId: 'v1' }, needs: [need('s3:GetObjectVersion', s3Object(IN, 'invoices/a b.jsonl'))] },
    denied: { as: 'ingestS3Object', input: { Bucket: PAY, Key: 'records/x.json', VersionId: 'v1' }, refused: need('s3:GetObjectVersion', s3Object(PAY, 'records/x.json')) },
  },
  {
    sent: '@aws-sdk/client-s3 GetObjectCommand',
    what: 'without a VersionId (output.json, staged records): s3:GetObject',
    allowed: { as: 'reviewLoopComplete', input: { Bucket: OUT, Key: 'invoice-extraction/2026/output.json' }, needs: [need('s3:GetObject', s3Object(OUT, 'invoice-extraction/2026/output.json'))] },
    denied: { as: 'reviewLoopComplete', input: { Bucket: IN, Key: 'invoices/a.jsonl' }, refused: need('s3:GetObject', s3Object(IN, 'invoices/a.jsonl')) },
  },
  {
    sent: '@aws-sdk/client-s3 HeadObjectCommand',
    what: 'is authorized as the read it describes',
    allowed: { as: 'ingestS3Object', input: { Bucket: IN, Key: 'invoices/a.jsonl', VersionId: 'v1' }, needs: [need('s3:GetObjectVersion', s3Object(IN, 'invoices/a.jsonl'))] },
    denied: { as: 'ingestEvent', input: { Bucket: IN, Key: 'invoices/a.jsonl' }, refused: need('s3:GetObject', s3Object(IN, 'invoices/a.jsonl')) },
  },
  {
    sent: '@aws-sdk/client-s3 PutObjectCommand',
    what: 'stages a record: s3:PutObject',
    allowed: { as: 'ingestS3Object', input: { Bucket: PAY, Key: 'records/r.json', Body: '{}' }, needs: [need('s3:PutObject', s3Object(PAY, 'records/r.json'))] },
    denied: { as: 'ingestS3Object', input: { Bucket: IN, Key: 'invoices/r.json', Body: '{}' }, refused: need('s3:PutObject', s3Object(IN, 'invoices/r.json')) },
  },
  ...(['CreateMultipartUploadCommand', 'UploadPartCommand', 'CompleteMultipartUploadCommand'] as const).map(
    (command): Case => ({
      sent: `@aws-sdk/client-s3 ${command}`,
      what: 'is a step of a PutObject: s3:PutObject',
      allowed: { as: 'ingestWork', input: { Bucket: PAY, Key: 'answers/big.json', UploadId: 'u1', PartNumber: 1, Body: 'x', MultipartUpload: { Parts: [] } }, needs: [need('s3:PutObject', s3Object(PAY, 'answers/big.json'))] },
      denied: { as: 'reviewLoopCheck', input: { Bucket: PAY, Key: 'answers/big.json', UploadId: 'u1', PartNumber: 1, Body: 'x', MultipartUpload: { Parts: [] } }, refused: need('s3:PutObject', s3Object(PAY, 'answers/big.json')) },
    }),
  ),
  {
    sent: '@aws-sdk/client-s3 AbortMultipartUploadCommand',
    what: 'has its own action: s3:AbortMultipartUpload',
    allowed: { as: 'ingestEvent', input: { Bucket: PAY, Key: 'records/big.json', UploadId: 'u1' }, needs: [need('s3:AbortMultipartUpload', s3Object(PAY, 'records/big.json'))] },
    denied: { as: 'reviewLoopCheck', input: { Bucket: PAY, Key: 'records/big.json', UploadId: 'u1' }, refused: need('s3:AbortMultipartUpload', s3Object(PAY, 'records/big.json')) },
  },
  {
    sent: '@aws-sdk/client-sqs SendMessageCommand',
    what: 'on the queue of the URL',
    allowed: { as: 'ingestWork', input: { QueueUrl: queueUrl(`${WORK}-dlq`), MessageBody: '{}' }, needs: [need('sqs:SendMessage', queueArn(`${WORK}-dlq`))] },
    denied: { as: 'ingestWork', input: { QueueUrl: queueUrl(POLL), MessageBody: '{}' }, refused: need('sqs:SendMessage', queueArn(POLL)) },
  },
  {
    sent: '@aws-sdk/client-sqs SendMessageBatchCommand',
    what: 'is sqs:SendMessage (there is no batch action)',
    allowed: { as: 'ingestS3Object', input: { QueueUrl: queueUrl(WORK), Entries: [{ Id: '0', MessageBody: '{}' }] }, needs: [need('sqs:SendMessage', queueArn(WORK))] },
    denied: { as: 'ingestS3Object', input: { QueueUrl: queueUrl('invoice-extraction-reviewed'), Entries: [{ Id: '0', MessageBody: '{}' }] }, refused: need('sqs:SendMessage', queueArn('invoice-extraction-reviewed')) },
  },
  {
    sent: '@aws-sdk/client-sqs ReceiveMessageCommand',
    what: "the event source mapping's poll, with the function's role",
    allowed: { as: 'ingestWork', input: { QueueUrl: queueUrl(WORK), MaxNumberOfMessages: 10 }, needs: [need('sqs:ReceiveMessage', queueArn(WORK))] },
    denied: { as: 'ingestWork', input: { QueueUrl: queueUrl(POLL), MaxNumberOfMessages: 10 }, refused: need('sqs:ReceiveMessage', queueArn(POLL)) },
  },
  {
    sent: '@aws-sdk/client-sqs DeleteMessageBatchCommand',
    what: 'is sqs:DeleteMessage',
    allowed: { as: 'loopPoll', input: { QueueUrl: queueUrl(POLL), Entries: [{ Id: '0', ReceiptHandle: 'r' }] }, needs: [need('sqs:DeleteMessage', queueArn(POLL))] },
    denied: { as: 'loopPoll', input: { QueueUrl: queueUrl(WORK), Entries: [{ Id: '0', ReceiptHandle: 'r' }] }, refused: need('sqs:DeleteMessage', queueArn(WORK)) },
  },
  {
    sent: '@aws-sdk/client-sqs ChangeMessageVisibilityCommand',
    what: 'puts a poll back for later',
    allowed: { as: 'loopPoll', input: { QueueUrl: queueUrl(POLL), ReceiptHandle: 'r', VisibilityTimeout: 60 }, needs: [need('sqs:ChangeMessageVisibility', queueArn(POLL))] },
    denied: { as: 'reviewLoopWait', input: { QueueUrl: queueUrl(POLL), ReceiptHandle: 'r', VisibilityTimeout: 60 }, refused: need('sqs:ChangeMessageVisibility', queueArn(POLL)) },
  },
  {
    sent: '@aws-sdk/client-sqs GetQueueAttributesCommand',
    what: 'reads the queue the event source polls',
    allowed: { as: 'ingestWork', input: { QueueUrl: queueUrl(WORK), AttributeNames: ['QueueArn'] }, needs: [need('sqs:GetQueueAttributes', queueArn(WORK))] },
    denied: { as: 'ingestS3Object', input: { QueueUrl: queueUrl(WORK), AttributeNames: ['QueueArn'] }, refused: need('sqs:GetQueueAttributes', queueArn(WORK)) },
  },
  {
    sent: '@aws-sdk/lib-dynamodb GetCommand',
    what: 'reaches the middleware as GetItem: dynamodb:GetItem on the table',
    allowed: { as: 'ingestWork', input: { TableName: TABLE, Key: { reviewId: 'r' }, ConsistentRead: true }, needs: [need('dynamodb:GetItem', TABLE_ARN)] },
    denied: { as: 'reviewLoopCheck', input: { TableName: TABLE, Key: { reviewId: 'r' } }, refused: need('dynamodb:GetItem', TABLE_ARN) },
  },
  {
    sent: '@aws-sdk/lib-dynamodb UpdateCommand',
    what: 'reaches the middleware as UpdateItem',
    allowed: { as: 'loopStatusEvent', input: { TableName: TABLE, Key: { reviewId: 'r' }, UpdateExpression: 'SET a = :a', ExpressionAttributeValues: { ':a': 1 } }, needs: [need('dynamodb:UpdateItem', TABLE_ARN)] },
    denied: { as: 'reviewLoopFail', input: { TableName: 'another-table', Key: { reviewId: 'r' }, UpdateExpression: 'SET a = :a', ExpressionAttributeValues: { ':a': 1 } }, refused: need('dynamodb:UpdateItem', `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/another-table`) },
  },
  {
    sent: '@aws-sdk/lib-dynamodb TransactWriteCommand',
    what: 'reaches the middleware as TransactWriteItems: each Update is dynamodb:UpdateItem on its table',
    allowed: {
      as: 'ingestWork',
      input: { TransactItems: ['r', 's'].map((id) => ({ Update: { TableName: TABLE, Key: { reviewId: id }, UpdateExpression: 'SET a = :a', ExpressionAttributeValues: { ':a': 1 } } })) },
      needs: [need('dynamodb:UpdateItem', TABLE_ARN), need('dynamodb:UpdateItem', TABLE_ARN)],
    },
    denied: {
      as: 'ingestWork',
      input: { TransactItems: [{ Update: { TableName: TABLE, Key: { reviewId: 'r' }, UpdateExpression: 'SET a = :a', ExpressionAttributeValues: { ':a': 1 } } }, { Put: { TableName: TABLE, Item: { reviewId: 's' } } }] },
      refused: need('dynamodb:PutItem', TABLE_ARN),
    },
  },
  {
    sent: '@aws-sdk/client-sfn StartExecutionCommand',
    what: 'on the state machine it names',
    allowed: { as: 'ingestWork', input: { stateMachineArn: LOCAL_STATE_MACHINE_ARN, name: LOOP, input: '{}' }, needs: [need('states:StartExecution', LOCAL_STATE_MACHINE_ARN)] },
    denied: { as: 'ingestWork', input: { stateMachineArn: LOCAL_STATE_MACHINE_ARN.replace('-local-', '-prod-'), name: LOOP, input: '{}' }, refused: need('states:StartExecution', LOCAL_STATE_MACHINE_ARN.replace('-local-', '-prod-')) },
  },
  {
    sent: '@aws-sdk/client-sfn SendTaskSuccessCommand',
    what: 'has no resource-level permissions: "*"',
    allowed: { as: 'loopStatusEvent', input: { taskToken: 't', output: '{}' }, needs: [need('states:SendTaskSuccess', '*')] },
    denied: { as: 'reviewLoopCheck', input: { taskToken: 't', output: '{}' }, refused: need('states:SendTaskSuccess', '*') },
  },
  {
    sent: '@aws-sdk/client-sagemaker-a2i-runtime StartHumanLoopCommand',
    what: "is checked on the flow definition (the Reference's one resource type for it)",
    allowed: { as: 'ingestWork', input: { HumanLoopName: LOOP, FlowDefinitionArn: FLOW.arn, HumanLoopInput: { InputContent: '{}' } }, needs: [need('sagemaker:StartHumanLoop', FLOW.arn)] },
    denied: { as: 'ingestWork', input: { HumanLoopName: LOOP, FlowDefinitionArn: flowArn('prod-invoice-extraction-0123456789'), HumanLoopInput: { InputContent: '{}' } }, refused: need('sagemaker:StartHumanLoop', flowArn('prod-invoice-extraction-0123456789')) },
  },
  {
    sent: '@aws-sdk/client-sagemaker-a2i-runtime DescribeHumanLoopCommand',
    what: "on the loop, named after its workflow",
    allowed: { as: 'reviewLoopCheck', input: { HumanLoopName: LOOP }, needs: [need('sagemaker:DescribeHumanLoop', loopArn(LOOP))] },
    denied: { as: 'reviewLoopCheck', input: { HumanLoopName: 'payroll-7yk2ja4lgjosmvobgtwx7jagvf' }, refused: need('sagemaker:DescribeHumanLoop', loopArn('payroll-7yk2ja4lgjosmvobgtwx7jagvf')) },
  },
  {
    sent: '@aws-sdk/client-sagemaker-a2i-runtime StopHumanLoopCommand',
    what: 'on the loop',
    allowed: { as: 'reviewLoopFail', input: { HumanLoopName: LOOP }, needs: [need('sagemaker:StopHumanLoop', loopArn(LOOP))] },
    denied: { as: 'reviewLoopCheck', input: { HumanLoopName: LOOP }, refused: need('sagemaker:StopHumanLoop', loopArn(LOOP)) },
  },
  {
    sent: '@aws-sdk/client-sagemaker-a2i-runtime DeleteHumanLoopCommand',
    what: '(the CLI) on the loop',
    allowed: { as: 'operator', input: { HumanLoopName: LOOP }, needs: [need('sagemaker:DeleteHumanLoop', loopArn(LOOP))] },
    denied: { as: 'reviewLoopFail', input: { HumanLoopName: LOOP }, refused: need('sagemaker:DeleteHumanLoop', loopArn(LOOP)) },
  },
  {
    sent: '@aws-sdk/client-sagemaker-a2i-runtime ListHumanLoopsCommand',
    what: '(the CLI) has no resource-level permissions',
    allowed: { as: 'operator', input: { FlowDefinitionArn: FLOW.arn }, needs: [need('sagemaker:ListHumanLoops', '*')] },
    denied: { as: 'loopPoll', input: { FlowDefinitionArn: FLOW.arn }, refused: need('sagemaker:ListHumanLoops', '*') },
  },
  {
    sent: '@aws-sdk/client-sagemaker CreateHumanTaskUiCommand',
    what: "with tags: sagemaker:AddTags on the task UI too; only this stage's names",
    allowed: {
      as: 'flowResources',
      input: { HumanTaskUiName: 'local-notified-review-0123456789', UiTemplate: { Content: '<p/>' }, Tags: [{ Key: 'team', Value: 'reviewers' }] },
      needs: [need('sagemaker:CreateHumanTaskUi', sagemakerArn('human-task-ui/local-notified-review-0123456789')), need('sagemaker:AddTags', sagemakerArn('human-task-ui/local-notified-review-0123456789'))],
    },
    denied: { as: 'flowResources', input: { HumanTaskUiName: 'prod-notified-review-0123456789', UiTemplate: { Content: '<p/>' } }, refused: need('sagemaker:CreateHumanTaskUi', sagemakerArn('human-task-ui/prod-notified-review-0123456789')) },
  },
  {
    sent: '@aws-sdk/client-sagemaker CreateFlowDefinitionCommand',
    what: 'passes its role to A2I: iam:PassRole on RoleArn',
    allowed: {
      as: 'flowResources',
      input: { FlowDefinitionName: FLOW.name, RoleArn: A2I_ROLE, HumanLoopConfig: {}, OutputConfig: { S3OutputPath: `s3://${OUT}/invoice-extraction` } },
      needs: [need('sagemaker:CreateFlowDefinition', sagemakerArn(`flow-definition/${FLOW.name}`)), need('iam:PassRole', A2I_ROLE, { 'iam:PassedToService': 'sagemaker.amazonaws.com' })],
    },
    denied: {
      as: 'flowResources',
      input: { FlowDefinitionName: FLOW.name, RoleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/administrator`, HumanLoopConfig: {}, OutputConfig: { S3OutputPath: `s3://${OUT}/x` } },
      refused: need('iam:PassRole', `arn:aws:iam::${LOCAL_ACCOUNT}:role/administrator`, { 'iam:PassedToService': 'sagemaker.amazonaws.com' }),
    },
  },
  ...(['DescribeFlowDefinitionCommand', 'DeleteFlowDefinitionCommand'] as const).map(
    (command): Case => ({
      sent: `@aws-sdk/client-sagemaker ${command}`,
      what: "on this stage's flow definitions only",
      allowed: { as: 'flowResources', input: { FlowDefinitionName: FLOW.name }, needs: [need(`sagemaker:${command.replace(/Command$/, '')}`, FLOW.arn)] },
      denied: { as: 'flowResources', input: { FlowDefinitionName: 'prod-invoice-extraction-0123456789' }, refused: need(`sagemaker:${command.replace(/Command$/, '')}`, flowArn('prod-invoice-extraction-0123456789')) },
    }),
  ),
  ...(['DescribeHumanTaskUiCommand', 'DeleteHumanTaskUiCommand'] as const).map(
    (command): Case => ({
      sent: `@aws-sdk/client-sagemaker ${command}`,
      what: "on this stage's task UIs only",
      allowed: { as: 'flowResources', input: { HumanTaskUiName: FLOW.name }, needs: [need(`sagemaker:${command.replace(/Command$/, '')}`, sagemakerArn(`human-task-ui/${FLOW.name}`))] },
      denied: { as: 'flowResources', input: { HumanTaskUiName: 'dev-invoice-extraction-0123456789' }, refused: need(`sagemaker:${command.replace(/Command$/, '')}`, sagemakerArn('human-task-ui/dev-invoice-extraction-0123456789')) },
    }),
  ),
  ...(['DescribeWorkteamCommand', 'UpdateWorkteamCommand'] as const).map(
    (command): Case => ({
      sent: `@aws-sdk/client-sagemaker ${command}`,
      what: "on the private work team's ARN (the stack's WorkteamArn)",
      allowed: { as: 'flowResources', input: { WorkteamName: 'local-reviewers', NotificationConfiguration: { NotificationTopicArn: 'arn:aws:sns:us-east-1:123456789012:t' } }, needs: [need(`sagemaker:${command.replace(/Command$/, '')}`, LOCAL_WORKTEAM_ARN)] },
      denied: { as: 'flowResources', input: { WorkteamName: 'other-team' }, refused: need(`sagemaker:${command.replace(/Command$/, '')}`, sagemakerArn('workteam/private-crowd/other-team')) },
    }),
  ),
  ...(['ListFlowDefinitionsCommand', 'ListHumanTaskUisCommand'] as const).map(
    (command): Case => ({
      sent: `@aws-sdk/client-sagemaker ${command}`,
      what: '(the CLI) has no resource-level permissions',
      allowed: { as: 'operator', input: { MaxResults: 100 }, needs: [need(`sagemaker:${command.replace(/Command$/, '')}`, '*')] },
      denied: { as: 'flowResources', input: { MaxResults: 100 }, refused: need(`sagemaker:${command.replace(/Command$/, '')}`, '*') },
    }),
  ),
];

/** Commands only the local stack itself sends (what CloudFormation, S3 or a downstream consumer does): no function role applies. */
const STACK_OWN_CALLS: Record<string, string> = {
  '@aws-sdk/client-s3 CreateBucketCommand': 'the stack makes its buckets (CloudFormation)',
  '@aws-sdk/client-s3 PutBucketVersioningCommand': "the input bucket's VersioningConfiguration (CloudFormation)",
  '@aws-sdk/client-sqs CreateQueueCommand': 'the stack makes its queues (CloudFormation)',
  '@aws-sdk/client-dynamodb CreateTableCommand': 'the ledger table (CloudFormation)',
  '@aws-sdk/client-sqs ChangeMessageVisibilityBatchCommand': "the event source gives back, on restart, the batches a killed process had in hand (Lambda's event source mapping)",
  '@aws-sdk/lib-dynamodb ScanCommand': 'on restart, the deliveries a killed process had claimed are released (its leases would otherwise block them)',
};

/** Every `new <X>Command(` in lib/ and functions/, as `<package it is imported from> <X>Command`. */
function commandsSent(): Set<string> {
  const sent = new Set<string>();
  const files = (dir: string): string[] => readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? files(join(dir, name)) : name.endsWith('.ts') ? [join(dir, name)] : []));
  for (const file of [...files(join(REPO, 'lib')), ...files(join(REPO, 'functions'))]) {
    const source = readFileSync(file, 'utf8');
    const packageOf = new Map<string, string>();
    for (const [, names, from] of source.matchAll(/import\s+(?:type\s+)?\{([^}]*)\}\s+from\s+'(@aws-sdk\/[^']+)'/g)) {
      for (const name of names.split(',').map((entry) => entry.replace(/^\s*type\s+/, '').trim())) if (name) packageOf.set(name, from);
    }
    for (const [, command] of source.matchAll(/new (\w+Command)\(/g)) {
      const from = packageOf.get(command);
      if (!from) throw new Error(`${relative(REPO, file)}: ${command} is not imported from an @aws-sdk package`);
      sent.add(`${from} ${command}`);
    }
  }
  return sent;
}

/** The stand-in transport: reaching it means the call left the client, allowed. */
class ReachedTheService extends Error {
  override readonly name = 'ReachedTheService';
}

const SERVICE_OF: Record<string, { client: string; exception: abstract new (...args: never[]) => Error; name: string }> = {
  '@aws-sdk/client-s3': { client: 'S3Client', exception: S3ServiceException, name: 'AccessDenied' },
  '@aws-sdk/client-sqs': { client: 'SQSClient', exception: SQSServiceException, name: 'AccessDenied' },
  '@aws-sdk/client-dynamodb': { client: 'DynamoDBClient', exception: DynamoDBServiceException, name: 'AccessDeniedException' },
  '@aws-sdk/lib-dynamodb': { client: 'DynamoDBClient', exception: DynamoDBServiceException, name: 'AccessDeniedException' },
  '@aws-sdk/client-sfn': { client: 'SFNClient', exception: SFNServiceException, name: 'AccessDeniedException' },
  '@aws-sdk/client-sagemaker-a2i-runtime': { client: 'SageMakerA2IRuntimeClient', exception: SageMakerA2IRuntimeServiceException, name: 'AccessDeniedException' },
  '@aws-sdk/client-sagemaker': { client: 'SageMakerClient', exception: SageMakerServiceException, name: 'AccessDeniedException' },
};

interface Sendable {
  send(command: unknown): Promise<unknown>;
}

/** The package's client, held to the principal's role, on a transport that records that it was reached. */
function clientFor(pkg: string, principal: Principal, denials: AccessDenial[], sdkAttempts = 1): Sendable {
  const { client } = SERVICE_OF[pkg];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Client = require(pkg === '@aws-sdk/lib-dynamodb' ? '@aws-sdk/client-dynamodb' : pkg)[client] as new (config: object) => Sendable & { middlewareStack: unknown };
  const sdk = new Client({
    region: LOCAL_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    endpoint: 'http://127.0.0.1:1',
    forcePathStyle: true,
    maxAttempts: sdkAttempts,
    requestHandler: {
      handle: async () => {
        throw new ReachedTheService();
      },
    },
  });
  enforceRole(sdk, authorizerOf(principal), ENVIRONMENT, (denial) => denials.push(denial));
  return pkg === '@aws-sdk/lib-dynamodb' ? DynamoDBDocumentClient.from(sdk as never) : sdk;
}

function commandFor(sent: string, input: Record<string, unknown>): unknown {
  const [pkg, command] = sent.split(' ');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Command = require(pkg)[command] as new (input: object) => unknown;
  return new Command(input);
}

/** Sends the call; what the client threw, what the role was asked, and what it refused. */
async function outcomeOf(sent: string, call: Call, sdkAttempts = 1): Promise<{ error: unknown; asked: AuthorizationRequest[]; denials: AccessDenial[] }> {
  const denials: AccessDenial[] = [];
  const authorizer = authorizerOf(call.as);
  const decide = jest.spyOn(authorizer, 'decide');
  const client = clientFor(sent.split(' ')[0], call.as, denials, sdkAttempts);
  try {
    await client.send(commandFor(sent, call.input));
  } catch (error) {
    return { error, asked: decide.mock.calls.map(([request]) => request), denials };
  } finally {
    decide.mockRestore();
  }
  throw new Error(`${sent}: the call resolved, but the stand-in transport always fails`);
}

const sessionOf = (principal: Principal) => authorizerOf(principal).identity.sessionArn;

describe('the AWS calls the product sends', () => {
  it('are all mapped and covered here, or are the local stack’s own', () => {
    // Act
    const sent = commandsSent();

    // Assess
    const covered = new Set([...CASES.map((entry) => entry.sent), ...Object.keys(STACK_OWN_CALLS)]);
    expect([...sent].filter((command) => !covered.has(command)).sort()).toEqual([]);
    // Every command this file covers is one the product sends (no stale cases).
    expect([...covered].filter((command) => !sent.has(command)).sort()).toEqual([]);
  });

  describe.each(CASES.map((entry) => [`${entry.sent.split(' ')[1]} ${entry.what}`, entry] as const))('%s', (_title, entry) => {
    const [pkg, command] = entry.sent.split(' ');

    it(`is allowed by ${entry.allowed.as}'s role`, async () => {
      // Act
      const { error, asked, denials } = await outcomeOf(entry.sent, entry.allowed);

      // Assess
      expect(asked).toEqual(entry.allowed.needs);
      expect(denials).toEqual([]);
      expect(error).toBeInstanceOf(ReachedTheService);
    });

    it(`is refused to ${entry.denied.as} as AWS refuses it`, async () => {
      // Act
      const { error, denials } = await outcomeOf(entry.sent, entry.denied);

      // Assess
      const { exception, name } = SERVICE_OF[pkg];
      const { action, resource } = entry.denied.refused;
      const shownAction = pkg === '@aws-sdk/client-sqs' ? action.toLowerCase() : action;
      const shownResource = pkg === '@aws-sdk/client-s3' ? `"${resource}"` : resource;
      const message = `User: ${sessionOf(entry.denied.as)} is not authorized to perform: ${shownAction} on resource: ${shownResource} because no identity-based policy allows the ${shownAction} action`;
      expect(denials).toEqual([expect.objectContaining({ action, resource, message })]);
      expect(error).toBeInstanceOf(exception);
      expect(error).toMatchObject({ $fault: 'client', $metadata: { httpStatusCode: 403 } });
      if (command === 'HeadObjectCommand') {
        // A HEAD response has no body: the SDK knows the refusal by its status only, as with S3 itself.
        expect((error as Error).name).not.toBe('ReachedTheService');
      } else {
        expect(error).toMatchObject({ name, message });
      }
      // A 403 is not worth another try: the SDK's retry strategy does not try again, nor does anything around it.
      expect(isRetryable(error)).toBe(false);
    });
  });
});

describe('what the product does with a refusal', () => {
  it('the SDK (even allowed 3 attempts) does not try again: AccessDenied is an answer, not a fault', async () => {
    // Prepare
    const [entry] = CASES;

    // Act
    const outcome = await outcomeOf(entry.sent, entry.denied, 3);

    // Assess
    expect(outcome.denials).toHaveLength(1);
    expect(outcome.error).toBeInstanceOf(S3ServiceException);
    expect(outcome.error).toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403, attempts: 1 } });
  });
});

describe('calls the table does not know', () => {
  it.each([
    ['@aws-sdk/client-s3 ListBucketsCommand', {}],
    ['@aws-sdk/client-s3 CopyObjectCommand', { Bucket: PAY, Key: 'a', CopySource: `${IN}/b` }],
    ['@aws-sdk/client-dynamodb TransactGetItemsCommand', { TransactItems: [] }],
    ['@aws-sdk/client-sqs PurgeQueueCommand', { QueueUrl: queueUrl(WORK) }],
  ])('%s fails loudly, without reaching the service', async (sent, input) => {
    // Act
    const { error, denials } = await outcomeOf(sent, { as: 'ingestWork', input });

    // Assess
    expect(error).toBeInstanceOf(UnmappedCallError);
    expect(denials).toEqual([]);
  });
});

describe('a mapping mistake', () => {
  it('an ARN that is not of the resource types of the action fails loudly, on a fresh role, rather than being decided', async () => {
    // Prepare: a fresh role, so that this is the first request of its action (the one iam-simulate validates).
    const role = localRoles([EXAMPLE_WORKFLOW]).functions.get('ingestS3Object') as RoleAuthorizer;

    // Act
    const decided = role.decide({ action: 's3:GetObject', resource: queueArn(WORK) });

    // Assess
    await expect(decided).rejects.toBeInstanceOf(PolicySimulationError);
    await expect(role.decide({ action: 's3:GetObject', resource: s3Object(IN, 'invoices/a.jsonl') })).resolves.toEqual({ allowed: true });
  });
});

describe('the mapping of calls the product does not send today', () => {
  it.each<[string, string, Record<string, unknown>, AuthorizationRequest[]]>([
    ['DynamoDBClient', 'Query', { TableName: TABLE, IndexName: 'byWorkflow' }, [need('dynamodb:Query', `${TABLE_ARN}/index/byWorkflow`)]],
    ['DynamoDBClient', 'Query', { TableName: TABLE }, [need('dynamodb:Query', TABLE_ARN)]],
    ['DynamoDBClient', 'PutItem', { TableName: TABLE }, [need('dynamodb:PutItem', TABLE_ARN)]],
    ['DynamoDBClient', 'DeleteItem', { TableName: TABLE }, [need('dynamodb:DeleteItem', TABLE_ARN)]],
    ['DynamoDBClient', 'TransactWriteItems', { TransactItems: [{ ConditionCheck: { TableName: TABLE } }, { Delete: { TableName: 'other' } }] }, [need('dynamodb:ConditionCheckItem', TABLE_ARN), need('dynamodb:DeleteItem', TABLE_ARN.replace(TABLE, 'other'))]],
    ['DynamoDBClient', 'BatchWriteItem', { RequestItems: { [TABLE]: [], other: [] } }, [need('dynamodb:BatchWriteItem', TABLE_ARN), need('dynamodb:BatchWriteItem', TABLE_ARN.replace(TABLE, 'other'))]],
    ['SQSClient', 'ChangeMessageVisibilityBatch', { QueueUrl: `https://sqs.eu-west-1.amazonaws.com/111122223333/q` }, [need('sqs:ChangeMessageVisibility', 'arn:aws:sqs:eu-west-1:111122223333:q')]],
    ['SQSClient', 'DeleteMessage', { QueueUrl: queueUrl(WORK) }, [need('sqs:DeleteMessage', queueArn(WORK))]],
    ['SFNClient', 'DescribeExecution', { executionArn: `${LOCAL_STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${LOOP}` }, [need('states:DescribeExecution', `${LOCAL_STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${LOOP}`)]],
    ['SFNClient', 'SendTaskFailure', { taskToken: 't' }, [need('states:SendTaskFailure', '*')]],
    ['SFNClient', 'SendTaskHeartbeat', { taskToken: 't' }, [need('states:SendTaskHeartbeat', '*')]],
    ['S3Client', 'PutObject', { Bucket: PAY, Key: 'k', Tagging: 'a=b' }, [need('s3:PutObject', s3Object(PAY, 'k')), need('s3:PutObjectTagging', s3Object(PAY, 'k'))]],
    ['S3Client', 'ListObjectsV2', { Bucket: IN }, [need('s3:ListBucket', `arn:aws:s3:::${IN}`)]],
    ['SageMakerClient', 'AddTags', { ResourceArn: FLOW.arn }, [need('sagemaker:AddTags', FLOW.arn)]],
  ])('%s %s %j', async (client, operation, input, expected) => {
    await expect(authorizationRequests({ client, operation, input }, ENVIRONMENT)).resolves.toEqual(expected);
  });
});

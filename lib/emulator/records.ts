/** What the emulator keeps per resource, one JSON file each under the state directory. Times are epoch ms. */

export interface HumanTaskUiRecord {
  name: string;
  arn: string;
  creationTime: number;
  content: string;
  contentSha256: string;
}

/** HumanLoopConfig as CreateFlowDefinition accepted it (only the model's members). */
export interface HumanLoopConfig {
  WorkteamArn: string;
  HumanTaskUiArn: string;
  TaskTitle: string;
  TaskDescription: string;
  TaskCount: number;
  TaskAvailabilityLifetimeInSeconds?: number;
  TaskTimeLimitInSeconds?: number;
  TaskKeywords?: string[];
  PublicWorkforceTaskPrice?: { AmountInUsd?: { Dollars?: number; Cents?: number; TenthFractionsOfACent?: number } };
}

export interface FlowDefinitionRecord {
  name: string;
  arn: string;
  creationTime: number;
  humanLoopConfig: HumanLoopConfig;
  outputConfig: { S3OutputPath: string; KmsKeyId?: string };
  roleArn: string;
  humanLoopRequestSource?: { AwsManagedHumanLoopRequestSource: string };
  humanLoopActivationConfig?: { HumanLoopActivationConditionsConfig: { HumanLoopActivationConditions: string } };
  /** Set by DeleteFlowDefinition: the flow definition is Deleting until `goneAt` (epoch ms), and does not exist after. */
  deletion?: { goneAt: number };
}

export type FlowDefinitionStatus = 'Active' | 'Deleting';

/** A deleted flow definition whose deletion has finished: every call answers as if there had never been one. */
export function isGone(flow: FlowDefinitionRecord, now: number): boolean {
  return flow.deletion !== undefined && now >= flow.deletion.goneAt;
}

export function flowStatusOf(flow: FlowDefinitionRecord): FlowDefinitionStatus {
  return flow.deletion ? 'Deleting' : 'Active';
}

export interface CognitoMemberDefinition {
  UserPool: string;
  UserGroup: string;
  ClientId: string;
}
export interface MemberDefinition {
  CognitoMemberDefinition?: CognitoMemberDefinition;
  OidcMemberDefinition?: { Groups?: string[] };
}
export interface WorkerAccessConfiguration {
  S3Presign?: { IamPolicyConstraints?: { SourceIp?: 'Enabled' | 'Disabled'; VpcSourceIp?: 'Enabled' | 'Disabled' } };
}

/**
 * A private work team. The emulator has no CreateWorkteam: any valid name is a team of the account's
 * (Cognito) private workforce, recorded the first time DescribeWorkteam or UpdateWorkteam names it.
 */
export interface WorkteamRecord {
  name: string;
  arn: string;
  workforceArn: string;
  memberDefinitions: MemberDefinition[];
  description: string;
  subDomain: string;
  createDate: number;
  lastUpdatedDate: number;
  notificationTopicArn?: string;
  workerAccessConfiguration?: WorkerAccessConfiguration;
}

export type HumanLoopStatus = 'InProgress' | 'Failed' | 'Completed' | 'Stopped' | 'Stopping';
export type FailureCode = 'Expired' | 'ValidationError' | 'InternalError';

/** One worker's answer, in output.json's key order. */
export interface HumanAnswer {
  acceptanceTime: string;
  answerContent: unknown;
  submissionTime: string;
  timeSpentInSeconds: number;
  workerId: string;
  workerMetadata: { identityData: { identityProviderType: string; issuer: string; sub: string } };
}

/**
 * A loop keeps what it needs from its flow definition (task count, output path, UI), so deleting the flow
 * definition does not strand it.
 */
export interface HumanLoopRecord {
  name: string;
  arn: string;
  flowDefinitionArn: string;
  flowDefinitionName: string;
  humanTaskUiArn?: string;
  /** The flow definition's role, which A2I reads inputs and writes output with (absent in loops stored before it was kept). */
  roleArn?: string;
  taskCount: number;
  s3OutputPath: string;
  creationTime: number;
  inputContent: string;
  contentClassifiers?: string[];
  status: HumanLoopStatus;
  failureCode?: FailureCode;
  failureReason?: string;
  outputS3Uri?: string;
  answers: HumanAnswer[];
  /** When an InProgress loop fails as Expired (TaskAvailabilityLifetimeInSeconds after creation). */
  expiresAt: number;
  /** When a Stopping loop becomes Stopped. */
  stopsAt?: number;
}

import { createHash } from 'node:crypto';
import { assertValid, isJsonText, parseTimestamp } from './constraints';
import { resourceInUse, resourceNotFound, validationException } from './errors';
import { DEFAULT_MAX_RESULTS, paginate } from './pagination';
import { type FlowDefinitionRecord, flowStatusOf, type HumanLoopConfig, type HumanTaskUiRecord, isGone, type MemberDefinition, type WorkerAccessConfiguration, type WorkteamRecord } from './records';
import {
  CREATE_FLOW_DEFINITION_REQUEST,
  CREATE_HUMAN_TASK_UI_REQUEST,
  FLOW_DEFINITION_NAME_REQUEST,
  HUMAN_TASK_UI_NAME_REQUEST,
  LIST_FLOW_DEFINITIONS_REQUEST,
  LIST_HUMAN_TASK_UIS_REQUEST,
  UPDATE_WORKTEAM_REQUEST,
  WORKTEAM_NAME_REQUEST,
} from './sagemaker-shapes';
import type { EmulatorStore } from './store';
import { epochSeconds } from './timestamps';

export interface SageMakerContext {
  store: EmulatorStore;
  region: string;
  accountId: string;
  now(): number;
  /** How long a deleted flow definition stays Deleting before it is gone. */
  flowDeletionMs: number;
  /** Where DescribeHumanTaskUi's UiTemplate.Url points: the emulator serves the template there. */
  templateUrl(humanTaskUiName: string): string;
}

export type SageMakerOperation = (input: Record<string, unknown>, context: SageMakerContext) => Promise<Record<string, unknown>>;

interface ListRequest {
  CreationTimeAfter?: number | string;
  CreationTimeBefore?: number | string;
  SortOrder?: 'Ascending' | 'Descending';
  NextToken?: string;
  MaxResults?: number;
}

/**
 * The SageMaker operations A2I needs (awsJson1_1, `X-Amz-Target: SageMaker.<Op>`): worker task templates
 * (human task UIs), flow definitions and private work teams' notification settings. Resources are Active
 * as soon as they are created. Deleting a flow definition is asynchronous, as in A2I ("Delete a Human Review
 * Workflow": the status is Deleting, then Describe answers ResourceNotFound and the name is free again), and a
 * task UI cannot be deleted while a flow definition that uses it exists, Deleting ones included.
 */
export const SAGEMAKER_OPERATIONS: Readonly<Record<string, SageMakerOperation>> = {
  CreateHumanTaskUi: async (input, context) => {
    assertValid(CREATE_HUMAN_TASK_UI_REQUEST, input);
    const name = input.HumanTaskUiName as string;
    const content = (input.UiTemplate as { Content: string }).Content;
    return context.store.exclusive(async () => {
      const uis = context.store.humanTaskUis;
      if (uis.get(name)) throw resourceInUse(`Human task UI ${name} already exists`);
      const record: HumanTaskUiRecord = {
        name,
        arn: arnOf(context, 'human-task-ui', name),
        creationTime: context.now(),
        content,
        contentSha256: createHash('sha256').update(content).digest('hex'),
      };
      await uis.save(record);
      return { HumanTaskUiArn: record.arn };
    });
  },

  DescribeHumanTaskUi: async (input, context) => {
    assertValid(HUMAN_TASK_UI_NAME_REQUEST, input);
    const ui = existingUi(input.HumanTaskUiName as string, context);
    return {
      HumanTaskUiArn: ui.arn,
      HumanTaskUiName: ui.name,
      HumanTaskUiStatus: 'Active',
      CreationTime: epochSeconds(ui.creationTime),
      UiTemplate: { Url: context.templateUrl(ui.name), ContentSha256: ui.contentSha256 },
    };
  },

  DeleteHumanTaskUi: async (input, context) => {
    assertValid(HUMAN_TASK_UI_NAME_REQUEST, input);
    const name = input.HumanTaskUiName as string;
    return context.store.exclusive(async () => {
      const ui = existingUi(name, context);
      // The model lists no error for it; ResourceInUse is its "resource being accessed is in use".
      const user = liveFlows(context).find((flow) => flow.humanLoopConfig.HumanTaskUiArn === ui.arn);
      if (user) throw resourceInUse(`Human task UI ${ui.arn} is used by flow definition ${user.arn} (${flowStatusOf(user)}); delete it, and let its deletion finish, first`);
      await context.store.humanTaskUis.remove(name);
      return {};
    });
  },

  ListHumanTaskUis: async (input, context) => {
    assertValid(LIST_HUMAN_TASK_UIS_REQUEST, input);
    const { items, nextToken } = paginate(context.store.humanTaskUis.values(), listQuery('ListHumanTaskUis', input as ListRequest));
    return {
      HumanTaskUiSummaries: items.map((ui) => ({ HumanTaskUiName: ui.name, HumanTaskUiArn: ui.arn, CreationTime: epochSeconds(ui.creationTime) })),
      ...(nextToken ? { NextToken: nextToken } : {}),
    };
  },

  CreateFlowDefinition: async (input, context) => {
    assertValid(CREATE_FLOW_DEFINITION_REQUEST, input);
    const name = input.FlowDefinitionName as string;
    const config = input.HumanLoopConfig as HumanLoopConfig | undefined;
    // Optional in the model (shared with other SageMaker features) but without it A2I has no one to ask.
    if (!config) throw validationException('HumanLoopConfig is required for an Amazon A2I flow definition');
    const output = input.OutputConfig as FlowDefinitionRecord['outputConfig'];
    // The model's S3Uri also admits https://; A2I writes output.json to S3 and needs an s3:// path.
    if (!output.S3OutputPath.startsWith('s3://')) throw validationException(`OutputConfig.S3OutputPath ${output.S3OutputPath} must be an s3:// URI`);
    const activation = input.HumanLoopActivationConfig as FlowDefinitionRecord['humanLoopActivationConfig'];
    if (activation && !isJsonText(activation.HumanLoopActivationConditionsConfig.HumanLoopActivationConditions)) {
      throw validationException('HumanLoopActivationConditions must be a JSON document');
    }
    return context.store.exclusive(async () => {
      const flows = context.store.flowDefinitions;
      const existing = flows.get(name);
      // A name is free again once its deletion has finished, not while it is Deleting.
      if (existing && !isGone(existing, context.now())) throw resourceInUse(`Flow definition ${name} already exists`);
      if (!context.store.humanTaskUis.find((ui) => ui.arn === config.HumanTaskUiArn)) {
        throw validationException(`HumanLoopConfig.HumanTaskUiArn ${config.HumanTaskUiArn} does not exist`);
      }
      const record: FlowDefinitionRecord = {
        name,
        arn: arnOf(context, 'flow-definition', name),
        creationTime: context.now(),
        humanLoopConfig: pickHumanLoopConfig(config),
        outputConfig: { S3OutputPath: output.S3OutputPath, ...(output.KmsKeyId !== undefined ? { KmsKeyId: output.KmsKeyId } : {}) },
        roleArn: input.RoleArn as string,
        ...(input.HumanLoopRequestSource ? { humanLoopRequestSource: input.HumanLoopRequestSource as FlowDefinitionRecord['humanLoopRequestSource'] } : {}),
        ...(activation ? { humanLoopActivationConfig: activation } : {}),
      };
      await flows.save(record);
      return { FlowDefinitionArn: record.arn };
    });
  },

  DescribeFlowDefinition: async (input, context) => {
    assertValid(FLOW_DEFINITION_NAME_REQUEST, input);
    const flow = existingFlow(input.FlowDefinitionName as string, context);
    return {
      FlowDefinitionArn: flow.arn,
      FlowDefinitionName: flow.name,
      FlowDefinitionStatus: flowStatusOf(flow),
      CreationTime: epochSeconds(flow.creationTime),
      ...(flow.humanLoopRequestSource ? { HumanLoopRequestSource: flow.humanLoopRequestSource } : {}),
      ...(flow.humanLoopActivationConfig ? { HumanLoopActivationConfig: flow.humanLoopActivationConfig } : {}),
      HumanLoopConfig: flow.humanLoopConfig,
      OutputConfig: flow.outputConfig,
      RoleArn: flow.roleArn,
    };
  },

  ListFlowDefinitions: async (input, context) => {
    assertValid(LIST_FLOW_DEFINITIONS_REQUEST, input);
    const { items, nextToken } = paginate(liveFlows(context), listQuery('ListFlowDefinitions', input as ListRequest));
    return {
      FlowDefinitionSummaries: items.map((flow) => ({
        FlowDefinitionName: flow.name,
        FlowDefinitionArn: flow.arn,
        FlowDefinitionStatus: flowStatusOf(flow),
        CreationTime: epochSeconds(flow.creationTime),
      })),
      ...(nextToken ? { NextToken: nextToken } : {}),
    };
  },

  DeleteFlowDefinition: async (input, context) => {
    assertValid(FLOW_DEFINITION_NAME_REQUEST, input);
    const name = input.FlowDefinitionName as string;
    return context.store.exclusive(async () => {
      const flow = existingFlow(name, context);
      // "Flow definitions can only be deleted if their status is Active."
      if (flow.deletion) throw resourceInUse(`Flow definition ${name} is already Deleting`);
      // The model's ResourceInUse: loops still waiting for reviewers need their flow definition.
      const active = context.store.humanLoops.find((loop) => loop.flowDefinitionArn === flow.arn && (loop.status === 'InProgress' || loop.status === 'Stopping'));
      if (active) throw resourceInUse(`Flow definition ${name} has human loops in progress (${active.name}); stop them first`);
      await context.store.flowDefinitions.save({ ...flow, deletion: { goneAt: context.now() + context.flowDeletionMs } });
      return {};
    });
  },

  DescribeWorkteam: async (input, context) => {
    assertValid(WORKTEAM_NAME_REQUEST, input);
    const name = input.WorkteamName as string;
    const existing = context.store.workteams.get(name);
    if (existing) return { Workteam: workteamOf(existing) };
    return context.store.exclusive(async () => ({ Workteam: workteamOf(await knownWorkteam(name, context)) }));
  },

  UpdateWorkteam: async (input, context) => {
    assertValid(UPDATE_WORKTEAM_REQUEST, input);
    const name = input.WorkteamName as string;
    const members = input.MemberDefinitions as MemberDefinition[] | undefined;
    const notification = input.NotificationConfiguration as { NotificationTopicArn?: string } | undefined;
    const access = input.WorkerAccessConfiguration as WorkerAccessConfiguration | undefined;
    return context.store.exclusive(async () => {
      const team = await knownWorkteam(name, context);
      if (members) assertCognitoMembers(members, team);
      const updated: WorkteamRecord = {
        ...team,
        ...(members ? { memberDefinitions: members.map((member) => ({ CognitoMemberDefinition: pickCognito(member) })) } : {}),
        ...(input.Description !== undefined ? { description: input.Description as string } : {}),
        ...(access ? { workerAccessConfiguration: pickWorkerAccess(access) } : {}),
        lastUpdatedDate: context.now(),
      };
      // NotificationConfiguration replaces the setting: one without a topic turns notifications off.
      if (notification) {
        delete updated.notificationTopicArn;
        if (notification.NotificationTopicArn !== undefined) updated.notificationTopicArn = notification.NotificationTopicArn;
      }
      await context.store.workteams.save(updated);
      return { Workteam: workteamOf(updated) };
    });
  },
};

function arnOf(context: SageMakerContext, type: string, name: string): string {
  return `arn:aws:sagemaker:${context.region}:${context.accountId}:${type}/${name}`;
}

/** The account's private workforce (A2I's is always `default`) and its Cognito user pool and app client. */
function privateWorkforceOf(context: SageMakerContext) {
  return {
    arn: arnOf(context, 'workforce', 'default'),
    userPool: `${context.region}_a2iEmulator`,
    clientId: 'a2iemulatorclient000000000',
    subDomain: `a2i-emulator.labeling.${context.region}.sagemaker.aws`,
  };
}

/** Call inside `exclusive`: the team's record, made (and stored, so that its dates hold) the first time it is named. */
async function knownWorkteam(name: string, context: SageMakerContext): Promise<WorkteamRecord> {
  const existing = context.store.workteams.get(name);
  if (existing) return existing;
  const workforce = privateWorkforceOf(context);
  const now = context.now();
  const record: WorkteamRecord = {
    name,
    arn: arnOf(context, 'workteam', `private-crowd/${name}`),
    workforceArn: workforce.arn,
    memberDefinitions: [{ CognitoMemberDefinition: { UserPool: workforce.userPool, UserGroup: name, ClientId: workforce.clientId } }],
    description: `Private work team ${name} (local A2I emulator)`,
    subDomain: workforce.subDomain,
    createDate: now,
    lastUpdatedDate: now,
  };
  await context.store.workteams.save(record);
  return record;
}

function workteamOf(team: WorkteamRecord): Record<string, unknown> {
  return {
    WorkteamName: team.name,
    MemberDefinitions: team.memberDefinitions,
    WorkteamArn: team.arn,
    WorkforceArn: team.workforceArn,
    Description: team.description,
    SubDomain: team.subDomain,
    CreateDate: epochSeconds(team.createDate),
    LastUpdatedDate: epochSeconds(team.lastUpdatedDate),
    ...(team.notificationTopicArn !== undefined ? { NotificationConfiguration: { NotificationTopicArn: team.notificationTopicArn } } : {}),
    ...(team.workerAccessConfiguration ? { WorkerAccessConfiguration: team.workerAccessConfiguration } : {}),
  };
}

/**
 * The emulator's workforce is a Cognito one: every member definition names one of its user groups, with the
 * workforce's user pool and app client (the model's documentation: all must have the same ClientId and
 * UserPool, and Cognito and OIDC definitions are not mixed).
 */
function assertCognitoMembers(members: MemberDefinition[], team: WorkteamRecord): void {
  const workforce = team.memberDefinitions[0]?.CognitoMemberDefinition;
  for (const member of members) {
    if (member.OidcMemberDefinition) throw validationException(`Work team ${team.name} belongs to a workforce created with Amazon Cognito; use CognitoMemberDefinition, not OidcMemberDefinition`);
    const cognito = member.CognitoMemberDefinition;
    if (!cognito) throw validationException('Each MemberDefinition needs a CognitoMemberDefinition');
    if (workforce && (cognito.UserPool !== workforce.UserPool || cognito.ClientId !== workforce.ClientId)) {
      throw validationException(`CognitoMemberDefinition must use the workforce's UserPool ${workforce.UserPool} and ClientId ${workforce.ClientId}`);
    }
  }
}

function pickCognito(member: MemberDefinition): NonNullable<MemberDefinition['CognitoMemberDefinition']> {
  const { UserPool, UserGroup, ClientId } = member.CognitoMemberDefinition!;
  return { UserPool, UserGroup, ClientId };
}

function pickWorkerAccess(access: WorkerAccessConfiguration): WorkerAccessConfiguration {
  const constraints = access.S3Presign?.IamPolicyConstraints;
  if (!access.S3Presign) return {};
  if (!constraints) return { S3Presign: {} };
  return {
    S3Presign: {
      IamPolicyConstraints: {
        ...(constraints.SourceIp !== undefined ? { SourceIp: constraints.SourceIp } : {}),
        ...(constraints.VpcSourceIp !== undefined ? { VpcSourceIp: constraints.VpcSourceIp } : {}),
      },
    },
  };
}

function existingUi(name: string, context: SageMakerContext): HumanTaskUiRecord {
  const ui = context.store.humanTaskUis.get(name);
  if (!ui) throw resourceNotFound(`Human task UI ${arnOf(context, 'human-task-ui', name)} does not exist`);
  return ui;
}

/** Flow definitions that exist (Active or Deleting): a finished deletion is no flow definition. */
function liveFlows(context: SageMakerContext): FlowDefinitionRecord[] {
  const now = context.now();
  return context.store.flowDefinitions.values().filter((flow) => !isGone(flow, now));
}

function existingFlow(name: string, context: SageMakerContext): FlowDefinitionRecord {
  const flow = context.store.flowDefinitions.get(name);
  if (!flow || isGone(flow, context.now())) throw resourceNotFound(`Flow definition ${arnOf(context, 'flow-definition', name)} does not exist`);
  return flow;
}

function listQuery(operation: string, request: ListRequest) {
  const createdAfter = parseTimestamp(request.CreationTimeAfter);
  const createdBefore = parseTimestamp(request.CreationTimeBefore);
  const descending = request.SortOrder !== 'Ascending';
  return {
    createdAfter,
    createdBefore,
    descending,
    maxResults: request.MaxResults ?? DEFAULT_MAX_RESULTS,
    nextToken: request.NextToken,
    scope: JSON.stringify([operation, createdAfter, createdBefore, descending]),
  };
}

/** Only the model's members are kept and echoed, as the service does with unknown JSON members. */
function pickHumanLoopConfig(config: HumanLoopConfig): HumanLoopConfig {
  const picked: HumanLoopConfig = {
    WorkteamArn: config.WorkteamArn,
    HumanTaskUiArn: config.HumanTaskUiArn,
    TaskTitle: config.TaskTitle,
    TaskDescription: config.TaskDescription,
    TaskCount: config.TaskCount,
  };
  if (config.TaskAvailabilityLifetimeInSeconds !== undefined) picked.TaskAvailabilityLifetimeInSeconds = config.TaskAvailabilityLifetimeInSeconds;
  if (config.TaskTimeLimitInSeconds !== undefined) picked.TaskTimeLimitInSeconds = config.TaskTimeLimitInSeconds;
  if (config.TaskKeywords !== undefined) picked.TaskKeywords = config.TaskKeywords;
  if (config.PublicWorkforceTaskPrice !== undefined) picked.PublicWorkforceTaskPrice = config.PublicWorkforceTaskPrice;
  return picked;
}

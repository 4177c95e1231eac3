import { createHash } from 'node:crypto';
import { assertValid, isJsonText, parseTimestamp } from './constraints';
import { resourceInUse, resourceNotFound, validationException } from './errors';
import { DEFAULT_MAX_RESULTS, paginate } from './pagination';
import type { FlowDefinitionRecord, HumanLoopConfig, HumanTaskUiRecord } from './records';
import {
  CREATE_FLOW_DEFINITION_REQUEST,
  CREATE_HUMAN_TASK_UI_REQUEST,
  FLOW_DEFINITION_NAME_REQUEST,
  HUMAN_TASK_UI_NAME_REQUEST,
  LIST_FLOW_DEFINITIONS_REQUEST,
  LIST_HUMAN_TASK_UIS_REQUEST,
} from './sagemaker-shapes';
import type { EmulatorStore } from './store';
import { epochSeconds } from './timestamps';

export interface SageMakerContext {
  store: EmulatorStore;
  region: string;
  accountId: string;
  now(): number;
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
 * (human task UIs) and flow definitions. Resources are Active as soon as they are created.
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
      existingUi(name, context);
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
      if (flows.get(name)) throw resourceInUse(`Flow definition ${name} already exists`);
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
      FlowDefinitionStatus: 'Active',
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
    const { items, nextToken } = paginate(context.store.flowDefinitions.values(), listQuery('ListFlowDefinitions', input as ListRequest));
    return {
      FlowDefinitionSummaries: items.map((flow) => ({
        FlowDefinitionName: flow.name,
        FlowDefinitionArn: flow.arn,
        FlowDefinitionStatus: 'Active',
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
      // The model's ResourceInUse: loops still waiting for reviewers need their flow definition.
      const active = context.store.humanLoops.find((loop) => loop.flowDefinitionArn === flow.arn && (loop.status === 'InProgress' || loop.status === 'Stopping'));
      if (active) throw resourceInUse(`Flow definition ${name} has human loops in progress (${active.name}); stop them first`);
      await context.store.flowDefinitions.remove(name);
      return {};
    });
  },
};

function arnOf(context: SageMakerContext, type: string, name: string): string {
  return `arn:aws:sagemaker:${context.region}:${context.accountId}:${type}/${name}`;
}

function existingUi(name: string, context: SageMakerContext): HumanTaskUiRecord {
  const ui = context.store.humanTaskUis.get(name);
  if (!ui) throw resourceNotFound(`Human task UI ${arnOf(context, 'human-task-ui', name)} does not exist`);
  return ui;
}

function existingFlow(name: string, context: SageMakerContext): FlowDefinitionRecord {
  const flow = context.store.flowDefinitions.get(name);
  if (!flow) throw resourceNotFound(`Flow definition ${arnOf(context, 'flow-definition', name)} does not exist`);
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

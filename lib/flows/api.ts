import {
  CreateFlowDefinitionCommand,
  type CreateFlowDefinitionCommandInput,
  CreateHumanTaskUiCommand,
  type CreateHumanTaskUiCommandInput,
  DeleteFlowDefinitionCommand,
  DeleteHumanTaskUiCommand,
  DescribeFlowDefinitionCommand,
  DescribeHumanTaskUiCommand,
  DescribeWorkteamCommand,
  ListFlowDefinitionsCommand,
  ListHumanTaskUisCommand,
  type SageMakerClient,
  UpdateWorkteamCommand,
} from '@aws-sdk/client-sagemaker';
import { FlowDefinitionInUseError } from './errors';

export interface FlowDefinitionState {
  name: string;
  arn: string;
  /** Initializing | Active | Failed | Deleting */
  status: string;
  failureReason?: string;
}

export interface HumanTaskUiState {
  name: string;
  arn: string;
}

/** The SageMaker calls flows make: a port, so that tests of waiting and failures pass plain stubs. */
export interface FlowApi {
  listFlowDefinitions(): Promise<FlowDefinitionState[]>;
  listHumanTaskUis(): Promise<HumanTaskUiState[]>;
  /** undefined when there is none (ResourceNotFound). */
  describeFlowDefinition(name: string): Promise<FlowDefinitionState | undefined>;
  describeHumanTaskUi(name: string): Promise<HumanTaskUiState | undefined>;
  createHumanTaskUi(input: CreateHumanTaskUiCommandInput): Promise<string>;
  createFlowDefinition(input: CreateFlowDefinitionCommandInput): Promise<string>;
  /** Resolves when it is gone or was never there; FlowDefinitionInUseError while loops use it. */
  deleteFlowDefinition(name: string): Promise<void>;
  deleteHumanTaskUi(name: string): Promise<void>;
  workteamNotificationTopic(workteamArn: string): Promise<string | undefined>;
  setWorkteamNotificationTopic(workteamArn: string, topicArn: string): Promise<void>;
}

const isNamed = (error: unknown, name: string): boolean => error instanceof Error && error.name === name;

/** `arn:…:workteam/private-crowd/<name>` → `<name>` (DescribeWorkteam and UpdateWorkteam take the name). */
export const workteamName = (arn: string): string => arn.slice(arn.lastIndexOf('/') + 1);

/** The port over the SDK's SageMaker client (AWS, or the local emulator through AWS_ENDPOINT_URL_SAGEMAKER). */
export function sageMakerFlowApi(client: Pick<SageMakerClient, 'send'>): FlowApi {
  const absentIfNotFound = async <T>(call: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await call();
    } catch (error) {
      if (isNamed(error, 'ResourceNotFound')) return undefined;
      throw error;
    }
  };
  return {
    listFlowDefinitions: async () => {
      const flows: FlowDefinitionState[] = [];
      let NextToken: string | undefined;
      do {
        const page = await client.send(new ListFlowDefinitionsCommand({ NextToken, MaxResults: 100 }));
        for (const flow of page.FlowDefinitionSummaries ?? []) {
          flows.push({ name: flow.FlowDefinitionName ?? '', arn: flow.FlowDefinitionArn ?? '', status: flow.FlowDefinitionStatus ?? 'Active', ...(flow.FailureReason ? { failureReason: flow.FailureReason } : {}) });
        }
        NextToken = page.NextToken;
      } while (NextToken);
      return flows;
    },
    listHumanTaskUis: async () => {
      const uis: HumanTaskUiState[] = [];
      let NextToken: string | undefined;
      do {
        const page = await client.send(new ListHumanTaskUisCommand({ NextToken, MaxResults: 100 }));
        for (const ui of page.HumanTaskUiSummaries ?? []) uis.push({ name: ui.HumanTaskUiName ?? '', arn: ui.HumanTaskUiArn ?? '' });
        NextToken = page.NextToken;
      } while (NextToken);
      return uis;
    },
    describeFlowDefinition: (name) =>
      absentIfNotFound(async () => {
        const flow = await client.send(new DescribeFlowDefinitionCommand({ FlowDefinitionName: name }));
        return { name, arn: flow.FlowDefinitionArn ?? '', status: flow.FlowDefinitionStatus ?? 'Active', ...(flow.FailureReason ? { failureReason: flow.FailureReason } : {}) };
      }),
    describeHumanTaskUi: (name) =>
      absentIfNotFound(async () => {
        const ui = await client.send(new DescribeHumanTaskUiCommand({ HumanTaskUiName: name }));
        return { name, arn: ui.HumanTaskUiArn ?? '' };
      }),
    createHumanTaskUi: async (input) => (await client.send(new CreateHumanTaskUiCommand(input))).HumanTaskUiArn ?? '',
    createFlowDefinition: async (input) => (await client.send(new CreateFlowDefinitionCommand(input))).FlowDefinitionArn ?? '',
    deleteFlowDefinition: async (name) => {
      try {
        await absentIfNotFound(() => client.send(new DeleteFlowDefinitionCommand({ FlowDefinitionName: name })));
      } catch (error) {
        if (isNamed(error, 'ResourceInUse')) throw new FlowDefinitionInUseError(name, (error as Error).message);
        throw error;
      }
    },
    deleteHumanTaskUi: async (name) => {
      await absentIfNotFound(() => client.send(new DeleteHumanTaskUiCommand({ HumanTaskUiName: name })));
    },
    workteamNotificationTopic: async (workteamArn) => {
      const { Workteam } = await client.send(new DescribeWorkteamCommand({ WorkteamName: workteamName(workteamArn) }));
      return Workteam?.NotificationConfiguration?.NotificationTopicArn;
    },
    setWorkteamNotificationTopic: async (workteamArn, topicArn) => {
      await client.send(new UpdateWorkteamCommand({ WorkteamName: workteamName(workteamArn), NotificationConfiguration: { NotificationTopicArn: topicArn } }));
    },
  };
}

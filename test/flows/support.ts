import type { FlowApi, FlowDefinitionState } from '../../lib/flows/api';
import type { FlowTarget } from '../../lib/flows/flow-plan';

export const ROLE_ARN = 'arn:aws:iam::123456789012:role/a2i-flows';
export const WORKTEAM_ARN = 'arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/reviewers';
export const PUBLIC_WORKTEAM_ARN = 'arn:aws:sagemaker:us-east-1:394669845002:workteam/public-crowd/default';
export const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:review-tasks';
export const TEMPLATE = '<crowd-form><crowd-input name="answer"></crowd-input>{{ task.input.record | to_json }}</crowd-form>';

export function target(overrides: Partial<FlowTarget> = {}, spec: FlowTarget['spec'] = {}): FlowTarget {
  return {
    workflow: 'invoices',
    template: TEMPLATE,
    roleArn: ROLE_ARN,
    ...overrides,
    spec: { workteamArn: WORKTEAM_ARN, outputPath: 's3://review-output/a2i/', taskTitle: 'Check an invoice', taskDescription: 'Compare the fields', ...spec },
  };
}

/** A clock whose sleep moves time on at once. */
export function fakeClock(start = 1_000_000) {
  const clock = {
    time: start,
    sleeps: [] as number[],
    now: () => clock.time,
    sleep: async (milliseconds: number) => {
      clock.sleeps.push(milliseconds);
      clock.time += milliseconds;
    },
  };
  return clock;
}

/** An in-memory FlowApi whose flow definitions go through `statuses` (one per Describe) before settling. */
export function stubApi(statuses: Array<Partial<FlowDefinitionState>> = []) {
  const calls: string[] = [];
  const flows = new Map<string, FlowDefinitionState>();
  const uis = new Map<string, string>();
  const topics = new Map<string, string | undefined>();
  const api: FlowApi = {
    listFlowDefinitions: async () => [...flows.values()],
    listHumanTaskUis: async () => [...uis].map(([name, arn]) => ({ name, arn })),
    describeFlowDefinition: async (name) => {
      calls.push(`describeFlowDefinition ${name}`);
      const flow = flows.get(name);
      if (!flow) return undefined;
      // Once the given statuses are used up, a new flow definition settles Active.
      const next = statuses.shift() ?? (flow.status === 'Initializing' ? { status: 'Active' } : undefined);
      if (next) Object.assign(flow, next);
      return { ...flow };
    },
    describeHumanTaskUi: async (name) => (uis.has(name) ? { name, arn: uis.get(name)! } : undefined),
    createHumanTaskUi: async (input) => {
      calls.push(`createHumanTaskUi ${input.HumanTaskUiName}`);
      const arn = `arn:aws:sagemaker:us-east-1:123456789012:human-task-ui/${input.HumanTaskUiName}`;
      uis.set(input.HumanTaskUiName!, arn);
      return arn;
    },
    createFlowDefinition: async (input) => {
      calls.push(`createFlowDefinition ${input.FlowDefinitionName}`);
      const arn = `arn:aws:sagemaker:us-east-1:123456789012:flow-definition/${input.FlowDefinitionName}`;
      flows.set(input.FlowDefinitionName!, { name: input.FlowDefinitionName!, arn, status: 'Initializing' });
      return arn;
    },
    deleteFlowDefinition: async (name) => {
      calls.push(`deleteFlowDefinition ${name}`);
      flows.delete(name);
    },
    deleteHumanTaskUi: async (name) => {
      calls.push(`deleteHumanTaskUi ${name}`);
      uis.delete(name);
    },
    workteamNotificationTopic: async (arn) => topics.get(arn),
    setWorkteamNotificationTopic: async (arn, topic) => {
      calls.push(`setWorkteamNotificationTopic ${arn} ${topic}`);
      topics.set(arn, topic);
    },
  };
  return { api, calls, flows, uis, topics };
}

import type { CreateFlowDefinitionCommandInput, CreateHumanTaskUiCommandInput, HumanLoopConfig, Tag } from '@aws-sdk/client-sagemaker';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type Clock, systemClock } from '../clock';
import type { FlowSpec, Workflow } from '../workflow/types';
import type { FlowApi, FlowDefinitionState, HumanTaskUiState } from './api';
import { FlowDefinitionFailedError, FlowDefinitionTimeoutError, FlowSpecError } from './errors';
import { type FlowIssue, type FlowSettings, flowSettingsIssues, resourceNameIssues, roleArnIssues, templateIssues } from './validate';

/** Hex characters of the content hash in resource names: a changed template or spec gives a new name. */
export const HASH_CHARS = 10;
/**
 * Part of the hashed content, raised whenever the stack's custom resources move to other logical ids (2:
 * into each workflow's nested stack). A moved resource is a new one: were its flow definition named as
 * before, it would take the existing one over, and the old resource's Delete, in the same update's cleanup,
 * would delete the flow definition the new one reports. With a new name, the update makes a new version and
 * the old one goes (or, with loops in progress, stays until they end), as on any change.
 */
export const FLOW_NAMING_VERSION = 2;

/** What one workflow's A2I resources are made from. */
export interface FlowTarget {
  workflow: string;
  /** Used for the default task description. */
  description?: string;
  /** The worker template's content (Liquid HTML). */
  template: string;
  /** The flow spec as written (camelCase), with the stack's defaults (workteam, output path, KMS key) merged in. */
  spec: FlowSettings;
  roleArn: string;
  /** e.g. the stage: resource names are `<prefix>-<workflow>-<hash>`. */
  namePrefix?: string;
  /** Where locations in errors point, e.g. the workflow file. */
  source?: string;
}

type DesiredHumanLoopConfig = Omit<HumanLoopConfig, 'HumanTaskUiArn'>;

/** A workflow's HumanTaskUi and FlowDefinition as they should be, validated. The UI and the flow definition share `name`. */
export interface DesiredFlow {
  workflow: string;
  /** `<prefix->workflow` : every version's name starts with it. */
  baseName: string;
  name: string;
  hash: string;
  humanTaskUi: CreateHumanTaskUiCommandInput;
  /** CreateFlowDefinition's input but for HumanTaskUiArn, known once the UI exists. */
  flowDefinition: Omit<CreateFlowDefinitionCommandInput, 'HumanLoopConfig'> & { HumanLoopConfig: DesiredHumanLoopConfig };
  notification?: { workteamArn: string; topicArn: string };
}

const DEFAULTS = { taskCount: 1, taskTimeLimitInSeconds: 3600, taskAvailabilityLifetimeInSeconds: 864000 };

/** Validates a target against every documented constraint (FlowSpecError lists them all) and computes its resources. */
export function desiredFlow(target: FlowTarget): DesiredFlow {
  const spec: FlowSettings = {
    ...DEFAULTS,
    taskTitle: `Review a ${target.workflow} record`,
    taskDescription: target.description ?? `Review a ${target.workflow} record and answer the questions.`,
    ...dropUndefined(target.spec),
  };
  const baseName = target.namePrefix ? `${target.namePrefix}-${target.workflow}` : target.workflow;
  const issues: FlowIssue[] = [...flowSettingsIssues(spec), ...roleArnIssues(target.roleArn), ...templateIssues(target.template)];
  // The name of every version: the base, a hyphen and the hash.
  issues.push(...resourceNameIssues(`${baseName}-${'0'.repeat(HASH_CHARS)}`, target.namePrefix ? 'namePrefix + name' : 'name'));
  if (issues.length > 0) throw new FlowSpecError(target.source ?? target.workflow, issues);

  const tags: Tag[] | undefined = spec.tags ? Object.entries(spec.tags).map(([Key, Value]) => ({ Key, Value })) : undefined;
  const price = spec.publicWorkforceTaskPrice?.amountInUsd;
  const humanLoopConfig: DesiredHumanLoopConfig = {
    WorkteamArn: spec.workteamArn,
    TaskTitle: spec.taskTitle,
    TaskDescription: spec.taskDescription,
    TaskCount: spec.taskCount,
    TaskTimeLimitInSeconds: spec.taskTimeLimitInSeconds,
    TaskAvailabilityLifetimeInSeconds: spec.taskAvailabilityLifetimeInSeconds,
    ...(spec.taskKeywords ? { TaskKeywords: spec.taskKeywords } : {}),
    ...(price ? { PublicWorkforceTaskPrice: { AmountInUsd: { Dollars: price.dollars ?? 0, Cents: price.cents ?? 0, TenthFractionsOfACent: price.tenthFractionsOfACent ?? 0 } } } : {}),
  };
  const content = {
    template: target.template,
    roleArn: target.roleArn,
    humanLoopConfig,
    output: { S3OutputPath: spec.outputPath, KmsKeyId: spec.kmsKeyId },
    requestSource: spec.humanLoopRequestSource,
    activation: spec.humanLoopActivationConfig,
    tags,
    naming: FLOW_NAMING_VERSION,
  };
  const hash = createHash('sha256').update(JSON.stringify(content)).digest('hex').slice(0, HASH_CHARS);
  const name = `${baseName}-${hash}`;
  return {
    workflow: target.workflow,
    baseName,
    name,
    hash,
    humanTaskUi: { HumanTaskUiName: name, UiTemplate: { Content: target.template }, ...(tags ? { Tags: tags } : {}) },
    flowDefinition: {
      FlowDefinitionName: name,
      RoleArn: target.roleArn,
      OutputConfig: { S3OutputPath: spec.outputPath, ...(spec.kmsKeyId ? { KmsKeyId: spec.kmsKeyId } : {}) },
      HumanLoopConfig: humanLoopConfig,
      ...(spec.humanLoopRequestSource ? { HumanLoopRequestSource: { AwsManagedHumanLoopRequestSource: spec.humanLoopRequestSource as 'AWS/Textract/AnalyzeDocument/Forms/V1' } } : {}),
      ...(spec.humanLoopActivationConfig !== undefined
        ? { HumanLoopActivationConfig: { HumanLoopActivationConditionsConfig: { HumanLoopActivationConditions: JSON.stringify(spec.humanLoopActivationConfig) } } }
        : {}),
      ...(tags ? { Tags: tags } : {}),
    },
    ...(spec.notificationTopicArn && spec.workteamArn ? { notification: { workteamArn: spec.workteamArn, topicArn: spec.notificationTopicArn } } : {}),
  };
}

/** The stack's (or the command line's) settings for the workflows' flow specs. */
export interface FlowDefaults {
  roleArn: string;
  outputPath?: string;
  workteamArn?: string;
  kmsKeyId?: string;
  namePrefix?: string;
}

/** A loaded workflow with a flow spec → its target (reads the template file). */
export function flowTargetOf(workflow: Workflow, defaults: FlowDefaults): FlowTarget {
  const { template: _template, templateFile, ...spec } = workflow.flowDefinition as FlowSpec;
  return {
    workflow: workflow.name,
    ...(workflow.description ? { description: workflow.description } : {}),
    template: readFileSync(templateFile, 'utf8'),
    spec: { workteamArn: defaults.workteamArn, outputPath: defaults.outputPath, kmsKeyId: defaults.kmsKeyId, ...dropUndefined(spec) },
    roleArn: defaults.roleArn,
    ...(defaults.namePrefix ? { namePrefix: defaults.namePrefix } : {}),
    source: workflow.file,
  };
}

/** What exists now, as the Describe/List calls report it. */
export interface CurrentState {
  flowDefinitions: FlowDefinitionState[];
  humanTaskUis: HumanTaskUiState[];
  /** Workteam ARN → its notification topic, for the workteams a desired flow wants notifications on. */
  notificationTopics: Record<string, string | undefined>;
}

/**
 * Reads the current state. `scope: 'desired'` describes only the desired names (a custom resource, which
 * manages exactly one version); `'all'` lists everything, so that older versions can be pruned (the CLI).
 */
export async function readState(api: FlowApi, desired: DesiredFlow[], scope: 'desired' | 'all'): Promise<CurrentState> {
  const state: CurrentState = { flowDefinitions: [], humanTaskUis: [], notificationTopics: {} };
  if (scope === 'all') {
    [state.flowDefinitions, state.humanTaskUis] = await Promise.all([api.listFlowDefinitions(), api.listHumanTaskUis()]);
  } else {
    for (const flow of desired) {
      const [definition, ui] = await Promise.all([api.describeFlowDefinition(flow.name), api.describeHumanTaskUi(flow.name)]);
      if (definition) state.flowDefinitions.push(definition);
      if (ui) state.humanTaskUis.push(ui);
    }
  }
  for (const flow of desired) {
    if (flow.notification && !(flow.notification.workteamArn in state.notificationTopics)) {
      state.notificationTopics[flow.notification.workteamArn] = await api.workteamNotificationTopic(flow.notification.workteamArn);
    }
  }
  return state;
}

export type FlowAction =
  | { kind: 'create-human-task-ui'; workflow: string; name: string; input: CreateHumanTaskUiCommandInput }
  | { kind: 'create-flow-definition'; workflow: string; name: string; input: DesiredFlow['flowDefinition'] }
  | { kind: 'wait-flow-definition'; workflow: string; name: string; status: string }
  | { kind: 'update-workteam-notifications'; workflow: string; workteamArn: string; topicArn: string }
  | { kind: 'delete-flow-definition'; workflow: string; name: string }
  | { kind: 'delete-human-task-ui'; workflow: string; name: string };

/** One workflow's resources after the plan is applied (ARNs of what exists already are filled in by plan). */
export interface FlowResources {
  workflow: string;
  name: string;
  flowDefinitionArn?: string;
  humanTaskUiArn?: string;
}

export interface FlowPlan {
  actions: FlowAction[];
  flows: FlowResources[];
}

/**
 * The actions that take `state` to `desired`: creates first, then (with `prune`) the deletion of each
 * workflow's older versions — CloudFormation's replacement order. Re-planning an applied state gives no
 * actions. A desired flow definition that exists but Failed is an error: its name is its content, so
 * creating it again would fail the same way.
 */
export function plan(desired: DesiredFlow[], state: CurrentState, options: { prune?: boolean } = {}): FlowPlan {
  const creates: FlowAction[] = [];
  const deletes: FlowAction[] = [];
  const flows: FlowResources[] = [];
  const flowsByName = new Map(state.flowDefinitions.map((flow) => [flow.name, flow]));
  const uisByName = new Map(state.humanTaskUis.map((ui) => [ui.name, ui]));
  for (const flow of desired) {
    const ui = uisByName.get(flow.name);
    const definition = flowsByName.get(flow.name);
    flows.push({ workflow: flow.workflow, name: flow.name, ...(definition ? { flowDefinitionArn: definition.arn } : {}), ...(ui ? { humanTaskUiArn: ui.arn } : {}) });
    if (!ui) creates.push({ kind: 'create-human-task-ui', workflow: flow.workflow, name: flow.name, input: flow.humanTaskUi });
    if (!definition) creates.push({ kind: 'create-flow-definition', workflow: flow.workflow, name: flow.name, input: flow.flowDefinition });
    else if (definition.status === 'Failed') {
      throw new FlowDefinitionFailedError(flow.name, `${definition.failureReason ?? 'no FailureReason given'} (delete it, fix the cause and apply again)`);
    } else if (definition.status !== 'Active') {
      creates.push({ kind: 'wait-flow-definition', workflow: flow.workflow, name: flow.name, status: definition.status });
    }
    if (flow.notification && state.notificationTopics[flow.notification.workteamArn] !== flow.notification.topicArn) {
      creates.push({ kind: 'update-workteam-notifications', workflow: flow.workflow, ...flow.notification });
    }
    if (options.prune) {
      const older = (name: string) => name !== flow.name && isVersionOf(name, flow.baseName);
      for (const other of state.flowDefinitions) {
        if (older(other.name) && other.status !== 'Deleting') deletes.push({ kind: 'delete-flow-definition', workflow: flow.workflow, name: other.name });
      }
      for (const other of state.humanTaskUis) if (older(other.name)) deletes.push({ kind: 'delete-human-task-ui', workflow: flow.workflow, name: other.name });
    }
  }
  // Flow definitions go before the task UIs they use.
  deletes.sort((a, b) => Number(a.kind === 'delete-human-task-ui') - Number(b.kind === 'delete-human-task-ui'));
  return { actions: [...creates, ...deletes], flows };
}

/** Whether `name` is a version (`<base>-<hash>`) of the workflow whose names start with `baseName`. */
export function isVersionOf(name: string, baseName: string): boolean {
  return name.length === baseName.length + 1 + HASH_CHARS && name.startsWith(`${baseName}-`) && /^[0-9a-f]+$/.test(name.slice(baseName.length + 1));
}

/** How long apply and deleteFlow wait, by default, for a flow definition to be Active or gone. */
const DEFAULT_TIMEOUT_MS = 10 * 60_000;
const DEFAULT_POLL_MS = 2000;

export interface ApplyOptions {
  clock?: Pick<Clock, 'now' | 'sleep'>;
  /** How long a flow definition may take to become Active, or an old one to be deleted, in all. */
  timeoutMs?: number;
  pollMs?: number;
  /** Called before each action (the CLI prints them). */
  onAction?: (action: FlowAction) => void | Promise<void>;
  /** Called for a task UI left in place because its flow definition was still Deleting at the deadline. */
  onKept?: (deletion: FlowDeletion) => void | Promise<void>;
}

/** Performs the plan's actions in order, waiting for each new flow definition to be Active; resolves with every flow's ARNs. */
export async function apply(flowPlan: FlowPlan, api: FlowApi, options: ApplyOptions = {}): Promise<Required<FlowResources>[]> {
  const clock = options.clock ?? systemClock;
  const deadline = clock.now() + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  const byName = new Map(flowPlan.flows.map((flow) => [flow.name, { ...flow }]));
  for (const action of flowPlan.actions) {
    await options.onAction?.(action);
    switch (action.kind) {
      case 'create-human-task-ui': {
        const arn = await api.createHumanTaskUi(action.input);
        byName.get(action.name)!.humanTaskUiArn = arn;
        break;
      }
      case 'create-flow-definition': {
        const flow = byName.get(action.name)!;
        const humanTaskUiArn = flow.humanTaskUiArn ?? (await api.describeHumanTaskUi(action.name))?.arn;
        flow.flowDefinitionArn = await api.createFlowDefinition({ ...action.input, HumanLoopConfig: { ...action.input.HumanLoopConfig, HumanTaskUiArn: humanTaskUiArn } as HumanLoopConfig });
        await waitForActive(api, action.name, clock, deadline, pollMs);
        break;
      }
      case 'wait-flow-definition':
        await waitForActive(api, action.name, clock, deadline, pollMs);
        break;
      case 'update-workteam-notifications':
        await api.setWorkteamNotificationTopic(action.workteamArn, action.topicArn);
        break;
      case 'delete-flow-definition':
        await api.deleteFlowDefinition(action.name);
        break;
      case 'delete-human-task-ui': {
        const deletion = await deleteHumanTaskUiOnceUnused(api, action.name, clock, deadline, pollMs);
        if (deletion.humanTaskUi === 'kept') await options.onKept?.(deletion);
        break;
      }
    }
  }
  return [...byName.values()].map((flow) => ({ ...flow, flowDefinitionArn: flow.flowDefinitionArn ?? '', humanTaskUiArn: flow.humanTaskUiArn ?? '' }));
}

/** Polls DescribeFlowDefinition until Active; FlowDefinitionFailedError with A2I's FailureReason, or FlowDefinitionTimeoutError at the deadline. */
export async function waitForActive(api: FlowApi, name: string, clock: Pick<Clock, 'now' | 'sleep'>, deadline: number, pollMs: number): Promise<FlowDefinitionState> {
  for (;;) {
    const state = await api.describeFlowDefinition(name);
    if (!state) throw new FlowDefinitionFailedError(name, 'it disappeared while initializing');
    if (state.status === 'Active') return state;
    if (state.status === 'Failed') throw new FlowDefinitionFailedError(name, state.failureReason ?? 'no FailureReason given');
    const left = deadline - clock.now();
    if (left <= 0) throw new FlowDefinitionTimeoutError(name, state.status);
    await clock.sleep(Math.min(pollMs, left));
  }
}

/** What deleting one version did to its task UI: deleted, or kept because its flow definition was still Deleting at the deadline. */
export interface FlowDeletion {
  name: string;
  humanTaskUi: 'deleted' | 'kept';
}

export interface DeleteOptions {
  clock?: Pick<Clock, 'now' | 'sleep'>;
  /** Epoch ms (by `clock`) until which to wait for the flow definition to be gone. */
  deadline?: number;
  pollMs?: number;
}

/**
 * Deletes one version: the flow definition, then its task UI. DeleteFlowDefinition only starts the deletion (the
 * status is Deleting, for as long as workers are still on its tasks), and A2I refuses to delete a task UI that a
 * flow definition still uses: the UI goes once DescribeFlowDefinition answers ResourceNotFound. Past the deadline
 * the UI is kept, and the result says so: a task UI costs nothing and holds no data, and its flow definition goes
 * on being deleted without us. One already Deleting is waited for, not deleted again (A2I deletes only an Active
 * one); what is already gone is fine.
 */
export async function deleteFlow(api: FlowApi, name: string, options: DeleteOptions = {}): Promise<FlowDeletion> {
  const clock = options.clock ?? systemClock;
  const deadline = options.deadline ?? clock.now() + DEFAULT_TIMEOUT_MS;
  const current = await api.describeFlowDefinition(name);
  if (current && current.status !== 'Deleting') await api.deleteFlowDefinition(name);
  return deleteHumanTaskUiOnceUnused(api, name, clock, deadline, options.pollMs ?? DEFAULT_POLL_MS);
}

/** Deletes the task UI once the flow definition of the same name is gone (polled until the deadline); kept otherwise. */
async function deleteHumanTaskUiOnceUnused(api: FlowApi, name: string, clock: Pick<Clock, 'now' | 'sleep'>, deadline: number, pollMs: number): Promise<FlowDeletion> {
  if (!(await waitForGone(api, name, clock, deadline, pollMs))) return { name, humanTaskUi: 'kept' };
  await api.deleteHumanTaskUi(name);
  return { name, humanTaskUi: 'deleted' };
}

/** Polls DescribeFlowDefinition until ResourceNotFound (true) or the deadline (false). */
async function waitForGone(api: FlowApi, name: string, clock: Pick<Clock, 'now' | 'sleep'>, deadline: number, pollMs: number): Promise<boolean> {
  for (;;) {
    if (!(await api.describeFlowDefinition(name))) return true;
    const left = deadline - clock.now();
    if (left <= 0) return false;
    await clock.sleep(Math.min(pollMs, left));
  }
}

/** A one-line description of an action, for `flows plan`. */
export function describeAction(action: FlowAction): string {
  switch (action.kind) {
    case 'create-human-task-ui':
      return `+ create human task UI ${action.name}`;
    case 'create-flow-definition':
      return `+ create flow definition ${action.name}`;
    case 'wait-flow-definition':
      return `~ wait for flow definition ${action.name} (${action.status}) to be Active`;
    case 'update-workteam-notifications':
      return `~ notify workteam ${action.workteamArn} on ${action.topicArn}`;
    case 'delete-flow-definition':
      return `- delete flow definition ${action.name}`;
    case 'delete-human-task-ui':
      return `- delete human task UI ${action.name}`;
  }
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as T;
}

import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { type Clock, systemClock } from '../clock';
import type { FlowApi } from './api';
import { FlowSpecError } from './errors';
import { apply, deleteFlow, desiredFlow, plan, readState } from './flow-plan';
import type { FlowSettings } from './validate';

/**
 * CloudFormation's custom resource protocol for a workflow's A2I resources (Custom::A2iFlow): the
 * HumanTaskUi and FlowDefinition of one workflow version. Their names carry a hash of everything they are
 * made of, so a changed template or spec is a new PhysicalResourceId: CloudFormation then sends Delete for
 * the old one during cleanup (replacement), and an unchanged Update is a no-op.
 */

/** The request CloudFormation sends (the fields this resource reads). */
export interface CustomResourceEvent {
  RequestType: 'Create' | 'Update' | 'Delete';
  ResponseURL: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  ResourceType?: string;
  PhysicalResourceId?: string;
  ResourceProperties: Record<string, unknown>;
}

/**
 * ResourceProperties (CloudFormation passes every scalar as a string, hence Spec as JSON):
 * - Workflow (required): the workflow's name.
 * - Template (required): the worker template's content.
 * - Spec: the workflow's `flowDefinition` (camelCase keys, without `template`), as a JSON string or an object.
 * - RoleArn (required): the role A2I assumes (S3 output, KMS).
 * - OutputPath, WorkteamArn, KmsKeyId: defaults for the spec's outputPath, workteamArn, kmsKeyId.
 * - NamePrefix: e.g. the stage; names are `<NamePrefix>-<Workflow>-<hash>`.
 * - Description: the workflow's description (the default task description).
 */
export interface FlowResourceProperties {
  Workflow: string;
  Template: string;
  Spec?: string | Record<string, unknown>;
  RoleArn: string;
  OutputPath?: string;
  WorkteamArn?: string;
  KmsKeyId?: string;
  NamePrefix?: string;
  Description?: string;
}

export interface CustomResourceResponse {
  Status: 'SUCCESS' | 'FAILED';
  Reason?: string;
  PhysicalResourceId: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  Data?: { FlowDefinitionArn: string; FlowDefinitionName: string; HumanTaskUiArn: string };
}

export interface FlowResourceDeps {
  api: FlowApi;
  clock?: Pick<Clock, 'now' | 'sleep'>;
  /** How long a new flow definition may take to be Active, or a deleted one to be gone (the Lambda's remaining time, less a margin). */
  timeoutMs?: number;
  pollMs?: number;
}

/** CloudFormation shows at most 4 KB of Reason. */
const MAX_REASON_CHARS = 3800;
/** Without a timeout from the caller: as long as a flow definition is given to be Active or gone by the CLI. */
const DEFAULT_TIMEOUT_MS = 10 * 60_000;

/** Handles one request; never throws: every failure is a FAILED response with the reason. */
export async function handleFlowResourceEvent(event: CustomResourceEvent, deps: FlowResourceDeps): Promise<CustomResourceResponse> {
  const base = { StackId: event.StackId, RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId };
  // A failed Create still needs an id; its rollback Delete then finds nothing to delete.
  const previousId = event.PhysicalResourceId ?? `${event.LogicalResourceId}-not-created-${event.RequestId}`;
  const clock = deps.clock ?? systemClock;
  const deleteOptions = { clock, deadline: clock.now() + (deps.timeoutMs ?? DEFAULT_TIMEOUT_MS), ...(deps.pollMs !== undefined ? { pollMs: deps.pollMs } : {}) };
  try {
    if (event.RequestType === 'Delete') {
      const name = flowDefinitionNameOf(previousId);
      const deletion = name ? await deleteFlow(deps.api, name, deleteOptions) : undefined;
      // A stack delete is not held up (nor failed) by workers still finishing tasks: the flow definition is being
      // deleted, and its task UI, which A2I will not delete before that ends, is left and named.
      const kept = deletion?.humanTaskUi === 'kept' ? { Reason: keptReason(deletion.name) } : {};
      return { ...base, Status: 'SUCCESS', PhysicalResourceId: previousId, ...kept };
    }
    const desired = desiredFlow(flowTargetOfProperties(event.ResourceProperties));
    const flowPlan = plan([desired], await readState(deps.api, [desired], 'desired'));
    const created = flowPlan.actions.some((action) => action.kind === 'create-human-task-ui' || action.kind === 'create-flow-definition');
    try {
      const [flow] = await apply(flowPlan, deps.api, { clock, timeoutMs: deps.timeoutMs, pollMs: deps.pollMs });
      return {
        ...base,
        Status: 'SUCCESS',
        PhysicalResourceId: flow.flowDefinitionArn,
        Data: { FlowDefinitionArn: flow.flowDefinitionArn, FlowDefinitionName: flow.name, HumanTaskUiArn: flow.humanTaskUiArn },
      };
    } catch (error) {
      // What this request created is removed: CloudFormation never learns its id, so would never delete it.
      if (created) await deleteFlow(deps.api, desired.name, deleteOptions).catch(() => undefined);
      throw error;
    }
  } catch (error) {
    return { ...base, Status: 'FAILED', Reason: reasonOf(error), PhysicalResourceId: previousId };
  }
}

/** `arn:…:flow-definition/<name>` → `<name>`; undefined for an id this resource never created. */
export function flowDefinitionNameOf(physicalResourceId: string): string | undefined {
  return /^arn:aws[a-z-]*:sagemaker:[a-z0-9-]*:[0-9]{12}:flow-definition\/([a-z0-9](-*[a-z0-9])*)$/.exec(physicalResourceId)?.[1];
}

/** The flow target the resource's properties describe (what the resource names and creates). */
export function flowTargetOfProperties(properties: Record<string, unknown>) {
  const props = properties as Partial<FlowResourceProperties>;
  const missing = (['Workflow', 'Template', 'RoleArn'] as const).filter((key) => typeof props[key] !== 'string' || props[key] === '');
  if (missing.length > 0) {
    throw new FlowSpecError(String(props.Workflow ?? '(workflow)'), missing.map((key) => ({ location: key, message: 'is a required property of the resource' })));
  }
  let spec: FlowSettings;
  try {
    spec = (typeof props.Spec === 'string' ? JSON.parse(props.Spec) : (props.Spec ?? {})) as FlowSettings;
  } catch (error) {
    throw new FlowSpecError(props.Workflow!, [{ location: 'Spec', message: `is not JSON: ${(error as Error).message}` }]);
  }
  const { template: _template, templateFile: _templateFile, ...settings } = spec as FlowSettings & { template?: string; templateFile?: string };
  const defaults: FlowSettings = {};
  if (props.OutputPath) defaults.outputPath = props.OutputPath;
  if (props.WorkteamArn) defaults.workteamArn = props.WorkteamArn;
  if (props.KmsKeyId) defaults.kmsKeyId = props.KmsKeyId;
  return {
    workflow: props.Workflow!,
    template: props.Template!,
    spec: { ...defaults, ...Object.fromEntries(Object.entries(settings).filter(([, value]) => value !== undefined && value !== '')) },
    roleArn: props.RoleArn!,
    ...(props.NamePrefix ? { namePrefix: props.NamePrefix } : {}),
    ...(props.Description ? { description: props.Description } : {}),
  };
}

function keptReason(name: string): string {
  return `flow definition ${name} is still Deleting (workers may still be on its tasks), so its human task UI ${name} was left in place; delete it once the flow definition is gone: aws sagemaker delete-human-task-ui --human-task-ui-name ${name}`;
}

function reasonOf(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.length > MAX_REASON_CHARS ? `${text.slice(0, MAX_REASON_CHARS)}…` : text;
}

/** Sends the response: a PUT of the JSON to the pre-signed ResponseURL (no Content-Type, which the signature excludes). */
export type ResponseSender = (responseUrl: string, body: string) => Promise<void>;

export const putResponse: ResponseSender = (responseUrl, body) =>
  new Promise((resolve, reject) => {
    const url = new URL(responseUrl);
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
    const req = send(url, { method: 'PUT', headers: { 'Content-Type': '', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve();
        else reject(new Error(`the CloudFormation response PUT was answered ${status}`));
      });
    });
    req.on('error', reject);
    req.end(body);
  });

import {
  DeleteHumanLoopCommand,
  DescribeHumanLoopCommand,
  type HumanLoopSummary,
  ListHumanLoopsCommand,
  SageMakerA2IRuntimeClient,
  StopHumanLoopCommand,
} from '@aws-sdk/client-sagemaker-a2i-runtime';
import { type FlowDefinitionSummary, ListFlowDefinitionsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { HASH_CHARS } from '../flows/flow-plan';
import { LOCAL_STACK } from '../local/resources';
import { ConfigError } from '../runtime/env';
import { type CompiledWorkflow, isFlowSpec, loadWorkflows } from '../workflow';
import { cliClientConfig } from './aws-config';
import { type Io, UsageError } from './io';

export const LOOPS_USAGE = `a2i-orchestrator loops list (--workflow NAME [--workflows DIR] [--stage STAGE] | --flow-definition-arn ARN) [--status STATUS] [--json]
a2i-orchestrator loops describe|stop|delete NAME`;

export interface LoopsOptions {
  workflow?: string;
  workflows?: string;
  'flow-definition-arn'?: string;
  /** The deployed stack's stage, whose flow definitions are named `<stage>-<workflow>-<hash>` (default: local mode's). */
  stage?: string;
  status?: string;
  json?: boolean;
}

/** The clients the command uses; tests may inject them, otherwise they are created from the standard AWS settings. */
export interface LoopsClients {
  a2i?: SageMakerA2IRuntimeClient;
  sagemaker?: SageMakerClient;
}


export const HUMAN_LOOP_STATUSES = ['InProgress', 'Completed', 'Failed', 'Stopping', 'Stopped'] as const;
const ACTIVE_STATUSES: ReadonlySet<string> = new Set(['InProgress', 'Stopping']);
/** ListHumanLoops's largest page. */
const PAGE_SIZE = 100;

const NETWORK_ERROR_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'ECONNRESET', 'ETIMEDOUT', 'EAI_AGAIN']);

/** A failure the operator can act on: printed as one line, exit 1. */
class LoopsError extends Error {
  override readonly name = 'LoopsError';
}

/**
 * `a2i-orchestrator loops …`: lists, describes, stops and deletes human loops through the A2I runtime API.
 * Endpoints, region and credentials are the SDK's own (AWS_ENDPOINT_URL_SAGEMAKER_A2I_RUNTIME and
 * AWS_ENDPOINT_URL_SAGEMAKER point it at the local emulator).
 */
export async function loopsCommand(positionals: string[], options: LoopsOptions, io: Io, clients: LoopsClients = {}): Promise<number> {
  const [subcommand, ...args] = positionals;
  const created: Array<{ destroy(): void }> = [];
  const a2i = () => clients.a2i ?? (clients.a2i = remember(created, new SageMakerA2IRuntimeClient(cliClientConfig('SAGEMAKER_A2I_RUNTIME'))));
  const sagemaker = () => clients.sagemaker ?? (clients.sagemaker = remember(created, new SageMakerClient(cliClientConfig('SAGEMAKER'))));
  try {
    switch (subcommand) {
      case 'list': {
        if (args.length > 0) throw new UsageError(`loops list takes no positional arguments, got "${args.join(' ')}"`);
        const status = checkedStatus(options.status);
        const flowDefinitionArn = await resolveFlowDefinitionArn(options, sagemaker);
        await list(a2i(), flowDefinitionArn, status, options.json === true, io);
        return 0;
      }
      case 'describe':
      case 'stop':
      case 'delete': {
        const name = singleName(subcommand, args);
        rejectListOptions(subcommand, options);
        if (subcommand === 'describe') {
          const { $metadata: _metadata, ...loop } = await onLoop(name, a2i().send(new DescribeHumanLoopCommand({ HumanLoopName: name })));
          await io.out(`${JSON.stringify(loop, null, 2)}\n`);
        } else if (subcommand === 'stop') {
          await onLoop(name, a2i().send(new StopHumanLoopCommand({ HumanLoopName: name })));
          await io.out(`stop requested for human loop ${name}\n`);
        } else {
          await deleteLoop(a2i(), name);
          await io.out(`deleted human loop ${name}\n`);
        }
        return 0;
      }
      case undefined:
        throw new UsageError('loops needs a command: list, describe, stop or delete');
      default:
        throw new UsageError(`unknown loops command "${subcommand}"`);
    }
  } catch (error) {
    if (error instanceof LoopsError || error instanceof ConfigError) {
      io.err(`a2i-orchestrator: ${error.message}\n`);
      return 1;
    }
    if (isServiceError(error)) {
      io.err(`a2i-orchestrator: ${error.name}: ${error.message}\n`);
      return 1;
    }
    if (NETWORK_ERROR_CODES.has((error as NodeJS.ErrnoException).code ?? '')) {
      io.err(`a2i-orchestrator: cannot reach the A2I endpoint: ${(error as Error).message}\n`);
      return 1;
    }
    throw error;
  } finally {
    for (const client of created) client.destroy();
  }
}

function remember<T extends { destroy(): void }>(created: Array<{ destroy(): void }>, client: T): T {
  created.push(client);
  return client;
}

function checkedStatus(status: string | undefined): string | undefined {
  if (status === undefined) return undefined;
  if (!(HUMAN_LOOP_STATUSES as readonly string[]).includes(status)) {
    throw new UsageError(`--status must be one of ${HUMAN_LOOP_STATUSES.join(', ')}, got "${status}"`);
  }
  return status;
}

function singleName(subcommand: string, args: string[]): string {
  if (args.length !== 1 || args[0] === '') throw new UsageError(`loops ${subcommand} takes one human loop name`);
  return args[0];
}

function rejectListOptions(subcommand: string, options: LoopsOptions): void {
  const given = (['workflow', 'workflows', 'flow-definition-arn', 'stage', 'status', 'json'] as const).filter((key) => options[key] !== undefined);
  if (given.length > 0) throw new UsageError(`loops ${subcommand} does not take ${given.map((key) => `--${key}`).join(', ')}`);
}

/**
 * The flow definition whose loops are listed: --flow-definition-arn; else the workflow's `flowDefinition.arn`;
 * else, for a workflow that specifies its flow definition, the newest one the stack created, named
 * `<stage>-<workflow>-<10 hex digits>` (local mode is the stage `local`), found with ListFlowDefinitions.
 */
async function resolveFlowDefinitionArn(options: LoopsOptions, sagemaker: () => SageMakerClient): Promise<string> {
  const given = options['flow-definition-arn'];
  if (given !== undefined) {
    if (given === '') throw new UsageError('--flow-definition-arn is empty');
    return given;
  }
  if (options.workflow === undefined || options.workflow === '') throw new UsageError('loops list needs --workflow NAME or --flow-definition-arn ARN');
  const directory = options.workflows ?? 'workflows';
  const workflow = findWorkflow(loadWorkflows([directory]), options.workflow, directory);
  const flow = workflow.definition.flowDefinition;
  if (!isFlowSpec(flow)) return flow.arn;
  const stage = options.stage ?? LOCAL_STACK.stage;
  const newest = await newestFlowDefinition(sagemaker(), workflow.definition.name, stage);
  if (!newest) {
    throw new LoopsError(`workflow "${workflow.definition.name}" specifies its flow definition and none named "${stage}-${workflow.definition.name}-<hash>" exists; pass --stage STAGE or --flow-definition-arn ARN`);
  }
  return newest;
}

function findWorkflow(workflows: CompiledWorkflow[], name: string, directory: string): CompiledWorkflow {
  const found = workflows.find((workflow) => workflow.definition.name === name);
  if (found) return found;
  const known = workflows.map((workflow) => workflow.definition.name).join(', ');
  throw new UsageError(`no workflow named "${name}" in ${directory} (it has: ${known})`);
}

/** A stage, deployed or local, names flow definitions `<stage>-<workflow>-<10 hex>` (lib/flows). */
async function newestFlowDefinition(sagemaker: SageMakerClient, workflow: string, stage: string): Promise<string | undefined> {
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`^${escape(stage)}-${escape(workflow)}-[0-9a-f]{${HASH_CHARS}}$`);
  const matches: FlowDefinitionSummary[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sagemaker.send(new ListFlowDefinitionsCommand({ SortOrder: 'Descending', MaxResults: PAGE_SIZE, ...(nextToken ? { NextToken: nextToken } : {}) }));
    matches.push(...(page.FlowDefinitionSummaries ?? []).filter((flow) => pattern.test(flow.FlowDefinitionName ?? '')));
    nextToken = page.NextToken;
  } while (nextToken);
  matches.sort((a, b) => (b.CreationTime?.getTime() ?? 0) - (a.CreationTime?.getTime() ?? 0));
  return matches[0]?.FlowDefinitionArn;
}

async function list(a2i: SageMakerA2IRuntimeClient, flowDefinitionArn: string, status: string | undefined, json: boolean, io: Io): Promise<void> {
  const loops: HumanLoopSummary[] = [];
  let nextToken: string | undefined;
  do {
    const page = await a2i
      .send(new ListHumanLoopsCommand({ FlowDefinitionArn: flowDefinitionArn, SortOrder: 'Descending', MaxResults: PAGE_SIZE, ...(nextToken ? { NextToken: nextToken } : {}) }))
      .catch((error: unknown) => {
        if (isServiceError(error) && error.name === 'ResourceNotFoundException') throw new LoopsError(`no flow definition ${flowDefinitionArn}`);
        throw error;
      });
    for (const loop of page.HumanLoopSummaries ?? []) {
      if (status === undefined || loop.HumanLoopStatus === status) {
        if (json) await io.out(`${JSON.stringify(loop)}\n`);
        else loops.push(loop);
      }
    }
    nextToken = page.NextToken;
  } while (nextToken);
  if (!json) await io.out(table(loops));
}

/** One row a loop, columns padded to the widest cell; the summaries carry the failure reason (the code is in `describe`). */
function table(loops: HumanLoopSummary[]): string {
  const rows = [
    ['NAME', 'STATUS', 'CREATED', 'FAILURE'],
    ...loops.map((loop) => [loop.HumanLoopName ?? '', loop.HumanLoopStatus ?? '', loop.CreationTime?.toISOString() ?? '', oneLine(loop.FailureReason ?? '')]),
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]))).join('  ').trimEnd()).join('\n') + '\n';
}

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

async function deleteLoop(a2i: SageMakerA2IRuntimeClient, name: string): Promise<void> {
  try {
    await onLoop(name, a2i.send(new DeleteHumanLoopCommand({ HumanLoopName: name })));
  } catch (error) {
    if (!isServiceError(error) || (error.name !== 'ValidationException' && error.name !== 'ConflictException')) throw error;
    // A2I refuses to delete an active loop; say so in the operator's terms when that is why.
    const status = await a2i.send(new DescribeHumanLoopCommand({ HumanLoopName: name })).then(
      (loop) => loop.HumanLoopStatus,
      () => undefined,
    );
    if (status !== undefined && ACTIVE_STATUSES.has(status)) {
      const advice = status === 'InProgress' ? `stop it first: a2i-orchestrator loops stop ${name}` : 'wait until it is Stopped, then delete it';
      throw new LoopsError(`human loop ${name} is ${status} and cannot be deleted; ${advice}`);
    }
    throw error;
  }
}

/** ResourceNotFoundException on a named loop becomes "no human loop named X". */
async function onLoop<T>(name: string, request: Promise<T>): Promise<T> {
  try {
    return await request;
  } catch (error) {
    if (isServiceError(error) && error.name === 'ResourceNotFoundException') throw new LoopsError(`no human loop named ${name}`);
    throw error;
  }
}

/** An error the service answered with (the SDK sets $fault on those), as opposed to a bug or a network failure. */
function isServiceError(error: unknown): error is Error & { $fault: 'client' | 'server' } {
  return error instanceof Error && '$fault' in error;
}

import './xray-manual-mode';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createHash } from 'node:crypto';
import type { S3Event, SQSEvent } from 'aws-lambda';
import { Agent as HttpAgent, type Server } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { appendFileSync, existsSync, mkdirSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { DEPLOYED_FUNCTIONS, type DeployedFunction } from '../deploy/function-roles';
import { buildStack, type StackModel } from '../deploy/stack-model';
import { A2iEmulator, type OpenTask, OutputWriteDeniedError } from '../emulator/a2i-emulator';
import type { CustomResourceEvent, CustomResourceResponse } from '../flows';
import { sageMakerFlowApi } from '../flows/api';
import { createHandler as flowResources } from '../../functions/flow-resources';
import { workflowsForObject } from '../ingest/match';
import { DynamoDbLedger, type LedgerEntry } from '../ledger';
import type { ReviewMessage } from '../messages';
import { LOCAL_AWS_CALL_POLICY } from '../runtime/aws-call-policy';
import { createAwsClients, type AwsClients } from '../runtime/aws-clients';
import { parseS3Uri } from '../s3-store';
import { loadDefinition, REVIEW_LOOP_DEFINITION } from '../state-machine-definition';
import { type CompiledWorkflow, isFlowSpec, isS3Source, loadWorkflows, serialiseWorkflowBundle } from '../workflow';
import type { CfnValueContext } from './cfn-values';
import { type Dynalite, startDynalite } from './dynalite';
import { type BridgeEventInput, LocalEventBus, type PutResult, type TargetHandler } from './event-bus';
import { busRulesOf } from './event-rules';
import { type FaultProxy, INTERNAL_HEADER, startFaultProxy } from './fault-proxy';
import { FaultInjector, type FaultSpec } from './faults';
import { createFlowResources } from './flow-resources';
import { contextFor, type LocalFunctions, localFunctions } from './functions';
import type { RoleAuthorizer } from './iam/authorizer';
import { type AccessDenial, enforceRole } from './iam/enforce';
import { accessDeniedMessage } from './iam/access-denied';
import { authorizationRequests } from './iam/requests';
import { a2iRoleAuthorizer, functionAuthorizers, RolePolicyError } from './iam/roles';
import { Journal } from './journal';
import { createLocalServer, type ObjectRead } from './local-server';
import {
  createLocalResources,
  LOCAL_ACCOUNT,
  LOCAL_BUCKETS,
  LOCAL_LEDGER_TABLE,
  LOCAL_REGION,
  LOCAL_STACK,
  LOCAL_STATE_MACHINE_ARN,
  localFunctionArn,
  localFunctionName,
  type LocalResources,
  WORK_MAX_RECEIVES,
} from './resources';
import { s3ObjectCreatedEvent, uploadAndNotify } from './s3-notifier';
import { ConsumedLog, DurableSet, UploadJournal } from './durable-logs';
import { SqsEventSource } from './sqs-event-source';
import { type LocalStorage, startLocalStorage, storageDirOf } from './storage/server';
import { localStackValues } from './stack-values';
import { LocalStepFunctions } from './step-functions';

export interface LocalStackOptions {
  /** The workflow files as deployed (a directory, or one workflow file), or workflows already loaded from them. */
  workflows: string | CompiledWorkflow[];
  /** The A2I emulator's state (flow definitions, task UIs, loops): kept across restarts. */
  stateDir: string;
  /** The one HTTP port of the UI and the A2I, SageMaker and Step Functions APIs; 0 picks a free one. */
  port?: number;
  /** Work-queue consumers at once (the function's maximum concurrency). Default 2. */
  consumerConcurrency?: number;
  /** A share of the handlers' calls to A2I, S3, SQS and Step Functions fails as the services would (replay --inject-faults). */
  faults?: FaultSpec;
  /** The share of trigger events (S3 notifications, custom events, A2I status events) delivered twice. */
  duplicateEvents?: number;
  /** The draws behind faults and duplicates; tests make them repeatable. */
  random?: () => number;
  onLoopStarted?(task: OpenTask): void;
  onDelivered?(delivery: Delivery): void;
  /**
   * Where the local consumer writes each message's body, one line per message, to `<workflow>/<queue>.jsonl`
   * (dev's `.a2i-local/delivered/`): written with the consumer's own journal, so that a kill at any point
   * neither loses a line nor writes one twice.
   */
  deliveredDir?: string;
  /** A handler or the bus gave up on something: shown to the person running the stack. */
  onProblem?(text: string): void;
  /**
   * The generated stack model whose roles (and flow-definition resources) the local stack is held to: by
   * default `buildStack` of these workflows for the stage `local`. A test gives a changed copy.
   */
  stackModel?: StackModel;
  /** A call a function's role (or the A2I role) refused, as AWS would have refused it. */
  onAccessDenied?(denial: AccessDenial): void;
}

/** The S3 trigger's asynchronous invocation failed after Lambda's retries; the event went to its on-failure destination. */
export class TriggerFailedError extends Error {
  override readonly name = 'TriggerFailedError';
}

/** A message taken off a workflow's destination queue. */
export interface Delivery {
  workflow: string;
  queue: string;
  message: ReviewMessage;
  body: string;
  receivedAt: number;
}

export interface UploadResult {
  bucket: string;
  key: string;
  workflows: string[];
}

const STATE_MACHINE_ARN = LOCAL_STATE_MACHINE_ARN;
const LEDGER_TABLE = LOCAL_LEDGER_TABLE;
/** Every function has its own clients, all on one connection pool: a pool for many concurrent invocations. */
const LOCAL_MAX_SOCKETS = 512;
/** The functions' calls, as AWS authorizes them: in this account and region. */
const CALL_ENVIRONMENT = { region: LOCAL_REGION, account: LOCAL_ACCOUNT };

/** One stack per process: the handlers' SDK clients find the emulators through the process's endpoint variables. */
let running = false;

/**
 * The whole pipeline on loopback with the cloud's handler code and SDK clients: the local S3 and SQS, the local DynamoDB
 * (the ledger), our A2I emulator, the review-loop state machine on aws-local-stepfunctions, a local event bus,
 * SQS event sources for the work and poll queues, and the review UI. Destination queues are drained into the
 * journal (and files), as a downstream consumer would.
 */
export class LocalStack {
  private readonly sources: SqsEventSource[] = [];
  /** What the local consumer took (kept in the state folder), so a message redelivered after a restart is not taken twice. */
  private consumed!: ConsumedLog;
  /** Uploads begun and not finished, kept in the state folder (see upload()). */
  private uploads!: UploadJournal;
  /**
   * Records whose delivery was claimed, and perhaps sent, when an earlier process was killed: their claims are
   * released at start so the delivery is retried at once, and the consumer takes one message for each (it
   * dedupes on reviewId, as consumers do), whichever of the copies comes first. Kept in the state folder: the
   * second copy may arrive only after a later restart, when the ledger no longer says the record is in doubt.
   */
  private inDoubt!: DurableSet;
  private readonly deliveredSizes = new Map<string, number>();
  private ready = false;
  private closing = false;
  private restoreEnv: () => void = () => undefined;
  private storage?: LocalStorage;
  private faults?: FaultInjector;
  private faultProxy?: FaultProxy;
  private readonly random: () => number;
  private dynalite?: Dynalite;
  private server?: Server;
  /** Every client the functions and the event sources use, for close(). */
  private readonly functionClients: { destroy(): void }[] = [];
  private readonly lambdaServiceClients = new Map<DeployedFunction, SQSClient>();
  private readonly agents = { httpAgent: new HttpAgent({ keepAlive: true, maxSockets: LOCAL_MAX_SOCKETS }), httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: LOCAL_MAX_SOCKETS }) };
  private authorizers = new Map<DeployedFunction, RoleAuthorizer>();
  private a2iRole?: RoleAuthorizer;
  private values?: CfnValueContext;
  private stackModel?: StackModel;
  private s3!: S3Client;
  private sqs!: SQSClient;
  private sagemaker!: SageMakerClient;
  private stepFunctions?: LocalStepFunctions;
  private bus!: LocalEventBus;
  private resources!: LocalResources;
  private functions!: LocalFunctions;
  emulator!: A2iEmulator;
  journal!: Journal;
  readonly workflows: CompiledWorkflow[];
  /** The UI's address, e.g. http://127.0.0.1:8484. */
  url = '';
  endpoints: Record<string, string> = {};
  /** What POST /local/upload (`dev upload`) does with a file: upload() unless the command says otherwise. */
  uploadHandler: (name: string, body: Buffer) => Promise<unknown> = (name, body) => this.upload(name, body);

  private constructor(private readonly options: LocalStackOptions) {
    this.workflows = typeof options.workflows === 'string' ? loadWorkflows([options.workflows]) : options.workflows;
    this.random = options.random ?? Math.random;
  }

  static async start(options: LocalStackOptions): Promise<LocalStack> {
    if (running) throw new Error('a local stack is already running in this process');
    const stack = new LocalStack(options);
    running = true;
    try {
      await stack.boot();
      return stack;
    } catch (error) {
      await stack.close();
      throw error;
    }
  }

  /**
   * Puts a file into S3 as the cloud would receive it and runs the S3 trigger; `name` is a key, or a file name
   * placed under each workflow's prefix that takes it. An upload a killed process had not finished (the same
   * key and content, journaled as begun and never as done), or with `resume` (the inbox's file whose take a
   * kill interrupted) the last upload of the key with the same content, is resumed: the trigger runs again for
   * the same object version, so its records keep their review ids and the ledger keeps them from being sent twice.
   */
  async upload(name: string, body: Buffer, options: { resume?: boolean } = {}): Promise<UploadResult[]> {
    const targets = this.uploadTargets(name);
    if (targets.length === 0) throw new Error(`no workflow takes ${name}: ${this.describeSources()}`);
    const results: UploadResult[] = [];
    const eTag = createHash('md5').update(body).digest('hex');
    for (const { bucket, key } of targets) {
      const trigger = async (event: S3Event) => {
        const versionId = event.Records[0]?.s3.object.versionId;
        this.uploads.begin({ bucket, key, eTag, ...(versionId ? { versionId } : {}) });
        await this.invokeAsync('ingestS3Object', event, () => this.functions.ingestS3Object(event, contextFor('ingestS3Object')));
      };
      const notify = async (event: S3Event) => {
        await trigger(event);
        // S3 delivers notifications at least once.
        if (this.drawDuplicate()) await trigger(event);
      };
      const last = this.uploads.lastOf(bucket, key);
      if (last && (!last.done || options.resume) && last.eTag === eTag && (await this.objectStored(bucket, key, eTag, last.versionId))) {
        await notify(s3ObjectCreatedEvent({ bucket, key, size: body.length, eTag, ...(last.versionId ? { versionId: last.versionId } : {}), region: LOCAL_REGION }));
      } else {
        await uploadAndNotify(this.s3, bucket, key, body, notify, { versioned: this.resources.versionedBuckets.has(bucket) });
      }
      this.uploads.done(bucket, key);
      results.push({ bucket, key, workflows: workflowsForObject(this.workflows, bucket, key, LOCAL_BUCKETS.input).map((workflow) => workflow.definition.name) });
    }
    return results;
  }

  /** The object is still stored with this content (and version, when the store keeps versions). */
  private async objectStored(bucket: string, key: string, eTag: string, versionId?: string): Promise<boolean> {
    try {
      const head = await this.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return head.ETag?.replace(/"/g, '') === eTag && (!head.VersionId || !versionId || head.VersionId === versionId || head.VersionId === 'null');
    } catch {
      return false;
    }
  }

  /** PutEvents on the local bus: custom events reach the workflows whose pattern they match. */
  putEvents(events: BridgeEventInput[]): PutResult {
    const result = this.bus.put(events);
    // EventBridge delivers at least once: the same event (same id) may reach a target twice.
    const again = events.filter(() => this.drawDuplicate());
    if (again.length > 0) this.bus.put(again);
    return result;
  }

  /** The table of this stack's physical values the generated stack's intrinsics are evaluated against (see stack-values.ts). */
  get stackValues(): CfnValueContext {
    if (!this.values) throw new Error('the local stack is not started');
    return this.values;
  }

  /** How many calls each role's check has seen, simulated (not from the cache) and refused. */
  accessChecks(): Record<string, { checks: number; simulations: number; denials: number }> {
    return Object.fromEntries([...this.authorizers.values(), ...(this.a2iRole ? [this.a2iRole] : [])].map((authorizer) => [authorizer.identity.logicalId, { ...authorizer.counts }]));
  }

  /** What the injected faults did, by service and kind. */
  faultsInjected(): Record<string, number> {
    return { ...(this.faults?.injected ?? {}) };
  }

  private drawDuplicate(): boolean {
    const share = this.options.duplicateEvents ?? 0;
    return share > 0 && this.random() < share;
  }

  /** Resolves when nothing is in flight: no batch being handled, no event being delivered, no execution running. */
  async quiesce(): Promise<void> {
    await Promise.all([this.bus.idle(), this.stepFunctions?.idle(), ...this.sources.map((source) => source.idle())]);
  }

  async close(): Promise<void> {
    this.ready = false;
    // What fails while everything stops (the emulator child ends with the same Ctrl-C, executions are aborted) is not news.
    this.closing = true;
    await Promise.all(this.sources.map((source) => source.stop().catch(() => undefined)));
    this.stepFunctions?.close();
    this.emulator?.close();
    await this.bus?.idle().catch(() => undefined);
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server?.closeAllConnections();
    for (const client of [this.s3, this.sqs, this.sagemaker, ...this.functionClients]) client?.destroy();
    this.agents.httpAgent.destroy();
    this.agents.httpsAgent.destroy();
    await this.dynalite?.close().catch(() => undefined);
    await this.faultProxy?.close();
    await this.storage?.close().catch(() => undefined);
    this.consumed?.close();
    this.uploads?.close();
    this.inDoubt?.close();
    this.restoreEnv();
    running = false;
  }

  private async boot(): Promise<void> {
    const { options } = this;
    // S3 and SQS in this process, durable in the state folder (lib/local/storage).
    [this.storage, this.dynalite] = await Promise.all([startLocalStorage({ dir: storageDirOf(options.stateDir), region: LOCAL_REGION, account: LOCAL_ACCOUNT }), startDynalite({ journalPath: join(options.stateDir, LEDGER_JOURNAL) })]);
    if (options.faults) {
      this.faults = new FaultInjector(options.faults, this.random);
      this.faultProxy = await startFaultProxy(this.storage.endpoint, this.faults);
    }
    // With faults on, S3 and SQS calls go through the proxy (queue URLs name it); the stack's own calls are marked internal.
    const storage = this.faultProxy?.endpoint ?? this.storage.endpoint;
    const env: Record<string, string | undefined> = {};
    // Before the emulator: loops restored from stateDir may expire at once and announce it.
    this.bus = new LocalEventBus({
      region: LOCAL_REGION,
      account: LOCAL_ACCOUNT,
      onFailure: (event, error, failure) => this.problem(`event ${event.id} (${event['detail-type']}) failed ${failure.attempts} times in rule ${failure.rule}: ${(error as Error).message}`),
      onDeadLetter: (letter) => this.problem(`event ${letter.event.id} (${letter.event['detail-type']}) not delivered by rule ${letter.rule} to ${letter.targetArn}: ${letter.errorCode}: ${letter.errorMessage}${letter.deadLetterArn ? ` (to the DLQ ${letter.deadLetterArn})` : ' (dropped: no DLQ)'}`),
    });
    this.journal = new Journal(this.workflows.map((workflow) => workflow.definition.name));
    this.consumed = new ConsumedLog(join(options.stateDir, CONSUMED_LOG), (position) => this.lineWritten(position));
    this.uploads = new UploadJournal(join(options.stateDir, UPLOADS_JOURNAL));
    this.inDoubt = new DurableSet(join(options.stateDir, IN_DOUBT_LOG));
    this.emulator = new A2iEmulator({
      stateDir: options.stateDir,
      region: LOCAL_REGION,
      accountId: LOCAL_ACCOUNT,
      outputs: { put: (uri, body, writer) => this.putOutput(uri, body, writer) },
      onLoopStarted: (task) => {
        this.journal.loopStarted(task);
        options.onLoopStarted?.(task);
      },
      onStatusChange: (event) => {
        this.journal.statusChanged(event);
        this.bus.put(this.drawDuplicate() ? [event, event] : [event]);
      },
    });
    const server = createLocalServer({
      emulator: this.emulator,
      // Step Functions exists once the functions it runs are wired, after the port is known.
      apis: [{ handle: async (req, res) => (this.stepFunctions ? this.stepFunctions.handle(req, res) : false) }],
      faults: () => this.faults,
      journal: this.journal,
      ready: () => this.ready,
      readObject: (bucket, key, reader) => this.readObject(bucket, key, reader),
      upload: (name, body) => this.uploadHandler(name, body),
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    this.endpoints = {
      S3: storage,
      SQS: storage,
      DYNAMODB: this.dynalite.endpoint,
      SFN: this.url,
      SAGEMAKER: this.url,
      SAGEMAKER_A2I_RUNTIME: this.url,
    };
    this.restoreEnv = setProcessEnv({
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      ...Object.fromEntries(Object.entries(this.endpoints).map(([service, endpoint]) => [`AWS_ENDPOINT_URL_${service}`, endpoint])),
    });
    // The stack's own clients (CloudFormation's, S3's, the downstream consumers'): not held to any role.
    this.s3 = markedInternal(new S3Client({ forcePathStyle: true }));
    this.sqs = markedInternal(new SQSClient({}));
    this.sagemaker = new SageMakerClient({});

    for (const bucket of new Set(this.workflows.flatMap(({ definition }) => (isS3Source(definition.source) && definition.source.s3.bucket ? [definition.source.s3.bucket] : [])))) {
      await this.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    }
    const created = await createLocalResources({ s3: this.s3, sqs: this.sqs }, this.workflows);
    await this.dynalite.createLedgerTable(LEDGER_TABLE);
    this.stackModel = options.stackModel ?? buildStack({ ...LOCAL_STACK, workflows: this.workflows });
    // The flow-resources function makes the flow definitions, with its role; the other roles name them.
    const flowResourcesRole = functionAuthorizers(this.stackModel, localStackValues(created), ['flowResources']);
    this.authorizers = flowResourcesRole;
    await createFlowResources(this.stackModel, localStackValues(created), (event) => this.invokeFlowResources(event));
    for (const { definition } of this.workflows) {
      if (!isFlowSpec(definition.flowDefinition)) await this.emulator.importFlowDefinition(definition.flowDefinition.arn, LOCAL_BUCKETS.output);
    }
    this.values = localStackValues(created);
    this.authorizers = new Map([...functionAuthorizers(this.stackModel, this.values, DEPLOYED_FUNCTIONS.filter((fn) => fn !== 'flowResources')), ...flowResourcesRole]);
    this.a2iRole = a2iRoleAuthorizer(this.values, this.stackModel);
    this.resources = created;
    this.functions = localFunctions(env, (fn) => this.clientsFor(fn));
    this.stepFunctions = new LocalStepFunctions(
      [
        {
          arn: STATE_MACHINE_ARN,
          definition: loadDefinition(REVIEW_LOOP_DEFINITION, {
            ReviewLoopCheckFunctionArn: localFunctionArn('reviewLoopCheck'),
            ReviewLoopWaitFunctionArn: localFunctionArn('reviewLoopWait'),
            ReviewLoopCompleteFunctionArn: localFunctionArn('reviewLoopComplete'),
            ReviewLoopFailFunctionArn: localFunctionArn('reviewLoopFail'),
          }),
          tasks: this.functions.tasks,
        },
      ],
      { region: LOCAL_REGION, accountId: LOCAL_ACCOUNT, journalPath: join(options.stateDir, EXECUTIONS_JOURNAL), onExecutionEnd: (summary) => summary.status !== 'SUCCEEDED' && this.problem(`execution ${summary.name} ${summary.status}: ${summary.error ?? ''} ${summary.cause ?? ''}`) },
    );
    const concurrency = options.consumerConcurrency ?? 2;
    // What `serverless package` ships to the functions, from the same files.
    const bundle = join(options.stateDir, 'workflows.json');
    writeFileSync(bundle, serialiseWorkflowBundle(this.workflows));
    Object.assign(env, {
      WORKFLOWS_BUNDLE: bundle,
      INPUT_BUCKET: LOCAL_BUCKETS.input,
      PAYLOAD_BUCKET: LOCAL_BUCKETS.payloads,
      WORK_QUEUE_URL: this.resources.work.url,
      WORK_DLQ_URL: this.resources.work.dlqUrl,
      POLL_QUEUE_URL: this.resources.poll.url,
      LEDGER_TABLE,
      STATE_MACHINE_ARN,
      // Queue URLs and flow definition ARNs are computed from names, from the same few values as in AWS.
      ...this.resources.environment,
      CONSUMER_CONCURRENCY: String(concurrency),
      WORK_MAX_RECEIVES: String(WORK_MAX_RECEIVES),
    });
    this.addRules();
    await this.releaseInterruptedClaims();
    await this.startSources(concurrency);
    this.ready = true;
    this.stepFunctions?.resume();
    await this.resumeTracking();
  }

  /**
   * A delivery claimed by a process that was killed: nobody holds the claim any more, so it is released (not
   * left to its lease), and the record is in doubt: its message may have been sent before the kill.
   */
  private async releaseInterruptedClaims(): Promise<void> {
    const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({}));
    this.functionClients.push(dynamo);
    const ledger = new DynamoDbLedger(dynamo, LEDGER_TABLE);
    let start: Record<string, unknown> | undefined;
    do {
      const page = await dynamo.send(new ScanCommand({ TableName: LEDGER_TABLE, ConsistentRead: true, ...(start ? { ExclusiveStartKey: start } : {}) }));
      for (const entry of (page.Items ?? []) as LedgerEntry[]) {
        if (entry.state !== 'delivering') continue;
        this.inDoubt.add(entry.reviewId);
        await ledger.releaseClaim(entry.reviewId);
      }
      start = page.LastEvaluatedKey;
    } while (start);
  }

  /** The bus routes only by what the stack says: its rules, patterns, target inputs and permissions. */
  private addRules(): void {
    const handlers: Record<string, TargetHandler> = {
      ingestS3Object: (input, context) => this.functions.ingestS3Object(input as never, context),
      ingestEvent: (input, context) => this.functions.ingestEvent(input as never, context),
      loopStatusEvent: (input, context) => this.functions.loopStatusEvent(input as never, context),
    };
    const functions = Object.entries(handlers).map(([key, invoke]) => ({ key, arn: localFunctionArn(key), name: localFunctionName(key), invoke }));
    for (const rule of busRulesOf(this.stackModel as StackModel, this.stackValues, functions)) this.bus.addRule(rule);
  }

  private async startSources(concurrency: number): Promise<void> {
    const onError = (stage: string) => (error: unknown) => this.problem(`${stage}: ${(error as Error).name}: ${(error as Error).message}`);
    this.sources.push(
      // Lambda's event source mapping receives and deletes with the function's role.
      new SqsEventSource({ client: this.lambdaServiceClient('ingestWork'), queueUrl: this.resources.work.url, queueArn: this.resources.work.arn, handler: this.functions.ingestWork, functionName: localFunctionName('ingestWork'), concurrency, timeoutMs: 300_000, onError: onError('work queue'), inFlightLog: this.inFlightLog('work') }),
      new SqsEventSource({ client: this.lambdaServiceClient('loopPoll'), queueUrl: this.resources.poll.url, queueArn: this.resources.poll.arn, handler: this.functions.loopPoll, functionName: localFunctionName('loopPoll'), onError: onError('poll queue'), inFlightLog: this.inFlightLog('poll') }),
    );
    for (const [workflow, queues] of this.resources.destinations) {
      for (const [queue, { url, arn }] of queues) {
        this.sources.push(new SqsEventSource({ client: this.sqs, queueUrl: url, queueArn: arn, handler: async (event) => this.take(workflow, queue, event), functionName: `consumer-${workflow}-${queue}`, onError: onError(`queue ${queue}`), inFlightLog: this.inFlightLog(`consumer-${workflow}-${queue}`) }));
      }
    }
    await Promise.all(this.sources.map((source) => source.start()));
  }

  /** The size of a delivered file (relative to deliveredDir), created with its folder if missing. */
  private deliveredSize(file: string): number {
    let size = this.deliveredSizes.get(file);
    if (size === undefined) {
      const path = join(this.options.deliveredDir as string, file);
      mkdirSync(dirname(path), { recursive: true });
      size = existsSync(path) ? statSync(path).size : 0;
      this.deliveredSizes.set(file, size);
    }
    return size;
  }

  /**
   * At start: whether the line a consumed entry announced is in its file. A kill between the entry and its
   * line leaves the file shorter (or with a partial last line, cut here): that message was not taken.
   */
  private lineWritten(position: { f: string; at: number; n: number }): boolean {
    if (!this.options.deliveredDir) return true;
    const path = join(this.options.deliveredDir, position.f);
    const size = this.deliveredSizes.get(position.f) ?? (existsSync(path) ? statSync(path).size : 0);
    this.deliveredSizes.set(position.f, size);
    if (size >= position.at + position.n) return true;
    if (size > position.at) {
      truncateSync(path, position.at);
      this.deliveredSizes.set(position.f, position.at);
    }
    return false;
  }

  /** Where an event source journals the batches it has in hand (see SqsEventSourceOptions.inFlightLog). */
  private inFlightLog(source: string): string {
    return join(this.options.stateDir, IN_FLIGHT_DIR, `${source.replace(/[^A-Za-z0-9_.-]/g, '_')}.jsonl`);
  }

  /** The downstream consumer of local mode: every message goes to the journal and the listener. */
  private async take(workflow: string, queue: string, event: SQSEvent): Promise<void> {
    for (const record of event.Records) {
      // SQS delivers at least once: the same message (not a second message for the record) can come back.
      if (this.consumed.hasMessage(record.messageId)) continue;
      const message = JSON.parse(record.body) as ReviewMessage;
      // A record in doubt after a kill: its message may have been sent both before and after the restart.
      if (this.inDoubt.has(message.reviewId) && this.consumed.hasReview(message.reviewId, message.outcome)) {
        this.consumed.add(record.messageId, message.reviewId, message.outcome);
        continue;
      }
      if (this.options.deliveredDir) {
        // Journaled with where its line goes, then the line: at the next start an entry whose line is missing is dropped.
        const line = `${record.body}\n`;
        const f = join(workflow, `${queue}.jsonl`);
        const position = { f, at: this.deliveredSize(f), n: Buffer.byteLength(line) };
        this.consumed.add(record.messageId, message.reviewId, message.outcome, position);
        appendFileSync(join(this.options.deliveredDir, f), line);
        this.deliveredSizes.set(f, position.at + position.n);
      }
      this.journal.delivered(message, queue);
      this.options.onDelivered?.({ workflow, queue, message, body: record.body, receivedAt: Date.now() });
      // Without a delivered folder, after the listener has it: a kill in between takes it again, never loses it.
      if (!this.options.deliveredDir) this.consumed.add(record.messageId, message.reviewId, message.outcome);
    }
  }

  /**
   * Loops left open by an earlier run that no execution tracks (the ledger and the executions are journaled in
   * the state folder, so only a state folder from before that, or a loop started just before a kill, has such
   * loops): an execution tracks each, named as ingest names it, so a reviewed one is still delivered.
   */
  private async resumeTracking(): Promise<void> {
    // What ingest did for these loops, done again by the stack itself (not a function, so not held to a role).
    const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
    this.functionClients.push(dynamo);
    const ledger = new DynamoDbLedger(dynamo, LEDGER_TABLE);
    for (const task of this.emulator.openTasks()) {
      const input = task.inputContent as { reviewId?: string; workflow?: string; recordId?: string; source?: unknown };
      if (typeof input?.reviewId !== 'string' || typeof input.workflow !== 'string' || !this.workflows.some((workflow) => workflow.definition.name === input.workflow)) continue;
      this.journal.loopStarted(task);
      if (this.stepFunctions?.hasExecution(STATE_MACHINE_ARN, task.humanLoopName)) continue;
      // The ledger did not survive either: the record is known again as started, so its wait parks a token.
      const recordIndex = (input.source as { recordIndex?: unknown } | undefined)?.recordIndex;
      await ledger.reserveStart({ reviewId: input.reviewId, workflow: input.workflow, recordIndex: typeof recordIndex === 'number' ? recordIndex : 0 });
      await ledger.markStarted(input.reviewId, { humanLoopName: task.humanLoopName });
      await this.stepFunctions?.start(STATE_MACHINE_ARN, task.humanLoopName, {
        reviewId: input.reviewId,
        workflow: input.workflow,
        humanLoopName: task.humanLoopName,
        flowDefinitionArn: task.flowDefinitionArn,
        source: input.source,
        ...(input.recordId !== undefined ? { recordId: input.recordId } : {}),
      });
    }
  }

  private uploadTargets(name: string): { bucket: string; key: string }[] {
    if (name.includes('/')) {
      const key = name.replace(/^\/+/, '');
      const owners = this.workflows.filter((workflow) => isS3Source(workflow.definition.source) && key.startsWith(workflow.definition.source.s3.prefix));
      const bucket = owners.map((workflow) => (isS3Source(workflow.definition.source) ? workflow.definition.source.s3.bucket : undefined)).find(Boolean) ?? LOCAL_BUCKETS.input;
      return workflowsForObject(this.workflows, bucket, key, LOCAL_BUCKETS.input).length > 0 ? [{ bucket, key }] : [];
    }
    const targets = new Map<string, { bucket: string; key: string }>();
    for (const workflow of this.workflows) {
      const { source } = workflow.definition;
      if (!isS3Source(source)) continue;
      const bucket = source.s3.bucket ?? LOCAL_BUCKETS.input;
      const key = `${source.s3.prefix}${name}`;
      if (workflowsForObject([workflow], bucket, key, LOCAL_BUCKETS.input).length > 0) targets.set(`${bucket}/${key}`, { bucket, key });
    }
    return [...targets.values()];
  }

  private describeSources(): string {
    const s3 = this.workflows.flatMap(({ definition: { name, source } }) => (isS3Source(source) ? [`${name} takes ${source.s3.prefix}*${source.s3.suffix.length ? `{${source.s3.suffix.join(',')}}` : ''}`] : []));
    return s3.length > 0 ? s3.join('; ') : 'no workflow reads from S3';
  }

  /** A function's own clients, each call held to the function's role (one connection pool for all). */
  private clientsFor(fn: DeployedFunction): AwsClients {
    const clients = createAwsClients({ agents: this.agents, decorate: (client) => this.inProcess(this.enforced(fn, client)), policy: LOCAL_AWS_CALL_POLICY });
    this.functionClients.push(...Object.values(clients));
    return clients;
  }

  /**
   * The SQS client of what Lambda itself does with a function's role: its event source mapping's receives
   * and deletes, its on-failure destination's sends. Held to the role; injected faults pass it by.
   */
  private lambdaServiceClient(fn: DeployedFunction): SQSClient {
    let client = this.lambdaServiceClients.get(fn);
    if (!client) {
      client = markedInternal(this.enforced(fn, new SQSClient({ requestHandler: this.agents })));
      this.lambdaServiceClients.set(fn, client);
      this.functionClients.push(client);
    }
    return client;
  }

  /** A DynamoDB client is served by the local DynamoDB in this process, without a socket (two calls a record: the bulk of local mode's calls). */
  private inProcess<C extends { middlewareStack: unknown }>(client: C): C {
    if (client instanceof DynamoDBClient && this.dynalite) {
      (client.config as { requestHandler: unknown }).requestHandler = this.dynalite.database.requestHandler();
      // Nothing checks a signature in the process; the role is checked by its own middleware (iam/enforce.ts).
      client.middlewareStack.remove('httpSigningMiddleware');
    }
    return client;
  }

  private enforced<C extends { middlewareStack: unknown }>(fn: DeployedFunction, client: C): C {
    const authorizer = this.authorizers.get(fn);
    if (!authorizer) throw new RolePolicyError(`no role for function ${fn}`);
    return enforceRole(client, authorizer, CALL_ENVIRONMENT, (denial) => this.accessDenied(denial));
  }

  private accessDenied(denial: AccessDenial): void {
    this.options.onAccessDenied?.(denial);
    this.problem(`AccessDenied (${denial.role}, ${denial.operation}): ${denial.message}`);
  }

  /** CloudFormation's call of the flow-resources function for a Custom::A2iFlowDefinition, with the function's own SageMaker client. */
  private async invokeFlowResources(event: CustomResourceEvent): Promise<CustomResourceResponse> {
    const sagemaker = this.enforced('flowResources', new SageMakerClient({ requestHandler: this.agents }));
    this.functionClients.push(sagemaker);
    let response: CustomResourceResponse | undefined;
    const handler = flowResources(() => ({ api: sageMakerFlowApi(sagemaker), respond: async (_url, body) => void (response = JSON.parse(body) as CustomResourceResponse) }));
    await handler(event as never, contextFor('flowResources'));
    if (!response) throw new Error(`the flow-resources function sent no response for ${event.LogicalResourceId}`);
    return response;
  }

  /**
   * Lambda's asynchronous invocation: two retries after a failure (a minute apart in AWS, a second or two here),
   * then the event goes to the function's on-failure destination (the trigger-failures DLQ), sent with the
   * function's role as Lambda does, and TriggerFailedError says so.
   */
  private async invokeAsync<T>(fn: DeployedFunction, event: unknown, invoke: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await invoke();
      } catch (error) {
        if (attempt < ASYNC_ATTEMPTS) {
          await new Promise((resolve) => setTimeout(resolve, attempt * 1000));
          continue;
        }
        const record = {
          version: '1.0',
          timestamp: new Date().toISOString(),
          requestContext: { functionArn: `${localFunctionArn(fn)}:$LATEST`, condition: 'RetriesExhausted', approximateInvokeCount: attempt },
          requestPayload: event,
          responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
          responsePayload: { errorType: (error as Error).name, errorMessage: (error as Error).message },
        };
        // A destination Lambda cannot deliver to (its role may not send) loses the event, as in AWS.
        await this.lambdaServiceClient(fn)
          .send(new SendMessageCommand({ QueueUrl: this.resources.triggerFailuresDlq.url, MessageBody: JSON.stringify(record) }))
          .catch((failure: unknown) => this.problem(`${fn}'s on-failure destination: ${(failure as Error).name}: ${(failure as Error).message}`));
        throw new TriggerFailedError(`${fn} failed ${attempt} times (its event is in the trigger-failures DLQ): ${(error as Error).name}: ${(error as Error).message}`, { cause: error });
      }
    }
  }

  /** A2I writes output.json with the flow definition's role. */
  private async putOutput(uri: string, body: string, writer: { roleArn?: string }): Promise<void> {
    const { bucket, key } = parseS3Uri(uri);
    const denied = await this.a2iRefusal(writer.roleArn, 'PutObject', { Bucket: bucket, Key: key });
    if (denied) throw new OutputWriteDeniedError(denied);
    await this.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json' }));
  }

  /**
   * A grant_read_access URL opened: the object read as the flow definition's role reads it, answered as S3
   * answers (a missing key is 403 unless the role may list the bucket).
   */
  private async readObject(bucket: string, key: string, reader: { roleArn?: string }): Promise<ObjectRead> {
    // An unsigned request for an object of a private bucket.
    if (!reader.roleArn) return { status: 403, code: 'AccessDenied', message: 'Access Denied' };
    const denied = await this.a2iRefusal(reader.roleArn, 'GetObject', { Bucket: bucket, Key: key });
    if (denied) return { status: 403, code: 'AccessDenied', message: denied };
    try {
      const { Body, ContentType } = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return { status: 200, body: Body ? await Body.transformToByteArray() : new Uint8Array(), ...(ContentType ? { contentType: ContentType } : {}) };
    } catch (error) {
      if ((error as Error).name === 'NoSuchBucket') return { status: 404, code: 'NoSuchBucket', message: 'The specified bucket does not exist' };
      if ((error as Error).name !== 'NoSuchKey') throw error;
      // S3 says a key is missing only to whom may list the bucket; to others the answer is 403.
      const listing = await this.a2iRefusal(reader.roleArn, 'ListObjectsV2', { Bucket: bucket });
      return listing ? { status: 403, code: 'AccessDenied', message: listing } : { status: 404, code: 'NoSuchKey', message: 'The specified key does not exist.' };
    }
  }

  /** The message of AWS's refusal when the role may not make this S3 call; undefined when it may (or the role is not the stack's). */
  private async a2iRefusal(roleArn: string | undefined, operation: string, input: Record<string, unknown>): Promise<string | undefined> {
    const role = this.a2iRole;
    // A flow definition a workflow names by ARN has a role of its owner's, which local mode cannot see: not checked.
    if (!role || roleArn !== role.identity.roleArn) return undefined;
    for (const request of await authorizationRequests({ client: 'S3Client', operation, input }, CALL_ENVIRONMENT)) {
      const decision = await role.decide(request);
      if (decision.allowed) continue;
      const message = accessDeniedMessage('S3Client', role.identity, request, decision.explicitDeny);
      this.accessDenied({ role: role.identity.logicalId, client: 'S3Client', operation, action: request.action, resource: request.resource, message });
      return message;
    }
    return undefined;
  }

  private problem(text: string): void {
    if (this.closing) return;
    this.options.onProblem?.(text);
  }
}

/** Sets process environment variables; the function returned puts back what was there. */
function setProcessEnv(values: Record<string, string>): () => void {
  const previous = Object.fromEntries(Object.keys(values).map((name) => [name, process.env[name]]));
  Object.assign(process.env, values);
  return () => {
    for (const [name, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

/** Marks a client's requests as the stack's own, so the fault proxy lets them through. */
function markedInternal<T extends S3Client | SQSClient>(client: T): T {
  const stack = client.middlewareStack as unknown as {
    add(middleware: (next: (args: { request: unknown }) => Promise<unknown>) => (args: { request: unknown }) => Promise<unknown>, options: { step: 'build'; name: string }): void;
  };
  stack.add(
    (next) => async (args) => {
      (args.request as { headers: Record<string, string> }).headers[INTERNAL_HEADER] = '1';
      return next(args);
    },
    { step: 'build', name: 'a2iLocalInternal' },
  );
  return client;
}

/** The local DynamoDB's journal in the state folder: the ledger survives a restart. */
const LEDGER_JOURNAL = 'dynamodb.jsonl';
/** Step Functions executions, started and ended. */
const EXECUTIONS_JOURNAL = 'executions.jsonl';
/** The messages the local consumer took off the destination queues. */
const CONSUMED_LOG = 'consumed.jsonl';
/** Uploads begun and finished. */
const UPLOADS_JOURNAL = 'uploads.jsonl';
/** Records whose message may have been sent both before and after a kill. */
const IN_DOUBT_LOG = 'in-doubt.jsonl';
/** The event sources' batches in hand. */
const IN_FLIGHT_DIR = 'in-flight';

/** Lambda's asynchronous invocation: the first try and two retries. */
const ASYNC_ATTEMPTS = 3;

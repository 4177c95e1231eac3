import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { S3Event, SQSEvent } from 'aws-lambda';
import type { Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { StackModel } from '../deploy/stack-model';
import { A2iEmulator, type OpenTask } from '../emulator/a2i-emulator';
import { workflowsForObject } from '../ingest/match';
import { DynamoDbLedger } from '../ledger';
import type { ReviewMessage } from '../messages';
import { LOCAL_AWS_CALL_POLICY } from '../runtime/aws-call-policy';
import { createAwsClients, type AwsClients } from '../runtime/aws-clients';
import { parseS3Uri } from '../s3-store';
import { loadDefinition, REVIEW_LOOP_DEFINITION } from '../state-machine-definition';
import { type CompiledWorkflow, isS3Source, loadWorkflows, serialiseWorkflowBundle } from '../workflow';
import { type Dynalite, startDynalite } from './dynalite';
import { type BridgeEventInput, LocalEventBus, type PutResult, type TargetHandler } from './event-bus';
import { busRulesOf, localRuleValues } from './event-rules';
import { type FaultProxy, INTERNAL_HEADER, startFaultProxy } from './fault-proxy';
import { FaultInjector, type FaultSpec } from './faults';
import { type FauxqsProcess, startFauxqsProcess } from './fauxqs';
import { contextFor, functionArn, type LocalFunctions, localFunctions } from './functions';
import { Journal } from './journal';
import { LOCAL_STACK_NAME, localStackModel } from './local-stack-model';
import { createLocalServer } from './local-server';
import { createLocalResources, LOCAL_ACCOUNT, LOCAL_BUCKETS, LOCAL_REGION, type LocalResources, WORK_MAX_RECEIVES } from './resources';
import { uploadAndNotify } from './s3-notifier';
import { SqsEventSource } from './sqs-event-source';
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
  /** The generated stack the local one follows (EventBridge rules): by default, the one these workflows generate. */
  stackModel?: StackModel;
  /** A handler or the bus gave up on something: shown to the person running the stack. */
  onProblem?(text: string): void;
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

const STATE_MACHINE_ARN = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:a2i-local-review-loop`;
/** The rules' DeadLetterConfig: local mode reports what would land there (onProblem). */
const EVENTS_DLQ_ARN = `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:a2i-local-events-dlq`;
const LEDGER_TABLE = 'a2i-local-ledger';
/** All the stack's functions share the handler clients here: a pool for many concurrent invocations. */
const LOCAL_MAX_SOCKETS = 512;

/** One stack per process: the handlers' SDK clients find the emulators through the process's endpoint variables. */
let running = false;

/**
 * The whole pipeline on loopback with the cloud's handler code and SDK clients: fauxqs (S3 and SQS), dynalite
 * (the ledger), our A2I emulator, the review-loop state machine on aws-local-stepfunctions, a local event bus,
 * SQS event sources for the work and poll queues, and the review UI. Destination queues are drained into the
 * journal (and files), as a downstream consumer would.
 */
export class LocalStack {
  private readonly sources: SqsEventSource[] = [];
  private readonly consumed = new Set<string>();
  private ready = false;
  private closing = false;
  private restoreEnv: () => void = () => undefined;
  private fauxqs?: FauxqsProcess;
  private faults?: FaultInjector;
  private faultProxy?: FaultProxy;
  private readonly random: () => number;
  private dynalite?: Dynalite;
  private server?: Server;
  private handlerClients?: AwsClients;
  private s3!: S3Client;
  private sqs!: SQSClient;
  private sagemaker!: SageMakerClient;
  private stepFunctions!: LocalStepFunctions;
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

  /** Puts a file into S3 as the cloud would receive it and runs the S3 trigger; `name` is a key, or a file name placed under each workflow's prefix that takes it. */
  async upload(name: string, body: Buffer): Promise<UploadResult[]> {
    const targets = this.uploadTargets(name);
    if (targets.length === 0) throw new Error(`no workflow takes ${name}: ${this.describeSources()}`);
    const results: UploadResult[] = [];
    for (const { bucket, key } of targets) {
      const trigger = (event: S3Event) => invokeAsync(() => this.functions.ingestS3Object(event, contextFor('ingestS3Object')));
      await uploadAndNotify(this.s3, bucket, key, body, async (event) => {
        await trigger(event);
        // S3 delivers notifications at least once.
        if (this.drawDuplicate()) await trigger(event);
      });
      results.push({ bucket, key, workflows: workflowsForObject(this.workflows, bucket, key, LOCAL_BUCKETS.input).map((workflow) => workflow.definition.name) });
    }
    return results;
  }

  /** PutEvents on the local bus: custom events reach the workflows whose pattern they match. */
  putEvents(events: BridgeEventInput[]): PutResult {
    const result = this.bus.put(events);
    // EventBridge delivers at least once: the same event (same id) may reach a target twice.
    const again = events.filter(() => this.drawDuplicate());
    if (again.length > 0) this.bus.put(again);
    return result;
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
    await Promise.all([this.bus.idle(), this.stepFunctions.idle(), ...this.sources.map((source) => source.idle())]);
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
    for (const client of [this.s3, this.sqs, this.sagemaker, ...Object.values(this.handlerClients ?? {})]) client?.destroy();
    await this.dynalite?.close().catch(() => undefined);
    await this.faultProxy?.close();
    await this.fauxqs?.stop().catch(() => undefined);
    this.restoreEnv();
    running = false;
  }

  private async boot(): Promise<void> {
    const { options } = this;
    [this.fauxqs, this.dynalite] = await Promise.all([startFauxqsProcess({ defaultRegion: LOCAL_REGION }), startDynalite()]);
    if (options.faults) {
      this.faults = new FaultInjector(options.faults, this.random);
      this.faultProxy = await startFaultProxy(this.fauxqs.endpoint, this.faults);
    }
    // With faults on, S3 and SQS calls go through the proxy (queue URLs name it); the stack's own calls are marked internal.
    const storage = this.faultProxy?.endpoint ?? this.fauxqs.endpoint;
    const env: Record<string, string | undefined> = {};
    // Before the emulator: loops restored from stateDir may expire at once and announce it.
    this.bus = new LocalEventBus({
      region: LOCAL_REGION,
      account: LOCAL_ACCOUNT,
      onFailure: (event, error, failure) => this.problem(`event ${event.id} (${event['detail-type']}) failed ${failure.attempts} times in rule ${failure.rule}: ${(error as Error).message}`),
      onDeadLetter: (letter) => this.problem(`event ${letter.event.id} (${letter.event['detail-type']}) not delivered by rule ${letter.rule} to ${letter.targetArn}: ${letter.errorCode}: ${letter.errorMessage}${letter.deadLetterArn ? ` (to the DLQ ${letter.deadLetterArn})` : ' (dropped: no DLQ)'}`),
    });
    this.journal = new Journal(this.workflows.map((workflow) => workflow.definition.name));
    this.emulator = new A2iEmulator({
      stateDir: options.stateDir,
      region: LOCAL_REGION,
      accountId: LOCAL_ACCOUNT,
      outputs: { put: (uri, body) => this.putObject(uri, body) },
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
      readObject: (bucket, key) => this.readObject(bucket, key),
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
    this.s3 = markedInternal(new S3Client({ forcePathStyle: true }));
    this.sqs = markedInternal(new SQSClient({}));
    this.sagemaker = new SageMakerClient({});
    this.handlerClients = createAwsClients({ maxSockets: LOCAL_MAX_SOCKETS, policy: LOCAL_AWS_CALL_POLICY });
    this.functions = localFunctions(env, this.handlerClients);

    this.stepFunctions = new LocalStepFunctions(
      [
        {
          arn: STATE_MACHINE_ARN,
          definition: loadDefinition(REVIEW_LOOP_DEFINITION, {
            ReviewLoopCheckFunctionArn: functionArn('reviewLoopCheck'),
            ReviewLoopWaitFunctionArn: functionArn('reviewLoopWait'),
            ReviewLoopCompleteFunctionArn: functionArn('reviewLoopComplete'),
            ReviewLoopFailFunctionArn: functionArn('reviewLoopFail'),
          }),
          tasks: this.functions.tasks,
        },
      ],
      { region: LOCAL_REGION, accountId: LOCAL_ACCOUNT, onExecutionEnd: (summary) => summary.status !== 'SUCCEEDED' && this.problem(`execution ${summary.name} ${summary.status}: ${summary.error ?? ''} ${summary.cause ?? ''}`) },
    );

    for (const bucket of new Set(this.workflows.flatMap(({ definition }) => (isS3Source(definition.source) && definition.source.s3.bucket ? [definition.source.s3.bucket] : [])))) {
      await this.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    }
    this.resources = await createLocalResources({ s3: this.s3, sqs: this.sqs, sagemaker: this.sagemaker }, this.workflows, (arn) => this.emulator.importFlowDefinition(arn, LOCAL_BUCKETS.output));
    await this.dynalite.createLedgerTable(LEDGER_TABLE);
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
    await this.startSources(concurrency);
    this.ready = true;
    await this.resumeTracking();
  }

  /** The bus routes only by what the stack says: its rules, patterns, target inputs and permissions. */
  private addRules(): void {
    const model = this.options.stackModel ?? localStackModel(this.workflows);
    const handlers: Record<string, TargetHandler> = {
      ingestS3Object: (input, context) => this.functions.ingestS3Object(input as never, context),
      ingestEvent: (input, context) => this.functions.ingestEvent(input as never, context),
      loopStatusEvent: (input, context) => this.functions.loopStatusEvent(input as never, context),
    };
    const functions = Object.entries(handlers).map(([key, invoke]) => ({ key, arn: functionArn(key), name: `a2i-local-${key}`, invoke }));
    const values = localRuleValues({ region: LOCAL_REGION, account: LOCAL_ACCOUNT, stackName: LOCAL_STACK_NAME, functions, eventsDlqArn: EVENTS_DLQ_ARN });
    for (const rule of busRulesOf(model, values, functions)) this.bus.addRule(rule);
  }

  private async startSources(concurrency: number): Promise<void> {
    const onError = (stage: string) => (error: unknown) => this.problem(`${stage}: ${(error as Error).name}: ${(error as Error).message}`);
    this.sources.push(
      new SqsEventSource({ client: this.sqs, queueUrl: this.resources.work.url, queueArn: this.resources.work.arn, handler: this.functions.ingestWork, functionName: 'a2i-local-ingestWork', concurrency, timeoutMs: 300_000, onError: onError('work queue') }),
      new SqsEventSource({ client: this.sqs, queueUrl: this.resources.poll.url, queueArn: this.resources.poll.arn, handler: this.functions.loopPoll, functionName: 'a2i-local-loopPoll', onError: onError('poll queue') }),
    );
    for (const [workflow, queues] of this.resources.destinations) {
      for (const [queue, { url, arn }] of queues) {
        this.sources.push(new SqsEventSource({ client: this.sqs, queueUrl: url, queueArn: arn, handler: async (event) => this.take(workflow, queue, event), functionName: `consumer-${workflow}-${queue}`, onError: onError(`queue ${queue}`) }));
      }
    }
    await Promise.all(this.sources.map((source) => source.start()));
  }

  /** The downstream consumer of local mode: every message goes to the journal and the listener. */
  private async take(workflow: string, queue: string, event: SQSEvent): Promise<void> {
    for (const record of event.Records) {
      // SQS delivers at least once: the same message (not a second message for the record) can come back.
      if (this.consumed.has(record.messageId)) continue;
      this.consumed.add(record.messageId);
      const message = JSON.parse(record.body) as ReviewMessage;
      this.journal.delivered(message, queue);
      this.options.onDelivered?.({ workflow, queue, message, body: record.body, receivedAt: Date.now() });
    }
  }

  /**
   * Loops left open by an earlier run (the emulator keeps them; executions and the ledger do not survive):
   * an execution tracks each again, named as ingest names it, so a reviewed one is still delivered.
   */
  private async resumeTracking(): Promise<void> {
    const ledger = new DynamoDbLedger((this.handlerClients as AwsClients).dynamo, LEDGER_TABLE);
    for (const task of this.emulator.openTasks()) {
      const input = task.inputContent as { reviewId?: string; workflow?: string; recordId?: string; source?: unknown };
      if (typeof input?.reviewId !== 'string' || typeof input.workflow !== 'string' || !this.workflows.some((workflow) => workflow.definition.name === input.workflow)) continue;
      this.journal.loopStarted(task);
      // The ledger did not survive either: the record is known again as started, so its wait parks a token.
      const recordIndex = (input.source as { recordIndex?: unknown } | undefined)?.recordIndex;
      await ledger.reserveStart({ reviewId: input.reviewId, workflow: input.workflow, recordIndex: typeof recordIndex === 'number' ? recordIndex : 0 });
      await ledger.markStarted(input.reviewId, { humanLoopName: task.humanLoopName });
      await this.stepFunctions.start(STATE_MACHINE_ARN, task.humanLoopName, {
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

  private async putObject(uri: string, body: string): Promise<void> {
    const { bucket, key } = parseS3Uri(uri);
    await this.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json' }));
  }

  private async readObject(bucket: string, key: string): Promise<{ body: Uint8Array; contentType?: string } | undefined> {
    try {
      const { Body, ContentType } = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return Body ? { body: await Body.transformToByteArray(), ...(ContentType ? { contentType: ContentType } : {}) } : undefined;
    } catch (error) {
      if ((error as Error).name === 'NoSuchKey' || (error as Error).name === 'NoSuchBucket') return undefined;
      throw error;
    }
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

/** Lambda's asynchronous invocation: two retries after a failure (a minute apart in AWS, a second or two here). */
async function invokeAsync<T>(invoke: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await invoke();
    } catch (error) {
      if (attempt === ASYNC_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, attempt * 1000));
    }
  }
}

const ASYNC_ATTEMPTS = 3;

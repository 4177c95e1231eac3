import type { IncomingMessage, ServerResponse } from 'node:http';
import { isA2iRuntimePath, serveA2iRuntime } from './a2i-runtime-routes';
import { type AnswerSubmission, HumanLoops, type OpenTask, type OutputStore } from './human-loops';
import { type FailureCode, isGone } from './records';
import type { SageMakerContext } from './sagemaker-operations';
import { sageMakerOperationOf, serveSageMaker } from './sagemaker-protocol';
import type { A2iStatusEvent } from './status-events';
import { EmulatorStore } from './store';

import { ApiError } from './errors';

export { ApiError };
export type { AnswerSubmission, OpenTask, OutputStore } from './human-loops';
export { OutputWriteDeniedError } from './human-loops';
export type { FailureCode, HumanLoopStatus } from './records';
export type { A2iStatusEvent, A2iStatusEventDetail } from './status-events';

export interface EmulatorOptions {
  /** Flow definitions, UIs and loops live here, one JSON file each; a new emulator on it carries on. */
  stateDir: string;
  outputs: OutputStore;
  /** Called when StartHumanLoop creates a loop (a retried start is not a new loop). */
  onLoopStarted?(task: OpenTask): void;
  /** Called with the EventBridge event A2I sends when a loop becomes Completed, Failed or Stopped. */
  onStatusChange?(event: A2iStatusEvent): void | Promise<void>;
  region?: string;
  accountId?: string;
  /** Epoch ms; tests move time instead of waiting. */
  now?(): number;
  /** How long a stopped loop stays Stopping before it is Stopped; default 0 (A2I stops an untaken task at once). */
  stopDelayMs?: number;
  /**
   * How long a deleted flow definition stays Deleting before Describe answers ResourceNotFound. Not 0 by default:
   * A2I's deletion is asynchronous, and code that deletes a task UI right after its flow definition must fail here too.
   */
  flowDeletionMs?: number;
}

/** A2I takes a while to finish a deletion; locally, long enough to be seen by one Describe. */
export const DEFAULT_FLOW_DELETION_MS = 1000;

/** Where DescribeHumanTaskUi's UiTemplate.Url points; the emulator serves the template there. */
const TEMPLATE_PATH = /^\/a2i-emulator\/human-task-uis\/([a-z0-9-]+)\/template$/;
/** setTimeout's limit; a later due time is reached in several hops. */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;
/** After a failed run of due work (a disk error), try again this much later rather than at once. */
const RETRY_DUE_WORK_MS = 1000;

/**
 * Amazon Augmented AI on loopback: the A2I runtime (restJson1) and the SageMaker flow-definition and
 * human-task-UI operations (awsJson1_1), so the unchanged AWS SDK clients and CLI work with only an endpoint
 * override. Reviewers answer through `submitAnswer` (the review UI), loops complete with output.json in A2I's
 * format and key layout, expire after TaskAvailabilityLifetimeInSeconds, and announce their end as A2I does.
 */
export class A2iEmulator {
  private readonly store: EmulatorStore;
  private readonly loops: HumanLoops;
  private readonly region: string;
  private readonly accountId: string;
  private readonly now: () => number;
  private dueTimer?: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly options: EmulatorOptions) {
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '123456789012';
    this.now = options.now ?? (() => Date.now());
    this.store = new EmulatorStore(options.stateDir);
    this.loops = new HumanLoops({
      store: this.store,
      outputs: options.outputs,
      region: this.region,
      accountId: this.accountId,
      now: this.now,
      stopDelayMs: options.stopDelayMs ?? 0,
      onStarted: (task) => {
        try {
          options.onLoopStarted?.(task);
        } catch (error) {
          process.emitWarning(`A2I emulator: onLoopStarted failed for ${task.humanLoopName}: ${(error as Error).message}`);
        }
      },
    });
    // Loops restored from the state directory expire (or finish stopping) on time.
    this.scheduleDueWork();
  }

  /** Handles the request if it is an A2I runtime or SageMaker call; resolves false (without touching res) when it is not one of ours. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const operation = sageMakerOperationOf(req);
    if (operation !== undefined) {
      await serveSageMaker(req, res, operation, this.sageMakerContext(req));
      return true;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (isA2iRuntimePath(url.pathname)) {
      await serveA2iRuntime(req, res, url, this.loops);
      // A start or a stop may have brought the next due time forward.
      this.scheduleDueWork();
      return true;
    }
    const template = req.method === 'GET' ? TEMPLATE_PATH.exec(url.pathname) : null;
    if (template) {
      this.serveTemplate(template[1], res);
      return true;
    }
    return false;
  }

  /** Loops waiting for answers, oldest first. */
  openTasks(): OpenTask[] {
    return this.loops.openTasks();
  }

  /**
   * A flow definition that exists elsewhere (a workflow naming its ARN), registered under that ARN so loops
   * can start against it locally. It has no task UI here, so its tasks get the generic answer form.
   */
  async importFlowDefinition(arn: string, outputBucket: string): Promise<void> {
    const name = /:flow-definition\/([a-z0-9](?:-*[a-z0-9]){0,62})$/.exec(arn)?.[1];
    if (!name) throw new ApiError('ValidationException', `not a flow definition ARN: ${arn}`, 400);
    await this.store.exclusive(async () => {
      const found = this.store.flowDefinitions.get(name);
      const existing = found && !isGone(found, this.now()) ? found : undefined;
      if (existing?.arn === arn) return;
      if (existing) throw new ApiError('ResourceInUse', `a flow definition named ${name} exists with another ARN (${existing.arn})`, 400);
      await this.store.flowDefinitions.save({
        name,
        arn,
        creationTime: this.now(),
        roleArn: `arn:aws:iam::${this.accountId}:role/imported-flow-definition`,
        humanLoopConfig: { WorkteamArn: `arn:aws:sagemaker:${this.region}:${this.accountId}:workteam/private-crowd/local-reviewers`, HumanTaskUiArn: '', TaskTitle: name, TaskDescription: name, TaskCount: 1 },
        outputConfig: { S3OutputPath: `s3://${outputBucket}` },
      });
    });
  }

  /** One loop waiting for answers; undefined when there is none by that name or it is no longer InProgress. */
  openTask(humanLoopName: string): OpenTask | undefined {
    return this.loops.openTask(humanLoopName);
  }

  humanTaskUi(arn: string): { uiTemplate: string } | undefined {
    const ui = this.store.humanTaskUis.find((candidate) => candidate.arn === arn);
    return ui ? { uiTemplate: ui.content } : undefined;
  }

  /**
   * Records one worker's answer; the TaskCount-th answer writes output.json and completes the loop. Rejects
   * with an ApiError named ResourceNotFoundException (no such loop) or ValidationException (not in progress,
   * or the worker already answered).
   */
  async submitAnswer(humanLoopName: string, answer: AnswerSubmission): Promise<void> {
    const events = await this.loops.submitAnswer(humanLoopName, answer);
    this.scheduleDueWork();
    await this.emit(events);
  }

  /** For replay's scripted outcomes: ends an active loop as Stopped or Failed (default code InternalError). */
  async setStatus(humanLoopName: string, status: 'Stopped' | 'Failed', failureCode?: FailureCode, reason?: string): Promise<void> {
    const events = await this.loops.setStatus(humanLoopName, status, failureCode, reason);
    this.scheduleDueWork();
    await this.emit(events);
  }

  /**
   * Fails loops whose TaskAvailabilityLifetimeInSeconds has passed (FailureCode Expired) and finishes due
   * stops, by the `now` clock. The emulator's timer calls it; tests call it after moving `now`.
   */
  async processDue(): Promise<void> {
    const events = await this.loops.processDue();
    this.scheduleDueWork();
    await this.emit(events);
  }

  /** Clears timers; the state directory keeps everything for the next emulator. */
  close(): void {
    this.closed = true;
    clearTimeout(this.dueTimer);
    this.dueTimer = undefined;
  }

  private scheduleDueWork(minimumDelayMs = 0): void {
    clearTimeout(this.dueTimer);
    this.dueTimer = undefined;
    const due = this.loops.nextDueTime();
    if (this.closed || due === undefined) return;
    const delay = Math.min(Math.max(minimumDelayMs, due - this.now()), MAX_TIMER_DELAY_MS);
    this.dueTimer = setTimeout(() => {
      this.dueTimer = undefined;
      this.processDue().catch((error: unknown) => {
        process.emitWarning(`A2I emulator: processing due loops failed: ${(error as Error).message}`);
        this.scheduleDueWork(RETRY_DUE_WORK_MS);
      });
    }, delay);
    // Local mode's server keeps the process alive; a pending expiry alone should not.
    this.dueTimer.unref();
  }

  /** Events go out after the change is stored; a failing listener does not undo it. */
  private async emit(events: A2iStatusEvent[]): Promise<void> {
    for (const event of events) {
      try {
        await this.options.onStatusChange?.(event);
      } catch (error) {
        process.emitWarning(`A2I emulator: onStatusChange failed for ${event.detail.humanLoopName} (${event.detail.humanLoopStatus}): ${(error as Error).message}`);
      }
    }
  }

  private sageMakerContext(req: IncomingMessage): SageMakerContext {
    const host = req.headers.host ?? 'localhost';
    return {
      store: this.store,
      region: this.region,
      accountId: this.accountId,
      now: this.now,
      flowDeletionMs: this.options.flowDeletionMs ?? DEFAULT_FLOW_DELETION_MS,
      templateUrl: (name) => `http://${host}/a2i-emulator/human-task-uis/${name}/template`,
    };
  }

  private serveTemplate(name: string, res: ServerResponse): void {
    const ui = this.store.humanTaskUis.get(name);
    const body = ui ? ui.content : `No human task UI named ${name}`;
    // Plain text: the template is Liquid source, not a page to render here.
    res.writeHead(ui ? 200 : 404, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  }
}

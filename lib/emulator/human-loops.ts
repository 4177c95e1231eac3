import { createHash, randomBytes } from 'node:crypto';
import { HUMAN_LOOP_NAME_REQUEST, LIST_HUMAN_LOOPS_REQUEST, START_HUMAN_LOOP_REQUEST } from './a2i-runtime-shapes';
import { assertValid, isJsonText, parseTimestamp } from './constraints';
import { conflictException, resourceNotFoundException, validationException } from './errors';
import { outputDocument, outputS3Uri } from './loop-output';
import { DEFAULT_MAX_RESULTS, paginate } from './pagination';
import { type FailureCode, type HumanAnswer, type HumanLoopRecord, isGone } from './records';
import { type A2iStatusEvent, type AnnouncedStatus, statusChangeEvent } from './status-events';
import type { EmulatorStore } from './store';
import { isoMillis } from './timestamps';

/** Where output.json goes: local S3 in local mode, a Map in tests. */
export interface OutputStore {
  /** A2I writes with the flow definition's role: OutputWriteDeniedError when that role may not write there. */
  put(s3Uri: string, body: string, writer: { roleArn?: string }): Promise<void>;
}

/**
 * The flow definition's role may not write output.json. A2I cannot complete the loop: it ends Failed with
 * FailureCode ValidationError (A2I documents no code for it; the role is the flow definition's configuration,
 * which ValidationError covers) and the refusal as its FailureReason. The reviewers' answers are not kept.
 */
export class OutputWriteDeniedError extends Error {
  override readonly name = 'OutputWriteDeniedError';
}

/** DescribeHumanLoop's FailureReason is at most this long. */
const MAX_FAILURE_REASON_CHARS = 1024;

export interface LoopsContext {
  store: EmulatorStore;
  outputs: OutputStore;
  region: string;
  accountId: string;
  now(): number;
  /** How long a stopped loop stays Stopping. A2I stops at once when no worker holds the task. */
  stopDelayMs: number;
  /** A new loop was stored (not a retried start); for local mode's auto-review and journey. */
  onStarted?(task: OpenTask): void;
}

/**
 * A flow definition without TaskAvailabilityLifetimeInSeconds: the API reference gives 1–864,000 as the
 * range and no default; the emulator uses the maximum (10 days).
 */
export const DEFAULT_TASK_AVAILABILITY_LIFETIME_SECONDS = 864_000;

export interface AnswerSubmission {
  answerContent: unknown;
  workerId?: string;
  acceptanceTime?: string;
  timeSpentInSeconds?: number;
}

export interface OpenTask {
  humanLoopName: string;
  flowDefinitionName: string;
  flowDefinitionArn: string;
  humanTaskUiArn?: string;
  /** The flow definition's role: what A2I reads the task's inputs with (grant_read_access). */
  roleArn?: string;
  inputContent: unknown;
  answersSoFar: number;
  taskCount: number;
  creationTime: string;
}

interface StartRequest {
  HumanLoopName: string;
  FlowDefinitionArn: string;
  HumanLoopInput: { InputContent: string };
  DataAttributes?: { ContentClassifiers: string[] };
}

interface ListRequest {
  FlowDefinitionArn: string;
  CreationTimeAfter?: string;
  CreationTimeBefore?: string;
  SortOrder?: 'Ascending' | 'Descending';
  NextToken?: string;
  MaxResults?: number;
}

const FINISHED: ReadonlySet<string> = new Set(['Completed', 'Failed', 'Stopped']);
const ACTIVE: ReadonlySet<string> = new Set(['InProgress', 'Stopping']);

/**
 * The human loops: the A2I runtime operations, the reviewers' answers, and the transitions time brings
 * (expiry, the end of Stopping). Changes that A2I announces return their status-change events for the
 * caller to emit once the change is stored.
 */
export class HumanLoops {
  constructor(private readonly context: LoopsContext) {}

  private get loops() {
    return this.context.store.humanLoops;
  }

  async start(body: Record<string, unknown>): Promise<{ HumanLoopArn: string }> {
    assertValid(START_HUMAN_LOOP_REQUEST, body);
    const request = body as unknown as StartRequest;
    const { HumanLoopName: name, FlowDefinitionArn: flowArn } = request;
    const input = request.HumanLoopInput.InputContent;
    return this.context.store.exclusive(async () => {
      const flow = this.context.store.flowDefinitions.find((candidate) => candidate.arn === flowArn && !isGone(candidate, this.context.now()));
      if (!flow) throw validationException(`Flow definition ${flowArn} does not exist`);
      if (flow.deletion) throw validationException(`Flow definition ${flowArn} is being deleted; it takes no new human loops`);
      if (!isJsonText(input)) throw validationException('HumanLoopInput.InputContent must be a JSON document');
      const existing = this.loops.get(name);
      if (existing) {
        // A retried start is idempotent; the name is taken otherwise, for good while the loop is active.
        if (existing.flowDefinitionArn === flowArn && existing.inputContent === input) return { HumanLoopArn: existing.arn };
        if (ACTIVE.has(existing.status)) throw conflictException(`Human loop ${name} is active with different input data`);
        throw validationException(`A human loop named ${name} already exists (${existing.status}); delete it to reuse the name`);
      }
      const creationTime = this.context.now();
      const lifetimeSeconds = flow.humanLoopConfig.TaskAvailabilityLifetimeInSeconds ?? DEFAULT_TASK_AVAILABILITY_LIFETIME_SECONDS;
      const loop: HumanLoopRecord = {
        name,
        arn: `arn:aws:sagemaker:${this.context.region}:${this.context.accountId}:human-loop/${name}`,
        flowDefinitionArn: flow.arn,
        flowDefinitionName: flow.name,
        humanTaskUiArn: flow.humanLoopConfig.HumanTaskUiArn,
        roleArn: flow.roleArn,
        taskCount: flow.humanLoopConfig.TaskCount,
        s3OutputPath: flow.outputConfig.S3OutputPath,
        creationTime,
        inputContent: input,
        ...(request.DataAttributes ? { contentClassifiers: request.DataAttributes.ContentClassifiers } : {}),
        status: 'InProgress',
        answers: [],
        expiresAt: creationTime + lifetimeSeconds * 1000,
      };
      await this.loops.save(loop);
      this.context.onStarted?.(openTaskOf(loop));
      return { HumanLoopArn: loop.arn };
    });
  }

  describe(name: string): Record<string, unknown> {
    const loop = this.existing(name);
    return {
      CreationTime: isoMillis(loop.creationTime),
      ...(loop.status === 'Failed' ? { FailureReason: loop.failureReason, FailureCode: loop.failureCode } : {}),
      HumanLoopStatus: loop.status,
      HumanLoopName: loop.name,
      HumanLoopArn: loop.arn,
      FlowDefinitionArn: loop.flowDefinitionArn,
      ...(loop.status === 'Completed' && loop.outputS3Uri ? { HumanLoopOutput: { OutputS3Uri: loop.outputS3Uri } } : {}),
    };
  }

  list(query: Record<string, unknown>): Record<string, unknown> {
    assertValid(LIST_HUMAN_LOOPS_REQUEST, query);
    const request = query as unknown as ListRequest;
    const flowArn = request.FlowDefinitionArn;
    const ofFlow = this.loops.values().filter((loop) => loop.flowDefinitionArn === flowArn);
    if (ofFlow.length === 0 && !this.context.store.flowDefinitions.find((flow) => flow.arn === flowArn && !isGone(flow, this.context.now()))) {
      throw resourceNotFoundException(`Flow definition ${flowArn} does not exist`);
    }
    const createdAfter = parseTimestamp(request.CreationTimeAfter);
    const createdBefore = parseTimestamp(request.CreationTimeBefore);
    const descending = request.SortOrder !== 'Ascending';
    const { items, nextToken } = paginate(ofFlow, {
      createdAfter,
      createdBefore,
      descending,
      maxResults: request.MaxResults ?? DEFAULT_MAX_RESULTS,
      nextToken: request.NextToken,
      scope: JSON.stringify(['ListHumanLoops', flowArn, createdAfter, createdBefore, descending]),
    });
    return {
      HumanLoopSummaries: items.map((loop) => ({
        HumanLoopName: loop.name,
        HumanLoopStatus: loop.status,
        CreationTime: isoMillis(loop.creationTime),
        ...(loop.status === 'Failed' ? { FailureReason: loop.failureReason } : {}),
        FlowDefinitionArn: loop.flowDefinitionArn,
      })),
      ...(nextToken ? { NextToken: nextToken } : {}),
    };
  }

  /** InProgress → Stopping; `processDue` finishes the stop once `stopDelayMs` has passed. */
  async stop(body: Record<string, unknown>): Promise<void> {
    assertValid(HUMAN_LOOP_NAME_REQUEST, body);
    const name = body.HumanLoopName as string;
    return this.context.store.exclusive(async () => {
      const loop = this.existing(name);
      if (loop.status === 'Stopping') return;
      if (loop.status !== 'InProgress') throw validationException(`Human loop ${name} is ${loop.status}; only a loop in progress can be stopped`);
      await this.loops.save({ ...loop, status: 'Stopping', stopsAt: this.context.now() + this.context.stopDelayMs });
    });
  }

  async delete(name: string): Promise<void> {
    assertValid(HUMAN_LOOP_NAME_REQUEST, { HumanLoopName: name });
    return this.context.store.exclusive(async () => {
      const loop = this.existing(name);
      if (!FINISHED.has(loop.status)) throw validationException(`Human loop ${name} is ${loop.status}; stop it before deleting it`);
      await this.loops.remove(name);
    });
  }

  submitAnswer(name: string, submission: AnswerSubmission): Promise<A2iStatusEvent[]> {
    return this.context.store.exclusive(async () => {
      const loop = this.existing(name);
      if (loop.status !== 'InProgress') throw validationException(`Human loop ${name} is ${loop.status}; it takes no more answers`);
      const answer = this.answerOf(submission);
      if (loop.answers.some((earlier) => earlier.workerId === answer.workerId)) {
        throw validationException(`Worker ${answer.workerId} has already answered human loop ${name}; each of its ${loop.taskCount} tasks goes to a different worker`);
      }
      const answers = [...loop.answers, answer];
      if (answers.length < loop.taskCount) {
        await this.loops.save({ ...loop, answers });
        return [];
      }
      // Written before the loop says Completed, as A2I does: a completed loop always has its output.
      const uri = outputS3Uri(loop);
      try {
        await this.context.outputs.put(uri, outputDocument(loop, answers), { roleArn: loop.roleArn });
      } catch (error) {
        if (!(error instanceof OutputWriteDeniedError)) throw error;
        const failureReason = `A2I could not write the output to ${uri}: ${error.message}`.slice(0, MAX_FAILURE_REASON_CHARS);
        return [await this.finish({ ...loop, failureCode: 'ValidationError', failureReason }, 'Failed')];
      }
      return [await this.finish({ ...loop, answers, outputS3Uri: uri }, 'Completed')];
    });
  }

  /** Replay's scripted outcomes: an active loop ends Stopped or Failed, announced as A2I would. */
  setStatus(name: string, status: 'Stopped' | 'Failed', failureCode?: FailureCode, reason?: string): Promise<A2iStatusEvent[]> {
    return this.context.store.exclusive(async () => {
      const loop = this.existing(name);
      if (!ACTIVE.has(loop.status)) throw validationException(`Human loop ${name} is ${loop.status}; only an active loop can end`);
      if (status === 'Stopped') {
        if (failureCode !== undefined) throw validationException('A failure code applies to a Failed loop only');
        return [await this.finish(loop, 'Stopped')];
      }
      const code = failureCode ?? 'InternalError';
      return [await this.finish({ ...loop, failureCode: code, failureReason: reason ?? defaultFailureReason(code) }, 'Failed')];
    });
  }

  /** Expires loops whose TaskAvailabilityLifetimeInSeconds has passed and ends stops that are due. */
  processDue(): Promise<A2iStatusEvent[]> {
    return this.context.store.exclusive(async () => {
      const now = this.context.now();
      const due = this.loops
        .values()
        .filter((loop) => dueTime(loop) !== undefined && (dueTime(loop) as number) <= now)
        .sort((a, b) => (dueTime(a) as number) - (dueTime(b) as number));
      const events: A2iStatusEvent[] = [];
      for (const loop of due) {
        if (loop.status === 'Stopping') {
          events.push(await this.finish(loop, 'Stopped'));
        } else {
          const lifetimeSeconds = (loop.expiresAt - loop.creationTime) / 1000;
          events.push(await this.finish({ ...loop, failureCode: 'Expired', failureReason: `No answer within TaskAvailabilityLifetimeInSeconds (${lifetimeSeconds} s)` }, 'Failed'));
        }
      }
      return events;
    });
  }

  /** The earliest time `processDue` has work, if any. */
  nextDueTime(): number | undefined {
    let earliest: number | undefined;
    for (const loop of this.loops.values()) {
      const time = dueTime(loop);
      if (time !== undefined && (earliest === undefined || time < earliest)) earliest = time;
    }
    return earliest;
  }

  openTasks(): OpenTask[] {
    return this.loops
      .values()
      .filter((loop) => loop.status === 'InProgress')
      .sort((a, b) => a.creationTime - b.creationTime || (a.name < b.name ? -1 : 1))
      .map(openTaskOf);
  }

  /** The loop as a task, while it waits for answers. */
  openTask(name: string): OpenTask | undefined {
    const loop = this.loops.get(name);
    return loop?.status === 'InProgress' ? openTaskOf(loop) : undefined;
  }

  private existing(name: string): HumanLoopRecord {
    assertValid(HUMAN_LOOP_NAME_REQUEST, { HumanLoopName: name });
    const loop = this.loops.get(name);
    if (!loop) throw resourceNotFoundException(`Human loop ${name} does not exist`);
    return loop;
  }

  private async finish(loop: HumanLoopRecord, status: AnnouncedStatus): Promise<A2iStatusEvent> {
    const { stopsAt: _stopsAt, ...rest } = loop;
    const finished = { ...rest, status };
    await this.loops.save(finished);
    return statusChangeEvent(finished, { account: this.context.accountId, region: this.context.region, at: this.context.now() });
  }

  private answerOf(submission: AnswerSubmission): HumanAnswer {
    const { answerContent, workerId: givenWorkerId, timeSpentInSeconds: givenTimeSpent } = submission;
    // A2I records answerContent as one object keyed by the template's element names.
    if (answerContent === null || typeof answerContent !== 'object' || Array.isArray(answerContent)) throw validationException('answerContent must be a JSON object');
    if (givenWorkerId !== undefined && (typeof givenWorkerId !== 'string' || givenWorkerId === '')) throw validationException('workerId must be a non-empty string');
    if (givenTimeSpent !== undefined && !(Number.isFinite(givenTimeSpent) && givenTimeSpent >= 0)) throw validationException('timeSpentInSeconds must be a number of seconds, 0 or more');
    const submittedAt = this.context.now();
    const acceptedAt = submission.acceptanceTime === undefined ? undefined : Date.parse(submission.acceptanceTime);
    if (acceptedAt !== undefined && Number.isNaN(acceptedAt)) throw validationException(`acceptanceTime ${submission.acceptanceTime} is not an ISO 8601 time`);
    const timeSpentInSeconds = givenTimeSpent ?? (acceptedAt === undefined ? 0 : Math.max(0, (submittedAt - acceptedAt) / 1000));
    // Each anonymous submission counts as a different worker, as TaskCount > 1 needs distinct workers.
    const workerId = givenWorkerId ?? randomBytes(8).toString('hex');
    return {
      acceptanceTime: isoMillis(acceptedAt ?? submittedAt - timeSpentInSeconds * 1000),
      answerContent,
      submissionTime: isoMillis(submittedAt),
      timeSpentInSeconds: Math.round(timeSpentInSeconds * 1000) / 1000,
      workerId,
      workerMetadata: {
        identityData: {
          identityProviderType: 'Cognito',
          issuer: `https://cognito-idp.${this.context.region}.amazonaws.com/${this.context.region}_localmode`,
          sub: uuidFrom(workerId),
        },
      },
    };
  }
}

function dueTime(loop: HumanLoopRecord): number | undefined {
  if (loop.status === 'InProgress') return loop.expiresAt;
  if (loop.status === 'Stopping') return loop.stopsAt ?? loop.creationTime;
  return undefined;
}

/** A stable Cognito-style `sub` for a worker id. */
function uuidFrom(workerId: string): string {
  const hex = createHash('sha256').update(workerId).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function defaultFailureReason(code: FailureCode): string {
  switch (code) {
    case 'Expired':
      return 'No answer within TaskAvailabilityLifetimeInSeconds';
    case 'ValidationError':
      return 'The human loop input or configuration is not valid';
    case 'InternalError':
      return 'An internal error occurred';
  }
}

function openTaskOf(loop: HumanLoopRecord): OpenTask {
  return {
    humanLoopName: loop.name,
    flowDefinitionName: loop.flowDefinitionName,
    flowDefinitionArn: loop.flowDefinitionArn,
    ...(loop.humanTaskUiArn ? { humanTaskUiArn: loop.humanTaskUiArn } : {}),
    ...(loop.roleArn ? { roleArn: loop.roleArn } : {}),
    inputContent: JSON.parse(loop.inputContent) as unknown,
    answersSoFar: loop.answers.length,
    taskCount: loop.taskCount,
    creationTime: isoMillis(loop.creationTime),
  };
}

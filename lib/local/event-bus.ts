import type { Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { type Clock, systemClock } from '../clock';
import { compileEventPattern, type EventPattern } from '../event-pattern';
import { lambdaContext } from './lambda-context';

/** An event as EventBridge delivers it to a target. */
export interface BridgeEvent<Detail = unknown> {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Detail;
}

/** What put() accepts: an event, of which only source, detail-type and detail are required. */
export type BridgeEventInput = Partial<Omit<BridgeEvent, 'version'>> & Pick<BridgeEvent, 'source' | 'detail-type' | 'detail'> & { version?: string };

export type TargetHandler = (input: unknown, context: Context) => Promise<unknown>;

export interface BusRule {
  name: string;
  pattern: EventPattern;
  target: TargetHandler;
  /** The target function's name in its context (default: the rule's name). */
  functionName?: string;
  /** The target's input transformer: the event as delivered by default. */
  transform?: (event: BridgeEvent) => unknown;
}

export interface DeliveryFailure {
  rule: string;
  attempts: number;
}

export interface LocalEventBusOptions {
  region?: string;
  account?: string;
  /** Attempts per target invocation: 3 by default, as Lambda's asynchronous invocation (1 + 2 retries). */
  maxAttempts?: number;
  /** Backoff before the nth retry: baseDelayMs·2^(n-1), capped. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  clock?: Pick<Clock, 'sleep'>;
  /** A target that failed every attempt (Lambda's on-failure destination). Default: nothing. */
  onFailure?(event: BridgeEvent, error: unknown, failure: DeliveryFailure): void;
}

export interface PutResult {
  entries: ({ eventId: string } | { errorCode: string; errorMessage: string })[];
  failedEntryCount: number;
}

export class LocalEventBusError extends Error {
  override readonly name = 'LocalEventBusError';
}

/** The `{workflow, event}` input a workflow's rule gives the ingest-event function (IngestEventInput). */
export function wrapForWorkflow(workflow: string): (event: BridgeEvent) => { workflow: string; event: BridgeEvent } {
  return (event) => ({ workflow, event });
}

interface CompiledRule extends BusRule {
  matches: (event: unknown) => boolean;
}

/**
 * An in-process EventBridge bus: put() routes each event to every rule whose pattern matches and invokes
 * the rule's target asynchronously; a target that throws is retried with backoff, then reported to
 * onFailure, as Lambda's asynchronous invocation does with its failure destination.
 */
export class LocalEventBus {
  private readonly rules = new Map<string, CompiledRule>();
  private readonly options: Required<Omit<LocalEventBusOptions, 'onFailure'>> & Pick<LocalEventBusOptions, 'onFailure'>;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(options: LocalEventBusOptions = {}) {
    this.options = {
      region: options.region ?? 'us-east-1',
      account: options.account ?? '000000000000',
      maxAttempts: options.maxAttempts ?? 3,
      baseDelayMs: options.baseDelayMs ?? 1000,
      maxDelayMs: options.maxDelayMs ?? 60000,
      clock: options.clock ?? systemClock,
      onFailure: options.onFailure,
    };
    if (!Number.isInteger(this.options.maxAttempts) || this.options.maxAttempts < 1) throw new LocalEventBusError(`maxAttempts must be a positive integer, not ${this.options.maxAttempts}`);
  }

  /** Adds (or replaces) a rule; an invalid pattern throws EventPatternError. */
  addRule(rule: BusRule): void {
    this.rules.set(rule.name, { ...rule, matches: compileEventPattern(rule.pattern) });
  }

  removeRule(name: string): void {
    this.rules.delete(name);
  }

  /** PutEvents: each valid event is routed now and delivered asynchronously; an invalid one is reported in its entry. */
  put(inputs: BridgeEventInput[]): PutResult {
    const entries = inputs.map((input): PutResult['entries'][number] => {
      const problem = entryProblem(input);
      if (problem) return { errorCode: 'InvalidArgument', errorMessage: problem };
      let event: BridgeEvent;
      try {
        // What a target receives went through JSON, as with EventBridge.
        event = JSON.parse(JSON.stringify(this.complete(input))) as BridgeEvent;
      } catch (error) {
        return { errorCode: 'MalformedDetail', errorMessage: `detail is not JSON: ${(error as Error).message}` };
      }
      if (Buffer.byteLength(JSON.stringify(event)) > MAX_EVENT_BYTES) return { errorCode: 'InvalidArgument', errorMessage: 'the event is larger than 256 KiB, PutEvents\' limit' };
      for (const rule of this.rules.values()) {
        if (rule.matches(event)) this.deliver(rule, event);
      }
      return { eventId: event.id };
    });
    return { entries, failedEntryCount: entries.filter((entry) => 'errorCode' in entry).length };
  }

  /** Resolves when no delivery (retries included) is in flight. */
  idle(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.idleWaiters.push(resolve);
      this.settleIdle();
    });
  }

  private complete(input: BridgeEventInput): BridgeEvent {
    return {
      version: '0',
      id: input.id ?? randomUUID(),
      'detail-type': input['detail-type'],
      source: input.source,
      account: input.account ?? this.options.account,
      time: input.time ?? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: input.region ?? this.options.region,
      resources: input.resources ?? [],
      detail: input.detail,
    };
  }

  private deliver(rule: CompiledRule, event: BridgeEvent): void {
    this.inFlight++;
    void this.invoke(rule, event).finally(() => {
      this.inFlight--;
      this.settleIdle();
    });
  }

  private async invoke(rule: CompiledRule, event: BridgeEvent): Promise<void> {
    // Asynchronous, as EventBridge is: the target never runs inside put().
    await Promise.resolve();
    const { maxAttempts, baseDelayMs, maxDelayMs, clock } = this.options;
    for (let attempt = 1; ; attempt++) {
      try {
        const input = rule.transform ? rule.transform(copy(event)) : copy(event);
        await rule.target(input, lambdaContext({ functionName: rule.functionName ?? rule.name, region: this.options.region, accountId: this.options.account }));
        return;
      } catch (error) {
        if (attempt >= maxAttempts) {
          try {
            this.options.onFailure?.(event, error, { rule: rule.name, attempts: attempt });
          } catch {
            // A failing failure handler must not take the bus down.
          }
          return;
        }
        await clock.sleep(Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1)));
      }
    }
  }

  private settleIdle(): void {
    if (this.inFlight > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

const MAX_EVENT_BYTES = 256 * 1024;

/** Each target gets its own copy: one cannot change what another sees. */
function copy(event: BridgeEvent): BridgeEvent {
  return JSON.parse(JSON.stringify(event)) as BridgeEvent;
}

function entryProblem(input: BridgeEventInput): string | undefined {
  if (typeof input?.source !== 'string' || input.source === '') return 'source must be a non-empty string';
  if (typeof input['detail-type'] !== 'string' || input['detail-type'] === '') return 'detail-type must be a non-empty string';
  if (typeof input.detail !== 'object' || input.detail === null || Array.isArray(input.detail)) return 'detail must be a JSON object';
  if (input.resources !== undefined && (!Array.isArray(input.resources) || input.resources.some((resource) => typeof resource !== 'string'))) return 'resources must be an array of strings';
  return undefined;
}

import type { Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { type Clock, systemClock } from '../clock';
import { compileEventPattern, type EventPattern } from '../event-pattern';
import { compileTargetInput, lambdaPayload, type RenderedInput, type TargetInputSettings } from './event-targets';
import { lambdaContext } from './lambda-context';
import { deepJsonText } from './deep-json';

/** An event as EventBridge delivers it to a target (a type, so that it is a MatchedEvent too). */
export type BridgeEvent<Detail = unknown> = {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Detail;
};

/** What put() accepts: an event, of which only source, detail-type and detail are required. */
export type BridgeEventInput = Partial<Omit<BridgeEvent, 'version'>> & Pick<BridgeEvent, 'source' | 'detail-type' | 'detail'> & { version?: string };

export type TargetHandler = (input: unknown, context: Context) => Promise<unknown>;

/** A rule's target as the stack declares it, bound to the local function with its ARN. */
export interface BusTarget {
  id: string;
  arn: string;
  /** Input, InputPath or InputTransformer, as in the rule: nothing sends the event itself. */
  input?: TargetInputSettings;
  /** The local function with this ARN; without one, Lambda answers ResourceNotFoundException. */
  invoke?: TargetHandler;
  /** The function's name in its context (default: the ARN's last part). */
  functionName?: string;
  /** False when the function's resource policy does not let this rule invoke it (default true). */
  permitted?: boolean;
  /** DeadLetterConfig.Arn: where an event goes that EventBridge could not deliver. */
  deadLetterArn?: string;
}

export interface BusRule {
  name: string;
  /** `<aws.events.rule-arn>`; default arn:aws:events:<region>:<account>:rule/<name>. */
  arn?: string;
  pattern: EventPattern;
  targets: BusTarget[];
}

/** The function ran and failed every attempt of Lambda's asynchronous invocation (its on-failure destination). */
export interface DeliveryFailure {
  rule: string;
  target: string;
  attempts: number;
}

/** What EventBridge puts in the target's dead-letter queue (its message attributes), or drops without one. */
export interface DeadLetter {
  event: BridgeEvent;
  rule: string;
  ruleArn: string;
  target: string;
  targetArn: string;
  deadLetterArn?: string;
  errorCode: string;
  errorMessage: string;
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
  /** An event EventBridge could not hand to a target (refused payload, no function, no permission). */
  onDeadLetter?(letter: DeadLetter): void;
}

export interface PutResult {
  entries: ({ eventId: string } | { errorCode: string; errorMessage: string })[];
  failedEntryCount: number;
}

export class LocalEventBusError extends Error {
  override readonly name = 'LocalEventBusError';
}

/** Lambda's answer to an Invoke it refuses: not retried by EventBridge (a 4xx), so the event goes to the DLQ. */
export class TargetDeliveryError extends Error {
  override readonly name = 'TargetDeliveryError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface CompiledTarget extends BusTarget {
  render: (event: BridgeEvent, ingestionTime: string) => RenderedInput;
}

interface CompiledRule {
  name: string;
  arn: string;
  matches: (event: unknown) => boolean;
  targets: CompiledTarget[];
}

/**
 * An in-process EventBridge bus: put() routes each event to every rule whose pattern matches and hands
 * each of the rule's targets what EventBridge would (its Input, InputPath or InputTransformer applied), as
 * Lambda's asynchronous invocation: a payload Lambda refuses, a missing function or a missing permission
 * is not retried and goes to the target's dead-letter queue; a function that throws is retried with
 * backoff, then reported to onFailure, as Lambda does with its failure destination.
 */
export class LocalEventBus {
  private readonly rules = new Map<string, CompiledRule>();
  private readonly options: Required<Omit<LocalEventBusOptions, 'onFailure' | 'onDeadLetter'>> & Pick<LocalEventBusOptions, 'onFailure' | 'onDeadLetter'>;
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
      onDeadLetter: options.onDeadLetter,
    };
    if (!Number.isInteger(this.options.maxAttempts) || this.options.maxAttempts < 1) throw new LocalEventBusError(`maxAttempts must be a positive integer, not ${this.options.maxAttempts}`);
  }

  /** Adds (or replaces) a rule, as PutRule and PutTargets would: an invalid pattern throws EventPatternError, an invalid target input TargetInputError. */
  addRule(rule: BusRule): void {
    const arn = rule.arn ?? `arn:aws:events:${this.options.region}:${this.options.account}:rule/${rule.name}`;
    const identity = { ruleName: rule.name, ruleArn: arn };
    const targets = rule.targets.map((target) => ({ ...target, render: compileTargetInput(target.id, target.input ?? {}, identity) }));
    this.rules.set(rule.name, { name: rule.name, arn, matches: compileEventPattern(rule.pattern), targets });
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
        event = JSON.parse(deepJsonText(this.complete(input))) as BridgeEvent;
      } catch (error) {
        return { errorCode: 'MalformedDetail', errorMessage: `detail is not JSON: ${(error as Error).message}` };
      }
      if (Buffer.byteLength(deepJsonText(event)) > MAX_EVENT_BYTES) return { errorCode: 'InvalidArgument', errorMessage: 'the event is larger than 256 KiB, PutEvents\' limit' };
      const ingestionTime = isoSeconds(new Date());
      for (const rule of this.rules.values()) {
        if (!rule.matches(event)) continue;
        for (const target of rule.targets) this.deliver(rule, target, event, ingestionTime);
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
      time: input.time ?? isoSeconds(new Date()),
      region: input.region ?? this.options.region,
      resources: input.resources ?? [],
      detail: input.detail,
    };
  }

  private deliver(rule: CompiledRule, target: CompiledTarget, event: BridgeEvent, ingestionTime: string): void {
    this.inFlight++;
    void this.invoke(rule, target, event, ingestionTime).finally(() => {
      this.inFlight--;
      this.settleIdle();
    });
  }

  private async invoke(rule: CompiledRule, target: CompiledTarget, event: BridgeEvent, ingestionTime: string): Promise<void> {
    // Asynchronous, as EventBridge is: the target never runs inside put().
    await Promise.resolve();
    let payload: string;
    try {
      payload = this.acceptedPayload(target, target.render(copy(event), ingestionTime));
    } catch (error) {
      const { code, message } = error instanceof TargetDeliveryError ? error : { code: (error as Error).name, message: (error as Error).message };
      this.deadLetter({ event, rule: rule.name, ruleArn: rule.arn, target: target.id, targetArn: target.arn, ...(target.deadLetterArn ? { deadLetterArn: target.deadLetterArn } : {}), errorCode: code, errorMessage: message });
      return;
    }
    const { maxAttempts, baseDelayMs, maxDelayMs, clock } = this.options;
    const functionName = target.functionName ?? target.arn.split(':').pop() ?? target.id;
    for (let attempt = 1; ; attempt++) {
      try {
        // Each attempt (and each target) gets its own copy: one cannot change what another sees.
        await (target.invoke as TargetHandler)(JSON.parse(payload), lambdaContext({ functionName, region: this.options.region, accountId: this.options.account }));
        return;
      } catch (error) {
        if (attempt >= maxAttempts) {
          try {
            this.options.onFailure?.(event, error, { rule: rule.name, target: target.id, attempts: attempt });
          } catch {
            // A failing failure handler must not take the bus down.
          }
          return;
        }
        await clock.sleep(Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1)));
      }
    }
  }

  /** The Invoke payload Lambda accepts for the target, or the error Lambda (or EventBridge) answers instead. */
  private acceptedPayload(target: CompiledTarget, rendered: RenderedInput): string {
    if ('nothing' in rendered) throw new TargetDeliveryError('NoInput', rendered.nothing);
    if (!target.invoke) throw new TargetDeliveryError('ResourceNotFoundException', `Function not found: ${target.arn}`);
    if (target.permitted === false) throw new TargetDeliveryError('AccessDeniedException', `events.amazonaws.com is not allowed to invoke ${target.arn} for this rule (the function's resource policy)`);
    try {
      lambdaPayload(rendered.text);
    } catch (error) {
      throw new TargetDeliveryError((error as Error).name, (error as Error).message);
    }
    return rendered.text;
  }

  private deadLetter(letter: DeadLetter): void {
    try {
      this.options.onDeadLetter?.(letter);
    } catch {
      // As above: reporting must not take the bus down.
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

/** EventBridge's timestamps: ISO 8601 to the second. */
function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Each target gets its own copy: one cannot change what another sees. */
function copy(event: BridgeEvent): BridgeEvent {
  return JSON.parse(deepJsonText(event)) as BridgeEvent;
}

function entryProblem(input: BridgeEventInput): string | undefined {
  if (typeof input?.source !== 'string' || input.source === '') return 'source must be a non-empty string';
  if (typeof input['detail-type'] !== 'string' || input['detail-type'] === '') return 'detail-type must be a non-empty string';
  if (typeof input.detail !== 'object' || input.detail === null || Array.isArray(input.detail)) return 'detail must be a JSON object';
  if (input.resources !== undefined && (!Array.isArray(input.resources) || input.resources.some((resource) => typeof resource !== 'string'))) return 'resources must be an array of strings';
  return undefined;
}

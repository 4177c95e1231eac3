import { ConflictException, type SageMakerA2IRuntimeClient, StartHumanLoopCommand, StopHumanLoopCommand } from '@aws-sdk/client-sagemaker-a2i-runtime';
import { ExecutionAlreadyExists, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { ContentClassifier } from './workflow';
import type { RateLimiter } from './rate-limiter';
import { isLoopAlreadyOver, isThrottling } from './retry';

export interface LoopRequest {
  /** Also the execution's name. */
  humanLoopName: string;
  flowDefinitionArn: string;
  inputContent: string;
  contentClassifiers: ContentClassifier[];
}

export interface StartedLoop {
  humanLoopArn?: string;
  executionArn?: string;
  /** The loop or the execution existed already: a retried or duplicated trigger. */
  alreadyStarted: boolean;
}

/** How one workflow's starts are paced and counted. */
export interface Pacing {
  limiter?: RateLimiter;
  /**
   * Called for each start whose StartHumanLoop is still throttled (or over A2I's quota) after the SDK's retries:
   * the StartThrottled metric. Such a record waits for the work queue's next receive.
   */
  onThrottled?(): void;
}

export interface LoopStarter {
  /** Starts the loop and the execution that tracks it; both are idempotent by name. */
  start(request: LoopRequest, executionInput: unknown, pacing?: Pacing): Promise<StartedLoop>;
  /**
   * Stops the loop (a superseded record's): done too when it is already stopped, over or was never started.
   * Its tracking execution then hears A2I's Stopped event and finds the record delivered.
   */
  stop(humanLoopName: string): Promise<void>;
}


export interface LoopStarterOptions {
  stateMachineArn: string;
}

/**
 * StartHumanLoop then StartExecution, one call each: the clients' retry strategy retries throttling and
 * faults (lib/runtime/aws-call-policy.ts), and retrying here again would multiply its attempts. A2I's
 * ConflictException (a loop of that name exists) and Step Functions' ExecutionAlreadyExists mean a previous
 * attempt got there: not failures. Other errors are thrown as the SDK raised them, for the caller to
 * classify (isRetryable: try again on the work's next receive; otherwise the record fails).
 */
export class A2iLoopStarter implements LoopStarter {
  constructor(
    private readonly a2i: SageMakerA2IRuntimeClient,
    private readonly sfn: SFNClient,
    private readonly options: LoopStarterOptions,
  ) {}

  async start(request: LoopRequest, executionInput: unknown, pacing: Pacing = {}): Promise<StartedLoop> {
    await pacing.limiter?.take();
    const loop = await this.#startLoop(request, pacing);
    const execution = await this.#startExecution(request.humanLoopName, executionInput);
    return { humanLoopArn: loop.humanLoopArn, executionArn: execution.executionArn, alreadyStarted: loop.existed || execution.existed };
  }

  async stop(humanLoopName: string): Promise<void> {
    try {
      await this.a2i.send(new StopHumanLoopCommand({ HumanLoopName: humanLoopName }));
    } catch (error) {
      if (!isLoopAlreadyOver(error)) throw error;
    }
  }

  async #startLoop(request: LoopRequest, { onThrottled }: Pacing): Promise<{ humanLoopArn?: string; existed: boolean }> {
    try {
      const { HumanLoopArn } = await this.a2i.send(
        new StartHumanLoopCommand({
          HumanLoopName: request.humanLoopName,
          FlowDefinitionArn: request.flowDefinitionArn,
          HumanLoopInput: { InputContent: request.inputContent },
          ...(request.contentClassifiers.length > 0 ? { DataAttributes: { ContentClassifiers: request.contentClassifiers } } : {}),
        }),
      );
      return { humanLoopArn: HumanLoopArn, existed: false };
    } catch (error) {
      if (error instanceof ConflictException || (error as Error).name === 'ConflictException') return { existed: true };
      if (isThrottling(error) || (error as Error).name === 'ServiceQuotaExceededException') onThrottled?.();
      throw error;
    }
  }

  async #startExecution(name: string, executionInput: unknown): Promise<{ executionArn?: string; existed: boolean }> {
    try {
      const { executionArn } = await this.sfn.send(new StartExecutionCommand({ stateMachineArn: this.options.stateMachineArn, name, input: JSON.stringify(executionInput) }));
      return { executionArn, existed: false };
    } catch (error) {
      if (error instanceof ExecutionAlreadyExists || (error as Error).name === 'ExecutionAlreadyExists') return { existed: true };
      throw error;
    }
  }
}

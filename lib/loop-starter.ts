import { ConflictException, type SageMakerA2IRuntimeClient, StartHumanLoopCommand } from '@aws-sdk/client-sagemaker-a2i-runtime';
import { ExecutionAlreadyExists, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { ContentClassifier } from './workflow';
import type { RateLimiter } from './rate-limiter';
import { isThrottling, type RetryOptions, withRetry } from './retry';

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
  /** Called for each throttled StartHumanLoop (the StartThrottled metric). */
  onThrottled?(): void;
}

export interface LoopStarter {
  /** Starts the loop and the execution that tracks it; both are idempotent by name. */
  start(request: LoopRequest, executionInput: unknown, pacing?: Pacing): Promise<StartedLoop>;
}

export interface LoopStarterOptions {
  stateMachineArn: string;
  retry?: RetryOptions;
}

/**
 * StartHumanLoop then StartExecution, each retried on throttling, quota, 5xx and network errors with
 * jittered backoff. A2I's ConflictException (a loop of that name exists) and Step Functions'
 * ExecutionAlreadyExists mean a previous attempt got there: not failures. Other errors (a
 * ValidationException above all) are thrown as the SDK raised them.
 */
export class A2iLoopStarter implements LoopStarter {
  constructor(
    private readonly a2i: SageMakerA2IRuntimeClient,
    private readonly sfn: SFNClient,
    private readonly options: LoopStarterOptions,
  ) {}

  async start(request: LoopRequest, executionInput: unknown, pacing: Pacing = {}): Promise<StartedLoop> {
    const { limiter, onThrottled } = pacing;
    const loop = await withRetry(
      async () => {
        await limiter?.take();
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
          if (error instanceof ConflictException || (error as Error).name === 'ConflictException') return { humanLoopArn: undefined, existed: true };
          // Counted here, not in onRetry: the last throttled attempt counts too.
          if (isThrottling(error) || (error as Error).name === 'ServiceQuotaExceededException') onThrottled?.();
          throw error;
        }
      },
      this.options.retry,
    );
    const execution = await withRetry(async () => {
      try {
        const { executionArn } = await this.sfn.send(
          new StartExecutionCommand({ stateMachineArn: this.options.stateMachineArn, name: request.humanLoopName, input: JSON.stringify(executionInput) }),
        );
        return { executionArn, existed: false };
      } catch (error) {
        if (error instanceof ExecutionAlreadyExists || (error as Error).name === 'ExecutionAlreadyExists') return { executionArn: undefined, existed: true };
        throw error;
      }
    }, this.options.retry);
    return { humanLoopArn: loop.humanLoopArn, executionArn: execution.executionArn, alreadyStarted: loop.existed || execution.existed };
  }
}

import type { Context, EventBridgeEvent, S3Event, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createHandler as ingestEvent, type IngestEventInput } from '../../functions/ingest-event';
import { createHandler as ingestS3Object } from '../../functions/ingest-s3-object';
import { createHandler as ingestWork } from '../../functions/ingest-work';
import { createHandler as loopPoll } from '../../functions/loop-poll';
import { createHandler as loopStatusEvent } from '../../functions/loop-status-event';
import { createHandler as reviewLoopCheck } from '../../functions/review-loop-check';
import { createHandler as reviewLoopComplete } from '../../functions/review-loop-complete';
import { createHandler as reviewLoopFail } from '../../functions/review-loop-fail';
import { createHandler as reviewLoopWait } from '../../functions/review-loop-wait';
import type { HumanLoopStatusDetail } from '../review/status-event';
import type { AwsClients } from '../runtime/aws-clients';
import { consumerRuntime, eventIngestRuntime, splitterRuntime } from '../runtime/ingest-wiring';
import { once } from '../runtime/once';
import { reviewRuntime } from '../runtime/review-wiring';
import { lambdaContext } from './lambda-context';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './resources';
import type { TaskHandler } from './step-functions';

type Env = Record<string, string | undefined>;
type Invoke<Event, Result> = (event: Event, context: Context) => Promise<Result>;

/** The deployed functions, by the name serverless.yml gives them, with the timeouts it gives them. */
export interface LocalFunctions {
  ingestS3Object: Invoke<S3Event, void>;
  ingestEvent: Invoke<IngestEventInput, void>;
  ingestWork: Invoke<SQSEvent, SQSBatchResponse>;
  loopPoll: Invoke<SQSEvent, SQSBatchResponse>;
  loopStatusEvent: Invoke<EventBridgeEvent<'SageMaker A2I HumanLoop Status Change', HumanLoopStatusDetail>, unknown>;
  /** The review-loop machine's Task states, by state name. */
  tasks: Record<'CheckLoop' | 'WaitForStatus' | 'DeliverReview' | 'DeliverFailure', TaskHandler>;
}

export const FUNCTION_TIMEOUT_MS: Record<string, number> = { ingestS3Object: 900_000, ingestWork: 300_000 };
const DEFAULT_TIMEOUT_MS = 30_000;

export function functionArn(name: string): string {
  return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:a2i-local-${name}`;
}

export function contextFor(name: string): Context {
  return lambdaContext({ functionName: `a2i-local-${name}`, timeoutMs: FUNCTION_TIMEOUT_MS[name] ?? DEFAULT_TIMEOUT_MS, region: LOCAL_REGION, accountId: LOCAL_ACCOUNT, memoryLimitInMB: 512 });
}

/**
 * The handlers the cloud runs, built by their own createHandler with the same wiring functions, reading this
 * environment (the function configuration serverless.yml would set) and these clients instead of the process's.
 */
export function localFunctions(env: Env, clients: AwsClients): LocalFunctions {
  const review = once(() => reviewRuntime(env, clients));
  const check = reviewLoopCheck(review);
  const wait = reviewLoopWait(review);
  const complete = reviewLoopComplete(review);
  const fail = reviewLoopFail(review);
  return {
    ingestS3Object: ingestS3Object(once(() => splitterRuntime(env, clients))) as Invoke<S3Event, void>,
    ingestEvent: ingestEvent(once(() => eventIngestRuntime(env, clients))) as Invoke<IngestEventInput, void>,
    ingestWork: ingestWork(once(() => consumerRuntime(env, clients))) as Invoke<SQSEvent, SQSBatchResponse>,
    loopPoll: loopPoll(review) as Invoke<SQSEvent, SQSBatchResponse>,
    loopStatusEvent: loopStatusEvent(review) as LocalFunctions['loopStatusEvent'],
    tasks: {
      CheckLoop: (input) => check(input as never, contextFor('reviewLoopCheck')),
      // lambda:invoke.waitForTaskToken hands the function the Parameters' Payload.
      WaitForStatus: (input) => wait((input as { Payload: never }).Payload, contextFor('reviewLoopWait')),
      DeliverReview: (input) => complete(input as never, contextFor('reviewLoopComplete')),
      DeliverFailure: (input) => fail(input as never, contextFor('reviewLoopFail')),
    },
  };
}

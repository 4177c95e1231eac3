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
import { consumerRuntime } from '../runtime/ingest-wiring';
import { eventIngestRuntime, splitterRuntime } from '../runtime/splitter-wiring';
import { once } from '../runtime/once';
import { reviewRuntime } from '../runtime/review-wiring';
import { lambdaContext } from './lambda-context';
import type { DeployedFunction } from '../deploy/function-roles';
import { LOCAL_ACCOUNT, LOCAL_REGION, localFunctionName } from './resources';
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

export const FUNCTION_TIMEOUT_MS: Partial<Record<DeployedFunction, number>> = { ingestS3Object: 900_000, ingestWork: 300_000, flowResources: 900_000 };
const DEFAULT_TIMEOUT_MS = 30_000;

export function contextFor(name: DeployedFunction): Context {
  return lambdaContext({ functionName: localFunctionName(name), timeoutMs: FUNCTION_TIMEOUT_MS[name] ?? DEFAULT_TIMEOUT_MS, region: LOCAL_REGION, accountId: LOCAL_ACCOUNT, memoryLimitInMB: 512 });
}

/**
 * The handlers the cloud runs, built by their own createHandler with the same wiring functions, reading this
 * environment (the function configuration serverless.yml would set) and each its own clients, as each
 * function has its own process and role in AWS (`clientsFor` holds a function's calls to its role).
 */
export function localFunctions(env: Env, clientsFor: (fn: DeployedFunction) => AwsClients): LocalFunctions {
  const review = (fn: DeployedFunction) => once(() => reviewRuntime(env, clientsFor(fn)));
  const check = reviewLoopCheck(review('reviewLoopCheck'));
  const wait = reviewLoopWait(review('reviewLoopWait'));
  const complete = reviewLoopComplete(review('reviewLoopComplete'));
  const fail = reviewLoopFail(review('reviewLoopFail'));
  return {
    ingestS3Object: ingestS3Object(once(() => splitterRuntime(env, clientsFor('ingestS3Object')))) as Invoke<S3Event, void>,
    ingestEvent: ingestEvent(once(() => eventIngestRuntime(env, clientsFor('ingestEvent')))) as Invoke<IngestEventInput, void>,
    ingestWork: ingestWork(once(() => consumerRuntime(env, clientsFor('ingestWork')))) as Invoke<SQSEvent, SQSBatchResponse>,
    loopPoll: loopPoll(review('loopPoll')) as Invoke<SQSEvent, SQSBatchResponse>,
    loopStatusEvent: loopStatusEvent(review('loopStatusEvent')) as LocalFunctions['loopStatusEvent'],
    tasks: {
      CheckLoop: (input) => check(input as never, contextFor('reviewLoopCheck')),
      // lambda:invoke.waitForTaskToken hands the function the Parameters' Payload.
      WaitForStatus: (input) => wait((input as { Payload: never }).Payload, contextFor('reviewLoopWait')),
      DeliverReview: (input) => complete(input as never, contextFor('reviewLoopComplete')),
      DeliverFailure: (input) => fail(input as never, contextFor('reviewLoopFail')),
    },
  };
}

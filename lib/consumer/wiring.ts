import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { envNumber, requireEnv } from '../runtime/env';
import { tracer } from '../runtime/observability';
import { type DedupeStore, joinInFlight } from './dedupe';
import { DEFAULT_DEDUPE_TTL_SECONDS, DynamoDbDedupeStore } from './dynamodb-dedupe';
import { handleReview, type ReviewHandler } from './handle-review';

type Env = Record<string, string | undefined>;

export interface ReviewConsumerRuntime {
  dedupe: DedupeStore;
  handleReview: ReviewHandler;
}

/**
 * The example consumer's real wiring, built once per cold start. DEDUPE_TABLE (required): the dedupe
 * table; DEDUPE_TTL_SECONDS: how long a handled reviewId is remembered (14 days).
 */
export function reviewConsumerRuntime(env: Env = process.env, client: DynamoDBClient = tracer.captureAWSv3Client(new DynamoDBClient({}))): ReviewConsumerRuntime {
  const store = new DynamoDbDedupeStore({
    tableName: requireEnv('DEDUPE_TABLE', env),
    client,
    keyPrefix: env.AWS_LAMBDA_FUNCTION_NAME ?? 'example-consumer',
    ttlSeconds: envNumber('DEDUPE_TTL_SECONDS', DEFAULT_DEDUPE_TTL_SECONDS, env),
  });
  return { dedupe: joinInFlight(store), handleReview };
}

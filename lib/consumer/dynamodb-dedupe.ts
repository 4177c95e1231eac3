import { IdempotencyAlreadyInProgressError, IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type DedupeResult, type DedupeStore, type InvocationTimer, ReviewInProgressError } from './dedupe';

/** SQS's longest retention: no copy of a message can arrive later than this after the first. */
export const DEFAULT_DEDUPE_TTL_SECONDS = 14 * 24 * 3600;

export interface DynamoDbDedupeOptions {
  /** Partition key `id` (String), time to live on `expiration`. */
  tableName: string;
  client: DynamoDBClient;
  /** Keeps consumers that share the table apart (the function's name). */
  keyPrefix: string;
  /** How long a completed reviewId is remembered. */
  ttlSeconds?: number;
}

type Run = (key: { reviewId: string }, work: () => Promise<void>) => Promise<void>;

/**
 * DedupeStore on DynamoDB with Powertools idempotency: one item per consumer and reviewId (`id` is
 * `<keyPrefix>#<hash of the reviewId>`), claimed `INPROGRESS` with a conditional put before the work runs,
 * `COMPLETED` after it, deleted when it throws. A claim lapses when its invocation's time is up, a
 * completed item when its TTL passes.
 */
export class DynamoDbDedupeStore implements DedupeStore {
  readonly #config: IdempotencyConfig;
  readonly #run: Run;

  constructor(options: DynamoDbDedupeOptions) {
    this.#config = new IdempotencyConfig({
      eventKeyJmesPath: 'reviewId',
      throwOnNoIdempotencyKey: true,
      expiresAfterSeconds: options.ttlSeconds ?? DEFAULT_DEDUPE_TTL_SECONDS,
    });
    const run: Run = async (_key, work) => work();
    this.#run = makeIdempotent(run, {
      persistenceStore: new DynamoDBPersistenceLayer({ tableName: options.tableName, awsSdkV3Client: options.client }),
      config: this.#config,
      keyPrefix: options.keyPrefix,
      dataIndexArgument: 0,
    });
  }

  startInvocation(invocation: InvocationTimer): void {
    // Powertools reads only getRemainingTimeInMillis from the Lambda context it asks for.
    this.#config.registerLambdaContext(invocation as Parameters<IdempotencyConfig['registerLambdaContext']>[0]);
  }

  async runOnce(reviewId: string, work: () => Promise<void>): Promise<DedupeResult> {
    let ran = false;
    try {
      await this.#run({ reviewId }, () => {
        ran = true;
        return work();
      });
    } catch (error) {
      if (error instanceof IdempotencyAlreadyInProgressError) throw new ReviewInProgressError(reviewId);
      throw error;
    }
    return ran ? 'ran' : 'duplicate';
  }
}

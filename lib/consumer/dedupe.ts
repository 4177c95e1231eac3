/**
 * Runs a review's business logic once per reviewId, the contract's idempotency key: SQS standard queues
 * deliver at least once, and one record's message can arrive twice, in the same batch or in two
 * invocations at the same time.
 */
export interface DedupeStore {
  /**
   * Runs `work` unless a run for `reviewId` has completed (within the store's retention): `ran` when it ran
   * now, `duplicate` when it was skipped. When `work` throws, its error is thrown unchanged and the
   * reviewId is left not done, so that a redelivery runs it again. Throws ReviewInProgressError when a run
   * for `reviewId` is under way elsewhere: the message should come back later.
   */
  runOnce(reviewId: string, work: () => Promise<void>): Promise<DedupeResult>;
  /**
   * Called at the start of each invocation: a run claims its reviewId only until the invocation's time is
   * up, so a run that dies with its invocation blocks redeliveries until then rather than until expiry.
   */
  startInvocation?(invocation: InvocationTimer): void;
}

export type DedupeResult = 'ran' | 'duplicate';

/** What a store needs of an invocation (a Lambda context is one). */
export interface InvocationTimer {
  getRemainingTimeInMillis(): number;
}

/** Another run holds the reviewId: not a failure of this message, which is retried later. */
export class ReviewInProgressError extends Error {
  override readonly name = 'ReviewInProgressError';
  constructor(readonly reviewId: string) {
    super(`review ${reviewId} is being handled by another run`);
  }
}

/**
 * Overlapping runs for the same reviewId in this process (one batch can hold a message twice) share the
 * first run: the later ones wait for it and are `duplicate` when it succeeds, fail with its error when it
 * fails. Without this, the store would see them as concurrent and fail them with ReviewInProgressError.
 */
export function joinInFlight(store: DedupeStore): DedupeStore {
  const running = new Map<string, Promise<DedupeResult>>();
  return {
    async runOnce(reviewId, work) {
      const first = running.get(reviewId);
      if (first) {
        await first;
        return 'duplicate';
      }
      const run = store.runOnce(reviewId, work).finally(() => running.delete(reviewId));
      running.set(reviewId, run);
      return run;
    },
    startInvocation: (invocation) => store.startInvocation?.(invocation),
  };
}

import { isRetryable } from '../retry';

/** An error worth another attempt: the state machine's Retry matches on this name. */
export class TransientError extends Error {
  override readonly name = 'TransientError';
}

/** Throttling, 5xx and network errors become TransientError (retried by the state machine); others pass as they are. */
export function asTaskError(error: unknown): unknown {
  if (error instanceof TransientError || !isRetryable(error)) return error;
  return new TransientError(`${(error as Error).name}: ${(error as Error).message}`, { cause: error });
}

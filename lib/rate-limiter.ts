import { type Clock, systemClock } from './clock';

/**
 * A token bucket: `take()` resolves when a call may go ahead, at most `ratePerSecond` on average with bursts
 * of up to `burst`. Callers queue in order.
 */
export class RateLimiter {
  #tokens: number;
  #updatedAt: number;
  #queue: Promise<void> = Promise.resolve();

  constructor(
    readonly ratePerSecond: number,
    readonly burst: number = Math.max(1, Math.ceil(ratePerSecond)),
    private readonly clock: Clock = systemClock,
  ) {
    if (!(ratePerSecond > 0)) throw new RangeError(`ratePerSecond must be positive, got ${ratePerSecond}`);
    this.#tokens = burst;
    this.#updatedAt = clock.now();
  }

  /**
   * Resolves true when a call may go ahead. With a `deadline` (epoch ms, the clock's), resolves false at once,
   * taking no token, when this caller's token would come only after it: work that cannot start in time is
   * handed back instead of waiting past the caller's time limit.
   */
  take(deadline?: number): Promise<boolean> {
    const turn = this.#queue.then(() => this.#waitForToken(deadline));
    this.#queue = turn.then(() => undefined);
    return turn;
  }

  async #waitForToken(deadline: number | undefined): Promise<boolean> {
    for (;;) {
      const now = this.clock.now();
      this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#updatedAt) / 1000) * this.ratePerSecond);
      this.#updatedAt = now;
      if (this.#tokens >= 1) {
        this.#tokens -= 1;
        return true;
      }
      const waitMs = Math.ceil(((1 - this.#tokens) / this.ratePerSecond) * 1000);
      if (deadline !== undefined && now + waitMs > deadline) return false;
      await this.clock.sleep(waitMs);
    }
  }
}

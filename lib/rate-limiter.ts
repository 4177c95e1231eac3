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

  take(): Promise<void> {
    const turn = this.#queue.then(() => this.#waitForToken());
    this.#queue = turn;
    return turn;
  }

  async #waitForToken(): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#updatedAt) / 1000) * this.ratePerSecond);
      this.#updatedAt = now;
      if (this.#tokens >= 1) {
        this.#tokens -= 1;
        return;
      }
      await this.clock.sleep(Math.ceil(((1 - this.#tokens) / this.ratePerSecond) * 1000));
    }
  }
}

import type { Clock } from '../../lib/clock';

/**
 * A clock for tests: `now()` is whatever the test says, `sleep()` resolves at once and records the delay
 * (advancing `now` by it, so that code waiting for time to pass sees it pass), and `random()` returns the
 * values it was given, in turn (the last one repeats).
 */
export class FakeClock implements Clock {
  readonly sleeps: number[] = [];
  #current: number;
  #randoms: number[];
  #randomIndex = 0;

  constructor(options: { now?: number; random?: number | number[]; advanceOnSleep?: boolean } = {}) {
    this.#current = options.now ?? Date.UTC(2025, 0, 15, 12, 0, 0);
    const random = options.random ?? 0.5;
    this.#randoms = Array.isArray(random) ? random : [random];
    this.advanceOnSleep = options.advanceOnSleep ?? true;
  }

  readonly advanceOnSleep: boolean;

  now(): number {
    return this.#current;
  }

  async sleep(milliseconds: number): Promise<void> {
    this.sleeps.push(milliseconds);
    if (this.advanceOnSleep) this.#current += milliseconds;
  }

  random(): number {
    const value = this.#randoms[Math.min(this.#randomIndex, this.#randoms.length - 1)];
    this.#randomIndex++;
    return value;
  }

  advance(milliseconds: number): void {
    this.#current += milliseconds;
  }

  /** Simulated time slept so far. */
  get slept(): number {
    return this.sleeps.reduce((sum, delay) => sum + delay, 0);
  }
}

/** Dummy credentials: the clients under test talk to mocks or to loopback emulators only. */
export { startDynalite, TEST_CREDENTIALS, TEST_REGION, type Dynalite } from '../support/dynalite';


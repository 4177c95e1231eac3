import { setTimeout as delay } from 'node:timers/promises';

/** Time and chance, injected so that tests run backoff and rate limits without waiting. */
export interface Clock {
  now(): number;
  sleep(milliseconds: number): Promise<void>;
  random(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: async (milliseconds) => {
    if (milliseconds > 0) await delay(milliseconds);
  },
  random: () => Math.random(),
};

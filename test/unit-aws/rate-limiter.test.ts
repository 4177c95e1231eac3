import { RateLimiter } from '../../lib/rate-limiter';
import { FakeClock } from './helpers';

/** Simulated milliseconds `takes` sequential takes need. */
async function elapsedFor(limiter: RateLimiter, clock: FakeClock, takes: number): Promise<number> {
  const start = clock.now();
  for (let index = 0; index < takes; index++) await limiter.take();
  return clock.now() - start;
}

describe('RateLimiter', () => {
  describe('construction', () => {
    it.each([0, -1, Number.NaN])('rejects the rate %p', (rate) => {
      // Act
      const construct = (): RateLimiter => new RateLimiter(rate, 1, new FakeClock());

      // Assess
      expect(construct).toThrow(RangeError);
    });

    it.each([
      [2.5, 3],
      [0.2, 1],
      [10, 10],
    ])('at %p per second allows bursts of %p by default', async (rate, burst) => {
      // Prepare
      const clock = new FakeClock();
      const limiter = new RateLimiter(rate, undefined, clock);

      // Act
      for (let index = 0; index < burst; index++) await limiter.take();
      const sleepsDuringBurst = clock.sleeps.length;
      await limiter.take();

      // Assess
      expect(limiter.burst).toBe(burst);
      expect(sleepsDuringBurst).toBe(0);
      expect(clock.sleeps.length).toBeGreaterThan(0);
    });
  });

  describe('pacing', () => {
    it.each([
      [25, 5, 5],
      [40, 3, 1],
      [7, 0.5, 1],
      [100, 20, 10],
      [12, 4, 12],
    ])('%p takes at %p per second with bursts of %p need about (N − burst)/rate seconds', async (takes, rate, burst) => {
      // Prepare
      const clock = new FakeClock();
      const limiter = new RateLimiter(rate, burst, clock);

      // Act
      const elapsed = await elapsedFor(limiter, clock, takes);

      // Assess
      const expected = (Math.max(0, takes - burst) / rate) * 1000;
      // Waits are rounded up to whole milliseconds: at most one millisecond per take.
      expect(elapsed).toBeGreaterThanOrEqual(expected - 1);
      expect(elapsed).toBeLessThanOrEqual(expected + takes);
    });

    it('lets a full burst through without waiting', async () => {
      // Prepare
      const clock = new FakeClock();
      const limiter = new RateLimiter(2, 6, clock);

      // Act
      const elapsed = await elapsedFor(limiter, clock, 6);

      // Assess
      expect(elapsed).toBe(0);
      expect(clock.sleeps).toEqual([]);
    });

    it('refills while idle, but never beyond the burst', async () => {
      // Prepare
      const clock = new FakeClock();
      const limiter = new RateLimiter(4, 3, clock);
      await elapsedFor(limiter, clock, 3);
      clock.advance(60_000);

      // Act
      const burstElapsed = await elapsedFor(limiter, clock, 3);
      const nextElapsed = await elapsedFor(limiter, clock, 1);

      // Assess
      expect(burstElapsed).toBe(0);
      expect(nextElapsed).toBeGreaterThanOrEqual(249);
      expect(nextElapsed).toBeLessThanOrEqual(251);
    });

    it('refills in proportion to the idle time', async () => {
      // Prepare
      const clock = new FakeClock();
      const limiter = new RateLimiter(2, 1, clock);
      await limiter.take();
      clock.advance(250); // half a token

      // Act
      const elapsed = await elapsedFor(limiter, clock, 1);

      // Assess
      expect(elapsed).toBeGreaterThanOrEqual(249);
      expect(elapsed).toBeLessThanOrEqual(251);
    });
  });

  describe('concurrent callers', () => {
    it('serves callers in the order they asked, each at its paced time', async () => {
      // Prepare
      const clock = new FakeClock();
      const rate = 5;
      const burst = 2;
      const limiter = new RateLimiter(rate, burst, clock);
      const start = clock.now();
      const served: { caller: number; at: number }[] = [];

      // Act
      await Promise.all(
        Array.from({ length: 12 }, (_, caller) => limiter.take().then(() => served.push({ caller, at: clock.now() - start }))),
      );

      // Assess
      expect(served.map((entry) => entry.caller)).toEqual(Array.from({ length: 12 }, (_, caller) => caller));
      served.forEach(({ caller, at }) => {
        const expected = (Math.max(0, caller - burst + 1) / rate) * 1000;
        expect(at).toBeGreaterThanOrEqual(expected - 1);
        expect(at).toBeLessThanOrEqual(expected + caller + 1);
      });
    });

    it('keeps serving in order callers that arrive while others wait', async () => {
      // Prepare
      const clock = new FakeClock();
      const limiter = new RateLimiter(1, 1, clock);
      const order: string[] = [];

      // Act
      const first = limiter.take().then(() => order.push('a'));
      const second = limiter.take().then(() => order.push('b'));
      await first;
      const third = limiter.take().then(() => order.push('c'));
      await Promise.all([second, third]);

      // Assess
      expect(order).toEqual(['a', 'b', 'c']);
    });
  });

  describe('with a deadline', () => {
    it('hands back, at once and without a token, a caller whose turn would come after its deadline', async () => {
      // Prepare: 1 per second, the burst used up.
      const clock = new FakeClock();
      const limiter = new RateLimiter(1, 1, clock);
      await limiter.take();
      const start = clock.now();

      // Act: the next token comes in 1 s; the deadline is in 0.5 s, then in 2 s.
      const late = await limiter.take(start + 500);
      const inTime = await limiter.take(start + 2000);

      // Assess: the first caller did not wait and took nothing, so the second got the token at 1 s.
      expect(late).toBe(false);
      expect(inTime).toBe(true);
      expect(clock.now() - start).toBe(1000);
    });

    it('queued callers keep their order: each is judged against its own turn', async () => {
      const clock = new FakeClock();
      const limiter = new RateLimiter(1, 1, clock);
      const start = clock.now();

      const answers = await Promise.all([limiter.take(start + 10_000), limiter.take(start + 10_000), limiter.take(start + 1500), limiter.take(start + 10_000)]);

      // Tokens at 0, 1 and 2 s: the third caller (deadline 1.5 s) would have had the 2 s token, so it goes back and the fourth takes it.
      expect(answers).toEqual([true, true, false, true]);
      expect(clock.now() - start).toBe(2000);
    });
  });
});

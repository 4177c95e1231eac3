/**
 * One benchmark figure; `npm run bench` prints each as a JSON line. The names are a contract. `target`
 * (`">= N"` or `"<= N"`) is the bar the figure must meet; with `floor: true` it is a floor against
 * regressions, not a goal.
 */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  target?: string;
  floor?: boolean;
  [detail: string]: unknown;
}

/** Runs `work` repeatedly for about `seconds` and returns operations per second. */
export function opsPerSecond(work: () => number, seconds: number): number {
  let operations = 0;
  const start = process.hrtime.bigint();
  const budget = BigInt(Math.round(seconds * 1e9));
  let elapsed = 0n;
  while (elapsed < budget) {
    operations += work();
    elapsed = process.hrtime.bigint() - start;
  }
  return operations / (Number(elapsed) / 1e9);
}

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** Starts a timed phase from a clean heap, so that no phase pays for the garbage of the one before (npm run bench passes --expose-gc). */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

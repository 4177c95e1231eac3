import type { Context } from 'aws-lambda';
import { lambdaContext } from '../../lib/local/lambda-context';

/** The middleware with metrics and logging on, as in Lambda; what Powertools prints is captured from stdout. */
function loadWithMetricsOn(): { withPowertools: typeof import('../../lib/runtime/handler').withPowertools; metrics: typeof import('../../lib/runtime/observability').metrics } {
  const saved = { ...process.env };
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  process.env.POWERTOOLS_LOG_LEVEL = 'WARN';
  try {
    let loaded!: ReturnType<typeof loadWithMetricsOn>;
    jest.isolateModules(() => {
      // A fresh module registry, so the Powertools objects are built with the settings above.
      /* eslint-disable @typescript-eslint/no-require-imports */
      loaded = { withPowertools: require('../../lib/runtime/handler').withPowertools, metrics: require('../../lib/runtime/observability').metrics };
      /* eslint-enable @typescript-eslint/no-require-imports */
    });
    return loaded;
  } finally {
    process.env = saved;
  }
}

async function printed(run: () => Promise<unknown>): Promise<string[]> {
  const lines: string[] = [];
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    await run();
  } finally {
    write.mockRestore();
  }
  return lines.join('').split('\n').filter((line) => line.trim() !== '');
}

describe('withPowertools', () => {
  const context: Context = lambdaContext({ functionName: 'test-function' });

  it('publishes the metrics an invocation stored, as one EMF document', async () => {
    const { withPowertools, metrics } = loadWithMetricsOn();
    const handler = withPowertools(async () => {
      metrics.addMetric('LoopsStarted', 'Count', 2);
      return 'done';
    });
    const lines = await printed(() => handler({}, context));
    const emf = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => '_aws' in line);
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({ LoopsStarted: 2 });
  });

  it('prints nothing for an invocation that stored no metrics (no per-invocation warning)', async () => {
    const { withPowertools } = loadWithMetricsOn();
    const handler = withPowertools(async () => 'done');
    expect(await printed(() => handler({}, context))).toEqual([]);
  });

  it('still publishes stored metrics when the handler throws', async () => {
    const { withPowertools, metrics } = loadWithMetricsOn();
    const handler = withPowertools(async () => {
      metrics.addMetric('RecordsFailed', 'Count', 1);
      throw new Error('boom');
    });
    let error: unknown;
    const lines = await printed(() => handler({}, context).catch((caught: unknown) => (error = caught)));
    expect((error as Error).message).toBe('boom');
    expect(lines.some((line) => line.includes('"RecordsFailed":1'))).toBe(true);
  });
});

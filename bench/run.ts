import './quiet';
import { bundleBenchmark } from './bundle';
import { conditionsBenchmark } from './conditions';
import type { Figure } from './figures';
import { ingestBenchmark } from './ingest';
import { localBenchmark } from './local';
import { sfnBenchmark } from './sfn';
import { storageBenchmark } from './storage';
import { stormBenchmark } from './storm';

/** `npm run bench`: every figure as one JSON line on stdout. */
const benchmarks: Record<string, () => Figure[] | Promise<Figure[]>> = {
  conditions: conditionsBenchmark,
  ingest: ingestBenchmark,
  sfn: sfnBenchmark,
  local: localBenchmark,
  storage: storageBenchmark,
  storm: stormBenchmark,
  bundle: bundleBenchmark,
};

async function run(): Promise<void> {
  const only = process.argv.slice(2);
  for (const [name, benchmark] of Object.entries(benchmarks)) {
    if (only.length > 0 && !only.includes(name)) continue;
    for (const figure of await benchmark()) process.stdout.write(`${JSON.stringify(figure)}\n`);
  }
}

run().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});

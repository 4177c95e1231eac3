import '../quiet';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadAutoReview } from '../../lib/local/auto-review';
import { parseFaultSpec, parseShare } from '../../lib/local/faults';
import { replay } from '../../lib/local/replay';
import { loadWorkflows } from '../../lib/workflow';
import { soakInput } from './input';

/**
 * `npm run soak`: 10,000 records through the whole local pipeline while the emulated services fail a share
 * of calls and a share of trigger events arrive twice. Prints soak.* figures as JSON lines; exits 1 unless
 * every record got exactly one terminal message. Options: --records N, --inject-faults SPEC,
 * --duplicate-events SHARE, --workflow FILE --input FILE --auto-review FILE (held-back inputs).
 */
const DEFAULT_FAULTS = 'a2i.throttle=0.3,a2i.error=0.05,s3.error=0.05,sqs.error=0.05,sfn.error=0.05';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      records: { type: 'string', default: '10000' },
      'inject-faults': { type: 'string', default: DEFAULT_FAULTS },
      'duplicate-events': { type: 'string', default: '0.2' },
      workflow: { type: 'string', default: join(__dirname, 'soak.yaml') },
      input: { type: 'string' },
      'auto-review': { type: 'string', default: join(__dirname, 'auto-review.json') },
      timeout: { type: 'string', default: '1800' },
    },
  });
  const work = mkdtempSync(join(tmpdir(), 'a2i-soak-'));
  try {
    const input = values.input ?? join(work, 'soak.jsonl');
    if (!values.input) writeFileSync(input, soakInput(Number(values.records)));
    const started = process.hrtime.bigint();
    let injected: Record<string, number> = {};
    const summary = await replay({
      workflow: loadWorkflows([values.workflow])[0],
      inputFile: input,
      stateDir: join(work, 'state'),
      autoReview: loadAutoReview(values['auto-review']),
      faults: parseFaultSpec(values['inject-faults']),
      duplicateEvents: parseShare('--duplicate-events', values['duplicate-events']),
      timeoutMs: Number(values.timeout) * 1000,
      onFaults: (counts) => (injected = counts),
      onProblem: (text) => process.stderr.write(`problem: ${text}\n`),
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const detail = { faults: values['inject-faults'], duplicateEvents: Number(values['duplicate-events']) };
    const figures = [
      { name: 'soak.records', value: summary.records, unit: 'records', ...detail, summary },
      { name: 'soak.lost', value: summary.lost, unit: 'records', target: 0 },
      { name: 'soak.duplicates', value: summary.duplicates, unit: 'messages', target: 0 },
      { name: 'soak.seconds', value: Number(seconds.toFixed(1)), unit: 's', faultsInjected: injected },
    ];
    for (const figure of figures) process.stdout.write(`${JSON.stringify(figure)}\n`);
    return summary.lost === 0 && summary.duplicates === 0 ? 0 : 1;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`soak failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);

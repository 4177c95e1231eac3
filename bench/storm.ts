import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAutoReview } from '../lib/local/auto-review';
import { parseFaultSpec } from '../lib/local/faults';
import { replay } from '../lib/local/replay';
import type { ReviewMessage } from '../lib/messages';
import { loadWorkflows } from '../lib/workflow';
import type { Figure } from './figures';
import { soakInput } from './soak/input';

/** The harsh mix of issue 12: A2I throttled half the time, every service failing a fifth of its calls. */
export const STORM_FAULTS = 'a2i.throttle=0.5,a2i.error=0.2,s3.error=0.2,sqs.error=0.2,sfn.error=0.2';
const STORM_DUPLICATE_EVENTS = 0.5;
const STORM_RECORDS = 2_000;
const STORM_TIMEOUT_MS = 3_600_000;

/**
 * A fault storm through the whole local pipeline (`replay` of the soak's workflow, input and auto-review rules),
 * counted from the input file's lines and the messages the consumer took off the queues, not from replay's own
 * summary: `storm.lost` lines with no message, `storm.duplicates` messages beyond one per line,
 * `storm.answers_discarded` loops with answers in the A2I emulator whose record's message is `failed`.
 */
export async function stormBenchmark(): Promise<Figure[]> {
  const work = mkdtempSync(join(tmpdir(), 'a2i-bench-storm-'));
  try {
    const input = join(work, 'storm.jsonl');
    const stateDir = join(work, 'state');
    writeFileSync(input, soakInput(STORM_RECORDS));
    const lines = readFileSync(input, 'utf8').split('\n').filter((line) => line.length > 0).length;
    const messages: ReviewMessage[] = [];
    let injected: Record<string, number> = {};
    const started = process.hrtime.bigint();
    const summary = await replay({
      workflow: loadWorkflows([join(__dirname, 'soak', 'soak.yaml')])[0],
      inputFile: input,
      stateDir,
      autoReview: loadAutoReview(join(__dirname, 'soak', 'auto-review.json')),
      faults: parseFaultSpec(STORM_FAULTS),
      duplicateEvents: STORM_DUPLICATE_EVENTS,
      timeoutMs: STORM_TIMEOUT_MS,
      onDelivered: ({ message }) => void messages.push(message),
      onFaults: (counts) => (injected = counts),
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;

    const perLine = new Map<number, ReviewMessage[]>();
    let strays = 0;
    for (const message of messages) {
      const index = message.source.type === 's3' ? message.source.recordIndex : -1;
      if (!(index >= 0 && index < lines)) strays++;
      else perLine.set(index, [...(perLine.get(index) ?? []), message]);
    }
    let lost = 0;
    let duplicates = strays;
    for (let index = 0; index < lines; index++) {
      const found = perLine.get(index)?.length ?? 0;
      if (found === 0) lost++;
      else duplicates += found - 1;
    }
    const answered = answeredLoops(stateDir);
    const discarded = messages.filter((message) => message.outcome === 'failed' && message.review?.humanLoopName !== undefined && answered.has(message.review.humanLoopName));
    const detail = { records: lines, faults: STORM_FAULTS, duplicateEvents: STORM_DUPLICATE_EVENTS };
    return [
      { name: 'storm.lost', value: lost, unit: 'records', target: '<= 0', ...detail },
      { name: 'storm.duplicates', value: duplicates, unit: 'messages', target: '<= 0', ...detail },
      { name: 'storm.answers_discarded', value: discarded.length, unit: 'loops', target: '<= 0', answeredLoops: answered.size, failureCodes: countBy(discarded.map((message) => message.failure?.code ?? '')) },
      { name: 'storm.seconds', value: Number(seconds.toFixed(1)), unit: 's', loopsStarted: summary.loopsStarted, faultsInjected: injected },
    ];
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Loops the A2I emulator holds answers for, from its state folder (one JSON file per loop). */
function answeredLoops(stateDir: string): Set<string> {
  const directory = join(stateDir, 'human-loops');
  const names = new Set<string>();
  for (const file of readdirSync(directory)) {
    if (!file.endsWith('.json')) continue;
    const loop = JSON.parse(readFileSync(join(directory, file), 'utf8')) as { name: string; answers?: unknown[] };
    if ((loop.answers?.length ?? 0) > 0) names.add(loop.name);
  }
  return names;
}

function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

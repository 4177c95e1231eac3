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
/** The 2,000; `A2I_STORM_RECORDS` runs a smaller storm when looking for a cause. */
const STORM_RECORDS = Number(process.env.A2I_STORM_RECORDS ?? 2_000);
/** As long as the soak workflow's tracking.timeoutSeconds: a record still in flight then is lost. */
const STORM_TIMEOUT_MS = Number(process.env.A2I_STORM_TIMEOUT_S ?? 3_600) * 1000;
/** `replay`'s own default with --auto-review: what arrives later is counted in storm.late_records. */
const REPLAY_DEFAULT_TIMEOUT_MS = 600_000;

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
    const arrivedAfterMs: number[] = [];
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
      onDelivered: ({ message }) => {
        messages.push(message);
        arrivedAfterMs.push(Number(process.hrtime.bigint() - started) / 1e6);
      },
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
    const lostIndexes: number[] = [];
    let duplicates = strays;
    for (let index = 0; index < lines; index++) {
      const found = perLine.get(index)?.length ?? 0;
      if (found === 0) lostIndexes.push(index);
      else duplicates += found - 1;
    }
    const loops = emulatorLoops(stateDir);
    const answered = new Set(loops.filter((loop) => (loop.answers?.length ?? 0) > 0).map((loop) => loop.name));
    // Where each lost record stands: its loop as the A2I emulator has it, or none (ingest never started one).
    const lostLoops = lostIndexes.map((index) => {
      const loop = loops.find((candidate) => recordIndexOf(candidate) === index);
      return loop ? { index, loop: loop.name, status: loop.status, answers: loop.answers?.length ?? 0 } : { index, loop: null };
    });
    const late = new Set(messages.filter((_message, at) => arrivedAfterMs[at] > REPLAY_DEFAULT_TIMEOUT_MS).map((message) => (message.source.type === 's3' ? message.source.recordIndex : -1)));
    const discarded = messages.filter((message) => message.outcome === 'failed' && message.review?.humanLoopName !== undefined && answered.has(message.review.humanLoopName));
    const detail = { records: lines, faults: STORM_FAULTS, duplicateEvents: STORM_DUPLICATE_EVENTS };
    return [
      { name: 'storm.lost', value: lostIndexes.length, unit: 'records', target: '<= 0', ...detail, lostLoops },
      { name: 'storm.duplicates', value: duplicates, unit: 'messages', target: '<= 0', ...detail },
      { name: 'storm.answers_discarded', value: discarded.length, unit: 'loops', target: '<= 0', answeredLoops: answered.size, failureCodes: countBy(discarded.map((message) => message.failure?.code ?? '')) },
      { name: 'storm.late_records', value: late.size, unit: 'records', afterSeconds: REPLAY_DEFAULT_TIMEOUT_MS / 1000 },
      { name: 'storm.seconds', value: Number(seconds.toFixed(1)), unit: 's', loopsStarted: summary.loopsStarted, faultsInjected: injected },
    ];
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

interface EmulatedLoop {
  name: string;
  status: string;
  inputContent: string;
  answers?: unknown[];
}

/** The loops of the A2I emulator, from its state folder (one JSON file per loop). */
function emulatorLoops(stateDir: string): EmulatedLoop[] {
  const directory = join(stateDir, 'human-loops');
  return readdirSync(directory)
    .filter((file) => file.endsWith('.json'))
    .map((file) => JSON.parse(readFileSync(join(directory, file), 'utf8')) as EmulatedLoop);
}

/** The record a loop is for: its InputContent carries the record's source. */
function recordIndexOf(loop: EmulatedLoop): number | undefined {
  try {
    return (JSON.parse(loop.inputContent) as { source?: { recordIndex?: number } }).source?.recordIndex;
  } catch {
    return undefined;
  }
}

function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OpenTask } from '../lib/emulator/a2i-emulator';
import { replay } from '../lib/local/replay';
import { type Delivery, LocalStack } from '../lib/local/stack';
import { loadWorkflows } from '../lib/workflow';
import type { Figure } from './figures';

const LOOPS = 120;
/** Reviewers answering at once: completions overlap as they would with a team, without flooding the stack. */
const IN_FLIGHT = 4;
const DEADLINE_MS = 120_000;

/**
 * Local mode's delivery latency: from a loop's completion (the reviewer's answer accepted by the A2I
 * emulator) to its reviewed message taken off the destination queue, through the status event, the local
 * bus, the waiting execution, DeliverReview and SQS. Measured at the consumer, so time in the queue counts.
 */
export async function localBenchmark(): Promise<Figure[]> {
  return [...(await throughput()), ...(await deliveryLatency())];
}

/** Records of the throughput figure: enough that the stack's start-up is a small part of the time. */
const THROUGHPUT_RECORDS = Number(process.env.BENCH_LOCAL_RECORDS ?? 20_000);

/**
 * `local.records_per_s`: auto-accepted records end to end through `replay` (start-up, upload, the S3 trigger,
 * the work queue, the ledger, the destination queue, the local consumer), from the call to its summary.
 */
export async function throughput(): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'a2i-bench-throughput-'));
  try {
    // The demo workflow without its 2% sampling: every record is auto-accepted.
    const workflows = join(dir, 'workflows');
    cpSync(join(__dirname, '..', 'workflows'), workflows, { recursive: true });
    const file = join(workflows, 'invoice-extraction.yaml');
    const text = readFileSync(file, 'utf8');
    const sampling = /\n\s*- ConditionType: Sampling\n\s*ConditionParameters:\n\s*RandomSamplingPercentage: \d+\n/;
    if (!sampling.test(text)) throw new Error('local bench: the demo workflow no longer samples as expected');
    writeFileSync(file, text.replace(sampling, '\n'));
    const [workflow] = loadWorkflows([file]);
    const inputFile = join(dir, 'throughput.jsonl');
    writeFileSync(inputFile, confidentInvoices(THROUGHPUT_RECORDS));
    const started = process.hrtime.bigint();
    const cpuBefore = process.cpuUsage();
    const summary = await replay({ workflow, inputFile, stateDir: join(dir, 'state'), timeoutMs: 600_000 });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = process.cpuUsage(cpuBefore);
    // The CPU the process got: on a shared machine the wall-clock figure says as much about the neighbours.
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    if (summary.lost > 0 || summary.duplicates > 0 || summary.autoAccepted !== THROUGHPUT_RECORDS) throw new Error(`local bench: replay gave ${JSON.stringify(summary)}`);
    return [{ name: 'local.records_per_s', value: Math.round(THROUGHPUT_RECORDS / seconds), unit: 'records/s', records: THROUGHPUT_RECORDS, seconds: Math.round(seconds * 10) / 10, cpuSeconds: Math.round(cpuSeconds * 10) / 10, recordsPerCpuSecond: Math.round(THROUGHPUT_RECORDS / cpuSeconds), target: '>= 500' }];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Invoices whose every field is read with confidence: none goes to a person. */
function confidentInvoices(count: number): string {
  const lines: string[] = [];
  for (let index = 0; index < count; index++) {
    lines.push(
      JSON.stringify({
        documentId: `throughput-${index}`,
        documentUri: `s3://bench/scans/${index}.pdf`,
        vendor: { name: 'Bench Ltd', trust: 'verified' },
        currency: 'EUR',
        totalAmount: 100,
        fields: [
          { name: 'invoice_number', value: `T-${index}`, confidence: 0.99 },
          { name: 'total_amount', value: '100.00', confidence: 0.99 },
          { name: 'iban', value: 'DE89370400440532013000', confidence: 0.99 },
        ],
      }),
    );
  }
  return `${lines.join('\n')}\n`;
}

async function deliveryLatency(): Promise<Figure[]> {
  const stateDir = mkdtempSync(join(tmpdir(), 'a2i-bench-local-'));
  const opened: OpenTask[] = [];
  const arrived = new Map<string, number>();
  const waiters = new Map<string, () => void>();
  let allOpen: () => void = () => undefined;
  const everyLoopOpen = new Promise<void>((resolve) => (allOpen = resolve));
  const stack = await LocalStack.start({
    workflows: join(__dirname, '..', 'workflows', 'invoice-extraction.yaml'),
    stateDir,
    onLoopStarted: (task) => {
      opened.push(task);
      if (opened.length === LOOPS) allOpen();
    },
    onDelivered: ({ message, receivedAt }: Delivery) => {
      if (message.outcome !== 'reviewed') return;
      arrived.set(message.reviewId, receivedAt);
      waiters.get(message.reviewId)?.();
    },
  });
  try {
    await stack.upload('bench.jsonl', Buffer.from(lowConfidenceInvoices(LOOPS)));
    await within(everyLoopOpen, 'every loop to open');
    const latencies: number[] = [];
    let next = 0;
    const reviewer = async () => {
      while (next < opened.length) {
        const task = opened[next++];
        const delivered = new Promise<void>((resolve) => waiters.set(task.humanLoopName, resolve));
        const completedAt = Date.now();
        await stack.emulator.submitAnswer(task.humanLoopName, { answerContent: { verdict: { correct: true, corrected: false }, total_amount: '100.00' } });
        await within(delivered, `the message of ${task.humanLoopName}`);
        latencies.push((arrived.get(task.humanLoopName) as number) - completedAt);
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, reviewer));
    latencies.sort((a, b) => a - b);
    const at = (share: number) => latencies[Math.min(latencies.length - 1, Math.ceil(share * latencies.length) - 1)];
    const detail = { loops: latencies.length, reviewersAtOnce: IN_FLIGHT };
    return [
      { name: 'local.delivery_latency_ms_p50', value: at(0.5), unit: 'ms', ...detail },
      { name: 'local.delivery_latency_ms_p95', value: at(0.95), unit: 'ms', ...detail, target: '<= 2000' },
    ];
  } finally {
    await stack.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/** Invoices whose every field is uncertain, so each one goes to a person. */
function lowConfidenceInvoices(count: number): string {
  const lines: string[] = [];
  for (let index = 0; index < count; index++) {
    lines.push(
      JSON.stringify({
        documentId: `bench-${index}`,
        documentUri: `s3://bench/scans/${index}.pdf`,
        vendor: { name: 'Bench Ltd', trust: 'verified' },
        currency: 'EUR',
        totalAmount: 100,
        fields: [
          { name: 'invoice_number', value: `B-${index}`, confidence: 0.5 },
          { name: 'total_amount', value: '100.00', confidence: 0.5 },
        ],
      }),
    );
  }
  return `${lines.join('\n')}\n`;
}

async function within(promise: Promise<void>, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => (timer = setTimeout(() => reject(new Error(`local bench: waited ${DEADLINE_MS} ms for ${what}`)), DEADLINE_MS)));
  try {
    await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { workflowsForObject } from '../ingest/match';
import { loadAutoReview } from '../local/auto-review';
import { LOCAL_BUCKETS } from '../local/resources';
import { type CompiledWorkflow, isS3Source, loadWorkflows } from '../workflow';
import { parseFaultSpec, parseShare } from '../local/faults';
import { replay, type ReplayProgress } from '../local/replay';
import { type Io, UsageError } from './io';

export interface ReplayArgs {
  workflow?: string;
  input?: string;
  'auto-review'?: string;
  out?: string;
  port?: string;
  timeout?: string;
  'inject-faults'?: string;
  'duplicate-events'?: string;
}

/** Without --auto-review a person answers in the UI, so there is no time limit unless one is given. */
const AUTO_REVIEW_TIMEOUT_SECONDS = 600;

export async function replayCommand(args: ReplayArgs, io: Io, options: { progressToTty?: boolean } = {}): Promise<number> {
  if (!args.workflow || !args.input) throw new UsageError('replay needs --workflow FILE and --input FILE');
  const autoReview = args['auto-review'] ? loadAutoReview(args['auto-review']) : undefined;
  const port = numberArg('port', args.port, 0);
  const faults = args['inject-faults'] === undefined ? undefined : parseFaultSpec(args['inject-faults']);
  const duplicateEvents = args['duplicate-events'] === undefined ? undefined : parseShare('--duplicate-events', args['duplicate-events']);
  const timeoutSeconds = numberArg('timeout', args.timeout, autoReview ? AUTO_REVIEW_TIMEOUT_SECONDS : 0);
  const [workflow] = loadWorkflows([args.workflow]);
  assertWorkflowTakes(workflow, args.input);
  if (args.out) {
    mkdirSync(args.out, { recursive: true });
    // Each run writes its own messages: files of an earlier run would mix with them.
    for (const queue of Object.keys(workflow.definition.queues)) rmSync(join(args.out, `${queue}.jsonl`), { force: true });
  }
  const stateDir = mkdtempSync(join(tmpdir(), 'a2i-replay-'));
  const tty = options.progressToTty ?? Boolean(process.stderr.isTTY);
  try {
    const summary = await replay({
      workflow,
      inputFile: args.input,
      stateDir,
      autoReview,
      faults,
      duplicateEvents,
      port,
      timeoutMs: timeoutSeconds * 1000,
      onDelivered: ({ queue, body }) => {
        if (!args.out) return;
        appendFileSync(join(args.out, `${queue}.jsonl`), `${body}\n`);
      },
      onProgress: tty ? (progress) => io.err(`\r${progressLine(progress)}`) : undefined,
      onWaitingForPeople: (url) => io.err(`${tty ? '\n' : ''}loops are waiting for a person: review them at ${url}\n`),
      onProblem: (text) => io.err(`${tty ? '\n' : ''}problem: ${text}\n`),
      onFaults: (injected) => {
        if (faults) io.err(`faults injected: ${JSON.stringify(injected)}\n`);
      },
    });
    if (tty) io.err('\n');
    await io.out(`${JSON.stringify(summary)}\n`);
    return summary.lost === 0 && summary.duplicates === 0 ? 0 : 1;
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/** The --input a workflow would not take (its key is the file's name under the workflow's prefix). */
export class ReplayInputError extends Error {
  override readonly name = 'ReplayInputError';
}

/**
 * An S3 workflow's suffixes are S3 notification filters, which AWS matches case-sensitively: `BATCH.JSONL`
 * triggers no `.jsonl` workflow there, so replay says so rather than replaying what the cloud would ignore.
 * (Which format a taken key is read as is decided case-insensitively: see objectFormat.)
 */
function assertWorkflowTakes(workflow: CompiledWorkflow, inputFile: string): void {
  const { source, name } = workflow.definition;
  if (!isS3Source(source)) return;
  const key = `${source.s3.prefix}${basename(inputFile)}`;
  if (workflowsForObject([workflow], source.s3.bucket ?? LOCAL_BUCKETS.input, key, LOCAL_BUCKETS.input).length > 0) return;
  const suffixes = source.s3.suffix.join(', ');
  throw new ReplayInputError(`${name} would not take ${key}: its suffixes (${suffixes}) are S3 filters, matched case-sensitively; rename the file to end in one of them`);
}

function progressLine({ records, terminal, openLoops }: ReplayProgress): string {
  return `records ${records} · done ${terminal}/${records} · open loops ${openLoops}   `;
}

function numberArg(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0) throw new UsageError(`--${name} must be a whole number, got ${JSON.stringify(value)}`);
  return number;
}

import type { RateLimiter } from '../rate-limiter';
import { sqsSafeRecordText } from '../sqs-text';
import type { CompiledWorkflow } from '../workflow';
import { type IngestDeps, type IngestItem, type IngestReport, ingestItems } from './ingest-records';
import { decodeWork, type WorkItem, type WorkMessage } from './work-message';

export interface WorkDeps extends Omit<IngestDeps, 'limiter'> {
  workflows: ReadonlyMap<string, CompiledWorkflow>;
  /** Reads a staged record (an s3:// URI from the splitter). */
  readStaged(uri: string): Promise<string>;
  /** The StartHumanLoop pacer of a workflow, shared by every batch this process handles. */
  limiterFor(workflow: CompiledWorkflow): RateLimiter | undefined;
  /** Puts work back on the work queue as a new message (a fresh receive count): records this invocation had no time to start. */
  handOn(work: WorkMessage): Promise<void>;
}

/**
 * How long before the consumer's timeout it stops starting loops: the starts in flight (each within the SDK's
 * retry budget), the batch's deliveries and handing the rest on must fit in it.
 */
export const WORK_FINISH_RESERVE_MS = 60_000;

/**
 * How long work that must be tried again (a start still throttled after the SDK's retries) stays hidden:
 * 30 s after its first receive, doubling, at most 15 min. Much sooner than the queue's 1,800 s visibility
 * timeout, which is sized for a batch still in progress, not for a retry.
 */
export function retryLaterSeconds(receives: number): number {
  return Math.min(RETRY_LATER_MAX_SECONDS, RETRY_LATER_FIRST_SECONDS * 2 ** (Math.max(1, receives) - 1));
}
const RETRY_LATER_FIRST_SECONDS = 30;
const RETRY_LATER_MAX_SECONDS = 900;

export interface WorkTiming {
  finalAttempt: boolean;
  /** Epoch ms after which this invocation starts no more loops (see IngestContext.startDeadline). */
  startDeadline?: number;
}

/** Records of the work could not all be handled now; the work message must be delivered again. */
export class RetryLaterError extends Error {
  override readonly name = 'RetryLaterError';
  constructor(
    message: string,
    readonly workflow: string,
    readonly report: IngestReport,
  ) {
    super(message);
  }
}

export class UnknownWorkflowError extends Error {
  override readonly name = 'UnknownWorkflowError';
}

/**
 * Handles one work message: the records it carries (or points to) go through the workflow. Throws
 * RetryLaterError when some records need another attempt; handled records are skipped on that attempt.
 */
export async function processWork(body: string, timing: WorkTiming, deps: WorkDeps): Promise<{ workflow: string; report: IngestReport }> {
  const work = decodeWork(body);
  const workflow = deps.workflows.get(work.workflow);
  if (!workflow) throw new UnknownWorkflowError(`work for workflow "${work.workflow}", which is not deployed`);
  const items = await Promise.all(work.items.map((item) => resolveItem(item, deps)));
  const report = await ingestItems(items, { workflow, source: work.source, ...timing }, { ...deps, limiter: deps.limiterFor(workflow) });
  if (report.released.length > 0) {
    // As they came (staged records stay staged): same indexes, so the same review ids and ledger entries.
    const released = new Set(report.released);
    await deps.handOn({ workflow: work.workflow, source: work.source, items: work.items.filter((item) => released.has(item.index)) });
  }
  if (report.retryLater > 0) throw new RetryLaterError(`${report.retryLater} of ${report.records} records need another attempt: ${report.retryReason}`, work.workflow, report);
  return { workflow: work.workflow, report };
}

async function resolveItem(item: WorkItem, deps: WorkDeps): Promise<IngestItem> {
  if (!('ref' in item) && !('recordIdRef' in item)) return item;
  const position = { index: item.index, ...(item.line !== undefined ? { line: item.line } : {}) };
  const uri = 'ref' in item ? item.ref : item.recordIdRef;
  try {
    const staged = await deps.readStaged(uri);
    // A duplicate whose id was too large for the work message: the id is staged as its JSON string.
    if ('recordIdRef' in item) {
      const text = item.textRef === undefined ? undefined : await deps.readStaged(item.textRef);
      return { ...position, recordId: JSON.parse(staged) as string, keptBy: item.keptBy, ...(text !== undefined ? { text } : {}) };
    }
    const safe = sqsSafeRecordText(staged);
    return 'text' in safe ? { ...position, text: safe.text } : { ...position, error: `not valid JSON: raw control character at column ${safe.controlColumn}` };
  } catch (error) {
    if ((error as Error).name !== 'NoSuchKey') throw error;
    return { ...position, error: `staged record ${uri} no longer exists` };
  }
}

import type { RateLimiter } from '../rate-limiter';
import { sqsSafeRecordText } from '../sqs-text';
import type { CompiledWorkflow } from '../workflow';
import { type IngestDeps, type IngestItem, type IngestReport, ingestItems } from './ingest-records';
import { decodeWork, type WorkItem } from './work-message';

export interface WorkDeps extends Omit<IngestDeps, 'limiter'> {
  workflows: ReadonlyMap<string, CompiledWorkflow>;
  /** Reads a staged record (an s3:// URI from the splitter). */
  readStaged(uri: string): Promise<string>;
  /** The StartHumanLoop pacer of a workflow, shared by every batch this process handles. */
  limiterFor(workflow: CompiledWorkflow): RateLimiter | undefined;
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
export async function processWork(body: string, finalAttempt: boolean, deps: WorkDeps): Promise<{ workflow: string; report: IngestReport }> {
  const work = decodeWork(body);
  const workflow = deps.workflows.get(work.workflow);
  if (!workflow) throw new UnknownWorkflowError(`work for workflow "${work.workflow}", which is not deployed`);
  const items = await Promise.all(work.items.map((item) => resolveItem(item, deps)));
  const report = await ingestItems(items, { workflow, source: work.source, finalAttempt }, { ...deps, limiter: deps.limiterFor(workflow) });
  if (report.retryLater > 0) throw new RetryLaterError(`${report.retryLater} of ${report.records} records need another attempt: ${report.retryReason}`, work.workflow, report);
  return { workflow: work.workflow, report };
}

async function resolveItem(item: WorkItem, deps: WorkDeps): Promise<IngestItem> {
  if (!('ref' in item)) return item;
  const position = { index: item.index, ...(item.line !== undefined ? { line: item.line } : {}) };
  try {
    const safe = sqsSafeRecordText(await deps.readStaged(item.ref));
    return 'text' in safe ? { ...position, text: safe.text } : { ...position, error: `not valid JSON: raw control character at column ${safe.controlColumn}` };
  } catch (error) {
    if ((error as Error).name !== 'NoSuchKey') throw error;
    return { ...position, error: `staged record ${item.ref} no longer exists` };
  }
}

import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { IngestReport } from '../lib/ingest/ingest-records';
import { systemClock } from '../lib/clock';
import { processWork, RetryLaterError, retryLaterSeconds, WORK_FINISH_RESERVE_MS } from '../lib/ingest/process-work';
import { type ConsumerRuntime, consumerRuntime } from '../lib/runtime/ingest-wiring';
import { processBatch, withPowertools } from '../lib/runtime/handler';
import { logger, workflowMetrics } from '../lib/runtime/observability';
import { once } from '../lib/runtime/once';

const REPORTED: [keyof IngestReport, string][] = [
  ['loopsStarted', 'LoopsStarted'],
  ['autoAccepted', 'RecordsAutoAccepted'],
  ['invalid', 'RecordsInvalid'],
  ['failed', 'RecordsFailed'],
];

/**
 * The work queue's consumer: evaluates the records of each work message and starts loops or delivers
 * messages. Partial batch responses: a message whose records are not all handled is retried alone, and
 * on its last receive (the queue's maxReceiveCount) records that still cannot start become `failed`
 * messages instead. Work that still fails then (unreadable, undeliverable) goes to the DLQ with its reason
 * as a message attribute; should even that fail, SQS's redrive moves it there without one.
 */
export function createHandler(deps: () => ConsumerRuntime = once(consumerRuntime)) {
  const handleRecord = async (record: SQSRecord, startDeadline: number): Promise<void> => {
    const runtime = deps();
    const finalAttempt = Number(record.attributes.ApproximateReceiveCount) >= runtime.maxReceives;
    try {
      const { workflow, report } = await processWork(record.body, { finalAttempt, startDeadline }, runtime.workDeps);
      publish(report, workflow);
      const { released, ...counts } = report;
      logger.info('work done', { messageId: record.messageId, workflow, ...counts, handedOn: released.length });
      if (released.length > 0) logger.warn('records handed on as new work: no time left to start them at the workflow\'s rate', { messageId: record.messageId, workflow, handedOn: released.length });
    } catch (error) {
      const receives = Number(record.attributes.ApproximateReceiveCount);
      if (error instanceof RetryLaterError) {
        publish(error.report, error.workflow);
        logger.warn('work left for a retry', { messageId: record.messageId, workflow: error.workflow, reason: error.message });
        // Back soon rather than after the queue's visibility timeout; if this fails, the timeout still brings it back.
        if (!finalAttempt) await runtime.retryIn(record.receiptHandle, retryLaterSeconds(receives)).catch((failure: unknown) => logger.warn('work retry delay not set', { messageId: record.messageId, error: failure as Error }));
      } else logger.error('work failed', { messageId: record.messageId, error: error as Error });
      if (!finalAttempt) throw error;
      await runtime.deadLetter(record.body, `${(error as Error).name}: ${(error as Error).message}`);
      logger.error('work sent to the DLQ', { messageId: record.messageId, receives: record.attributes.ApproximateReceiveCount });
    }
  };
  return withPowertools(async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    // Loops start only while there is time to finish: what is left is handed on, never timed out.
    const startDeadline = (deps().workDeps.clock ?? systemClock).now() + context.getRemainingTimeInMillis() - WORK_FINISH_RESERVE_MS;
    return processBatch(event, (record: SQSRecord) => handleRecord(record, startDeadline), context);
  });
}

function publish(report: IngestReport, workflow: string): void {
  const single = workflowMetrics(workflow);
  for (const [field, name] of REPORTED) {
    const value = report[field];
    if (typeof value === 'number' && value > 0) single.addMetric(name, 'Count', value);
  }
}

export const handler = createHandler();

import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { logger, metrics, tracer } from './observability';

/**
 * Publishes the invocation's metrics, when it stored any. Powertools' own logMetrics logs a warning for
 * every invocation that stored none, which most review-loop steps are: a log line each, paid for, saying nothing.
 */
const flushMetrics: MiddlewareObj = {
  after: () => publishStoredMetrics(),
  onError: () => publishStoredMetrics(),
};

function publishStoredMetrics(): void {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
}

/** Every handler's middleware: a traced invocation, metrics flushed at the end, the logger's context reset. */
export function withPowertools<Event, Result>(handler: (event: Event, context: Context) => Promise<Result>) {
  return middy(handler)
    .use(captureLambdaHandler(tracer))
    .use(flushMetrics)
    .use(injectLambdaContext(logger, { clearState: true }));
}

/**
 * Powertools' processPartialResponse with a BatchProcessor of this invocation's own. A processor keeps the
 * batch it is working on (its records, failures and successes) in its fields, so one shared by invocations that
 * overlap (local mode runs a function's concurrent batches in one process; Lambda never does) hands one batch's
 * failures to the other: a failed message reported as done is deleted, and its records are lost.
 */
export function processBatch(event: SQSEvent, handleRecord: (record: SQSRecord) => Promise<void>, context: Context, options: { throwOnFullBatchFailure?: boolean } = {}): Promise<SQSBatchResponse> {
  return processPartialResponse(event, handleRecord, new BatchProcessor(EventType.SQS), { context, ...options });
}

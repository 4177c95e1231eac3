import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
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

import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

/** One logger, metrics and tracer per process, shared by every handler (Powertools' recommended layout). Log ids, never record content. */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'a2i-orchestrator' });
// Metrics' own warnings (no metrics to publish) go through the structured logger, not the console.
export const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'A2IOrchestrator', serviceName: 'a2i-orchestrator', logger });
export const tracer = new Tracer({ serviceName: 'a2i-orchestrator' });

/**
 * Metrics with the `workflow` dimension, which every per-workflow figure carries (published as they are added).
 * A single metric publishes on each addMetric and then clears its dimensions, keeping only its defaults: so
 * `workflow` is a default dimension, or every metric after the first would be filed under `service` alone.
 */
export function workflowMetrics(workflow: string): ReturnType<Metrics['singleMetric']> {
  const single = metrics.singleMetric();
  single.setDefaultDimensions({ workflow });
  return single;
}

import { type BusEvent, workForEvent } from '../lib/ingest/ingest-event';
import { type EventIngestRuntime, eventIngestRuntime } from '../lib/runtime/splitter-wiring';
import { withPowertools } from '../lib/runtime/handler';
import { logger, metrics, workflowMetrics } from '../lib/runtime/observability';
import { once } from '../lib/runtime/once';

/** A workflow's rule wraps the event as {workflow, event}; a bare event is matched against every workflow's pattern. */
export type IngestEventInput = BusEvent | { workflow: string; event: BusEvent };

/**
 * EventBridge custom events: each matching workflow's record goes to the work queue, where it is
 * evaluated, paced and retried like records from S3. A failure throws, so Lambda's asynchronous retries
 * (then the failure destination) take over.
 */
export function createHandler(deps: () => EventIngestRuntime = once(eventIngestRuntime)) {
  return withPowertools(async (input: IngestEventInput): Promise<void> => {
    const { routes, splitDeps } = deps();
    const [event, workflow] = 'event' in input && 'workflow' in input ? [input.event, input.workflow] : [input as BusEvent, undefined];
    const work = workForEvent(event, routes, workflow);
    if (work.length === 0) {
      logger.warn('no workflow for event', { eventId: event.id, source: event.source, detailType: event['detail-type'] });
      metrics.addMetric('EventsUnmatched', 'Count', 1);
      return;
    }
    await splitDeps.send(work);
    for (const message of work) {
      logger.info('event queued as work', { eventId: event.id, workflow: message.workflow });
      workflowMetrics(message.workflow).addMetric('RecordsIngested', 'Count', 1);
    }
  });
}

export const handler = createHandler();

import type { SourceIdentity } from '../naming';
import { sqsSafeJson } from '../sqs-text';
import type { EventRoute } from './match';
import type { WorkMessage } from './work-message';

/** The parts of an EventBridge event ingest uses. */
export interface BusEvent {
  id: string;
  source: string;
  'detail-type'?: string;
  detail?: unknown;
}

/**
 * Turns an event into one work message per workflow whose pattern it matches (or only `workflow`'s, when
 * the rule named it): the record is what the workflow's `record` path yields in the event. The identity is
 * the event's source and id, so a redelivered or duplicated event names the same loop.
 */
export function workForEvent(event: BusEvent, routes: EventRoute[], workflow?: string): WorkMessage[] {
  const source: SourceIdentity = { type: 'event', eventSource: event.source, eventId: event.id, ...(event['detail-type'] ? { detailType: event['detail-type'] } : {}) };
  return routes
    .filter((route) => (workflow === undefined ? route.matches(event) : route.workflow.definition.name === workflow))
    .map((route) => {
      const record = route.recordOf(event);
      const item = record === null || record === undefined ? { index: 0, error: `the event has no record at ${JSON.stringify(route.recordPath)}` } : recordItem(record);
      return { workflow: route.workflow.definition.name, source, items: [item] };
    });
}

/**
 * The record as work-message text; one too deep to serialise (JSON.stringify recurses: a few thousand levels
 * exhaust the stack) is that record's problem, an error item that becomes its `invalid` message, as in S3 ingest.
 */
function recordItem(record: unknown): { index: number; text: string } | { index: number; error: string } {
  let text: string;
  try {
    text = JSON.stringify(record);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    return { index: 0, error: 'the record is nested too deeply to be serialised' };
  }
  return { index: 0, text: sqsSafeJson(text) };
}

import type { BusEvent } from '../ingest/ingest-event';

export class EventsFileError extends Error {
  override readonly name = 'EventsFileError';
}

/** A JSON Lines file of EventBridge events, each as PutEvents would carry it; blank lines are skipped. */
export function parseEventsFile(text: string): BusEvent[] {
  const events: BusEvent[] = [];
  for (const [index, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch (error) {
      throw new EventsFileError(`line ${index + 1} is not JSON: ${(error as Error).message}`);
    }
    if (event === null || typeof event !== 'object' || Array.isArray(event)) throw new EventsFileError(`line ${index + 1} is not an event object`);
    const { source, 'detail-type': detailType } = event as Record<string, unknown>;
    if (typeof source !== 'string' || typeof detailType !== 'string') throw new EventsFileError(`line ${index + 1} has no "source" and "detail-type"`);
    events.push(event as BusEvent);
  }
  return events;
}

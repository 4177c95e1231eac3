import type { EventBridgeEvent } from 'aws-lambda';
import { type HumanLoopStatusDetail, wakeOnStatusEvent } from '../lib/review/status-event';
import { withPowertools } from '../lib/runtime/handler';
import { logger } from '../lib/runtime/observability';
import { once } from '../lib/runtime/once';
import { type ReviewRuntime, waitRuntime } from '../lib/runtime/review-wiring';

/** A2I's status-change events (the rule is filtered to this stack's flow definitions): wake the tracking execution. */
export function createHandler(deps: () => Pick<ReviewRuntime, 'wait'> = once(waitRuntime)) {
  return withPowertools(async (event: EventBridgeEvent<'SageMaker A2I HumanLoop Status Change', HumanLoopStatusDetail>) => {
    const result = await wakeOnStatusEvent(event.detail, deps().wait);
    logger.info('status event', { eventId: event.id, humanLoopName: event.detail.humanLoopName, status: event.detail.humanLoopStatus, result });
    return { result };
  });
}

export const handler = createHandler();

import type { Envelope, QueueAddress } from '../delivery';
import type { Ledger } from '../ledger';
import type { ReviewMessage } from '../messages';
import { queueFor } from '../routing';
import type { CompiledWorkflow } from '../workflow';
import { asTaskError, TransientError } from './task-errors';

export interface DeliverDeps {
  ledger: Ledger;
  delivery: { deliver(envelopes: Envelope[]): Promise<void> };
  queueAddress(workflow: string, queue: string): QueueAddress;
  workflow(name: string): CompiledWorkflow;
}

export class LedgerConflictError extends Error {
  override readonly name = 'LedgerConflictError';
}

/**
 * Delivers a record's terminal message under the ledger's claim, so that a retried task or a duplicate
 * execution sends nothing a second time. Resolves with the queue and whether this call sent it.
 */
export async function deliverOnce(message: ReviewMessage, deps: DeliverDeps): Promise<{ queue: string; delivered: boolean }> {
  const workflow = deps.workflow(message.workflow);
  const queue = queueFor(workflow, message);
  const key = { reviewId: message.reviewId, workflow: message.workflow, recordIndex: message.source.recordIndex };
  const claim = await deps.ledger.claimDelivery(key, message.outcome).catch((error: unknown) => {
    throw asTaskError(error);
  });
  if (claim === 'delivered') return { queue, delivered: false };
  if (claim === 'busy') throw new TransientError(`record ${message.reviewId} is being delivered by another attempt`);
  if (claim === 'duplicate-id') throw new LedgerConflictError(`the ledger entry of ${message.reviewId} belongs to another record`);
  try {
    await deps.delivery.deliver([{ queue: deps.queueAddress(message.workflow, queue), message }]);
  } catch (error) {
    await deps.ledger.releaseClaim(message.reviewId).catch(() => undefined);
    throw asTaskError(error);
  }
  await deps.ledger.markDelivered(message.reviewId).catch((error: unknown) => {
    throw asTaskError(error);
  });
  return { queue, delivered: true };
}

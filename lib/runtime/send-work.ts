import type { WorkMessage } from '../ingest/work-message';
import { fittedWorkEntries, type WorkStaging } from '../ingest/work-queue';
import { sendBatches } from '../sqs-batch';
import type { AwsClients } from './aws-clients';

/**
 * Work messages onto the work queue, each within SQS's limit (fitWork stages what does not fit). Shared by the
 * splitters and the consumer (work handed on), in a module of its own so that neither bundles the other's wiring.
 */
export async function sendWork(clients: Pick<AwsClients, 'sqs'>, workQueueUrl: string, messages: WorkMessage[], staging: WorkStaging): Promise<void> {
  await sendBatches(clients.sqs, workQueueUrl, await fittedWorkEntries(messages, staging));
}

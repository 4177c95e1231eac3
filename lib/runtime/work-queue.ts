import { encodeWork, type WorkMessage } from '../ingest/work-message';
import { sendBatches } from '../sqs-batch';
import type { AwsClients } from './aws-clients';

/** Work messages onto the work queue, each labelled by its records for errors. */
export function sendWork(clients: Pick<AwsClients, 'sqs'>, workQueueUrl: string, messages: WorkMessage[]): Promise<void> {
  return sendBatches(
    clients.sqs,
    workQueueUrl,
    messages.map((message) => {
      const body = encodeWork(message);
      const first = message.items[0]?.index ?? 0;
      return { entry: { MessageBody: body }, bytes: Buffer.byteLength(body), label: `${message.workflow} records ${first}-${first + message.items.length - 1}` };
    }),
  );
}

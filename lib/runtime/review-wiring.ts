import { GetObjectCommand } from '@aws-sdk/client-s3';
import { type Clock, systemClock } from '../clock';
import { SqsDelivery } from '../delivery';
import { DEFAULT_LEDGER_OPTIONS, DynamoDbLedger, type Ledger } from '../ledger';
import type { CheckDeps } from '../review/check-loop';
import type { FailureDeps } from '../review/deliver-failure';
import type { PollDeps } from '../review/poll-loop';
import { SqsPollQueue } from '../review/poll-queue';
import type { ReviewDeps } from '../review/deliver-review';
import type { WaitDeps } from '../review/wait-for-status';
import { parseS3Uri, S3PayloadStore } from '../s3-store';
import type { CompiledWorkflow } from '../workflow';
import { type AwsClients, awsClients } from './aws-clients';
import { ConfigError, requireEnv } from './env';
import { deployedWorkflows, invalidQueueDirectory, queueDirectory } from './ingest-wiring';

type Env = Record<string, string | undefined>;

/** What the review-loop tasks and the status-event function need. */
export interface ReviewRuntime {
  ledger: Ledger;
  check: CheckDeps;
  wait: WaitDeps;
  poll: PollDeps;
  review: ReviewDeps;
  failure: FailureDeps;
}

export function reviewRuntime(env: Env = process.env, clients: AwsClients = awsClients(), clock: Clock = systemClock): ReviewRuntime {
  const workflows = new Map(deployedWorkflows(env).map((workflow) => [workflow.definition.name, workflow]));
  const workflow = (name: string): CompiledWorkflow => {
    const found = workflows.get(name);
    if (!found) throw new ConfigError(`workflow "${name}" is not deployed`);
    return found;
  };
  const ledger = new DynamoDbLedger(clients.dynamo, requireEnv('LEDGER_TABLE', env), DEFAULT_LEDGER_OPTIONS, clock);
  const payloads = new S3PayloadStore(clients.s3, requireEnv('PAYLOAD_BUCKET', env));
  const queueAddress = queueDirectory([...workflows.values()], env);
  const deliver = {
    ledger,
    delivery: new SqsDelivery(clients.sqs, { payloads, resend: { clock }, invalidQueue: invalidQueueDirectory([...workflows.values()], queueAddress) }),
    queueAddress,
    workflow,
  };
  const polls = new SqsPollQueue(clients.sqs, requireEnv('POLL_QUEUE_URL', env));
  return {
    ledger,
    check: { a2i: clients.a2i, workflow, clock },
    wait: { ledger, sfn: clients.sfn, polls, workflow, clock },
    poll: { a2i: clients.a2i, sfn: clients.sfn, ledger, polls, workflow, clock },
    review: {
      ...deliver,
      clock,
      async readObject(uri) {
        const { bucket, key } = parseS3Uri(uri);
        const { Body } = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        if (!Body) throw new Error(`GetObject returned no body for ${uri}`);
        return Body.transformToString('utf8');
      },
    },
    failure: { ...deliver, a2i: clients.a2i, clock },
  };
}

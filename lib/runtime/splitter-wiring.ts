import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { type EventRoute, eventRoutes } from '../ingest/match';
import type { SplitDeps } from '../ingest/split-object';
import type { WorkMessage } from '../ingest/work-message';
import type { WorkStaging } from '../ingest/work-queue';
import { S3PayloadStore } from '../s3-store';
import { compileWorkflowWithoutConditions, type CompiledWorkflow } from '../workflow/assemble';
import type { AwsClients } from './aws-clients';
import { processS3Client } from './clients/s3';
import { processSqsClient } from './clients/sqs';
import { deployedWorkflows } from './deployed-workflows';
import { requireEnv } from './env';
import { sendWork } from './send-work';

type Env = Record<string, string | undefined>;

export interface SplitterRuntime {
  workflows: CompiledWorkflow[];
  inputBucket?: string;
  splitDeps: SplitDeps;
  getObject(bucket: string, key: string, versionId?: string): Promise<AsyncIterable<Uint8Array>>;
}

/**
 * What the S3 and EventBridge entry points need: read objects, stage big records, send work. The splitters match records to
 * workflows and never evaluate a condition (the work queue's consumer does): workflows load without them.
 */
export function splitterRuntime(env: Env = process.env, clients: Pick<AwsClients, 's3' | 'sqs'> = { s3: processS3Client(), sqs: processSqsClient() }): SplitterRuntime {
  const workQueueUrl = requireEnv('WORK_QUEUE_URL', env);
  const payloads = new S3PayloadStore(clients.s3, requireEnv('PAYLOAD_BUCKET', env));
  const staging: WorkStaging = { stage: (key, text) => payloads.put(key, text) };
  return {
    workflows: deployedWorkflows(env, compileWorkflowWithoutConditions),
    inputBucket: env.INPUT_BUCKET,
    splitDeps: {
      send: (messages: WorkMessage[]) => sendWork(clients, workQueueUrl, messages, staging),
      stage: staging.stage,
    },
    async getObject(bucket, key, versionId) {
      const { Body } = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) }));
      if (!Body) throw new Error(`GetObject returned no body for s3://${bucket}/${key}`);
      return Body as Readable;
    },
  };
}

export interface EventIngestRuntime {
  routes: EventRoute[];
  splitDeps: Pick<SplitDeps, 'send'>;
}

/** What the EventBridge entry point needs: the workflows' event patterns and the work queue (a record too large for a work message is staged in S3). */
export function eventIngestRuntime(env: Env = process.env, clients: Pick<AwsClients, 's3' | 'sqs'> = { s3: processS3Client(), sqs: processSqsClient() }): EventIngestRuntime {
  const runtime = splitterRuntime(env, clients);
  return { routes: eventRoutes(runtime.workflows), splitDeps: runtime.splitDeps };
}

import { join } from 'node:path';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { SqsDelivery } from '../lib/delivery';
import { processWork, type WorkDeps } from '../lib/ingest/process-work';
import { splitObject } from '../lib/ingest/split-object';
import { encodeWork, type WorkMessage } from '../lib/ingest/work-message';
import { type Ledger, MemoryLedger } from '../lib/ledger';
import type { LoopStarter } from '../lib/loop-starter';
import { type CompiledWorkflow, loadWorkflowFile } from '../lib/workflow';

/** The example workflow every ingest figure is measured on. */
export function exampleWorkflow(): CompiledWorkflow {
  const file = join(__dirname, '..', 'workflows', 'invoice-extraction.yaml');
  const { workflow } = loadWorkflowFile(file);
  if (!workflow) throw new Error(`cannot load ${file}`);
  return workflow;
}

/** A ledger that grants every reservation and claim and keeps nothing: for streams too long to remember. */
export const forgetfulLedger: Ledger = {
  get: async () => undefined,
  reserveStart: async () => 'reserved',
  getSlot: async () => undefined,
  takeSlot: async () => true,
  takeSlots: async (slots) => slots.map(() => true),
  markStarted: async () => true,
  claimDelivery: async () => 'claimed',
  claimDeliveries: async (claims) => claims.map(() => 'claimed' as const),
  markDelivered: async () => undefined,
  markDeliveredMany: async () => undefined,
  releaseClaim: async () => undefined,
  storeTaskToken: async () => undefined,
  recordStatusEvent: async () => undefined,
  markPollScheduled: async () => undefined,
};

export interface StubCounts {
  loops: number;
  messages: number;
}

/**
 * The real ingest code from object bytes to outcomes (reader, splitter, work-message JSON, consumer,
 * decisions, InputContent, message building, SqsDelivery's batching) with only the AWS calls stubbed.
 */
export function stubbedIngest(workflow: CompiledWorkflow, ledger: () => Ledger = () => new MemoryLedger()) {
  const counts: StubCounts = { loops: 0, messages: 0 };
  const sqs = {
    send: async (command: { input: { Entries?: unknown[] } }) => {
      counts.messages += command.input.Entries?.length ?? 0;
      return { Failed: [] };
    },
  } as unknown as SQSClient;
  const loops: LoopStarter = {
    start: async () => {
      counts.loops++;
      return { alreadyStarted: false, humanLoopArn: 'arn:aws:sagemaker:us-east-1:123456789012:human-loop/x', executionArn: 'arn:x' };
    },
    stop: async () => undefined,
  };
  const deps = (): WorkDeps => ({
    workflows: new Map([[workflow.definition.name, workflow]]),
    ledger: ledger(),
    loops,
    delivery: new SqsDelivery(sqs),
    payloads: { put: async (key) => `s3://bench-payloads/${key}`, uriOf: (key) => `s3://bench-payloads/${key}`, get: async () => '{}' },
    queueAddress: (_workflow, queue) => ({ url: `https://sqs.us-east-1.amazonaws.com/123456789012/${queue}`, fifo: false }),
    flowDefinitionArn: () => 'arn:aws:sagemaker:us-east-1:123456789012:flow-definition/invoice-extraction',
    readStaged: async () => {
      throw new Error('no staging in the benchmark');
    },
    limiterFor: () => undefined,
    handOn: async () => {
      throw new Error('no start deadline in the benchmark');
    },
  });

  /** Ingests one object; work messages are handed to the consumer as SQS would, serialised. */
  async function ingest(body: AsyncIterable<Uint8Array>, key: string): Promise<number> {
    const workDeps = deps();
    let records = 0;
    await splitObject(body, { workflow, source: { type: 's3', bucket: 'bench', key, etag: 'bench' } }, {
      send: async (messages: WorkMessage[]) => {
        for (const message of messages) {
          const { report } = await processWork(encodeWork(message), { finalAttempt: false }, workDeps);
          records += report.records;
        }
      },
      stage: async () => {
        throw new Error('no staging in the benchmark');
      },
    });
    return records;
  }
  return { ingest, counts };
}

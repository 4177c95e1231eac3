import { ChangeMessageVisibilityCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { readFileSync } from 'node:fs';
import type { WorkDeps } from '../ingest/process-work';
import { deadLetterReason } from '../ingest/work-queue';
import { SqsDelivery } from '../delivery';
import { DEFAULT_LEDGER_OPTIONS, DynamoDbLedger } from '../ledger';
import { A2iLoopStarter } from '../loop-starter';
import { type Clock, systemClock } from '../clock';
import { RateLimiter } from '../rate-limiter';
import { S3PayloadStore } from '../s3-store';
import { sqsSafeJson } from '../sqs-text';
import { stackFlowDefinitionName, type StackFlowValues } from '../flows/stack-flow';
import { parseWorkflowTemplates } from '../workflow/bundle';
import { type CompiledWorkflow, compileWorkflow } from '../workflow/compiled';
import { isFlowSpec } from '../workflow/types';
import { type AwsClients, processAwsClients } from './aws-clients';
import { deployedWorkflows, invalidQueueDirectory, queueDirectory, workflowBundleFile } from './deployed-workflows';
import { ConfigError, envNumber, requireEnv } from './env';
import { workflowMetrics } from './observability';
import { sendWork } from './send-work';

// The work queue's consumer is wired here; the splitters (S3, EventBridge: ./splitter-wiring) and what several
// functions share have modules of their own, so that each function's bundle holds only its own clients, and
// only this one the condition compiler.
export { invalidQueueDirectory, queueDirectory } from './deployed-workflows';

type Env = Record<string, string | undefined>;

/**
 * A workflow's flow definition: its own `arn`, or the current one the stack created, named as the custom
 * resource names it (lib/flows/stack-flow.ts) from the stack's values: FLOW_DEFINITION_ARN_BASE
 * (`arn:<partition>:sagemaker:<region>:<account>:flow-definition/`), FLOW_NAME_PREFIX (the stage),
 * A2I_ROLE_ARN, OUTPUT_BUCKET, WORKTEAM_ARN and KMS_KEY_ARN (either may be empty).
 */
export function flowDefinitionDirectory(workflows: CompiledWorkflow[], env: Env = process.env): (workflow: CompiledWorkflow) => string {
  const specs = workflows.filter(({ definition }) => isFlowSpec(definition.flowDefinition));
  const arns = new Map<string, string>();
  for (const { definition } of workflows) {
    if (!isFlowSpec(definition.flowDefinition)) arns.set(definition.name, definition.flowDefinition.arn);
  }
  if (specs.length > 0) {
    const base = requireEnv('FLOW_DEFINITION_ARN_BASE', env);
    const outputBucket = requireEnv('OUTPUT_BUCKET', env);
    const values: StackFlowValues<string> = {
      namePrefix: requireEnv('FLOW_NAME_PREFIX', env),
      roleArn: requireEnv('A2I_ROLE_ARN', env),
      workteamArn: env.WORKTEAM_ARN ?? '',
      outputPath: (workflow) => `s3://${outputBucket}/${workflow}`,
      kmsKeyId: env.KMS_KEY_ARN || undefined,
    };
    const file = workflowBundleFile(env);
    const templates = parseWorkflowTemplates(readFileSync(file, 'utf8'), file);
    for (const { definition } of specs) {
      const template = templates.get(definition.name);
      if (template === undefined) throw new ConfigError(`${file} has no worker template for workflow "${definition.name}": package the stack again`);
      arns.set(definition.name, `${base}${stackFlowDefinitionName(definition, template, values)}`);
    }
  }
  return (workflow) => {
    const arn = arns.get(workflow.definition.name);
    if (!arn) throw new ConfigError(`workflow "${workflow.definition.name}" is not deployed`);
    return arn;
  };
}

export interface ConsumerRuntime {
  workDeps: WorkDeps;
  /** ApproximateReceiveCount at which a work message has its last try (the queue's maxReceiveCount). */
  maxReceives: number;
  /** Puts work that failed its last try on the work DLQ, with the reason. */
  deadLetter(body: string, reason: string): Promise<void>;
  /** Makes the received work message visible again in `seconds` (ChangeMessageVisibility). */
  retryIn(receiptHandle: string, seconds: number): Promise<void>;
}

/** What the work-queue consumer needs: the ledger, A2I and Step Functions, the destination queues. */
export function consumerRuntime(env: Env = process.env, clients: AwsClients = processAwsClients(), clock: Clock = systemClock): ConsumerRuntime {
  // The one function that evaluates records: its workflows' conditions are compiled (and re2js bundled).
  const workflows = deployedWorkflows(env, compileWorkflow);
  const payloads = new S3PayloadStore(clients.s3, requireEnv('PAYLOAD_BUCKET', env));
  // Each concurrent consumer takes its share of a workflow's StartHumanLoop rate.
  const consumers = envNumber('CONSUMER_CONCURRENCY', 10, env);
  const limiters = new Map(workflows.map((workflow) => [workflow.definition.name, new RateLimiter(workflow.definition.ingest.maxStartsPerSecond / consumers, undefined, clock)]));
  const deadLetterUrl = requireEnv('WORK_DLQ_URL', env);
  const workQueueUrl = requireEnv('WORK_QUEUE_URL', env);
  const queueAddress = queueDirectory(workflows, env);
  return {
    maxReceives: envNumber('WORK_MAX_RECEIVES', 5, env),
    retryIn: async (receiptHandle, seconds) => {
      await clients.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: workQueueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: seconds }));
    },
    deadLetter: async (body, reason) => {
      await clients.sqs.send(
        new SendMessageCommand({
          QueueUrl: deadLetterUrl,
          MessageBody: body,
          MessageAttributes: { reason: { DataType: 'String', StringValue: deadLetterReason(body, sqsSafeJson(reason)) } },
        }),
      );
    },
    workDeps: {
      workflows: new Map(workflows.map((workflow) => [workflow.definition.name, workflow])),
      ledger: new DynamoDbLedger(clients.dynamo, requireEnv('LEDGER_TABLE', env), DEFAULT_LEDGER_OPTIONS, clock),
      loops: new A2iLoopStarter(clients.a2i, clients.sfn, { stateMachineArn: requireEnv('STATE_MACHINE_ARN', env) }),
      delivery: new SqsDelivery(clients.sqs, { payloads, resend: { clock }, invalidQueue: invalidQueueDirectory(workflows, queueAddress) }),
      payloads,
      clock,
      queueAddress,
      flowDefinitionArn: flowDefinitionDirectory(workflows, env),
      readStaged: (uri) => payloads.get(uri),
      handOn: (work) => sendWork(clients, workQueueUrl, [work], { stage: (key, text) => payloads.put(key, text) }),
      limiterFor: (workflow) => limiters.get(workflow.definition.name),
      onThrottled: (workflow) => workflowMetrics(workflow).addMetric('StartThrottled', 'Count', 1),
    },
  };
}

'use strict';
// The workflow-dependent part of the stack, generated from workflows/ at package time (serverless.yml reads
// it through ${file(./resources/workflows.js):…}): the least-privilege role of every function, the triggers'
// permissions, the A2I status rule, the dashboard, and one nested stack per workflow (its queues with their
// DLQs and alarms, its flow definition and task UI, its EventBridge rule), which plugins/workflow-stacks.js
// packages and uploads. Adding a workflow file never means editing serverless.yml.
require('../bin/run-ts');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { buildStack, dlqAlarm, inputBucketName } = require('../lib/deploy/stack-model.ts');
const { WORKFLOW_BUNDLE_FILE, writeWorkflowBundle } = require('../lib/workflow/index.ts');

const ROOT = join(__dirname, '..');
const WORKFLOWS_DIR = join(ROOT, 'workflows');

// Serverless resolves each export on its own: the stack is built once per service and stage, not once per use.
const built = new Map();

/** The stack model of a service and stage (the plugin asks for it too, to write the workflow stacks). */
function stackFor({ service, stage }) {
  const key = `${service}/${stage}`;
  if (!built.has(key)) built.set(key, buildStack({ root: ROOT, service, stage, workflowsDir: WORKFLOWS_DIR }));
  return built.get(key);
}

async function stackOptions({ resolveVariable }) {
  return { service: await resolveVariable('self:service'), stage: await resolveVariable('sls:stage') };
}

const context = async (args) => stackFor(await stackOptions(args));

module.exports = {
  stackFor,
  // Validates workflows/ and writes what the functions load (package.patterns ships it); returns its path.
  workflowBundle: () => {
    writeWorkflowBundle([WORKFLOWS_DIR], join(ROOT, WORKFLOW_BUNDLE_FILE));
    return WORKFLOW_BUNDLE_FILE;
  },
  reviewLoopDefinition: () => readFileSync(join(ROOT, 'statemachines', 'review-loop.asl.json'), 'utf8'),
  resources: async (args) => (await context(args)).resources,
  inputNotifications: async (args) => (await context(args)).inputNotifications,
  // What the functions compute workflow queue URLs and flow definition ARNs from (no per-workflow values).
  queueUrlBase: async (args) => (await context(args)).environment.QUEUE_URL_BASE,
  queueNamePrefix: async (args) => (await context(args)).environment.QUEUE_NAME_PREFIX,
  flowDefinitionArnBase: async (args) => (await context(args)).environment.FLOW_DEFINITION_ARN_BASE,
  flowNamePrefix: async (args) => (await context(args)).environment.FLOW_NAME_PREFIX,
  // The input bucket's fixed name, for the bucket, its notification permission and the S3 trigger's settings.
  inputBucketName: async (args) => ({ 'Fn::Sub': inputBucketName(await stackOptions(args)) }),
  inputBucketArn: async (args) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:s3:::${inputBucketName(await stackOptions(args))}` }),
  workDlqAlarm: () => dlqAlarm('WorkDlq', 'Record batches ingest could not process (the reason is in each message\'s attributes)'),
  pollDlqAlarm: () => dlqAlarm('PollDlq', 'Fallback polls that kept failing'),
  eventsDlqAlarm: () => dlqAlarm('EventsDlq', 'Events EventBridge could not deliver to a trigger or the status function'),
  triggerFailuresDlqAlarm: () => dlqAlarm('TriggerFailuresDlq', 'S3 or EventBridge trigger invocations that failed after Lambda\'s retries'),
};

'use strict';
// The workflow-dependent part of the stack, generated from workflows/ at package time (serverless.yml reads
// it through ${file(./resources/workflows.js):…}): each workflow's queues with their DLQs and alarms, its
// flow definition and task UI (a custom resource), its trigger, the least-privilege role of every function,
// and the dashboard. Adding a workflow file never means editing serverless.yml.
require('../bin/run-ts');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { buildStack, dlqAlarm, inputBucketName } = require('../lib/deploy/stack-model.ts');
const { WORKFLOW_BUNDLE_FILE, writeWorkflowBundle } = require('../lib/workflow/index.ts');

const ROOT = join(__dirname, '..');

async function stackOptions({ resolveVariable }) {
  return { root: ROOT, service: await resolveVariable('self:service'), stage: await resolveVariable('sls:stage') };
}

// Serverless resolves each export on its own: the stack is built once per service and stage, not once per use.
const built = new Map();

async function context(args) {
  const options = await stackOptions(args);
  const key = `${options.service}/${options.stage}`;
  if (!built.has(key)) built.set(key, buildStack(options));
  return built.get(key);
}

module.exports = {
  // Validates workflows/ and writes what the functions load (package.patterns ships it); returns its path.
  workflowBundle: () => {
    writeWorkflowBundle([join(ROOT, 'workflows')], join(ROOT, WORKFLOW_BUNDLE_FILE));
    return WORKFLOW_BUNDLE_FILE;
  },
  reviewLoopDefinition: () => readFileSync(join(ROOT, 'statemachines', 'review-loop.asl.json'), 'utf8'),
  resources: async (args) => (await context(args)).resources,
  queueUrls: async (args) => (await context(args)).queueUrls,
  flowDefinitionArns: async (args) => (await context(args)).flowDefinitionArns,
  inputNotifications: async (args) => (await context(args)).inputNotifications,
  // The input bucket's fixed name, for the bucket, its notification permission and the S3 trigger's settings.
  inputBucketName: async (args) => ({ 'Fn::Sub': inputBucketName(await stackOptions(args)) }),
  inputBucketArn: async (args) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:s3:::${inputBucketName(await stackOptions(args))}` }),
  workDlqAlarm: () => dlqAlarm('WorkDlq', 'Record batches ingest could not process (the reason is in each message\'s attributes)'),
  pollDlqAlarm: () => dlqAlarm('PollDlq', 'Fallback polls that kept failing'),
  eventsDlqAlarm: () => dlqAlarm('EventsDlq', 'Events EventBridge could not deliver to a trigger or the status function'),
  triggerFailuresDlqAlarm: () => dlqAlarm('TriggerFailuresDlq', 'S3 or EventBridge trigger invocations that failed after Lambda\'s retries'),
};

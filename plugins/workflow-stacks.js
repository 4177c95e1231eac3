'use strict';
/**
 * Each workflow's resources live in a nested stack of their own (lib/deploy/stack-model.ts), so a stage with
 * many workflows stays within CloudFormation's limits per template. This plugin is what serverless needs for
 * that, and nothing more:
 *
 * - `serverless package`: writes each workflow's template to `.serverless/workflow-stack-<workflow>.json`
 *   (with `--package DIR`, serverless moves it there with the rest), points the root's
 *   AWS::CloudFormation::Stack resource at its S3 key in the deployment bucket
 *   (`<prefix>/<service>/<stage>/workflow-stacks/<workflow>-<sha256 of the body>.json`: the key changes exactly
 *   when the template does, so an unchanged workflow's stack is not updated), and holds every template of the
 *   stage to AWS's limits (lib/deploy/stage-limits.ts), refusing to package past one.
 * - `serverless deploy`: after serverless uploads its own artifacts, uploads the packaged workflow templates
 *   to those keys (with the deployment bucket's encryption settings), before the stack update reads them.
 *   The keys lie outside serverless's timestamped artifact directories, which its change detection and
 *   cleanup read, so neither sees them: a changed workflow template changes the root template (its URL),
 *   which is what makes serverless deploy.
 *
 * It runs offline for `package` (no AWS call) and needs s3:PutObject on the deployment bucket for `deploy`.
 */
require('../bin/run-ts');
const { createHash } = require('node:crypto');
const { readFileSync, writeFileSync, mkdirSync } = require('node:fs');
const { join } = require('node:path');
const { PutObjectCommand, S3Client } = require('@aws-sdk/client-s3');
const { stackFor } = require('../resources/workflows.js');
const { measureStage } = require('../lib/deploy/stage-limits.ts');

const UPLOADS_AT_ONCE = 6;

class WorkflowStacksPlugin {
  constructor(serverless) {
    this.serverless = serverless;
    this.provider = serverless.getProvider('aws');
    this.hooks = {
      'before:aws:package:finalize:saveServiceState': () => this.packageStacks(),
      'after:aws:deploy:deploy:uploadArtifacts': () => this.uploadStacks(),
    };
  }

  get template() {
    return this.serverless.service.provider.compiledCloudFormationTemplate;
  }

  get serverlessDir() {
    return join(this.serverless.serviceDir, '.serverless');
  }

  packageStacks() {
    const service = this.serverless.service.service;
    const stage = this.provider.getStage();
    const { workflowStacks } = stackFor({ service, stage });
    const bucket = this.deploymentBucket();
    mkdirSync(this.serverlessDir, { recursive: true });
    const packaged = [];
    for (const stack of workflowStacks) {
      const resource = this.template.Resources[stack.logicalId];
      if (!resource || resource.Type !== 'AWS::CloudFormation::Stack') {
        throw new this.serverless.classes.Error(`the root template has no ${stack.logicalId} for workflow ${stack.workflow}: serverless.yml must merge \${file(./resources/workflows.js):resources}`);
      }
      const body = `${JSON.stringify(stack.template, null, 2)}\n`;
      const hash = createHash('sha256').update(body).digest('hex').slice(0, 16);
      const key = `${this.provider.getDeploymentPrefix()}/${service}/${stage}/workflow-stacks/${stack.workflow}-${hash}.json`;
      writeFileSync(join(this.serverlessDir, stack.fileName), body);
      resource.Metadata = { ...resource.Metadata, WorkflowStackKey: key };
      // Path-style, as serverless addresses the root template: bucket names with dots work too.
      resource.Properties.TemplateURL = { 'Fn::Sub': [`https://s3.\${AWS::Region}.\${AWS::URLSuffix}/\${Bucket}/${key}`, { Bucket: bucket }] };
      packaged.push({ file: stack.fileName, body, template: stack.template });
    }
    const stackName = this.provider.naming.getStackName();
    const root = { file: 'cloudformation-template-update-stack.json', body: JSON.stringify(this.template), template: this.template };
    const { problems } = measureStage([root, ...packaged], stackName);
    if (problems.length > 0) {
      const lines = problems.map((problem) => `${problem.file}: ${problem.what} ${problem.value}, AWS allows ${problem.limit}`);
      throw new this.serverless.classes.Error(`the stage would not deploy within AWS's limits (lib/deploy/limits.ts):\n${lines.join('\n')}`);
    }
  }

  /** The deployment bucket as the functions' code names it: serverless's own bucket (a Ref) or a named one. */
  deploymentBucket() {
    const fn = Object.values(this.template.Resources).find((resource) => resource.Type === 'AWS::Lambda::Function' && resource.Properties && resource.Properties.Code);
    return fn ? fn.Properties.Code.S3Bucket : { Ref: this.provider.naming.getDeploymentBucketLogicalId() };
  }

  async uploadStacks() {
    if (this.serverless.service.provider.shouldNotDeploy) return;
    const stacks = Object.values(this.template.Resources).filter((resource) => resource.Type === 'AWS::CloudFormation::Stack' && resource.Metadata && resource.Metadata.WorkflowStackKey);
    if (stacks.length === 0) return;
    const bucketName = await this.provider.getServerlessDeploymentBucketName();
    const s3 = new S3Client(await this.provider.getAwsSdkV3Config());
    const encryption = encryptionOf(this.serverless.service.provider.deploymentBucketObject || {});
    const pending = [...stacks];
    const upload = async () => {
      for (let stack = pending.shift(); stack; stack = pending.shift()) {
        const Body = readFileSync(join(this.serverlessDir, stack.Metadata.WorkflowStackFile));
        await s3.send(new PutObjectCommand({ Bucket: bucketName, Key: stack.Metadata.WorkflowStackKey, Body, ContentType: 'application/json', ...encryption }));
      }
    };
    await Promise.all(Array.from({ length: Math.min(UPLOADS_AT_ONCE, stacks.length) }, upload));
    s3.destroy();
  }
}

/** The deployment bucket's upload encryption settings, as serverless applies them to its own uploads. */
function encryptionOf(bucket) {
  const fields = [
    ['serverSideEncryption', 'ServerSideEncryption'],
    ['sseCustomerAlgorithim', 'SSECustomerAlgorithm'],
    ['sseCustomerKey', 'SSECustomerKey'],
    ['sseCustomerKeyMD5', 'SSECustomerKeyMD5'],
    ['sseKMSKeyId', 'SSEKMSKeyId'],
  ];
  return Object.fromEntries(fields.filter(([option]) => bucket[option]).map(([option, parameter]) => [parameter, bucket[option]]));
}

module.exports = WorkflowStacksPlugin;

import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * plugins/workflow-stacks.js as serverless drives it: `package` writes each workflow template and points the
 * root at its key; `deploy` uploads exactly those bytes to exactly those keys (S3 mocked at the SDK), with
 * the deployment bucket's encryption, and nothing when serverless found nothing to deploy.
 */
// The plugin and the stack exports are the CommonJS files serverless loads.
/* eslint-disable @typescript-eslint/no-require-imports */
const WorkflowStacksPlugin = require('../../plugins/workflow-stacks.js');
const { stackFor } = require('../../resources/workflows.js');
/* eslint-enable @typescript-eslint/no-require-imports */

class ServerlessError extends Error {
  override readonly name = 'ServerlessError';
}

const s3 = mockClient(S3Client);
let serviceDir: string;
beforeEach(() => {
  s3.reset();
  serviceDir = mkdtempSync(join(tmpdir(), 'a2i-plugin-'));
});
afterEach(() => rmSync(serviceDir, { recursive: true, force: true }));
afterAll(() => s3.restore());

/** Serverless as the plugin sees it, with the root template as compiled for stage ci (the repository's workflows). */
function serverless(extraResources: Record<string, unknown> = {}) {
  const { resources } = stackFor({ service: 'a2i-orchestrator', stage: 'ci' });
  const template = {
    Resources: {
      ...structuredClone(resources.Resources),
      IngestWorkLambdaFunction: { Type: 'AWS::Lambda::Function', Properties: { FunctionName: 'a2i-orchestrator-ci-ingestWork', Code: { S3Bucket: { Ref: 'ServerlessDeploymentBucket' }, S3Key: 'x.zip' } } },
      ...extraResources,
    },
    Outputs: {},
  };
  const provider = {
    getStage: () => 'ci',
    getDeploymentPrefix: () => 'serverless',
    naming: { getStackName: () => 'a2i-orchestrator-ci', getDeploymentBucketLogicalId: () => 'ServerlessDeploymentBucket' },
    getServerlessDeploymentBucketName: async () => 'deployment-bucket',
    getAwsSdkV3Config: async () => ({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }),
  };
  return {
    serviceDir,
    classes: { Error: ServerlessError },
    service: { service: 'a2i-orchestrator', provider: { compiledCloudFormationTemplate: template, deploymentBucketObject: { serverSideEncryption: 'AES256' }, shouldNotDeploy: false } },
    getProvider: () => provider,
  };
}

it('packages each workflow template and uploads those bytes to the key the root points at, encrypted as the deployment bucket asks', async () => {
  const sls = serverless();
  const plugin = new WorkflowStacksPlugin(sls);
  s3.on(PutObjectCommand).resolves({});

  await plugin.hooks['before:aws:package:finalize:saveServiceState']();
  await plugin.hooks['after:aws:deploy:deploy:uploadArtifacts']();

  const stack = sls.service.provider.compiledCloudFormationTemplate.Resources.WfInvoiceExtractionStack as { Metadata: { WorkflowStackFile: string; WorkflowStackKey: string }; Properties: { TemplateURL: unknown } };
  const body = readFileSync(join(serviceDir, '.serverless', stack.Metadata.WorkflowStackFile));
  expect(JSON.parse(body.toString('utf8'))).toEqual(stackFor({ service: 'a2i-orchestrator', stage: 'ci' }).workflowStacks[0].template);
  const uploads = s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input);
  expect(uploads).toEqual([{ Bucket: 'deployment-bucket', Key: stack.Metadata.WorkflowStackKey, Body: body, ContentType: 'application/json', ServerSideEncryption: 'AES256' }]);
  expect(stack.Metadata.WorkflowStackKey).toBe(`serverless/a2i-orchestrator/ci/workflow-stacks/invoice-extraction-${createHash('sha256').update(body).digest('hex').slice(0, 16)}.json`);
  expect(stack.Properties.TemplateURL).toEqual({ 'Fn::Sub': [`https://s3.\${AWS::Region}.\${AWS::URLSuffix}/\${Bucket}/${stack.Metadata.WorkflowStackKey}`, { Bucket: { Ref: 'ServerlessDeploymentBucket' } }] });
});

it('uploads nothing when serverless found nothing to deploy', async () => {
  const sls = serverless();
  const plugin = new WorkflowStacksPlugin(sls);
  await plugin.hooks['before:aws:package:finalize:saveServiceState']();
  sls.service.provider.shouldNotDeploy = true;

  await plugin.hooks['after:aws:deploy:deploy:uploadArtifacts']();

  expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
});

it('refuses to package a stage past one of AWS\'s limits, saying which', async () => {
  const blob = { 'Fn::Sub': 'x'.repeat(5000) };
  const plugin = new WorkflowStacksPlugin(serverless({ Big: { Type: 'AWS::Lambda::Function', Properties: { FunctionName: 'big', Environment: { Variables: { QUEUE_URLS: blob } } } } }));

  await expect(async () => plugin.hooks['before:aws:package:finalize:saveServiceState']()).rejects.toThrow(/cloudformation-template-update-stack.json: Big environment bytes \d+, AWS allows 4096/);
});

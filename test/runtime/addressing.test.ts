import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pascal } from '../../lib/deploy/cfn';
import { buildStack } from '../../lib/deploy/stack-model';
import { handleFlowResourceEvent } from '../../lib/flows/custom-resource';
import { workflowQueueName } from '../../lib/resource-names';
import { ConfigError } from '../../lib/runtime/env';
import { flowDefinitionDirectory, queueDirectory } from '../../lib/runtime/ingest-wiring';
import { type CompiledWorkflow, loadWorkflows, writeWorkflowBundle } from '../../lib/workflow';
import { ACCOUNT, REGION, resolveCfn } from '../support/cfn';
import { fakeClock, stubApi } from '../flows/support';

/**
 * The functions find each workflow queue and flow definition from names, not from per-workflow environment
 * values: these tests hold what they compute against what the stack deploys (the nested templates' queue
 * names; the flow definition the custom resource creates from the template's properties).
 */
const FIXTURES = join(__dirname, '..', 'fixtures', 'deploy', 'workflows');
const SERVICE = 'a2i-orchestrator';
const STAGE = 'prod';
const QUEUE_URL_BASE = `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/`;
/** The stack's values as CloudFormation resolves them, and as the functions get them in their environment. */
const STACK = {
  A2iRoleArn: `arn:aws:iam::${ACCOUNT}:role/${SERVICE}-${STAGE}-A2iRole-1ABC`,
  WorkteamArn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:workteam/private-crowd/reviewers`,
  OutputBucket: `${SERVICE}-${STAGE}-outputbucket-1abc`,
  KmsKeyArn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
};

let root: string;
let workflows: CompiledWorkflow[];
let bundle: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'a2i-addressing-'));
  cpSync(FIXTURES, join(root, 'workflows'), { recursive: true });
  workflows = loadWorkflows([join(root, 'workflows')]);
  bundle = join(root, 'workflows.json');
  writeWorkflowBundle([join(root, 'workflows')], bundle);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const workflow = (name: string) => workflows.find(({ definition }) => definition.name === name) as CompiledWorkflow;

/** The environment serverless.yml gives ingestWork, resolved. */
function functionEnvironment(withKey: boolean, file = bundle): Record<string, string> {
  return {
    WORKFLOWS_BUNDLE: file,
    QUEUE_URL_BASE,
    QUEUE_NAME_PREFIX: `${SERVICE}-${STAGE}`,
    FLOW_DEFINITION_ARN_BASE: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:flow-definition/`,
    FLOW_NAME_PREFIX: STAGE,
    A2I_ROLE_ARN: STACK.A2iRoleArn,
    OUTPUT_BUCKET: STACK.OutputBucket,
    WORKTEAM_ARN: STACK.WorkteamArn,
    KMS_KEY_ARN: withKey ? STACK.KmsKeyArn : '',
  };
}

/** What CloudFormation has the custom resource create for a workflow's stack: the ARN it reports. */
async function deployedFlowDefinitionArn(name: string, withKey: boolean, workflowsRoot = root): Promise<string> {
  const stack = buildStack({ root: workflowsRoot, service: SERVICE, stage: STAGE }).workflowStacks.find((candidate) => candidate.workflow === name);
  const { ServiceToken: _token, ...properties } = (stack?.template.Resources.FlowDefinition as { Properties: Record<string, unknown> }).Properties;
  const { api } = stubApi();
  const response = await handleFlowResourceEvent(
    { RequestType: 'Create', ResponseURL: 'https://example.invalid/', StackId: 'stack', RequestId: 'r1', LogicalResourceId: 'FlowDefinition', ResourceProperties: resolveCfn(properties, STACK, { HasKmsKey: withKey }) as Record<string, unknown> },
    { api, clock: fakeClock(), pollMs: 1 },
  );
  expect(response).toMatchObject({ Status: 'SUCCESS' });
  return response.Data?.FlowDefinitionArn as string;
}

describe('queueDirectory', () => {
  it('addresses each workflow queue at <account\'s SQS URL><the name the stack gives it>, FIFO as declared', () => {
    const address = queueDirectory(workflows, functionEnvironment(false));

    expect(address('alpha', 'reviewed')).toEqual({ url: `${QUEUE_URL_BASE}${workflowQueueName(`${SERVICE}-${STAGE}`, 'alpha', 'reviewed', false)}`, fifo: false });
    expect(address('alpha', 'ordered')).toEqual({ url: `${QUEUE_URL_BASE}${SERVICE}-${STAGE}_wf_alpha_ordered.fifo`, fifo: true });
  });

  it('addresses exactly the queues the stack creates', () => {
    const address = queueDirectory(workflows, functionEnvironment(false));
    const model = buildStack({ root, service: SERVICE, stage: STAGE });
    for (const stack of model.workflowStacks) {
      for (const [queue] of Object.entries(workflow(stack.workflow).definition.queues)) {
        const id = `Queue${pascal(queue)}`;
        const { QueueName } = (stack.template.Resources[id] as { Properties: { QueueName: string } }).Properties;
        expect(address(stack.workflow, queue).url).toBe(`${QUEUE_URL_BASE}${QueueName}`);
      }
    }
  });

  it('refuses a queue the workflow does not declare, and an environment without the URL base or name prefix', () => {
    expect(() => queueDirectory(workflows, functionEnvironment(false))('alpha', 'nowhere')).toThrow(ConfigError);
    expect(() => queueDirectory(workflows, { ...functionEnvironment(false), QUEUE_URL_BASE: '' })).toThrow(/QUEUE_URL_BASE/);
    expect(() => queueDirectory(workflows, { ...functionEnvironment(false), QUEUE_URL_BASE: QUEUE_URL_BASE.slice(0, -1) })).toThrow(/must end with/);
    expect(() => queueDirectory(workflows, { ...functionEnvironment(false), QUEUE_NAME_PREFIX: '' })).toThrow(/QUEUE_NAME_PREFIX/);
  });
});

describe('flowDefinitionDirectory', () => {
  it.each([false, true])('names the flow definition the custom resource creates for each flow-spec workflow (stack key: %s)', async (withKey) => {
    const arnOf = flowDefinitionDirectory(workflows, functionEnvironment(withKey));
    for (const name of ['alpha', 'alpha-sub', 'beta', 'external-outputs']) {
      expect({ name, arn: arnOf(workflow(name)) }).toEqual({ name, arn: await deployedFlowDefinitionArn(name, withKey) });
    }
  });

  it('gives a workflow that names its flow definition that one', () => {
    expect(flowDefinitionDirectory(workflows, functionEnvironment(false))(workflow('partner-events'))).toBe('arn:aws:sagemaker:us-east-1:123456789012:flow-definition/partner-review');
  });

  it('follows an edited template to the new version the stack creates', async () => {
    const edited = mkdtempSync(join(tmpdir(), 'a2i-addressing-edited-'));
    try {
      cpSync(FIXTURES, join(edited, 'workflows'), { recursive: true });
      const template = join(edited, 'workflows', 'templates', 'alpha.liquid.html');
      writeFileSync(template, `${readFileSync(template, 'utf8')}\n<!-- edited -->\n`);
      writeWorkflowBundle([join(edited, 'workflows')], join(edited, 'workflows.json'));
      const editedWorkflows = loadWorkflows([join(edited, 'workflows')]);
      const alpha = editedWorkflows.find(({ definition }) => definition.name === 'alpha') as CompiledWorkflow;

      const arn = flowDefinitionDirectory(editedWorkflows, functionEnvironment(false, join(edited, 'workflows.json')))(alpha);

      expect(arn).toBe(await deployedFlowDefinitionArn('alpha', false, edited));
      expect(arn).not.toBe(await deployedFlowDefinitionArn('alpha', false));
    } finally {
      rmSync(edited, { recursive: true, force: true });
    }
  });

  it('refuses to start without the stack values a flow spec needs, or with a bundle that has no templates', () => {
    const { A2I_ROLE_ARN: _role, ...withoutRole } = functionEnvironment(false);
    expect(() => flowDefinitionDirectory(workflows, withoutRole)).toThrow(/A2I_ROLE_ARN/);
    const old = join(root, 'old-bundle.json');
    const { templates: _templates, ...bundled } = JSON.parse(readFileSync(bundle, 'utf8')) as Record<string, unknown>;
    writeFileSync(old, JSON.stringify(bundled));
    expect(() => flowDefinitionDirectory(workflows, functionEnvironment(false, old))).toThrow(/package the stack again/);
  });
});

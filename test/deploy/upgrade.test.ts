import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildStack } from '../../lib/deploy/stack-model';
import { handleFlowResourceEvent } from '../../lib/flows/custom-resource';
import { resolveCfn } from '../support/cfn';
import { fakeClock, stubApi } from '../flows/support';

/**
 * Deploying this version over a stack made before nested stacks moves every workflow's Custom::A2iFlowDefinition
 * from the root (WfBetaFlowDefinition) into the workflow's stack (FlowDefinition): CloudFormation creates the new
 * resource, then deletes the old one in the update's cleanup. The live flow definition must survive that.
 */
const STACK = {
  A2iRoleArn: 'arn:aws:iam::123456789012:role/a2i-orchestrator-prod-A2iRole-1ABC',
  WorkteamArn: 'arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/reviewers',
  OutputBucket: 'a2i-orchestrator-prod-outputbucket-1abc',
};
/** What the root-stack layout's custom resource made for the fixture workflow beta in stage prod, with these values (its PhysicalResourceId). */
const BEFORE = 'arn:aws:sagemaker:us-east-1:123456789012:flow-definition/prod-beta-4db83be456';

it('creates a new version in the workflow\'s stack, so that deleting the root\'s old resource leaves it in place', async () => {
  const root = mkdtempSync(join(tmpdir(), 'a2i-upgrade-'));
  try {
    cpSync(join(__dirname, '..', 'fixtures', 'deploy', 'workflows'), join(root, 'workflows'), { recursive: true });
    const stack = buildStack({ root, service: 'a2i-orchestrator', stage: 'prod' }).workflowStacks.find((candidate) => candidate.workflow === 'beta');
    const { ServiceToken: _token, ...properties } = (stack?.template.Resources.FlowDefinition as { Properties: Record<string, unknown> }).Properties;
    const { api, flows } = stubApi();
    // The stage as deployed before: the old version exists.
    flows.set('prod-beta-4db83be456', { name: 'prod-beta-4db83be456', arn: BEFORE, status: 'Active' });
    const event = { ResponseURL: 'https://example.invalid/', StackId: 'stack', RequestId: 'r', ResourceProperties: resolveCfn(properties, STACK) as Record<string, unknown> };

    const created = await handleFlowResourceEvent({ ...event, RequestType: 'Create', LogicalResourceId: 'FlowDefinition' }, { api, clock: fakeClock(), pollMs: 1 });
    await handleFlowResourceEvent({ ...event, RequestType: 'Delete', LogicalResourceId: 'WfBetaFlowDefinition', PhysicalResourceId: BEFORE }, { api, clock: fakeClock(), pollMs: 1 });

    expect(created.Status).toBe('SUCCESS');
    expect(created.PhysicalResourceId).not.toBe(BEFORE);
    expect([...flows.values()].map((flow) => flow.arn)).toEqual([created.PhysicalResourceId]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

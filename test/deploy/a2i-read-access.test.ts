import { runSimulation } from '@cloud-copilot/iam-simulate';
import { join } from 'node:path';
import { a2iReadAccess } from '../../lib/deploy/a2i-read-access';
import type { StackFacts } from '../../lib/deploy/stack-model';
import { resolveCfn } from '../../lib/local/cfn-values';
import { loadWorkflows } from '../../lib/workflow';

const ACCOUNT = '111122223333';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/a2i`;

/** The stack facts a2iReadAccess reads: only the workflows matter. */
function factsWith(readAccess: string[][]): StackFacts {
  const [example] = loadWorkflows([join(__dirname, '..', '..', 'workflows')]);
  const workflows = readAccess.map((locations, index) => ({ ...example, definition: { ...example.definition, name: `wf${index}`, input: { ...example.definition.input, readAccess: locations } } }));
  return { root: '', service: 's', stage: 'test', workflows, queues: [], externalFlowDefinitionArns: [], externalBuckets: [] };
}

/** Whether A2I's role, with the generated policy attached, may GetObject the object (IAM's own evaluation). */
async function mayRead(resources: Record<string, unknown>, uri: string): Promise<boolean> {
  const policy = resources.A2iTemplateInputsPolicy as { Properties: { PolicyDocument: unknown } } | undefined;
  const identityPolicies = policy ? [{ name: 'a2i-template-inputs', policy: resolveCfn(policy.Properties.PolicyDocument, { region: 'us-east-1', account: ACCOUNT, resources: {} }) }] : [];
  const [, bucket, key] = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri) as string[];
  const result = await runSimulation(
    { identityPolicies: identityPolicies as never, serviceControlPolicies: [], resourceControlPolicies: [], request: { action: 's3:GetObject', principal: ROLE, resource: { resource: `arn:aws:s3:::${bucket}/${key}`, accountId: ACCOUNT }, contextVariables: {} } },
    {},
  );
  if (result.resultType === 'error') throw new Error(JSON.stringify(result.errors));
  return result.overallResult === 'Allowed';
}

describe('A2I may read the documents worker templates link to (input.readAccess)', () => {
  it('grants s3:GetObject under each location and nowhere else', async () => {
    // Prepare
    const resources = a2iReadAccess(factsWith([['s3://acme-invoices/scans/'], ['s3://other-docs', 's3://acme-invoices/scans/']]));

    // Act and Assess
    expect(await mayRead(resources, 's3://acme-invoices/scans/inv-1.pdf')).toBe(true);
    expect(await mayRead(resources, 's3://acme-invoices/scans/2026/inv-2.pdf')).toBe(true);
    expect(await mayRead(resources, 's3://other-docs/anything/at/all.png')).toBe(true);
    expect(await mayRead(resources, 's3://acme-invoices/contracts/c.pdf')).toBe(false);
    expect(await mayRead(resources, 's3://acme-invoices-2/scans/inv-1.pdf')).toBe(false);
  });

  it('attaches the policy to the A2I role, once for all workflows', () => {
    const resources = a2iReadAccess(factsWith([['s3://a/x/'], ['s3://a/x/']]));

    expect(Object.keys(resources)).toEqual(['A2iTemplateInputsPolicy']);
    expect(resources.A2iTemplateInputsPolicy).toMatchObject({ Type: 'AWS::IAM::Policy', Properties: { Roles: [{ Ref: 'A2iRole' }] } });
  });

  it('adds nothing when no workflow names a location (the stack\'s own buckets are in the role already)', async () => {
    const resources = a2iReadAccess(factsWith([[], []]));

    expect(resources).toEqual({});
    expect(await mayRead(resources, 's3://acme-invoices/scans/inv-1.pdf')).toBe(false);
  });
});

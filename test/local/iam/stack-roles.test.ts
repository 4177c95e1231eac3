/**
 * The roles local mode holds calls to are the generated stack's, evaluated against the local stack's
 * physical values: the names they grant are the names the local stack uses (no translation table), and
 * the A2I role of resources/a2i.yml is read from the template as written.
 */
import { functionLogicalId } from '../../../lib/deploy/cfn';
import { DEPLOYED_FUNCTIONS, roleLogicalId } from '../../../lib/deploy/function-roles';
import { resolveCfn } from '../../../lib/local/cfn-values';
import { rolePolicies } from '../../../lib/local/iam/roles';
import { LOCAL_BUCKETS, LOCAL_LEDGER_TABLE, LOCAL_STATE_MACHINE_ARN, localFunctionArn, localRoleArn } from '../../../lib/local/resources';
import { localRoles, roleStatement } from '../../support/local-roles';
import { templateScopes } from '../../../lib/local/stack-scopes';

const roles = localRoles();

/** The resources a role's statement grants, as the local stack sees them. */
const granted = (role: string, sid: string) => resolveCfn<string[]>(roleStatement(roles.model, role, sid).Resource, roles.values);

describe("the generated roles, against the local stack's values", () => {
  it('grant the names the local stack gives its resources: input bucket, state machine, ledger, queues, functions', () => {
    // Act
    const inputObjects = granted('IngestS3ObjectRole', 'ReadModelOutputs');
    const machine = granted('IngestWorkRole', 'TrackLoops');
    const ledger = granted('IngestWorkRole', 'Ledger');
    const work = granted('IngestS3ObjectRole', 'SendWork');
    const passed = granted('FlowResourcesRole', 'PassA2iRole');
    // The flow definition is in the workflow's nested stack, resolved with what the root passes it.
    const scope = templateScopes(roles.model, roles.values).find(({ template }) => 'FlowDefinition' in template.Resources);
    const token = resolveCfn<Record<string, unknown>>(scope?.template.Resources.FlowDefinition.Properties, scope?.context ?? roles.values);

    // Assess
    expect(inputObjects).toEqual([`arn:aws:s3:::${LOCAL_BUCKETS.input}/*`]);
    expect(machine).toEqual([LOCAL_STATE_MACHINE_ARN]);
    expect(ledger).toEqual([`arn:aws:dynamodb:us-east-1:123456789012:table/${LOCAL_LEDGER_TABLE}`]);
    expect(work).toEqual([roles.values.resources.WorkQueue.attributes?.Arn]);
    expect(passed).toEqual([localRoleArn('A2iRole')]);
    expect(token).toMatchObject({ ServiceToken: localFunctionArn('flowResources'), RoleArn: localRoleArn('A2iRole'), OutputPath: `s3://${LOCAL_BUCKETS.output}/invoice-extraction` });
  });

  it("resolve what the stack's EventBridge rules name: the target function, its DLQ, this stack's flow definitions", () => {
    // Act
    const rule = resolveCfn<{ EventPattern: { detail: { flowDefinitionArn: { prefix: string }[] } }; Targets: { Arn: string; DeadLetterConfig: { Arn: string } }[] }>(
      (roles.model.resources.Resources.A2iStatusRule as { Properties: unknown }).Properties,
      roles.values,
    );

    // Assess
    // Every version of this stage's flow definitions: the local one's name starts with the prefix.
    expect(rule.EventPattern.detail.flowDefinitionArn).toEqual([{ prefix: expect.stringMatching(/:flow-definition\/local-$/) }]);
    expect(roles.flows['invoice-extraction'].arn.startsWith(rule.EventPattern.detail.flowDefinitionArn[0].prefix)).toBe(true);
    expect(rule.Targets).toEqual([expect.objectContaining({ Arn: localFunctionArn('loopStatusEvent'), DeadLetterConfig: { Arn: roles.values.resources.EventsDlq.attributes?.Arn } })]);
  });

  it("every deployed function's role resolves, and names no KMS key (the local stack has none)", () => {
    for (const fn of DEPLOYED_FUNCTIONS) {
      // Act
      const policies = rolePolicies(roleLogicalId(fn), roles.model.resources.Resources[roleLogicalId(fn)], roles.values);

      // Assess
      const actions = policies.flatMap(({ document }) => (document as { Statement: { Action: string[] }[] }).Statement.flatMap((statement) => statement.Action));
      expect(actions.length).toBeGreaterThan(0);
      expect(actions.filter((action) => action.startsWith('kms:'))).toEqual([]);
      expect(roles.values.resources[functionLogicalId(fn)].attributes?.Arn).toBe(localFunctionArn(fn));
    }
  });
});

describe('the A2I role (resources/a2i.yml)', () => {
  const decide = (action: string, resource: string) => roles.a2i.decide({ action, resource });

  it.each([
    ['reads the model outputs reviewers open', 's3:GetObject', `arn:aws:s3:::${LOCAL_BUCKETS.input}/invoices/a.jsonl`, true],
    ['reads the records staged for reviewers', 's3:GetObject', `arn:aws:s3:::${LOCAL_BUCKETS.payloads}/records/r.json`, true],
    ['writes output.json', 's3:PutObject', `arn:aws:s3:::${LOCAL_BUCKETS.output}/invoice-extraction/2026/11/22/10/00/00/loop/output.json`, true],
    ['reads the documents the workflow lets it read (input.readAccess: the demo scans)', 's3:GetObject', 'arn:aws:s3:::acme-invoices/scans/inv-1.pdf', true],
    ['does not read the rest of that bucket', 's3:GetObject', 'arn:aws:s3:::acme-invoices/contracts/c.pdf', false],
    ['does not read a bucket the stack was not given', 's3:GetObject', 'arn:aws:s3:::someone-elses/scans/inv-1.pdf', false],
    ['does not read its own output back', 's3:GetObject', `arn:aws:s3:::${LOCAL_BUCKETS.output}/invoice-extraction/output.json`, false],
    ['does not write the input bucket', 's3:PutObject', `arn:aws:s3:::${LOCAL_BUCKETS.input}/invoices/a.jsonl`, false],
    ['cannot list a bucket (a missing key is then AccessDenied, not NoSuchKey)', 's3:ListBucket', `arn:aws:s3:::${LOCAL_BUCKETS.input}`, false],
  ])('%s', async (_what, action, resource, allowed) => {
    await expect(decide(action, resource)).resolves.toMatchObject({ allowed });
  });
});

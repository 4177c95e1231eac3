import { join } from 'node:path';
import { buildStack } from '../../lib/deploy/stack-model';
import { type CompiledWorkflow, type FlowSpec, loadWorkflows } from '../../lib/workflow';
import { ACCOUNT, REGION, resolveCfn, roleAllows } from '../support/cfn';

/** The flow-resources function sets a private work team's notification topic (UpdateWorkteam): on the team the flow spec uses. */
const [NOTIFIED] = loadWorkflows([join(__dirname, '..', 'fixtures', 'iam', 'workflows', 'notified-review.yaml')]);
const team = (name: string) => `arn:aws:sagemaker:${REGION}:${ACCOUNT}:workteam/private-crowd/${name}`;

function withTeam(workflow: CompiledWorkflow, name: string, workteamArn?: string): CompiledWorkflow {
  const flowDefinition = { ...(workflow.definition.flowDefinition as FlowSpec), ...(workteamArn ? { workteamArn } : {}) };
  return { ...workflow, definition: { ...workflow.definition, name, flowDefinition } };
}

/** Whether the flow-resources role may update this work team, as IAM decides (the stack's WorkteamArn parameter: `stack-team`). */
async function mayUpdate(workflows: CompiledWorkflow[], workteam: string): Promise<boolean> {
  const model = buildStack({ root: join(__dirname, '..', '..'), service: 'a2i-orchestrator', stage: 'ci', workflows });
  const role = model.resources.Resources.FlowResourcesRole as { Properties: { Policies: { PolicyDocument: { Statement: unknown[] } }[] } };
  const values = new Proxy({} as Record<string, string>, { get: (_, key: string) => (key === 'WorkteamArn' ? team('stack-team') : key) });
  const statements = role.Properties.Policies.flatMap((policy) => resolveCfn(policy.PolicyDocument.Statement, values) as unknown[]);
  return roleAllows(statements, 'sagemaker:UpdateWorkteam', workteam);
}

describe('the flow-resources role and work-team notifications', () => {
  it('may update the work team a notified flow spec names itself, and the stack\'s for one that names none', async () => {
    const workflows = [withTeam(NOTIFIED, 'own-team', team('own-team')), withTeam(NOTIFIED, 'stack-team-flow')];

    expect(await mayUpdate(workflows, team('own-team'))).toBe(true);
    expect(await mayUpdate(workflows, team('stack-team'))).toBe(true);
    expect(await mayUpdate(workflows, team('someone-elses'))).toBe(false);
  });

  it('may update no work team when no flow spec is notified', async () => {
    const quiet = { ...NOTIFIED, definition: { ...NOTIFIED.definition, flowDefinition: { ...(NOTIFIED.definition.flowDefinition as FlowSpec), notificationTopicArn: undefined } } };

    expect(await mayUpdate([quiet], team('stack-team'))).toBe(false);
  });
});

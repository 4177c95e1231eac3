import { DEPLOYED_FUNCTIONS, type DeployedFunction, roleLogicalId } from '../../deploy/function-roles';
import type { StackModel } from '../../deploy/stack-model';
import { type CfnValueContext, resolveCfn } from '../cfn-values';
import { A2I_ROLE_LOGICAL_ID, LOCAL_ACCOUNT, LOCAL_STACK, localFunctionName } from '../resources';
import { loadTemplatePart, templateResource } from '../templates';
import { type IdentityPolicy, RoleAuthorizer } from './authorizer';

/** A role's policies cannot be read from the template (a managed policy, a missing role). */
export class RolePolicyError extends Error {
  override readonly name = 'RolePolicyError';
}

interface RoleProperties {
  Policies?: { PolicyName: string; PolicyDocument: unknown }[];
  ManagedPolicyArns?: unknown[];
}

/** An AWS::IAM::Role's inline policies, with every intrinsic evaluated against the local stack. */
export function rolePolicies(logicalId: string, role: unknown, values: CfnValueContext): IdentityPolicy[] {
  const { Type, Properties } = (role ?? {}) as { Type?: string; Properties?: RoleProperties };
  if (Type !== 'AWS::IAM::Role') throw new RolePolicyError(`${logicalId} is not an AWS::IAM::Role in the stack`);
  const properties = resolveCfn<RoleProperties>(Properties ?? {}, values);
  // Managed policies live outside the template: their statements cannot be held to locally, so they are refused.
  if (properties.ManagedPolicyArns?.length) throw new RolePolicyError(`${logicalId} has managed policies, which local mode cannot evaluate`);
  return (properties.Policies ?? []).map(({ PolicyName, PolicyDocument }) => ({ name: PolicyName, document: PolicyDocument }));
}

/** The session a Lambda function's calls are made in: `assumed-role/<role name>/<function name>`. */
function sessionArn(roleArn: string, session: string): string {
  const [, , , , account, resource] = roleArn.split(':');
  return `arn:aws:sts::${account}:assumed-role/${resource.slice(resource.lastIndexOf('/') + 1)}/${session}`;
}

function authorizer(logicalId: string, role: unknown, values: CfnValueContext, session: string, model?: StackModel): RoleAuthorizer {
  const roleArn = resolveCfn<string>({ 'Fn::GetAtt': [logicalId, 'Arn'] }, values);
  const policies = [...rolePolicies(logicalId, role, values), ...attachedPolicies(model, logicalId, values)];
  return new RoleAuthorizer({ logicalId, roleArn, sessionArn: sessionArn(roleArn, session) }, policies, LOCAL_ACCOUNT);
}

/** The stack's AWS::IAM::Policy resources attached to a role (`Roles: [{Ref: <role>}]`): part of what it may do. */
function attachedPolicies(model: StackModel | undefined, logicalId: string, values: CfnValueContext): IdentityPolicy[] {
  return Object.values(model?.resources.Resources ?? {}).flatMap((resource) => {
    const { Type, Properties } = resource as { Type?: string; Properties?: { Roles?: unknown[]; PolicyName?: unknown; PolicyDocument?: unknown } };
    if (Type !== 'AWS::IAM::Policy' || !(Properties?.Roles ?? []).some((role) => (role as { Ref?: unknown })?.Ref === logicalId)) return [];
    const { PolicyName, PolicyDocument } = resolveCfn<{ PolicyName: string; PolicyDocument: unknown }>({ PolicyName: Properties?.PolicyName, PolicyDocument: Properties?.PolicyDocument }, values);
    return [{ name: PolicyName, document: PolicyDocument } as IdentityPolicy];
  });
}

/** Each deployed function's role, from the generated stack: what its calls are held to. */
export function functionAuthorizers(model: StackModel, values: CfnValueContext, functions: readonly DeployedFunction[] = DEPLOYED_FUNCTIONS): Map<DeployedFunction, RoleAuthorizer> {
  return new Map(functions.map((fn) => [fn, authorizer(roleLogicalId(fn), model.resources.Resources[roleLogicalId(fn)], values, localFunctionName(fn), model)]));
}

/** Who A2I says it is in its sessions with the flow definition's role. */
const A2I_SESSION = 'SageMaker';

/** The role A2I assumes for the stack's flow definitions (resources/a2i.yml, not generated). */
export function a2iRoleAuthorizer(values: CfnValueContext, model?: StackModel): RoleAuthorizer {
  const role = templateResource(loadTemplatePart('a2i.yml', LOCAL_STACK), A2I_ROLE_LOGICAL_ID, 'AWS::IAM::Role', 'a2i.yml');
  // With what the generated stack attaches to it: the documents workflows let it read (input.readAccess).
  return authorizer(A2I_ROLE_LOGICAL_ID, role, values, A2I_SESSION, model);
}

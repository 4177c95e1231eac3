import { runSimulation } from '@cloud-copilot/iam-simulate';

/** The account, region and partition tests deploy to. */
export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
const PSEUDO: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::Region': REGION, 'AWS::AccountId': ACCOUNT, 'AWS::URLSuffix': 'amazonaws.com' };

/**
 * A template value as CloudFormation resolves it, with `values` for the Refs and attributes (`Id` or
 * `Id.Attribute`) it uses; a reference with no value is an error (the test must say what it is).
 * Conditions are taken as `conditions` says (default: false, the stack's parameters empty).
 */
export function resolveCfn(value: unknown, values: Record<string, string> = {}, conditions: Record<string, boolean> = {}): unknown {
  const lookup = (name: string): string => {
    const found = PSEUDO[name] ?? values[name];
    if (found === undefined) throw new Error(`the test gives no value for ${name}`);
    return found;
  };
  if (Array.isArray(value)) return value.map((item) => resolveCfn(item, values, conditions)).filter((item) => item !== NO_VALUE);
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  if ('Ref' in object) return object.Ref === 'AWS::NoValue' ? NO_VALUE : lookup(object.Ref as string);
  if ('Fn::GetAtt' in object) return lookup((object['Fn::GetAtt'] as string[]).join('.'));
  if ('Fn::Sub' in object) {
    const [text, variables = {}] = typeof object['Fn::Sub'] === 'string' ? [object['Fn::Sub'] as string] : (object['Fn::Sub'] as [string, Record<string, unknown>]);
    return text.replace(/\$\{([^}!]+)\}/g, (_, name: string) => (name in variables ? String(resolveCfn(variables[name], values, conditions)) : lookup(name)));
  }
  if ('Fn::If' in object) {
    const [condition, then, otherwise] = object['Fn::If'] as [string, unknown, unknown];
    return resolveCfn(conditions[condition] ? then : otherwise, values, conditions);
  }
  return Object.fromEntries(
    Object.entries(object)
      .map(([key, item]) => [key, resolveCfn(item, values, conditions)])
      .filter(([, item]) => item !== NO_VALUE),
  );
}
const NO_VALUE = Symbol('AWS::NoValue');

/** Whether a role with these (resolved) policy statements may call `action` on `resource`, as IAM decides. */
export async function roleAllows(statements: unknown[], action: string, resource: string): Promise<boolean> {
  const response = await runSimulation(
    {
      identityPolicies: [{ name: 'role', policy: { Version: '2012-10-17', Statement: statements } }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      request: { principal: `arn:aws:iam::${ACCOUNT}:role/test`, action, resource: { resource, accountId: ACCOUNT }, contextVariables: {} },
    },
    {},
  );
  if (response.resultType === 'error') throw new Error(`the simulation of ${action} on ${resource} was refused: ${JSON.stringify(response.errors)}`);
  return response.overallResult === 'Allowed';
}

/**
 * Whether a function whose resource-based policy Lambda builds from these (resolved) AWS::Lambda::Permission
 * properties may be invoked by `service` for `sourceArn`. Lambda writes SourceArn as an ArnLike condition and
 * SourceAccount as StringEquals (AddPermission).
 */
export async function permissionsAllow(permissions: Record<string, unknown>[], functionArn: string, service: string, sourceArn: string): Promise<boolean> {
  const Statement = permissions.map((permission) => ({
    Effect: 'Allow',
    Principal: { Service: permission.Principal },
    Action: permission.Action,
    Resource: functionArn,
    Condition: {
      ...(permission.SourceArn ? { ArnLike: { 'AWS:SourceArn': permission.SourceArn } } : {}),
      ...(permission.SourceAccount ? { StringEquals: { 'AWS:SourceAccount': permission.SourceAccount } } : {}),
    },
  }));
  const response = await runSimulation(
    {
      identityPolicies: [],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: { Version: '2012-10-17', Statement },
      request: { principal: service, action: 'lambda:InvokeFunction', resource: { resource: functionArn, accountId: ACCOUNT }, contextVariables: { 'aws:SourceArn': sourceArn, 'aws:SourceAccount': ACCOUNT } },
    },
    {},
  );
  if (response.resultType === 'error') throw new Error(`the simulation of an invocation from ${sourceArn} was refused: ${JSON.stringify(response.errors)}`);
  return response.overallResult === 'Allowed';
}

import {
  CFN_MAX_MAPPINGS,
  CFN_MAX_OUTPUTS,
  CFN_MAX_PARAMETERS,
  CFN_MAX_RESOURCES,
  CFN_MAX_TEMPLATE_BYTES,
  DASHBOARD_MAX_METRICS,
  DASHBOARD_MAX_METRICS_PER_WIDGET,
  DASHBOARD_MAX_WIDGETS,
  EVENTBRIDGE_MAX_PATTERN_CHARS,
  EVENTBRIDGE_MAX_RULES_PER_BUS,
  IAM_MAX_ROLE_INLINE_POLICY_CHARS,
  LAMBDA_MAX_ENVIRONMENT_BYTES,
  LAMBDA_MAX_RESOURCE_POLICY_BYTES,
  LONGEST_PSEUDO_PARAMETERS,
  S3_MAX_NOTIFICATION_CONFIGURATIONS,
} from './limits';

/**
 * Holds a packaged stage (the root template and its workflow stacks) to AWS's limits, so that `serverless
 * package` refuses what CloudFormation, Lambda, IAM, EventBridge, S3 or CloudWatch would refuse at deploy time.
 * Values known only at deploy time are counted at their longest: pseudo parameters as in LONGEST_PSEUDO_PARAMETERS,
 * a stack parameter as PARAMETER_CHARS, a resource's Ref or attribute as REFERENCE_CHARS.
 */

export interface PackagedTemplate {
  /** The file it is packaged as. */
  file: string;
  /** The bytes uploaded. */
  body: string;
  template: { Parameters?: Record<string, unknown>; Mappings?: Record<string, unknown>; Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>; Outputs?: Record<string, unknown> };
}

export interface StageMeasure {
  file: string;
  what: string;
  value: number;
  limit: number;
}

/** A user-given parameter (an ARN): at most this long, for counting. */
const PARAMETER_CHARS = 256;
/** A resource's Ref or attribute (a name, URL or ARN CloudFormation generates): at most this long, for counting. */
const REFERENCE_CHARS = 160;

/** Every figure that AWS limits, with its limit; `problems` are those over it. */
export function measureStage(templates: PackagedTemplate[], stackName: string): { measures: StageMeasure[]; problems: StageMeasure[] } {
  const measures: StageMeasure[] = [];
  const measure = (file: string, what: string, value: number, limit: number) => measures.push({ file, what, value, limit });
  const rulesPerBus = new Map<string, number>();
  for (const { file, body, template } of templates) {
    const resources = Object.entries(template.Resources);
    measure(file, 'resources', resources.length, CFN_MAX_RESOURCES);
    measure(file, 'outputs', Object.keys(template.Outputs ?? {}).length, CFN_MAX_OUTPUTS);
    measure(file, 'parameters', Object.keys(template.Parameters ?? {}).length, CFN_MAX_PARAMETERS);
    measure(file, 'mappings', Object.keys(template.Mappings ?? {}).length, CFN_MAX_MAPPINGS);
    measure(file, 'template bytes', Buffer.byteLength(body), CFN_MAX_TEMPLATE_BYTES);
    const resolve = (value: unknown) => resolvedText(value, template);
    const permissions = new Map<string, number>();
    for (const [id, { Type, Properties = {} }] of resources) {
      if (Type === 'AWS::Lambda::Function') {
        const variables = (Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
        const bytes = Object.entries(variables).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + Buffer.byteLength(resolve(value)), 0);
        measure(file, `${id} environment bytes`, bytes, LAMBDA_MAX_ENVIRONMENT_BYTES);
      } else if (Type === 'AWS::IAM::Role') {
        const policies = (Properties.Policies ?? []) as { PolicyDocument: unknown }[];
        const chars = policies.reduce((sum, policy) => sum + resolve(policy.PolicyDocument).length, 0);
        measure(file, `${id} inline policy characters`, chars, IAM_MAX_ROLE_INLINE_POLICY_CHARS);
      } else if (Type === 'AWS::Lambda::Permission') {
        const target = functionIdOf(Properties.FunctionName);
        // The statement as Lambda keeps it: its Sid is <stack>-<logical id>-<random>, its conditions the source's.
        const statement = {
          Sid: `${stackName}-${id}-XXXXXXXXXXXXX`,
          Effect: 'Allow',
          Principal: { Service: Properties.Principal },
          Action: Properties.Action,
          Resource: resolve(Properties.FunctionName),
          Condition: { StringEquals: { 'AWS:SourceAccount': LONGEST_PSEUDO_PARAMETERS['AWS::AccountId'] }, ArnLike: { 'AWS:SourceArn': resolve(Properties.SourceArn) } },
        };
        permissions.set(target, (permissions.get(target) ?? JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement: [] }).length) + JSON.stringify(statement).length + 1);
      } else if (Type === 'AWS::Events::Rule') {
        const bus = Properties.EventBusName === undefined ? 'default' : resolve(Properties.EventBusName);
        rulesPerBus.set(bus, (rulesPerBus.get(bus) ?? 0) + 1);
        if (Properties.EventPattern !== undefined) measure(file, `${id} event pattern characters`, resolve(Properties.EventPattern).length, EVENTBRIDGE_MAX_PATTERN_CHARS);
      } else if (Type === 'AWS::S3::Bucket' && Properties.NotificationConfiguration) {
        const notifications = Properties.NotificationConfiguration as Record<string, unknown[] | undefined>;
        const count = ['LambdaConfigurations', 'QueueConfigurations', 'TopicConfigurations'].reduce((sum, key) => sum + (notifications[key]?.length ?? 0), 0);
        measure(file, `${id} notification configurations`, count, S3_MAX_NOTIFICATION_CONFIGURATIONS);
      } else if (Type === 'AWS::CloudWatch::Dashboard') {
        const body = JSON.parse(resolve(Properties.DashboardBody)) as { widgets: { properties?: { metrics?: unknown[] } }[] };
        const metrics = body.widgets.map((widget) => widget.properties?.metrics?.length ?? 0);
        measure(file, `${id} widgets`, body.widgets.length, DASHBOARD_MAX_WIDGETS);
        measure(file, `${id} metrics`, metrics.reduce((sum, count) => sum + count, 0), DASHBOARD_MAX_METRICS);
        measure(file, `${id} metrics in a widget`, Math.max(0, ...metrics), DASHBOARD_MAX_METRICS_PER_WIDGET);
      }
    }
    for (const [fn, bytes] of permissions) measure(file, `${fn} resource-based policy bytes`, bytes, LAMBDA_MAX_RESOURCE_POLICY_BYTES);
  }
  for (const [bus, count] of rulesPerBus) measure('(stage)', `rules on event bus ${bus}`, count, EVENTBRIDGE_MAX_RULES_PER_BUS);
  return { measures, problems: measures.filter((entry) => entry.value > entry.limit) };
}

/** A template value as CloudFormation would resolve it, as compact JSON text (a string's own text), at its longest. */
export function resolvedText(value: unknown, template: Pick<PackagedTemplate['template'], 'Parameters' | 'Resources'>): string {
  const resolved = resolveValue(value, template);
  return typeof resolved === 'string' ? resolved : JSON.stringify(resolved);
}

function resolveValue(value: unknown, template: Pick<PackagedTemplate['template'], 'Parameters' | 'Resources'>): unknown {
  if (Array.isArray(value)) return value.map((item) => resolveValue(item, template)).filter((item) => item !== NO_VALUE);
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  const [key] = Object.keys(object);
  const name = (id: string): string => {
    if (id in LONGEST_PSEUDO_PARAMETERS) return LONGEST_PSEUDO_PARAMETERS[id];
    if (template.Parameters && id in template.Parameters) return 'p'.repeat(PARAMETER_CHARS);
    const resource = template.Resources[id.split('.')[0]];
    const functionName = resource?.Type === 'AWS::Lambda::Function' ? resource.Properties?.FunctionName : undefined;
    if (typeof functionName === 'string') return `arn:${LONGEST_PSEUDO_PARAMETERS['AWS::Partition']}:lambda:${LONGEST_PSEUDO_PARAMETERS['AWS::Region']}:${LONGEST_PSEUDO_PARAMETERS['AWS::AccountId']}:function:${functionName}`;
    return 'r'.repeat(REFERENCE_CHARS);
  };
  if (Object.keys(object).length === 1) {
    if (key === 'Ref') return object.Ref === 'AWS::NoValue' ? NO_VALUE : name(object.Ref as string);
    if (key === 'Fn::GetAtt') return name((object['Fn::GetAtt'] as string[]).join('.'));
    if (key === 'Fn::Sub') {
      const [text, variables = {}] = typeof object['Fn::Sub'] === 'string' ? [object['Fn::Sub'] as string] : (object['Fn::Sub'] as [string, Record<string, unknown>]);
      return text.replace(/\$\{([^}!]+)\}/g, (_, variable: string) => (variable in variables ? String(resolveValue(variables[variable], template)) : name(variable)));
    }
    if (key === 'Fn::If') {
      const [, then, otherwise] = object['Fn::If'] as [string, unknown, unknown];
      const [a, b] = [resolveValue(then, template), resolveValue(otherwise, template)];
      return sizeOf(a) >= sizeOf(b) ? a : b;
    }
    if (key === 'Fn::Join') {
      const [separator, items] = object['Fn::Join'] as [string, unknown[]];
      return (resolveValue(items, template) as unknown[]).map(String).join(separator);
    }
  }
  return Object.fromEntries(
    Object.entries(object)
      .map(([entry, item]) => [entry, resolveValue(item, template)])
      .filter(([, item]) => item !== NO_VALUE),
  );
}

/** The function a permission is on: its logical id (GetAtt, Ref) or its name. */
function functionIdOf(value: unknown): string {
  const object = value as { 'Fn::GetAtt'?: string[]; Ref?: string };
  return object?.['Fn::GetAtt']?.[0] ?? object?.Ref ?? JSON.stringify(value);
}

const NO_VALUE = Symbol('AWS::NoValue');
const sizeOf = (value: unknown): number => (value === NO_VALUE ? 0 : (JSON.stringify(value)?.length ?? 0));

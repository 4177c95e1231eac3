import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CFN_MAX_MAPPINGS,
  CFN_MAX_OUTPUTS,
  CFN_MAX_PARAMETERS,
  CFN_MAX_RESOURCES,
  CFN_MAX_TEMPLATE_BYTES,
  DASHBOARD_MAX_METRICS,
  DASHBOARD_MAX_WIDGETS,
  EVENTBRIDGE_MAX_PATTERN_CHARS,
  EVENTBRIDGE_MAX_RULES_PER_BUS,
  IAM_MAX_ROLE_INLINE_POLICY_CHARS,
  LAMBDA_MAX_ENVIRONMENT_BYTES,
  LAMBDA_MAX_RESOURCE_POLICY_BYTES,
  S3_MAX_NOTIFICATION_CONFIGURATIONS,
} from '../../lib/deploy/limits';
import { compileEventPattern } from '../../lib/event-pattern';
import { WORKFLOW_NAME_MAX_LENGTH } from '../../lib/naming';
import { ACCOUNT, REGION, resolveCfn, roleAllows } from '../support/cfn';

/**
 * A stage of 100 generated workflows (S3 under many prefixes and in buckets of their own, EventBridge on three
 * buses, FIFO queues, 3–4 queues each, names at the 36-character limit, flow definitions named by ARN),
 * packaged by the real `serverless package` in a copy of the project, and every template it writes held to
 * AWS's limits as AWS counts them: deploy-time values at their longest (documented maxima, generated names at
 * their service's limit). Then cfn-lint on every template, where it is installed.
 */
type Resource = { Type: string; Properties?: Record<string, any>; Metadata?: Record<string, unknown> };
type Template = { Parameters?: Record<string, unknown>; Mappings?: Record<string, unknown>; Resources: Record<string, Resource>; Outputs?: Record<string, unknown> };

const ROOT = join(__dirname, '..', '..');
const WORKFLOW_COUNT = 100;
const STAGE = 'integration';
const SERVICE = 'a2i-orchestrator';
const STACK_NAME = `${SERVICE}-${STAGE}`;
/** The files of the project `serverless package` reads. */
const PROJECT = ['serverless.yml', 'package.json', 'tsconfig.json', 'esbuild.config.js', 'bin', 'functions', 'lib', 'plugins', 'resources', 'schemas', 'statemachines'];
const BUSES = ['default', 'partner-bus', 'ops-bus'];

let work: string;
let packageDir: string;
let root: Template;
let nested: Map<string, Template>;
let bodies: Map<string, Buffer>;
let names: string[];
/** cfn-lint's findings on every template, started as soon as they are packaged (it takes a while). */
let lint: Promise<Finding[] | 'not installed'>;
type Finding = { Level: string; Rule: { Id: string }; Message: string; Filename: string };
/** cfn-lint processes at once: it lints one template at a time. */
const LINT_PROCESSES = 2;

async function cfnLint(files: string[]): Promise<Finding[] | 'not installed'> {
  try {
    execFileSync('cfn-lint', ['--version'], { stdio: 'ignore' });
  } catch {
    return 'not installed';
  }
  const chunks = Array.from({ length: LINT_PROCESSES }, (_, chunk) => files.filter((_, index) => index % LINT_PROCESSES === chunk)).filter((chunk) => chunk.length > 0);
  const outputs = await Promise.all(
    chunks.map((chunk) =>
      promisify(execFile)('cfn-lint', ['--format', 'json', ...chunk], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).then(
        ({ stdout }) => stdout,
        // cfn-lint exits non-zero when it finds anything, warnings included; its findings are on stdout.
        (error: { stdout?: string }) => error.stdout ?? '',
      ),
    ),
  );
  return outputs.flatMap((output) => JSON.parse(output || '[]') as Finding[]);
}

/** A name of the given length, unique by its index: `wf-<i>-xxx…`. */
const nameOf = (index: number, length: number) => `wf-${index}-`.padEnd(length, 'x').replace(/-x/, '-y');

function generateWorkflows(directory: string): string[] {
  mkdirSync(join(directory, 'templates'), { recursive: true });
  cpSync(join(ROOT, 'test', 'fixtures', 'deploy', 'workflows', 'templates', 'review.liquid.html'), join(directory, 'templates', 'review.liquid.html'));
  const generated: string[] = [];
  for (let index = 0; index < WORKFLOW_COUNT; index++) {
    const name = nameOf(index, index % 3 === 0 ? WORKFLOW_NAME_MAX_LENGTH : 12 + (index % 20));
    const eventBridge = index % 3 === 1;
    const source = eventBridge
      ? { eventBridge: { eventBusName: BUSES[Math.floor(index / 3) % BUSES.length], pattern: { source: [`acme.models.${index}`], 'detail-type': ['Prediction'], detail: { model: [{ prefix: `m${index}` }] } } } }
      : index % 10 === 2
        ? { s3: { bucket: `acme-external-${index}`, prefix: `in/${index}/`, suffix: '.jsonl' } }
        : { s3: { prefix: index % 5 === 0 ? `shared/${index % 4}/` : `models/${index}/`, suffix: ['.jsonl', '.json'] } };
    const queueNames = ['reviewed-by-people', 'accepted', 'failures', ...(index % 2 === 0 ? ['corrections-ordered'] : [])];
    const queues = Object.fromEntries(queueNames.map((queue, position) => [queue, { fifo: position === 3 || (index % 7 === 0 && position === 1) }]));
    const workflow = {
      name,
      source,
      recordId: 'id',
      activation: { Conditions: [{ ConditionType: 'Sampling', ConditionParameters: { RandomSamplingPercentage: 10 } }] },
      flowDefinition: index % 25 === 4 ? { arn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:flow-definition/partner-review-${index}` } : { template: 'templates/review.liquid.html', taskCount: 1 },
      queues,
      routes: [{ queue: 'reviewed-by-people' }],
      autoAccepted: { queue: 'accepted' },
      failures: { queue: 'failures' },
    };
    writeFileSync(join(directory, `${name}.json`), JSON.stringify(workflow));
    generated.push(name);
  }
  return generated;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'a2i-scale-'));
  for (const entry of PROJECT) cpSync(join(ROOT, entry), join(work, entry), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(work, 'node_modules'));
  names = generateWorkflows(join(work, 'workflows'));
  packageDir = join(work, 'package');
  await promisify(execFile)(process.execPath, [join(ROOT, 'node_modules', 'serverless', 'bin', 'serverless.js'), 'package', '--stage', STAGE, '--package', packageDir], {
    cwd: work,
    env: { ...process.env, AWS_ACCESS_KEY_ID: 'ci', AWS_SECRET_ACCESS_KEY: 'ci', AWS_REGION: REGION, SLS_TELEMETRY_DISABLED: '1' },
    maxBuffer: 64 * 1024 * 1024,
  });
  const files = readdirSync(packageDir).filter((file) => file === 'cloudformation-template-update-stack.json' || file.startsWith('workflow-stack-'));
  bodies = new Map(files.map((file) => [file, readFileSync(join(packageDir, file))]));
  root = JSON.parse(bodies.get('cloudformation-template-update-stack.json')!.toString('utf8'));
  nested = new Map(files.filter((file) => file !== 'cloudformation-template-update-stack.json').map((file) => [file, JSON.parse(bodies.get(file)!.toString('utf8'))]));
  lint = cfnLint(files.map((file) => join(packageDir, file)));
  // Settled here too, so that a failure is reported by its test, not as an unhandled rejection.
  lint.catch(() => undefined);
}, 240_000);

/** What was measured, by check; written to the file A2I_SCALE_FIGURES names, if any (for reports). */
const figures: Record<string, Record<string, number>> = {};
const record = (check: string, what: string, value: number) => void ((figures[check] ??= {})[what] = value);

afterAll(() => {
  if (process.env.A2I_SCALE_FIGURES) writeFileSync(process.env.A2I_SCALE_FIGURES, `${JSON.stringify(figures, null, 1)}\n`);
  if (work) rmSync(work, { recursive: true, force: true });
});

// The longest values CloudFormation can resolve these to (pseudo parameters, the stack's parameters at their
// APIs' maximum lengths, generated names at their service's maximum).
const PARTITION = 'aws-us-gov';
const LONG_REGION = 'ap-southeast-5';
const URL_SUFFIX = 'amazonaws.com.cn';
const longest = (prefix: string, length: number) => prefix + 'n'.repeat(Math.max(0, length - prefix.length));
// WorkteamArn and an SNS topic ARN: 256 (their APIs' maximum); a KMS key ARN: arn:<partition>:kms:<region>:<account>:key/<36-character id>.
const PARAMETER_MAX: Record<string, number> = { WorkteamArn: 256, AlarmTopicArn: 256, KmsKeyArn: 128 };
function longestValues(template: Template): Record<string, string> {
  const values: Record<string, string> = { 'AWS::Partition': PARTITION, 'AWS::Region': LONG_REGION, 'AWS::AccountId': ACCOUNT, 'AWS::URLSuffix': URL_SUFFIX, 'AWS::StackName': STACK_NAME };
  const arn = (service: string, resource: string, regional = true) => `arn:${PARTITION}:${service}:${regional ? LONG_REGION : ''}:${regional ? ACCOUNT : ''}:${resource}`;
  for (const name of Object.keys(template.Parameters ?? {})) values[name] = 'p'.repeat(PARAMETER_MAX[name] ?? 2048);
  for (const [id, { Type, Properties = {} }] of Object.entries(template.Resources)) {
    if (Type === 'AWS::SQS::Queue') {
      const name = Properties.QueueName ?? longest('q', 80);
      values[id] = `https://sqs.${LONG_REGION}.${URL_SUFFIX}/${ACCOUNT}/${name}`;
      values[`${id}.Arn`] = arn('sqs', name);
      values[`${id}.QueueName`] = name;
    } else if (Type === 'AWS::DynamoDB::Table') {
      values[id] = longest('t', 255);
      values[`${id}.Arn`] = arn('dynamodb', `table/${values[id]}`);
    } else if (Type === 'AWS::S3::Bucket') {
      values[id] = longest('b', 63);
      values[`${id}.Arn`] = arn('s3', values[id], false);
    } else if (Type === 'AWS::StepFunctions::StateMachine') {
      values[id] = arn('states', `stateMachine:${Properties.StateMachineName ?? longest('s', 80)}`);
    } else if (Type === 'AWS::IAM::Role') {
      values[`${id}.Arn`] = arn('iam', `role/${longest('r', 64)}`, false);
    } else if (Type === 'AWS::Lambda::Function') {
      values[`${id}.Arn`] = arn('lambda', `function:${Properties.FunctionName}`);
    } else if (Type === 'AWS::Events::Rule') {
      values[`${id}.Arn`] = arn('events', `rule/${Properties.Name ?? longest('e', 64)}`);
    }
  }
  return values;
}
const templates = (): [string, Template][] => [['cloudformation-template-update-stack.json', root], ...nested];
const ofType = (template: Template, type: string) => Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
const text = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

describe(`a stage of ${WORKFLOW_COUNT} workflows`, () => {
  it('packages one nested stack per workflow, each pointed at by the root', () => {
    expect(nested.size).toBe(WORKFLOW_COUNT);
    const stacks = ofType(root, 'AWS::CloudFormation::Stack');
    expect(stacks).toHaveLength(WORKFLOW_COUNT);
    for (const [id, stack] of stacks) {
      expect({ id, packaged: nested.has(stack.Metadata?.WorkflowStackFile as string), url: typeof stack.Properties?.TemplateURL }).toEqual({ id, packaged: true, url: 'object' });
    }
  });

  it('keeps every template within CloudFormation\'s resources, outputs, parameters, mappings and body size', () => {
    for (const [file, template] of templates()) {
      // Serverless uploads the root as compact JSON; the workflow stacks as packaged.
      const bytes = file === 'cloudformation-template-update-stack.json' ? Buffer.byteLength(JSON.stringify(template)) : bodies.get(file)!.length;
      const counts = {
        resources: Object.keys(template.Resources).length <= CFN_MAX_RESOURCES,
        outputs: Object.keys(template.Outputs ?? {}).length <= CFN_MAX_OUTPUTS,
        parameters: Object.keys(template.Parameters ?? {}).length <= CFN_MAX_PARAMETERS,
        mappings: Object.keys(template.Mappings ?? {}).length <= CFN_MAX_MAPPINGS,
        bytes: bytes <= CFN_MAX_TEMPLATE_BYTES,
      };
      expect({ file, counts }).toEqual({ file, counts: { resources: true, outputs: true, parameters: true, mappings: true, bytes: true } });
      record('resources', file, Object.keys(template.Resources).length);
      record('outputs', file, Object.keys(template.Outputs ?? {}).length);
      record('parameters', file, Object.keys(template.Parameters ?? {}).length);
      record('template bytes', file, bytes);
    }
  });

  it('keeps every function\'s environment within 4 KB, with nothing per workflow in it', () => {
    const values = longestValues(root);
    for (const [id, fn] of ofType(root, 'AWS::Lambda::Function')) {
      const variables = resolveCfn(fn.Properties?.Environment?.Variables ?? {}, values) as Record<string, string>;
      const bytes = Object.entries(variables).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + Buffer.byteLength(value), 0);
      expect({ id, bytes, within: bytes <= LAMBDA_MAX_ENVIRONMENT_BYTES }).toEqual({ id, bytes, within: true });
      record('environment bytes', id, bytes);
      const perWorkflow = names.filter((name) => JSON.stringify(fn.Properties?.Environment).includes(name));
      expect({ id, perWorkflow }).toEqual({ id, perWorkflow: [] });
    }
  });

  it('keeps every role\'s inline policies within IAM\'s 10,240 characters, and still lets each function reach each workflow\'s resources', async () => {
    const values = longestValues(root);
    for (const [id, role] of ofType(root, 'AWS::IAM::Role')) {
      const documents = (role.Properties?.Policies ?? []).map((policy: { PolicyDocument: unknown }) => resolveCfn(policy.PolicyDocument, values, { HasKmsKey: true }));
      // IAM does not count white space: compact JSON is what it counts.
      const chars = documents.reduce((sum: number, document: unknown) => sum + JSON.stringify(document).length, 0);
      expect({ id, chars, within: chars <= IAM_MAX_ROLE_INLINE_POLICY_CHARS }).toEqual({ id, chars, within: true });
      record('role policy characters', id, chars);
    }
    const statements = (roleId: string) => resolveCfn(root.Resources[roleId].Properties?.Policies.flatMap((policy: { PolicyDocument: { Statement: unknown[] } }) => policy.PolicyDocument.Statement), { ...longestValues(root), 'AWS::Partition': 'aws', 'AWS::Region': REGION }) as unknown[];
    const deliver = statements('ReviewLoopCompleteRole');
    const describe = statements('LoopPollRole');
    for (const template of nested.values()) {
      for (const [, queue] of ofType(template, 'AWS::SQS::Queue').filter(([, resource]) => resource.Properties?.RedrivePolicy)) {
        expect({ queue: queue.Properties?.QueueName, allowed: await roleAllows(deliver, 'sqs:SendMessage', `arn:aws:sqs:${REGION}:${ACCOUNT}:${queue.Properties?.QueueName}`) }).toEqual({ queue: queue.Properties?.QueueName, allowed: true });
      }
    }
    for (const name of names) expect({ name, allowed: await roleAllows(describe, 'sagemaker:DescribeHumanLoop', `arn:aws:sagemaker:${REGION}:${ACCOUNT}:human-loop/${name}-abcdefghijklmnopqrstuvwxyz`) }).toEqual({ name, allowed: true });
  });

  it('keeps every function\'s resource-based policy within Lambda\'s 20 KB', () => {
    const values = longestValues(root);
    const policies = new Map<string, unknown[]>();
    for (const [id, permission] of ofType(root, 'AWS::Lambda::Permission')) {
      const properties = resolveCfn(permission.Properties, values) as Record<string, string>;
      // The statement as Lambda keeps it (GetPolicy): Sid <stack>-<logical id>-<random>, the source as conditions.
      const statement = {
        Sid: `${STACK_NAME}-${id}-ABCDEFGHIJKL`,
        Effect: 'Allow',
        Principal: { Service: properties.Principal },
        Action: properties.Action,
        Resource: properties.FunctionName,
        Condition: { ...(properties.SourceAccount ? { StringEquals: { 'AWS:SourceAccount': properties.SourceAccount } } : {}), ...(properties.SourceArn ? { ArnLike: { 'AWS:SourceArn': properties.SourceArn } } : {}) },
      };
      policies.set(properties.FunctionName, [...(policies.get(properties.FunctionName) ?? []), statement]);
    }
    expect(policies.size).toBeGreaterThanOrEqual(2);
    for (const [fn, Statement] of policies) {
      const bytes = Buffer.byteLength(JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement }));
      expect({ fn, bytes, within: bytes <= LAMBDA_MAX_RESOURCE_POLICY_BYTES }).toEqual({ fn, bytes, within: true });
      record('resource policy bytes', fn.slice(fn.lastIndexOf(':') + 1), bytes);
    }
  });

  it('keeps the rules of each event bus within EventBridge\'s 300, each pattern within 2,048 characters', () => {
    const perBus = new Map<string, number>();
    for (const [file, template] of templates()) {
      const values = longestValues(template);
      for (const [id, rule] of ofType(template, 'AWS::Events::Rule')) {
        const bus = rule.Properties?.EventBusName ?? 'default';
        perBus.set(bus, (perBus.get(bus) ?? 0) + 1);
        const chars = text(resolveCfn(rule.Properties?.EventPattern, values)).length;
        expect({ file, id, chars, within: chars <= EVENTBRIDGE_MAX_PATTERN_CHARS }).toEqual({ file, id, chars, within: true });
        record('event pattern characters', `${file}/${id}`, chars);
      }
    }
    expect([...perBus.keys()].sort()).toEqual([...BUSES].sort());
    for (const [bus, count] of perBus) {
      expect({ bus, count, within: count <= EVENTBRIDGE_MAX_RULES_PER_BUS }).toEqual({ bus, count, within: true });
      record('rules per bus', bus, count);
    }
  });

  it('wakes on the status events of every workflow\'s flow definition, each version, within the pattern\'s size', () => {
    const pattern = root.Resources.A2iStatusRule.Properties?.EventPattern;
    const matches = compileEventPattern(resolveCfn(pattern));
    const event = (flowDefinitionArn: string) => ({ source: 'aws.sagemaker', 'detail-type': 'SageMaker A2I HumanLoop Status Change', detail: { flowDefinitionArn } });
    for (const [index, name] of names.entries()) {
      const arn = index % 25 === 4 ? `arn:aws:sagemaker:${REGION}:${ACCOUNT}:flow-definition/partner-review-${index}` : `arn:aws:sagemaker:${REGION}:${ACCOUNT}:flow-definition/${STAGE}-${name}-0123456789`;
      expect({ name, matched: matches(event(arn)) }).toEqual({ name, matched: true });
    }
  });

  it('keeps the input bucket\'s notification configurations within S3\'s 100', () => {
    const notifications = root.Resources.InputBucket.Properties?.NotificationConfiguration ?? {};
    const count = ['LambdaConfigurations', 'QueueConfigurations', 'TopicConfigurations'].reduce((sum, key) => sum + (notifications[key]?.length ?? 0), 0);
    expect(count).toBeGreaterThan(0);
    expect(count).toBeLessThanOrEqual(S3_MAX_NOTIFICATION_CONFIGURATIONS);
    record('notification configurations', 'InputBucket', count);
  });

  it('keeps every dashboard within CloudWatch\'s widgets and metrics, with a widget per workflow', () => {
    let titles: string[] = [];
    for (const [id, dashboard] of ofType(root, 'AWS::CloudWatch::Dashboard')) {
      const body = JSON.parse(resolveCfn(dashboard.Properties?.DashboardBody) as string) as { widgets: { properties: { title: string; metrics: unknown[] } }[] };
      const metrics = body.widgets.reduce((sum, widget) => sum + widget.properties.metrics.length, 0);
      expect({ id, widgets: body.widgets.length <= DASHBOARD_MAX_WIDGETS, metrics: metrics <= DASHBOARD_MAX_METRICS }).toEqual({ id, widgets: true, metrics: true });
      record('dashboard', `${id} widgets`, body.widgets.length);
      record('dashboard', `${id} metrics`, metrics);
      titles = [...titles, ...body.widgets.map((widget) => widget.properties.title)];
    }
    expect(titles.sort()).toEqual([...names].sort());
  });

  it('passes cfn-lint on every template, where cfn-lint is installed', async () => {
    const findings = await lint;
    if (findings === 'not installed') return;
    const errors = findings.filter((finding) => finding.Level === 'Error');
    expect(errors.map((finding) => `${finding.Filename}: ${finding.Rule.Id} ${finding.Message}`)).toEqual([]);
  }, 180_000);
});

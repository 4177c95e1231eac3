import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { compileEventPattern } from '../../lib/event-pattern';
import { placeholdersOf } from '../../lib/state-machine-definition';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { ACCOUNT, REGION, resolveCfn, roleAllows } from '../support/cfn';

/**
 * The packaged CloudFormation template, as `npx serverless package --stage ci` produces it offline (dummy
 * credentials, nothing is sent to AWS), checked for what a careful reviewer checks before deploying.
 */
type Resource = { Type: string; Properties?: Record<string, unknown>; DependsOn?: unknown; Metadata?: Record<string, unknown> };
type Template = { Resources: Record<string, Resource>; Parameters?: Record<string, unknown>; Outputs?: Record<string, unknown> };
type Statement = { Sid?: string; Effect: string; Action: string | string[]; Resource?: unknown; Principal?: unknown; Condition?: unknown };

const ROOT = join(__dirname, '..', '..');
let template: Template;
/** Each workflow's nested template, by file name, as packaged. */
let workflowTemplates: Map<string, Template>;
let packageDir: string;

beforeAll(async () => {
  packageDir = mkdtempSync(join(tmpdir(), 'a2i-package-'));
  await promisify(execFile)(process.execPath, [join(ROOT, 'node_modules', 'serverless', 'bin', 'serverless.js'), 'package', '--stage', 'ci', '--package', packageDir], {
    cwd: ROOT,
    env: { ...process.env, AWS_ACCESS_KEY_ID: 'ci', AWS_SECRET_ACCESS_KEY: 'ci', AWS_REGION: 'us-east-1', SLS_TELEMETRY_DISABLED: '1' },
    maxBuffer: 16 * 1024 * 1024,
  });
  template = JSON.parse(readFileSync(join(packageDir, 'cloudformation-template-update-stack.json'), 'utf8'));
  workflowTemplates = new Map(
    readdirSync(packageDir)
      .filter((file) => file.startsWith('workflow-stack-'))
      .map((file) => [file, JSON.parse(readFileSync(join(packageDir, file), 'utf8'))]),
  );
}, 180_000);

afterAll(() => rmSync(packageDir, { recursive: true, force: true }));

const ofType = (type: string) => Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** Every Allow statement of every policy in the template, with where it is. */
function allowStatements(): { where: string; statement: Statement }[] {
  const found: { where: string; statement: Statement }[] = [];
  const visit = (where: string, statements: unknown) => {
    for (const statement of list(statements as Statement | Statement[])) {
      if (statement && typeof statement === 'object' && 'Fn::If' in statement) {
        const [, then] = (statement as { 'Fn::If': [string, Statement, unknown] })['Fn::If'];
        visit(where, then);
      } else if (statement?.Effect === 'Allow') found.push({ where, statement });
    }
  };
  for (const [id, role] of ofType('AWS::IAM::Role')) {
    for (const policy of (role.Properties?.Policies ?? []) as { PolicyName: string; PolicyDocument: { Statement: unknown } }[]) visit(`${id}/${policy.PolicyName}`, policy.PolicyDocument.Statement);
  }
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::S3::BucketPolicy', 'AWS::SQS::QueuePolicy']) {
    for (const [id, policy] of ofType(type)) visit(id, (policy.Properties?.PolicyDocument as { Statement: unknown }).Statement);
  }
  return found;
}

/** The logical ids a value refers to (Ref, GetAtt, ${…} in Fn::Sub). */
function referencedIds(value: unknown): string[] {
  if (value === null || typeof value !== 'object') return [];
  const object = value as Record<string, unknown>;
  if (typeof object.Ref === 'string') return [object.Ref];
  if (Array.isArray(object['Fn::GetAtt'])) return [(object['Fn::GetAtt'] as string[])[0]];
  if (typeof object['Fn::Sub'] === 'string') return [...(object['Fn::Sub'] as string).matchAll(/\$\{([A-Za-z0-9]+)[.}]/g)].map((match) => match[1]);
  return Object.values(object).flatMap(referencedIds);
}

describe('the packaged template', () => {
  it('grants no wildcard action, and "*" resources only where the API has no resource-level permissions', () => {
    const statements = allowStatements();
    expect(statements.length).toBeGreaterThan(30);
    for (const { where, statement } of statements) {
      for (const action of list(statement.Action)) {
        expect({ where, action, wildcard: action.includes('*') }).toEqual({ where, action, wildcard: false });
      }
      if (statement.Resource === '*' || list(statement.Resource).includes('*')) {
        // Each such statement says why in its Sid (and a comment where it is written).
        expect({ where, sid: statement.Sid }).toEqual({ where, sid: expect.stringMatching(/NoResourceLevel$/) });
        for (const action of list(statement.Action)) expect(action).toMatch(/^(xray:|logs:(Create|Get|Update|Delete|List)LogDelivery|logs:ListLogDeliveries|logs:PutResourcePolicy|logs:DescribeResourcePolicies|logs:DescribeLogGroups|states:SendTaskSuccess$)/);
      }
    }
  });

  it('gives every function a role of its own, and the runtime nodejs22.x on arm64', () => {
    const functions = ofType('AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThanOrEqual(10);
    const roles = functions.map(([, fn]) => referencedIds(fn.Properties?.Role)[0]);
    expect(new Set(roles).size).toBe(functions.length);
    for (const role of roles) expect(template.Resources[role]?.Type).toBe('AWS::IAM::Role');
    for (const [id, fn] of functions) {
      expect({ id, runtime: fn.Properties?.Runtime, architectures: fn.Properties?.Architectures }).toEqual({ id, runtime: 'nodejs22.x', architectures: ['arm64'] });
      expect({ id, tracing: fn.Properties?.TracingConfig }).toEqual({ id, tracing: { Mode: 'Active' } });
    }
    expect(template.Resources.IamRoleLambdaExecution).toBeUndefined();
  });

  it('gives every queue SSE, and every queue that is not itself a DLQ a DLQ', () => {
    let count = 0;
    for (const each of [template, ...workflowTemplates.values()]) {
      const inTemplate = (type: string) => Object.entries(each.Resources).filter(([, resource]) => resource.Type === type);
      const queues = inTemplate('AWS::SQS::Queue');
      const deadLetterTargets = new Set(queues.flatMap(([, queue]) => referencedIds((queue.Properties?.RedrivePolicy as { deadLetterTargetArn?: unknown })?.deadLetterTargetArn)));
      // Queues that are DLQs of other services: EventBridge targets' DeadLetterConfig and Lambda's on-failure destinations.
      const otherDeadLetters = new Set([
        ...inTemplate('AWS::Events::Rule').flatMap(([, rule]) => ((rule.Properties?.Targets ?? []) as { DeadLetterConfig?: { Arn: unknown } }[]).flatMap((target) => referencedIds(target.DeadLetterConfig?.Arn))),
        ...inTemplate('AWS::Lambda::EventInvokeConfig').flatMap(([, config]) => referencedIds((config.Properties?.DestinationConfig as { OnFailure?: { Destination: unknown } })?.OnFailure?.Destination)),
      ]);
      for (const [id, queue] of queues) {
        count++;
        const sse = queue.Properties?.SqsManagedSseEnabled ?? queue.Properties?.KmsMasterKeyId;
        expect({ id, sse: sse !== undefined }).toEqual({ id, sse: true });
        const isDlq = deadLetterTargets.has(id) || otherDeadLetters.has(id);
        expect({ id, protectedByDlq: isDlq || queue.Properties?.RedrivePolicy !== undefined }).toEqual({ id, protectedByDlq: true });
        if (isDlq) {
          const alarms = inTemplate('AWS::CloudWatch::Alarm').filter(([, alarm]) => referencedIds(alarm.Properties?.Dimensions).includes(id));
          expect({ id, alarms: alarms.length }).toEqual({ id, alarms: 1 });
        }
      }
    }
    expect(count).toBeGreaterThanOrEqual(14);
  });

  it('packages each workflow\'s nested stack and points the root at its upload in the deployment bucket', () => {
    const stacks = ofType('AWS::CloudFormation::Stack');
    expect(stacks.map(([id]) => id)).toEqual(['WfInvoiceExtractionStack']);
    for (const [id, stack] of stacks) {
      const file = stack.Metadata?.WorkflowStackFile as string;
      const key = stack.Metadata?.WorkflowStackKey as string;
      expect({ id, packaged: workflowTemplates.has(file) }).toEqual({ id, packaged: true });
      // Content-addressed: the key names the uploaded body's hash, so a changed template is a changed URL.
      const body = readFileSync(join(packageDir, file));
      expect(key).toBe(`serverless/a2i-orchestrator/ci/workflow-stacks/invoice-extraction-${createHash('sha256').update(body).digest('hex').slice(0, 16)}.json`);
      expect(resolveCfn(stack.Properties?.TemplateURL, { ServerlessDeploymentBucket: 'deployment-bucket' })).toBe(`https://s3.us-east-1.amazonaws.com/deployment-bucket/${key}`);
      const parameters = Object.keys((workflowTemplates.get(file) as Template).Parameters ?? {});
      expect(Object.keys(stack.Properties?.Parameters as object).sort()).toEqual(parameters.sort());
    }
  });

  it('gives no function a per-workflow value in its environment', () => {
    for (const [id, fn] of ofType('AWS::Lambda::Function')) {
      const variables = Object.keys((fn.Properties?.Environment as { Variables: Record<string, unknown> }).Variables);
      expect({ id, perWorkflow: variables.filter((name) => ['QUEUE_URLS', 'FLOW_DEFINITION_ARNS'].includes(name)) }).toEqual({ id, perWorkflow: [] });
      expect({ id, mentionsWorkflow: JSON.stringify(fn.Properties?.Environment).includes('invoice-extraction') }).toEqual({ id, mentionsWorkflow: false });
    }
  });

  it('blocks public access to every bucket, encrypts it, and refuses anything but TLS', () => {
    const buckets = ofType('AWS::S3::Bucket');
    expect(buckets.length).toBeGreaterThanOrEqual(3);
    for (const [id, bucket] of buckets) {
      expect({ id, block: bucket.Properties?.PublicAccessBlockConfiguration }).toEqual({
        id,
        block: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      });
      expect({ id, encrypted: bucket.Properties?.BucketEncryption !== undefined }).toEqual({ id, encrypted: true });
      const policies = ofType('AWS::S3::BucketPolicy').filter(([, policy]) => referencedIds(policy.Properties?.Bucket).includes(id));
      const denies = policies.flatMap(([, policy]) => list((policy.Properties?.PolicyDocument as { Statement: Statement[] }).Statement)).filter((statement) => statement.Effect === 'Deny');
      // Serverless writes its own bucket's condition with a boolean, ours with the string IAM documents: both mean the same.
      const refusesPlainHttp = (statement: Statement) => String((statement.Condition as { Bool?: Record<string, unknown> })?.Bool?.['aws:SecureTransport']) === 'false';
      expect({ id, tlsOnly: denies.some((statement) => refusesPlainHttp(statement) && list(statement.Action).includes('s3:*')) }).toEqual({ id, tlsOnly: true });
    }
  });

  it('substitutes every placeholder of the review-loop ASL, and logs without execution data', () => {
    const [[, machine]] = ofType('AWS::StepFunctions::StateMachine');
    // The file's exact text: a parsed Definition loses `"ResultPath": null` in serverless's variable resolution.
    const definition = machine.Properties?.DefinitionString as string;
    const asl = readFileSync(join(ROOT, 'statemachines', 'review-loop.asl.json'), 'utf8');
    expect(definition).toBe(asl);
    expect(machine.Properties?.Definition).toBeUndefined();
    expect(Object.keys(machine.Properties?.DefinitionSubstitutions as object).sort()).toEqual(placeholdersOf(asl));
    expect(machine.Properties?.LoggingConfiguration).toMatchObject({ IncludeExecutionData: false });
    expect(machine.Properties?.TracingConfiguration).toEqual({ Enabled: true });
  });

  it('sets a retention on every log group', () => {
    const groups = ofType('AWS::Logs::LogGroup');
    expect(groups.length).toBeGreaterThanOrEqual(11);
    for (const [id, group] of groups) expect({ id, retention: typeof group.Properties?.RetentionInDays }).toEqual({ id, retention: 'number' });
  });

  it('lets A2I (sagemaker.amazonaws.com) assume the A2I role, which only reads inputs and writes output', () => {
    const role = template.Resources.A2iRole;
    expect(JSON.stringify(role.Properties?.AssumeRolePolicyDocument)).toContain('sagemaker.amazonaws.com');
    const actions = allowStatements().filter(({ where }) => where.startsWith('A2iRole/')).flatMap(({ statement }) => list(statement.Action));
    // The KMS actions are A2I's documented list for a KMS-encrypted output path (only with the stack's key).
    const kms = ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:DescribeKey'];
    expect(new Set(actions)).toEqual(new Set(['s3:GetObject', 's3:PutObject', ...kms]));
  });

  it('sends A2I status events of this stage\'s flow definitions only, and alarms on failed and timed-out executions', () => {
    const matches = compileEventPattern(resolveCfn(template.Resources.A2iStatusRule.Properties?.EventPattern));
    const event = (name: string) => ({ source: 'aws.sagemaker', 'detail-type': 'SageMaker A2I HumanLoop Status Change', detail: { flowDefinitionArn: `arn:aws:sagemaker:us-east-1:123456789012:flow-definition/${name}` } });
    expect(matches(event('ci-invoice-extraction-0123456789'))).toBe(true);
    expect(matches(event('prod-invoice-extraction-0123456789'))).toBe(false);
    const alarms = [template, ...workflowTemplates.values()].flatMap((each) => Object.values(each.Resources).filter((resource) => resource.Type === 'AWS::CloudWatch::Alarm'));
    expect(alarms.map((alarm) => alarm.Properties?.MetricName)).toEqual(expect.arrayContaining(['ExecutionsFailed', 'ExecutionsTimedOut', 'StartThrottled']));
  });
});

describe('the input bucket', () => {
  it('is named once: the bucket, its notification permission, the S3 trigger and its role agree', () => {
    const name = (template.Resources.InputBucket.Properties?.BucketName as { 'Fn::Sub': string })['Fn::Sub'];
    expect(name).toMatch(/^a2i-orchestrator-ci-input-/);
    expect(template.Resources.InputBucketNotificationPermission.Properties?.SourceArn).toEqual({ 'Fn::Sub': `arn:\${AWS::Partition}:s3:::${name}` });
    const trigger = template.Resources.IngestS3ObjectLambdaFunction.Properties as { Environment: { Variables: Record<string, unknown> } };
    expect(trigger.Environment.Variables.INPUT_BUCKET).toEqual({ 'Fn::Sub': name });
    const reads = allowStatements().find(({ where, statement }) => where.startsWith('IngestS3ObjectRole/') && statement.Sid === 'ReadModelOutputs');
    expect(reads?.statement.Resource).toContainEqual({ 'Fn::Sub': `arn:\${AWS::Partition}:s3:::${name}/*` });
  });
});

/** A value for every Ref and GetAtt of the root template: `X.Arn` is an ARN of X's service named X, `X` is X. */
const SYNTHESISED = new Proxy({} as Record<string, string>, {
  get: (_, key: string) => {
    const [id, attribute] = key.split('.');
    const type = template.Resources[id]?.Type ?? '';
    if (attribute !== 'Arn') return id;
    if (type === 'AWS::SQS::Queue') return `arn:aws:sqs:${REGION}:${ACCOUNT}:${id}`;
    if (type === 'AWS::Lambda::Function') return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${id}`;
    return `arn:aws:${type.split('::')[1]?.toLowerCase() ?? 'x'}:${REGION}:${ACCOUNT}:${id}`;
  },
});

/** The statements of a role's inline policies, resolved (the stack's parameters empty). */
function roleStatements(roleId: string): unknown[] {
  const policies = (template.Resources[roleId].Properties?.Policies ?? []) as { PolicyDocument: { Statement: unknown[] } }[];
  return policies.flatMap((policy) => resolveCfn(policy.PolicyDocument.Statement, SYNTHESISED) as unknown[]);
}

describe('what outlives a failure or the stack', () => {
  it('keeps every queue, bucket and table, and what is in them, when the stack (or a workflow) is deleted or the resource replaced', () => {
    const stateful = [template, ...workflowTemplates.values()].flatMap((each) =>
      // The deployment bucket is serverless's own (artifacts it manages), not the product's data.
      Object.entries(each.Resources).filter(([id, resource]) => ['AWS::SQS::Queue', 'AWS::S3::Bucket', 'AWS::DynamoDB::Table'].includes(resource.Type) && id !== 'ServerlessDeploymentBucket'),
    );
    expect(stateful.length).toBeGreaterThan(10);
    for (const [id, resource] of stateful) {
      const { DeletionPolicy, UpdateReplacePolicy } = resource as Resource & { DeletionPolicy?: string; UpdateReplacePolicy?: string };
      expect({ id, DeletionPolicy, UpdateReplacePolicy }).toEqual({ id, DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    }
  });

  it('keeps every asynchronous invocation that fails after Lambda\'s retries: an on-failure destination each function may send to', async () => {
    // Invoked asynchronously: the S3 notifications' function and every EventBridge rule's target (root and nested).
    const s3Targets = (template.Resources.InputBucket.Properties?.NotificationConfiguration as { LambdaConfigurations: { Function: unknown }[] }).LambdaConfigurations.flatMap((config) => referencedIds(config.Function));
    const ruleTargets = Object.values(template.Resources)
      .filter((resource) => resource.Type === 'AWS::Events::Rule')
      .flatMap((rule) => (rule.Properties?.Targets as { Arn: unknown }[]).flatMap((target) => referencedIds(target.Arn)));
    // A nested rule's target is the root's value of the parameter it names.
    const nestedTargets = Object.values(template.Resources)
      .filter((resource) => resource.Type === 'AWS::CloudFormation::Stack')
      .flatMap((stack) => referencedIds((stack.Properties?.Parameters as Record<string, unknown> | undefined)?.IngestEventFunctionArn ?? {}));
    // The event trigger too: every EventBridge-sourced workflow's rule targets it (this stage has none).
    const asynchronous = [...new Set([...s3Targets, ...ruleTargets, ...nestedTargets, 'IngestEventLambdaFunction'])].sort();
    expect(asynchronous).toEqual(['IngestEventLambdaFunction', 'IngestS3ObjectLambdaFunction', 'LoopStatusEventLambdaFunction']);

    for (const fn of asynchronous) {
      const config = Object.values(template.Resources).find((resource) => resource.Type === 'AWS::Lambda::EventInvokeConfig' && referencedIds(resource.Properties?.FunctionName)[0] === fn);
      const destination = resolveCfn((config?.Properties?.DestinationConfig as { OnFailure?: { Destination?: unknown } } | undefined)?.OnFailure?.Destination, SYNTHESISED) as string | undefined;
      expect({ fn, destination }).toEqual({ fn, destination: expect.stringMatching(/^arn:aws:sqs:/) });
      // Lambda sends to the destination with the function's own role.
      const role = referencedIds(template.Resources[fn].Properties?.Role)[0];
      expect({ fn, allowed: await roleAllows(roleStatements(role), 'sqs:SendMessage', destination as string) }).toEqual({ fn, allowed: true });
    }
  });
});

describe('what A2I needs of the stack', () => {
  /** Whether a bucket's CORS rules let a worker's browser GET an object from `origin` (S3's rule matching: one `*` per origin). */
  const corsAllows = (bucket: string, origin: string): boolean => {
    const rules = ((template.Resources[bucket].Properties?.CorsConfiguration as { CorsRules?: { AllowedMethods: string[]; AllowedOrigins: string[] }[] } | undefined)?.CorsRules ?? []);
    const matches = (pattern: string) => new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(origin);
    return rules.some((rule) => rule.AllowedMethods.includes('GET') && rule.AllowedOrigins.some(matches));
  };

  it('lets the worker portal load task inputs from the input and payload buckets (A2I requires a CORS rule there)', () => {
    const portal = 'https://abcd1234.labeling.us-east-1.sagemaker.aws';
    expect(corsAllows('InputBucket', portal)).toBe(true);
    expect(corsAllows('PayloadBucket', portal)).toBe(true);
  });

  it('lets A2I assume its role as A2I does, with no condition on keys A2I is not documented to send', async () => {
    const trust = resolveCfn(template.Resources.A2iRole.Properties?.AssumeRolePolicyDocument, SYNTHESISED);
    const response = await runSimulation(
      {
        identityPolicies: [],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: trust as never,
        request: { principal: 'sagemaker.amazonaws.com', action: 'sts:AssumeRole', resource: { resource: `arn:aws:iam::${ACCOUNT}:role/a2i`, accountId: ACCOUNT }, contextVariables: {} },
      },
      {},
    );
    expect(response.resultType === 'error' ? response.errors : response.overallResult).toBe('Allowed');
  });
});

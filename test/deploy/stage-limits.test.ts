import fc from 'fast-check';
import { coveringMatches, isCovered, type Match } from '../../lib/deploy/prefix-cover';
import { measureStage, type PackagedTemplate } from '../../lib/deploy/stage-limits';

/** What packaging refuses, before AWS would: each check against a template just past the limit, and just within it. */
function packaged(resources: PackagedTemplate['template']['Resources'], extra: Partial<PackagedTemplate['template']> = {}): PackagedTemplate {
  const template = { Resources: resources, ...extra };
  return { file: 'template.json', body: JSON.stringify(template), template };
}
const problemsOf = (template: PackagedTemplate) => measureStage([template], 'a2i-orchestrator-ci').problems.map((problem) => problem.what);
const fn = (variables: Record<string, unknown>) => ({ Type: 'AWS::Lambda::Function', Properties: { FunctionName: 'a2i-orchestrator-ci-ingestWork', Environment: { Variables: variables } } });

describe('measureStage', () => {
  it('refuses a template of 501 resources, not one of 500', () => {
    const queues = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, index) => [`Queue${index}`, { Type: 'AWS::SQS::Queue' }]));
    expect(problemsOf(packaged(queues(501)))).toEqual(['resources']);
    expect(problemsOf(packaged(queues(500)))).toEqual([]);
  });

  it('refuses 201 outputs or parameters', () => {
    const many = Object.fromEntries(Array.from({ length: 201 }, (_, index) => [`X${index}`, { Value: 'x' }]));
    expect(problemsOf(packaged({}, { Outputs: many, Parameters: many }))).toEqual(['outputs', 'parameters']);
  });

  it('refuses an environment over 4 KB as resolved: a workflow map as QUEUE_URLS was, at 52 workflows', () => {
    const urls = Object.fromEntries(Array.from({ length: 52 }, (_, index) => [`workflow-${index}`, { reviewed: { Ref: `Queue${index}` } }]));
    expect(problemsOf(packaged({ Fn: fn({ QUEUE_URLS: { 'Fn::Sub': JSON.stringify(urls).replace(/\{"Ref":"(Queue\d+)"\}/g, '"${$1}"') } }) }))).toEqual(['Fn environment bytes']);
    expect(problemsOf(packaged({ Fn: fn({ QUEUE_URL_BASE: { 'Fn::Sub': 'https://sqs.${AWS::Region}.${AWS::URLSuffix}/${AWS::AccountId}/' } }) }))).toEqual([]);
  });

  it('refuses a role whose inline policies resolve past 10,240 characters', () => {
    const resources = Array.from({ length: 70 }, (_, index) => ({ 'Fn::GetAtt': [`Queue${index}`, 'Arn'] }));
    const role = { Type: 'AWS::IAM::Role', Properties: { Policies: [{ PolicyName: 'p', PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: resources }] } }] } };
    expect(problemsOf(packaged({ Role: role }))).toEqual(['Role inline policy characters']);
    const small = { ...role, Properties: { Policies: [{ PolicyName: 'p', PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: resources.slice(0, 10) }] } }] } };
    expect(problemsOf(packaged({ Role: small }))).toEqual([]);
  });

  it('refuses a function whose permissions add up past 20 KB of resource-based policy', () => {
    const permissions = (count: number) =>
      Object.fromEntries(
        Array.from({ length: count }, (_, index) => [
          `Bucket${index}Permission`,
          { Type: 'AWS::Lambda::Permission', Properties: { Action: 'lambda:InvokeFunction', FunctionName: { 'Fn::GetAtt': ['Fn', 'Arn'] }, Principal: 's3.amazonaws.com', SourceArn: `arn:aws:s3:::model-outputs-of-team-${index}`, SourceAccount: { Ref: 'AWS::AccountId' } } },
        ]),
      );
    expect(problemsOf(packaged({ Fn: fn({}), ...permissions(60) }))).toEqual(['Fn resource-based policy bytes']);
    expect(problemsOf(packaged({ Fn: fn({}), ...permissions(20) }))).toEqual([]);
  });

  it('refuses 301 rules on one bus across the stage\'s templates, and a pattern past 2,048 characters', () => {
    const rules = (count: number, bus?: string) => Object.fromEntries(Array.from({ length: count }, (_, index) => [`Rule${index}`, { Type: 'AWS::Events::Rule', Properties: { ...(bus ? { EventBusName: bus } : {}), EventPattern: { source: [`s${index}`] } } }]));
    const stage = [
      { ...packaged(rules(200)), file: 'a.json' },
      { ...packaged(rules(101)), file: 'b.json' },
      { ...packaged(rules(300, 'partner')), file: 'c.json' },
    ];
    expect(measureStage(stage, 'x').problems.map((problem) => problem.what)).toEqual(['rules on event bus default']);
    const big = { Rule: { Type: 'AWS::Events::Rule', Properties: { EventPattern: { source: ['x'], detail: { id: Array.from({ length: 200 }, (_, index) => `identifier-${index}`) } } } } };
    expect(problemsOf(packaged(big))).toEqual(['Rule event pattern characters']);
  });

  it('refuses a bucket with 101 notification configurations and a dashboard past CloudWatch\'s metrics', () => {
    const bucket = { Type: 'AWS::S3::Bucket', Properties: { NotificationConfiguration: { LambdaConfigurations: Array.from({ length: 101 }, () => ({})) } } };
    const widgets = Array.from({ length: 500 }, () => ({ type: 'metric', properties: { metrics: Array.from({ length: 6 }, () => ['A', 'B']) } }));
    const dashboard = { Type: 'AWS::CloudWatch::Dashboard', Properties: { DashboardBody: { 'Fn::Sub': JSON.stringify({ widgets }) } } };
    expect(problemsOf(packaged({ Bucket: bucket, Dashboard: dashboard }))).toEqual(['Bucket notification configurations', 'Dashboard metrics']);
  });
});

describe('coveringMatches', () => {
  const cost = (match: Match) => match.text.length + 2;
  const names = fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{0,35}$/), { minLength: 1, maxLength: 120 });

  it('keeps the matches as given while they fit the budget', () => {
    const given = [{ text: 'alpha-', prefix: true }, { text: 'beta-', prefix: true }];
    expect(coveringMatches(given, 100, cost)).toEqual(given);
  });

  it('covers everything it was given and fits the budget once it can, merging what shares the longest start first', () => {
    fc.assert(
      fc.property(names, fc.integer({ min: 1, max: 3000 }), (texts, budget) => {
        const given = texts.map((text) => ({ text: `${text}-`, prefix: true }));
        const cover = coveringMatches(given, budget, cost);
        for (const { text } of given) expect(isCovered(`${text}abc`, cover)).toBe(true);
        const total = cover.reduce((sum, match) => sum + cost(match), 0);
        expect(total <= budget || cover.length === 1).toBe(true);
      }),
      { numRuns: 300 },
    );
    expect(coveringMatches(['invoice-a-', 'invoice-b-', 'zebra-'].map((text) => ({ text, prefix: true })), 25, cost)).toEqual([
      { text: 'invoice-', prefix: true },
      { text: 'zebra-', prefix: true },
    ]);
  });

  it('matches exact values exactly until they must be merged', () => {
    const exact = [{ text: 'arn:a:1', prefix: false }, { text: 'arn:a:2', prefix: false }];
    expect(isCovered('arn:a:1x', coveringMatches(exact, 100, cost))).toBe(false);
    expect(coveringMatches(exact, 10, cost)).toEqual([{ text: 'arn:a:', prefix: true }]);
  });
});

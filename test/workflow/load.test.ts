import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isFlowSpec, isS3Source, loadWorkflowFile, loadWorkflows, parseWorkflow, WorkflowConfigError } from '../../lib/workflow';

const fixtures = join(__dirname, '..', 'fixtures', 'workflows');
const example = join(__dirname, '..', '..', 'workflows', 'invoice-extraction.yaml');

function messages(file: string): string[] {
  return loadWorkflowFile(file).issues.map((issue) => `${issue.location}: ${issue.message}`);
}

describe('loading workflow files', () => {
  test('the bundled example loads with its defaults filled in', () => {
    // Act
    const [workflow] = loadWorkflows([join(__dirname, '..', '..', 'workflows')]);

    // Assess
    const definition = workflow.definition;
    expect(definition.name).toBe('invoice-extraction');
    expect(isS3Source(definition.source) && definition.source.s3).toEqual({ prefix: 'invoices/', suffix: ['.jsonl', '.json'], reupload: 'supersede' });
    expect(definition.invalid).toEqual({ queue: 'failures' });
    expect(definition.contentClassifiers).toEqual([]);
    expect(isFlowSpec(definition.flowDefinition) && definition.flowDefinition.templateFile).toBe(
      join(__dirname, '..', '..', 'workflows', 'templates', 'invoice-extraction.liquid.html'),
    );
    expect(workflow.routes.map((route) => route.queue)).toEqual(['corrections', 'reviewed']);
  });

  test('a JSON workflow with an EventBridge source gets the documented defaults', () => {
    const { workflow, issues } = loadWorkflowFile(join(fixtures, 'minimal.json'));

    expect(issues).toEqual([]);
    expect(workflow?.definition.source).toEqual({
      eventBridge: { pattern: { source: ['acme.models'], 'detail-type': ['Prediction'] }, record: 'detail', eventBusName: 'default' },
    });
    expect(workflow?.definition.input).toEqual({ projection: '@', oversize: 'invalid' });
    expect(workflow?.definition.consolidation).toEqual({ strategy: 'majority' });
    expect(workflow?.definition.tracking).toEqual({ initialPollSeconds: 300, maxPollSeconds: 21600, timeoutSeconds: 1209600 });
    expect(workflow?.definition.ingest).toEqual({ maxStartsPerSecond: 10 });
  });

  test('every problem of a file is reported at once, each with its location and line', () => {
    // Act
    const { workflow, issues } = loadWorkflowFile(join(fixtures, 'broken-many.yaml'));

    // Assess
    expect(workflow).toBeUndefined();
    const byLocation = Object.fromEntries(issues.map((issue) => [issue.location, issue]));
    expect(byLocation['name'].message).toMatch(/"Bad_Name" must match/);
    expect(byLocation['name'].line).toBe(1);
    expect(byLocation['source.s3.sufix'].message).toMatch(/unexpected property/);
    expect(byLocation['source.s3.sufix'].line).toBe(5);
    expect(byLocation['source.s3.prefix'].message).toMatch(/do not start with "\/"/);
    expect(byLocation['recordId'].message).toMatch(/invalid JMESPath "id\["/);
    expect(byLocation['activation.Conditions[0].Or[1]'].message).toMatch(/unknown ConditionType "NoSuchCheck"/);
    expect(byLocation['activation.Conditions[0].Or[1]'].line).toBe(14);
    expect(byLocation['flowDefinition.taskCount'].message).toBe('must be <= 3');
    expect(byLocation['flowDefinition.template'].message).toMatch(/worker template not found/);
    expect(byLocation['routes[0].queue'].message).toBe('unknown queue "reviewd" (declared in queues: reviewed)');
    expect(byLocation['routes[0]'].message).toMatch(/last route must have no "when"/);
    expect(byLocation['failures.queue'].message).toMatch(/unknown queue "dead-letters"/);
    expect(issues).toHaveLength(10);
    for (const issue of issues) expect(issue.file).toBe(join(fixtures, 'broken-many.yaml'));
  });

  test('a YAML syntax error names its line', () => {
    const [issue] = loadWorkflowFile(join(fixtures, 'bad-syntax.yaml')).issues;

    expect(issue).toMatchObject({ location: '(syntax)', line: 4 });
  });

  test('loadWorkflows throws one WorkflowConfigError listing the problems of every file, and duplicate names', () => {
    const dir = mkdtempSync(join(tmpdir(), 'workflows-'));
    const minimal = readFileSync(join(fixtures, 'minimal.json'), 'utf8');
    writeFileSync(join(dir, 'a.json'), minimal);
    writeFileSync(join(dir, 'b.json'), minimal);
    writeFileSync(join(dir, 'c.yaml'), 'name: c\n');

    let error: unknown;
    try {
      loadWorkflows([dir]);
    } catch (caught) {
      error = caught;
    }

    expect(error).toBeInstanceOf(WorkflowConfigError);
    const issues = (error as WorkflowConfigError).issues;
    expect(issues.filter((issue) => issue.file.endsWith('c.yaml')).map((issue) => issue.message)).toEqual(
      expect.arrayContaining(['missing required property "source"', 'missing required property "activation"']),
    );
    expect(issues).toContainEqual(expect.objectContaining({ file: join(dir, 'b.json'), location: 'name', message: expect.stringMatching(/already used by .*a\.json/) }));
    expect((error as Error).name).toBe('WorkflowConfigError');
  });

  test.each([
    ['a source with both s3 and eventBridge', { source: { s3: {}, eventBridge: { pattern: { source: ['x'] } } } }, 'source', 'must have only one of "s3" or "eventBridge"'],
    ['a source with neither', { source: {} }, 'source', 'must have one of "s3" or "eventBridge"'],
    ['a flow definition with both arn and template', { flowDefinition: { arn: 'arn:aws:sagemaker:us-east-1:123456789012:flow-definition/x', template: 't.html' } }, 'flowDefinition', 'must have only one of "arn" or "template"'],
    ['a name too long for loop names', { name: 'a'.repeat(37) }, 'name', 'must NOT have more than 36 characters'],
    ['records with jsonl', { format: 'jsonl', records: 'items' }, 'records', 'applies to JSON documents only: in JSON Lines every line is a record'],
    ['a format on an EventBridge workflow', { source: { eventBridge: { pattern: { source: ['x'] } } }, format: 'json' }, 'format', 'applies to S3 sources only (an event is one JSON document)'],
    ['a catch-all route before the last', { routes: [{ queue: 'out' }, { queue: 'out' }] }, 'routes[0]', 'a route without "when" matches everything: the routes after it could never be reached'],
    ['an invalid route expression', { routes: [{ when: 'a[?', queue: 'out' }, { queue: 'out' }] }, 'routes[0].when', expect.stringMatching(/^invalid JMESPath "a\[\?"/)],
    ['an initial poll longer than the cap', { tracking: { initialPollSeconds: 600, maxPollSeconds: 60 } }, 'tracking.initialPollSeconds', 'must not exceed maxPollSeconds (60)'],
    ['an unknown content classifier', { contentClassifiers: ['FreeOfAds'] }, 'contentClassifiers[0]', 'must be one of: "FreeOfPersonallyIdentifiableInformation", "FreeOfAdultContent"'],
    ['an unknown invalid-records queue', { invalid: { queue: 'nowhere' } }, 'invalid.queue', 'unknown queue "nowhere" (declared in queues: out)'],
    ['a bad condition parameter', { activation: { Conditions: [{ ConditionType: 'Sampling', ConditionParameters: { RandomSamplingPercentage: 0 } }] } }, 'activation.Conditions[0]', 'Sampling: ConditionParameters.RandomSamplingPercentage must be between 0.01 and 100, got 0'],
  ])('%s is rejected', (_case, override, location, message) => {
    // Prepare
    const document = { ...JSON.parse(readFileSync(join(fixtures, 'minimal.json'), 'utf8')), ...override };

    // Act
    const { issues } = parseWorkflow(JSON.stringify(document), 'inline.json');

    // Assess
    expect(issues).toContainEqual(expect.objectContaining({ location, message }));
  });

  test('the example worker template path is resolved relative to the workflow file', () => {
    expect(messages(example)).toEqual([]);
  });
});

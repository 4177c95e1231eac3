import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const bin = join(root, 'bin', 'a2i-orchestrator.js');
const work = mkdtempSync(join(tmpdir(), 'a2i-cli-'));

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 60000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function file(name: string, content: unknown): string {
  const path = join(work, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

const lowConfidence = {
  Conditions: [
    { ConditionType: 'FieldConfidenceCheck', ConditionParameters: { Path: 'fields[*].confidence', ConfidenceLessThan: 0.8 } },
  ],
};

describe('a2i-orchestrator validate', () => {
  test('with no path it validates workflows/ and exits 0', () => {
    const { code, stdout } = cli('validate');

    expect(code).toBe(0);
    expect(stdout).toBe(`ok ${join('workflows', 'invoice-extraction.yaml')} (invoice-extraction)\n`);
  });

  test('an invalid workflow exits 1 with one line per problem', () => {
    const broken = join(root, 'test', 'fixtures', 'workflows', 'broken-many.yaml');

    const { code, stdout, stderr } = cli('validate', broken);

    expect(code).toBe(1);
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(10);
    for (const line of lines) expect(line.startsWith(`${broken}:`)).toBe(true);
    expect(lines).toContain(`${broken}:23:12: routes[0].queue: unknown queue "reviewd" (declared in queues: reviewed)`);
    expect(stderr).toBe('10 problems in 1 file\n');
  });

  test('the package bin is wired so that npx finds it in the clone', () => {
    const result = spawnSync('npx', ['--no-install', 'a2i-orchestrator', 'validate'], { cwd: root, encoding: 'utf8', timeout: 60000 });

    expect(result.status).toBe(0);
    expect(result.stdout).toContain('(invoice-extraction)');
  });
});

describe('a2i-orchestrator eval', () => {
  test('a .json input prints exactly one decision and exits 0 when activated', () => {
    const conditions = file('low.json', lowConfidence);
    const input = file('record.json', { fields: [{ confidence: 0.95 }, { confidence: 0.42 }] });

    const { code, stdout, stderr } = cli('eval', '--conditions', conditions, '--input', input);

    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout.endsWith('\n')).toBe(true);
    expect(JSON.parse(stdout)).toEqual({
      activated: true,
      humanTaskActivationConditionResults: {
        Conditions: [{ ...lowConfidence.Conditions[0], EvaluationResult: true }],
      },
    });
  });

  test('a record that does not activate still exits 0', () => {
    const conditions = file('low.yaml', 'Conditions:\n  - ConditionType: MissingField\n    ConditionParameters: {Path: label}\n');
    const input = file('labelled.json', { label: 'cat' });

    const { code, stdout } = cli('eval', '--conditions', conditions, '--input', input);

    expect(code).toBe(0);
    expect(JSON.parse(stdout).activated).toBe(false);
  });

  test('a .jsonl input prints one line per record, an error on a bad line, and exits 1', () => {
    const conditions = file('low2.json', lowConfidence);
    const input = file('records.jsonl', ['{"fields":[{"confidence":0.5}]}', '{"fields":[', '{"fields":[{"confidence":0.9}]}', ''].join('\n'));

    const { code, stdout } = cli('eval', '--conditions', conditions, '--input', input);

    expect(code).toBe(1);
    const lines = stdout.trimEnd().split('\n').map((line) => JSON.parse(line));
    expect(lines).toHaveLength(3);
    expect(lines[0].activated).toBe(true);
    expect(lines[1]).toEqual({ error: expect.stringMatching(/^line 2: not valid JSON/) });
    expect(lines[2].activated).toBe(false);
  });

  test('a .jsonl input whose lines are all good exits 0 (CRLF and a BOM are accepted)', () => {
    const conditions = file('low3.json', lowConfidence);
    const input = file('crlf.jsonl', '\ufeff{"fields":[{"confidence":0.5}]}\r\n{"fields":[]}\r\n');

    const { code, stdout } = cli('eval', '--conditions', conditions, '--input', input);

    expect(code).toBe(0);
    expect(stdout.trimEnd().split('\n').map((line) => JSON.parse(line).activated)).toEqual([true, false]);
  });

  test('a record a condition cannot evaluate prints its decision with errors and exits 1; the other records are evaluated', () => {
    const conditions = file('low4.json', { Conditions: [{ Or: lowConfidence.Conditions }] });
    const input = file('malformed.jsonl', ['{"fields":[{"confidence":0.5}]}', '{"fields":[{"confidence":"0.5"}]}', '{"fields":[{"confidence":0.9}]}', ''].join('\n'));

    const { code, stdout } = cli('eval', '--conditions', conditions, '--input', input);

    expect(code).toBe(1);
    const lines = stdout.trimEnd().split('\n').map((line) => JSON.parse(line));
    expect(lines.map((line) => [line.activated, line.errors])).toEqual([
      [true, undefined],
      [false, [{ location: 'Conditions[0].Or[0]', message: 'FieldConfidenceCheck: Path "fields[*].confidence" yields a string, not a number' }]],
      [false, undefined],
    ]);
    expect(lines[1].humanTaskActivationConditionResults.Conditions[0]).toMatchObject({ EvaluationResult: false, EvaluationError: 'an operand could not be evaluated' });
  });

  test('with --workflow, activated is what the workflow does with such a record (onConditionError: review sends it to a person)', () => {
    const input = file('malformed.json', { id: 'm', confidence: '0.4' });

    const byDefault = cli('eval', '--workflow', join(root, 'test', 'fixtures', 'workflows', 'ingest', 'predictions.yaml'), '--input', input);
    const toReview = cli('eval', '--workflow', join(root, 'test', 'fixtures', 'workflows', 'ingest-review', 'predictions.yaml'), '--input', input);

    expect([byDefault.code, toReview.code]).toEqual([1, 1]);
    const errors = [{ location: 'Conditions[0]', message: 'FieldConfidenceCheck: Path "confidence" yields a string, not a number' }];
    expect(JSON.parse(byDefault.stdout)).toMatchObject({ activated: false, errors });
    expect(JSON.parse(toReview.stdout)).toMatchObject({ activated: true, errors });
  });

  test.each([
    [
      'an unknown condition type',
      { Conditions: [{ Or: [lowConfidence.Conditions[0], { ConditionType: 'Bogus', ConditionParameters: {} }] }] },
      /Conditions\[0\]\.Or\[1\]: unknown ConditionType "Bogus"/,
    ],
    [
      'a percentage out of range',
      { Conditions: [{ And: [{ ConditionType: 'Sampling', ConditionParameters: { RandomSamplingPercentage: 150 } }] }] },
      /Conditions\[0\]\.And\[0\]: Sampling: ConditionParameters\.RandomSamplingPercentage must be between 0\.01 and 100, got 150/,
    ],
    [
      'a JMESPath that does not parse',
      { Conditions: [{ ConditionType: 'Expression', ConditionParameters: { Expression: 'a[?b ==' } }] },
      /Conditions\[0\]: Expression: ConditionParameters\.Expression invalid JMESPath "a\[\?b =="/,
    ],
  ])('invalid conditions (%s) exit 2 with nothing on stdout', (_case, conditions, reason) => {
    const conditionsFile = file(`bad-${_case.replace(/\W+/g, '-')}.json`, conditions);
    const input = file('any.json', {});

    const { code, stdout, stderr } = cli('eval', '--conditions', conditionsFile, '--input', input);

    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(reason);
  });

  test('an invalid workflow exits 2 with its problems on stderr', () => {
    const input = file('any2.json', {});

    const { code, stdout, stderr } = cli('eval', '--workflow', join(root, 'test', 'fixtures', 'workflows', 'broken-many.yaml'), '--input', input);

    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/activation\.Conditions\[0\]\.Or\[1\]: unknown ConditionType "NoSuchCheck"/);
  });

  test.each([
    [['eval', '--input', 'x.json'], /exactly one of --conditions FILE or --workflow FILE/],
    [['eval', '--conditions', 'a.json', '--workflow', 'b.yaml', '--input', 'x.json'], /exactly one of/],
    [['eval', '--conditions', 'a.json'], /--input FILE is required/],
    [['eval', '--conditions', 'a.json', '--input', 'x.csv'], /must end in \.json .* or \.jsonl/],
    [['eval', '--conditions', 'a.json', '--input', 'x.json', '--bogus'], /Unknown option '--bogus'/],
    [['frobnicate'], /unknown command "frobnicate"/],
  ])('bad usage %j exits 2', (args, message) => {
    const { code, stdout, stderr } = cli(...args);

    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
  });

  test('sampling with a workflow draws on the record id: stable across processes, at the configured rate', () => {
    // Prepare: the example workflow's shape, sampling 30% of everything.
    const workflow = file(
      'sampling.json',
      {
        name: 'sampling-rate',
        source: { s3: { prefix: 'x/' } },
        recordId: 'id',
        activation: { Conditions: [{ ConditionType: 'Sampling', ConditionParameters: { RandomSamplingPercentage: 30 } }] },
        flowDefinition: { arn: 'arn:aws:sagemaker:us-east-1:123456789012:flow-definition/sampling-rate' },
        queues: { out: {} },
        routes: [{ queue: 'out' }],
        autoAccepted: { queue: 'out' },
        failures: { queue: 'out' },
      },
    );
    const count = 4000;
    const records = Array.from({ length: count }, (_, index) => JSON.stringify({ id: `rec-${index}`, payload: index }));
    // The same ids with other content: the id alone decides.
    const sameIds = Array.from({ length: count }, (_, index) => JSON.stringify({ id: `rec-${index}`, payload: 'changed' }));

    // Act
    const first = cli('eval', '--workflow', workflow, '--input', file('rate.jsonl', records.join('\n')));
    const second = cli('eval', '--workflow', workflow, '--input', file('rate.jsonl', records.join('\n')));
    const changed = cli('eval', '--workflow', workflow, '--input', file('rate2.jsonl', sameIds.join('\n')));

    // Assess
    expect(first.code).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    expect(changed.stdout).toBe(first.stdout);
    const activated = first.stdout.trimEnd().split('\n').filter((line) => JSON.parse(line).activated).length;
    const sigma = Math.sqrt(count * 0.3 * 0.7);
    expect(Math.abs(activated - count * 0.3)).toBeLessThan(5 * sigma);
  });

  test('sampling without a record id draws on the record content', () => {
    const conditions = file('sample50.json', { Conditions: [{ ConditionType: 'Sampling', ConditionParameters: { RandomSamplingPercentage: 50 } }] });
    const lines = Array.from({ length: 400 }, (_, index) => JSON.stringify({ b: index, a: 'x' }));
    // Key order does not change a record's identity.
    const reordered = Array.from({ length: 400 }, (_, index) => JSON.stringify({ a: 'x', b: index }));

    const first = cli('eval', '--conditions', conditions, '--input', file('content.jsonl', lines.join('\n')));
    const second = cli('eval', '--conditions', conditions, '--input', file('content2.jsonl', reordered.join('\n')));

    expect(first.code).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    const activated = first.stdout.trimEnd().split('\n').filter((line) => JSON.parse(line).activated).length;
    expect(activated).toBeGreaterThan(400 * 0.5 - 5 * 10);
    expect(activated).toBeLessThan(400 * 0.5 + 5 * 10);
  });
});

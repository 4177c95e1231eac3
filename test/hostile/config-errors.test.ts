import { LocalStack } from '../../lib/local/stack';
import { loadWorkflows, WorkflowConfigError } from '../../lib/workflow';
import { hostile, run } from './replay-support';

/**
 * Workflows with an invalid condition or an unknown queue (test/fixtures/hostile/config/): a clear config
 * error when the workflow is loaded (`validate` exits 1, `replay` exits 2 before anything starts), never at runtime.
 */

const cases: [string, string, string][] = [
  ['bad-jmespath.yaml', '15:11', 'activation.Conditions[0].Or[1]: Expression: ConditionParameters.Expression invalid JMESPath "length(tags) >": Syntax error: invalid token (EOF): ""'],
  ['unknown-condition-type.yaml', '11:11', 'activation.Conditions[0].Or[0]: unknown ConditionType "FieldConfidenceCheckk" (known: '],
  ['sampling-out-of-range.yaml', '11:11', 'activation.Conditions[0].Or[0]: Sampling: ConditionParameters.RandomSamplingPercentage must be between 0.01 and 100, got 150'],
  ['unknown-queue.yaml', '33:10', 'invalid.queue: unknown queue "rejcted" (declared in queues: reviewed, accepted, failures, rejected)'],
  ['unknown-route-queue.yaml', '27:12', 'routes[0].queue: unknown queue "reviewd" (declared in queues: reviewed, accepted, failures, rejected)'],
];

let startSpy: jest.SpyInstance;
beforeEach(() => {
  startSpy = jest.spyOn(LocalStack, 'start');
});
afterEach(() => startSpy.mockRestore());

describe.each(cases)('%s', (name, position, problem) => {
  const file = hostile(`config/${name}`);
  const line = `${file}:${position}: ${problem}`;

  it('loadWorkflows throws WorkflowConfigError naming the file, line and column', () => {
    let error: unknown;
    try {
      loadWorkflows([file]);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(WorkflowConfigError);
    expect((error as WorkflowConfigError).issues).toHaveLength(1);
    expect((error as WorkflowConfigError).message.startsWith(line)).toBe(true);
  });

  it('validate exits 1 with `file:line:column: location: reason`', async () => {
    const { code, stdout, stderr } = await run('validate', file);

    expect(code).toBe(1);
    expect(stdout.startsWith(line)).toBe(true);
    expect(stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr).toBe('1 problem in 1 file\n');
  });

  it('replay exits 2 before starting anything, with the same problem and no stack trace', async () => {
    const { code, stdout, stderr } = await run('replay', '--workflow', file, '--input', hostile('mixed.jsonl'), '--auto-review', hostile('auto-review.json'));

    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.startsWith(line)).toBe(true);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(startSpy).not.toHaveBeenCalled();
  });
});

describe('moderation-confidence-out-of-range.yaml', () => {
  // Rekognition confidences are 0–100: ConfidenceLessThan: 150 would be always true, so it is refused at load.
  it('ConfidenceLessThan out of 0–100 is a config error at load', async () => {
    const file = hostile('config/moderation-confidence-out-of-range.yaml');

    const { code, stdout } = await run('validate', file);

    expect(code).toBe(1);
    expect(stdout).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: activation\\.Conditions\\[0\\]\\.Or\\[0\\]: .*ConfidenceLessThan`));
  });
});

import { CreateHumanTaskUiCommand, CreateFlowDefinitionCommand } from '@aws-sdk/client-sagemaker';
import { DescribeHumanLoopCommand, StartHumanLoopCommand } from '@aws-sdk/client-sagemaker-a2i-runtime';
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Io } from '../../lib/cli/io';
import { runCli } from '../support/run-cli';
import { loopsCommand } from '../../lib/cli/loops';
import { CREDENTIALS, EmulatorHarness, fixtureText, REGION } from '../emulator/harness';

/** Stop requests leave a loop Stopping for this long (emulator time), so that deleting a Stopping loop can be seen. */
const STOP_DELAY_MS = 60_000;
const LOOP_COUNT = 120;

const ENV_KEYS = [
  'AWS_ENDPOINT_URL_SAGEMAKER_A2I_RUNTIME',
  'AWS_ENDPOINT_URL_SAGEMAKER',
  'AWS_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
  'AWS_MAX_ATTEMPTS',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
] as const;

let harness: EmulatorHarness;
let flowArn: string;
let saved: Record<string, string | undefined>;
const work = mkdtempSync(join(tmpdir(), 'a2i-loops-cli-'));

const run = (...argv: string[]) => runCli('loops', ...argv);

const listRequests = () => harness.requests.filter((request) => request.startsWith('GET /human-loops?')).length;

async function startLoop(name: string, flowDefinitionArn = flowArn): Promise<void> {
  await harness.a2i.send(new StartHumanLoopCommand({ HumanLoopName: name, FlowDefinitionArn: flowDefinitionArn, HumanLoopInput: { InputContent: JSON.stringify({ record: name }) } }));
}

function workflowFile(directory: string, name: string, flowDefinition: unknown): void {
  const workflow = {
    name,
    source: { eventBridge: { pattern: { source: ['acme.models'], 'detail-type': ['Prediction'] } } },
    activation: { Conditions: [{ ConditionType: 'Sampling', ConditionParameters: { RandomSamplingPercentage: 100 } }] },
    flowDefinition,
    queues: { out: {} },
    routes: [{ queue: 'out' }],
    autoAccepted: { queue: 'out' },
    failures: { queue: 'out' },
  };
  writeFileSync(join(directory, `${name}.json`), JSON.stringify(workflow));
}

beforeAll(async () => {
  harness = await EmulatorHarness.start({ stopDelayMs: STOP_DELAY_MS });
  saved = Object.fromEntries(ENV_KEYS.map((key) => [key, process.env[key]]));
  for (const key of ENV_KEYS) delete process.env[key];
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_SAGEMAKER_A2I_RUNTIME: harness.endpoint,
    AWS_ENDPOINT_URL_SAGEMAKER: harness.endpoint,
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    AWS_MAX_ATTEMPTS: '1',
    AWS_CONFIG_FILE: join(work, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(work, 'no-credentials'),
  });
  flowArn = await harness.createFlowDefinition();
  for (let index = 0; index < LOOP_COUNT; index += 1) {
    await startLoop(`loop-${String(index).padStart(3, '0')}`);
    harness.advance(1000);
  }
  await harness.emulator.setStatus('loop-001', 'Failed', 'InternalError', 'The worker task could not be created');
  await harness.emulator.setStatus('loop-002', 'Stopped');
  await harness.emulator.setStatus('loop-003', 'Stopped');
});

afterAll(async () => {
  for (const key of ENV_KEYS) {
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
  await harness.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('loops list', () => {
  test('reads every page of ListHumanLoops and prints an aligned table, newest first', async () => {
    const before = listRequests();

    const { code, stdout, stderr } = await run('list', '--flow-definition-arn', flowArn);

    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(listRequests() - before).toBe(2);
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(LOOP_COUNT + 1);
    expect(lines[0]).toBe('NAME      STATUS      CREATED                   FAILURE');
    expect(lines[1]).toBe('loop-119  InProgress  2024-05-02T14:05:10.402Z');
    expect(lines).toContain('loop-001  Failed      2024-05-02T14:03:12.402Z  The worker task could not be created');
    expect(lines[LOOP_COUNT]).toBe('loop-000  InProgress  2024-05-02T14:03:11.402Z');
    expect(new Set(lines.slice(1).map((line) => line.split(' ')[0])).size).toBe(LOOP_COUNT);
  });

  test('--status filters and --json prints one summary a line', async () => {
    const { code, stdout } = await run('list', '--flow-definition-arn', flowArn, '--status', 'Stopped', '--json');

    expect(code).toBe(0);
    const loops = stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(loops.map((loop) => loop.HumanLoopName)).toEqual(['loop-003', 'loop-002']);
    expect(loops[0]).toEqual({ HumanLoopName: 'loop-003', HumanLoopStatus: 'Stopped', CreationTime: '2024-05-02T14:03:14.402Z', FlowDefinitionArn: flowArn });
  });

  test('--status with no match prints only the header', async () => {
    const { code, stdout } = await run('list', '--flow-definition-arn', flowArn, '--status', 'Completed');

    expect(code).toBe(0);
    expect(stdout).toBe('NAME  STATUS  CREATED  FAILURE\n');
  });

  test('an unknown --status is a usage error (exit 2), before any request', async () => {
    const before = harness.requests.length;

    const { code, stderr } = await run('list', '--flow-definition-arn', flowArn, '--status', 'Running');

    expect(code).toBe(2);
    expect(stderr).toContain('--status must be one of InProgress, Completed, Failed, Stopping, Stopped, got "Running"');
    expect(harness.requests.length).toBe(before);
  });

  test('without --workflow or --flow-definition-arn it is a usage error', async () => {
    const { code, stderr } = await run('list');

    expect(code).toBe(2);
    expect(stderr).toContain('loops list needs --workflow NAME or --flow-definition-arn ARN');
  });

  test('an unknown flow definition exits 1 with a message', async () => {
    const missing = flowArn.replace(/[^/]+$/, 'no-such-flow');

    const { code, stderr } = await run('list', '--flow-definition-arn', missing);

    expect(code).toBe(1);
    expect(stderr).toBe(`a2i-orchestrator: no flow definition ${missing}\n`);
  });
});

describe('loops list --workflow', () => {
  test('resolves a workflow name to its flowDefinition.arn in --workflows DIR', async () => {
    const directory = mkdtempSync(join(work, 'workflows-'));
    workflowFile(directory, 'invoices', { arn: flowArn });
    workflowFile(directory, 'other', { arn: flowArn.replace(/[^/]+$/, 'other-flow') });

    const { code, stdout } = await run('list', '--workflow', 'invoices', '--workflows', directory, '--status', 'Failed', '--json');

    expect(code).toBe(0);
    expect(stdout.trimEnd().split('\n').map((line) => (JSON.parse(line) as { HumanLoopName: string }).HumanLoopName)).toEqual(['loop-001']);
  });

  test('an unknown workflow name is a usage error naming the known ones', async () => {
    const directory = mkdtempSync(join(work, 'workflows-'));
    workflowFile(directory, 'invoices', { arn: flowArn });

    const { code, stderr } = await run('list', '--workflow', 'orders', '--workflows', directory);

    expect(code).toBe(2);
    expect(stderr).toContain(`no workflow named "orders" in ${directory} (it has: invoices)`);
  });

  describe('a workflow that specifies its flow definition', () => {
    let directory: string;
    let localArn: string;
    let deployedArn: string;

    beforeAll(async () => {
      directory = mkdtempSync(join(work, 'workflows-'));
      writeFileSync(join(directory, 'review.liquid'), fixtureText('invoice-review-template.liquid'));
      workflowFile(directory, 'receipts', { template: 'review.liquid' });
      const { HumanTaskUiArn } = await harness.sagemaker.send(new CreateHumanTaskUiCommand({ HumanTaskUiName: 'receipts-ui', UiTemplate: { Content: fixtureText('invoice-review-template.liquid') } }));
      const create = async (name: string) =>
        (
          await harness.sagemaker.send(
            new CreateFlowDefinitionCommand({
              FlowDefinitionName: name,
              RoleArn: 'arn:aws:iam::123456789012:role/a2i-local',
              HumanLoopConfig: { WorkteamArn: 'arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/x', HumanTaskUiArn, TaskTitle: 't', TaskDescription: 'd', TaskCount: 1 },
              OutputConfig: { S3OutputPath: 's3://review-output/receipts' },
            }),
          )
        ).FlowDefinitionArn as string;
      // An older one from an earlier template, the current one, another workflow's that shares the prefix, and a deployed stage's.
      await create('local-receipts-0000000000');
      harness.advance(1000);
      localArn = await create('local-receipts-0123456789');
      harness.advance(1000);
      await create('local-receipts-archive-abcdefabcd');
      deployedArn = await create('prod-receipts-abcdef0123');
      await startLoop('receipt-1', localArn);
    });

    test('finds the newest flow definition named local-<workflow>-<hash> (local mode\'s) with ListFlowDefinitions', async () => {
      const { code, stdout, stderr } = await run('list', '--workflow', 'receipts', '--workflows', directory, '--json');

      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(JSON.parse(stdout)).toMatchObject({ HumanLoopName: 'receipt-1', FlowDefinitionArn: localArn });
    });

    test('with --stage, the stage\'s own <stage>-<workflow>-<hash>', async () => {
      await startLoop('receipt-prod', deployedArn);

      const { code, stdout, stderr } = await run('list', '--workflow', 'receipts', '--workflows', directory, '--stage', 'prod', '--json');

      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(JSON.parse(stdout)).toMatchObject({ HumanLoopName: 'receipt-prod', FlowDefinitionArn: deployedArn });
    });

    test('with no such flow definition it says how to name one', async () => {
      const other = mkdtempSync(join(work, 'workflows-'));
      writeFileSync(join(other, 'review.liquid'), fixtureText('invoice-review-template.liquid'));
      workflowFile(other, 'parcels', { template: 'review.liquid' });

      const { code, stderr } = await run('list', '--workflow', 'parcels', '--workflows', other);

      expect(code).toBe(1);
      expect(stderr).toContain('workflow "parcels" specifies its flow definition and none named "local-parcels-<hash>" exists; pass --stage STAGE or --flow-definition-arn ARN');
    });
  });
});

describe('loops describe, stop, delete', () => {
  test('describe prints DescribeHumanLoop as JSON', async () => {
    const { code, stdout } = await run('describe', 'loop-001');

    expect(code).toBe(0);
    const loop = JSON.parse(stdout) as Record<string, unknown>;
    expect(loop).toMatchObject({
      HumanLoopName: 'loop-001',
      HumanLoopStatus: 'Failed',
      FailureCode: 'InternalError',
      FailureReason: 'The worker task could not be created',
      FlowDefinitionArn: flowArn,
      CreationTime: '2024-05-02T14:03:12.402Z',
    });
    expect(loop).not.toHaveProperty('$metadata');
  });

  test('an unknown loop exits 1 with "no human loop named X", for every command', async () => {
    for (const command of ['describe', 'stop', 'delete']) {
      const { code, stdout, stderr } = await run(command, 'no-such-loop');

      expect({ command, code, stdout, stderr }).toEqual({ command, code: 1, stdout: '', stderr: 'a2i-orchestrator: no human loop named no-such-loop\n' });
    }
  });

  test('deleting an InProgress loop says to stop it first; stop, then delete once Stopped', async () => {
    const refused = await run('delete', 'loop-010');
    expect(refused).toEqual({ code: 1, stdout: '', stderr: 'a2i-orchestrator: human loop loop-010 is InProgress and cannot be deleted; stop it first: a2i-orchestrator loops stop loop-010\n' });

    const stopped = await run('stop', 'loop-010');
    expect(stopped).toEqual({ code: 0, stdout: 'stop requested for human loop loop-010\n', stderr: '' });

    const whileStopping = await run('delete', 'loop-010');
    expect(whileStopping.code).toBe(1);
    expect(whileStopping.stderr).toBe('a2i-orchestrator: human loop loop-010 is Stopping and cannot be deleted; wait until it is Stopped, then delete it\n');

    harness.advance(STOP_DELAY_MS);
    await harness.emulator.processDue();
    expect((await harness.a2i.send(new DescribeHumanLoopCommand({ HumanLoopName: 'loop-010' }))).HumanLoopStatus).toBe('Stopped');

    const deleted = await run('delete', 'loop-010');
    expect(deleted).toEqual({ code: 0, stdout: 'deleted human loop loop-010\n', stderr: '' });
    expect((await run('describe', 'loop-010')).stderr).toBe('a2i-orchestrator: no human loop named loop-010\n');
  });

  test('stopping a finished loop exits 1 with the service message', async () => {
    const { code, stderr } = await run('stop', 'loop-002');

    expect(code).toBe(1);
    expect(stderr).toBe('a2i-orchestrator: ValidationException: Human loop loop-002 is Stopped; only a loop in progress can be stopped\n');
  });

  test.each([
    [['describe'], 'loops describe takes one human loop name'],
    [['stop', 'a', 'b'], 'loops stop takes one human loop name'],
    [['delete', 'a', '--status', 'Stopped'], 'loops delete does not take --status'],
    [['list', 'extra', '--flow-definition-arn', 'x'], 'loops list takes no positional arguments'],
    [['frobnicate'], 'unknown loops command "frobnicate"'],
    [[], 'loops needs a command: list, describe, stop or delete'],
  ])('usage errors exit 2: loops %j', async (argv, message) => {
    const { code, stderr } = await run(...argv);

    expect(code).toBe(2);
    expect(stderr).toContain(message);
    expect(stderr).toContain('a2i-orchestrator loops list (--workflow NAME');
  });
});

describe('injected clients', () => {
  test('loopsCommand uses the clients it is given and leaves them open', async () => {
    let stdout = '';
    const io: Io = { out: async (text) => void (stdout += text), err: () => undefined };

    const code = await loopsCommand(['describe', 'loop-000'], {}, io, { a2i: harness.a2i, sagemaker: harness.sagemaker });

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ HumanLoopName: 'loop-000', HumanLoopStatus: 'InProgress' });
    await expect(harness.a2i.send(new DescribeHumanLoopCommand({ HumanLoopName: 'loop-000' }))).resolves.toMatchObject({ HumanLoopStatus: 'InProgress' });
  });
});

function findOnPath(command: string): string | undefined {
  for (const directory of (process.env.PATH ?? '').split(delimiter)) {
    try {
      accessSync(join(directory, command), constants.X_OK);
      return join(directory, command);
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

const awsCli = findOnPath('aws');

(awsCli ? describe : describe.skip)('against the AWS CLI', () => {
  test('loops list --json lists what `aws sagemaker-a2i-runtime list-human-loops` lists', async () => {
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      ...(process.env.PYENV_ROOT ? { PYENV_ROOT: process.env.PYENV_ROOT } : {}),
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      AWS_DEFAULT_REGION: REGION,
      AWS_CONFIG_FILE: '/nonexistent/aws-config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_PAGER: '',
    };
    const cliOutput = await new Promise<string>((resolve, reject) =>
      execFile(
        awsCli as string,
        ['--endpoint-url', harness.endpoint, '--output', 'json', 'sagemaker-a2i-runtime', 'list-human-loops', '--flow-definition-arn', flowArn, '--page-size', '100'],
        { env, timeout: 60_000 },
        (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
      ),
    );
    const fromCli = (JSON.parse(cliOutput) as { HumanLoopSummaries: Array<{ HumanLoopName: string; HumanLoopStatus: string }> }).HumanLoopSummaries;

    const { code, stdout } = await run('list', '--flow-definition-arn', flowArn, '--json');

    expect(code).toBe(0);
    const ours = stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as { HumanLoopName: string; HumanLoopStatus: string });
    expect(ours.map(({ HumanLoopName, HumanLoopStatus }) => [HumanLoopName, HumanLoopStatus])).toEqual(fromCli.map(({ HumanLoopName, HumanLoopStatus }) => [HumanLoopName, HumanLoopStatus]));
    expect(ours.length).toBeGreaterThan(100);
  }, 120_000);
});

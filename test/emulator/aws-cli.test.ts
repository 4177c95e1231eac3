import { CreateHumanTaskUiCommand } from '@aws-sdk/client-sagemaker';
import { StartHumanLoopCommand } from '@aws-sdk/client-sagemaker-a2i-runtime';
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { ACCOUNT, CREDENTIALS, EmulatorHarness, fixtureJson, fixtureText, REGION } from './harness';

/**
 * The same operations through the AWS CLI (botocore: its own serialisers, parsers and client-side checks),
 * pointed at the emulator with --endpoint-url only. Skipped when `aws` is not on PATH.
 */
function findOnPath(command: string): string | undefined {
  for (const directory of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(directory, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

const awsCli = findOnPath('aws');
const describeWithCli = awsCli ? describe : describe.skip;
const title = awsCli ? 'the AWS CLI against the emulator' : 'the AWS CLI against the emulator (skipped: `aws` is not on PATH)';

interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

let harness: EmulatorHarness;

/** Runs `aws --endpoint-url <emulator> …` with fake credentials and no user configuration; never throws. */
function aws(...args: string[]): Promise<CliResult> {
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
    AWS_MAX_ATTEMPTS: '1',
    AWS_PAGER: '',
  };
  return new Promise((resolve) => {
    execFile(awsCli as string, ['--endpoint-url', harness.endpoint, '--output', 'json', ...args], { env, timeout: 60_000 }, (error, stdout, stderr) => {
      const exitCode = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ exitCode, stdout, stderr });
    });
  });
}

const parsed = (result: CliResult) => {
  if (result.exitCode !== 0) throw new Error(`aws exited ${result.exitCode}: ${result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, any>;
};

describeWithCli(title, () => {
  // Each CLI run starts a Python interpreter: about a second apiece.
  jest.setTimeout(120_000);
  let uiArn: string;
  let flowArn: string;

  beforeAll(async () => {
    harness = await EmulatorHarness.start();
    uiArn = (await harness.sagemaker.send(new CreateHumanTaskUiCommand({ HumanTaskUiName: 'invoice-review', UiTemplate: { Content: fixtureText('invoice-review-template.liquid') } })))
      .HumanTaskUiArn as string;
  });
  afterAll(async () => {
    await harness.stop();
  });

  it('sagemaker create-flow-definition and describe-flow-definition', async () => {
    const fixture = fixtureJson<{ HumanLoopConfig: Record<string, unknown>; OutputConfig: Record<string, unknown> }>('create-flow-definition.json');

    const created = parsed(
      await aws(
        'sagemaker',
        'create-flow-definition',
        '--flow-definition-name',
        'invoice-check',
        '--human-loop-config',
        JSON.stringify({ ...fixture.HumanLoopConfig, HumanTaskUiArn: uiArn }),
        '--output-config',
        JSON.stringify(fixture.OutputConfig),
        '--role-arn',
        `arn:aws:iam::${ACCOUNT}:role/a2i-local`,
      ),
    );
    const described = parsed(await aws('sagemaker', 'describe-flow-definition', '--flow-definition-name', 'invoice-check'));
    flowArn = created.FlowDefinitionArn;

    expect(flowArn).toBe(`arn:aws:sagemaker:${REGION}:${ACCOUNT}:flow-definition/invoice-check`);
    expect(described).toMatchObject({ FlowDefinitionArn: flowArn, FlowDefinitionName: 'invoice-check', FlowDefinitionStatus: 'Active', HumanLoopConfig: { TaskCount: 2, HumanTaskUiArn: uiArn } });
    expect(described.CreationTime).toBeDefined();
  });

  it('sagemaker describe-flow-definition of an unknown name fails with ResourceNotFound', async () => {
    const result = await aws('sagemaker', 'describe-flow-definition', '--flow-definition-name', 'missing');

    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain('An error occurred (ResourceNotFound) when calling the DescribeFlowDefinition operation: Flow definition');
  });

  it('sagemaker-a2i-runtime start-human-loop and describe-human-loop', async () => {
    const started = parsed(
      await aws(
        'sagemaker-a2i-runtime',
        'start-human-loop',
        '--human-loop-name',
        'cli-loop-1',
        '--flow-definition-arn',
        flowArn,
        '--human-loop-input',
        JSON.stringify({ InputContent: fixtureText('invoice-input.json') }),
        '--data-attributes',
        'ContentClassifiers=FreeOfPersonallyIdentifiableInformation',
      ),
    );
    const described = parsed(await aws('sagemaker-a2i-runtime', 'describe-human-loop', '--human-loop-name', 'cli-loop-1'));

    expect(started.HumanLoopArn).toBe(`arn:aws:sagemaker:${REGION}:${ACCOUNT}:human-loop/cli-loop-1`);
    expect(described).toMatchObject({ HumanLoopName: 'cli-loop-1', HumanLoopStatus: 'InProgress', FlowDefinitionArn: flowArn, HumanLoopArn: started.HumanLoopArn });
    expect(Date.parse(described.CreationTime)).toBe(harness.time);
  });

  it('start-human-loop with a taken name and other input fails with ConflictException', async () => {
    const result = await aws('sagemaker-a2i-runtime', 'start-human-loop', '--human-loop-name', 'cli-loop-1', '--flow-definition-arn', flowArn, '--human-loop-input', '{"InputContent":"{}"}');

    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain('An error occurred (ConflictException) when calling the StartHumanLoop operation');
  });

  it('list-human-loops follows NextToken through every page', async () => {
    for (const name of ['cli-loop-2', 'cli-loop-3']) {
      harness.advance(1000);
      // Set up through the SDK: quicker than another CLI run.
      await harness.a2i.send(new StartHumanLoopCommand({ HumanLoopName: name, FlowDefinitionArn: flowArn, HumanLoopInput: { InputContent: '{}' } }));
    }

    const before = harness.requests.length;

    const listed = parsed(await aws('sagemaker-a2i-runtime', 'list-human-loops', '--flow-definition-arn', flowArn, '--sort-order', 'Ascending', '--page-size', '1'));

    expect(listed.HumanLoopSummaries.map((loop: { HumanLoopName: string }) => loop.HumanLoopName)).toEqual(['cli-loop-1', 'cli-loop-2', 'cli-loop-3']);
    const listCalls = harness.requests.slice(before);
    expect(listCalls).toHaveLength(3);
    expect(listCalls.every((call) => call.startsWith('GET /human-loops?') && call.includes('MaxResults=1'))).toBe(true);
    expect(listCalls.slice(1).every((call) => call.includes('NextToken='))).toBe(true);
  });

  it('stop-human-loop, then delete-human-loop once it is Stopped', async () => {
    const stopped = await aws('sagemaker-a2i-runtime', 'stop-human-loop', '--human-loop-name', 'cli-loop-2');
    await harness.emulator.processDue();
    const deleted = await aws('sagemaker-a2i-runtime', 'delete-human-loop', '--human-loop-name', 'cli-loop-2');
    const gone = await aws('sagemaker-a2i-runtime', 'describe-human-loop', '--human-loop-name', 'cli-loop-2');

    expect(stopped.exitCode).toBe(0);
    expect(deleted.exitCode).toBe(0);
    expect(harness.events.map((event) => [event.detail.humanLoopName, event.detail.humanLoopStatus])).toEqual([['cli-loop-2', 'Stopped']]);
    expect(gone.exitCode).not.toBe(0);
    expect(gone.stderr).toContain('An error occurred (ResourceNotFoundException) when calling the DescribeHumanLoop operation: Human loop cli-loop-2 does not exist');
  });

  it('delete-human-loop of a loop in progress fails with ValidationException', async () => {
    const result = await aws('sagemaker-a2i-runtime', 'delete-human-loop', '--human-loop-name', 'cli-loop-3');

    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain('An error occurred (ValidationException) when calling the DeleteHumanLoop operation: Human loop cli-loop-3 is InProgress');
  });
});

import { join } from 'node:path';
import { main } from '../../lib/cli/main';
import type { Io } from '../../lib/cli/io';
import { sageMakerFlowApi } from '../../lib/flows/api';
import { EmulatorHarness } from '../emulator/harness';
import { ROLE_ARN, WORKTEAM_ARN } from './support';

const WORKFLOWS = join(__dirname, '..', '..', 'workflows');
const ENV_KEYS = ['AWS_ENDPOINT_URL_SAGEMAKER', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_MAX_ATTEMPTS'] as const;

function bufferIo() {
  const io = { stdout: '', stderr: '', out: async (text: string) => void (io.stdout += text), err: (text: string) => void (io.stderr += text) };
  return io as Io & { stdout: string; stderr: string };
}

describe('a2i-orchestrator flows, against the emulator', () => {
  let harness: EmulatorHarness;
  const saved: Partial<Record<(typeof ENV_KEYS)[number], string>> = {};
  beforeEach(async () => {
    // The CLI waits on the system clock, and the emulator's stays put: its deletions finish at once here.
    harness = await EmulatorHarness.start({ flowDeletionMs: 0 });
    for (const key of ENV_KEYS) saved[key] = process.env[key];
    Object.assign(process.env, { AWS_ENDPOINT_URL_SAGEMAKER: harness.endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'AKIDEMULATOR', AWS_SECRET_ACCESS_KEY: 'emulator-secret', AWS_MAX_ATTEMPTS: '1' });
  });
  afterEach(async () => {
    for (const key of ENV_KEYS) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
    await harness.stop();
  });

  const args = (command: string, ...extra: string[]) => ['flows', command, '--workflows', WORKFLOWS, '--role-arn', ROLE_ARN, '--output-path', 's3://review-output/a2i/', '--workteam-arn', WORKTEAM_ARN, ...extra];
  const flowNames = async () => (await sageMakerFlowApi(harness.sagemaker).listFlowDefinitions()).map((flow) => flow.name);

  test('plan prints the actions and changes nothing; apply performs them; plan then has nothing to do', async () => {
    const planned = bufferIo();
    expect(await main(args('plan'), planned)).toBe(0);
    expect(planned.stdout).toMatch(/^\+ create human task UI invoice-extraction-[0-9a-f]{10} {3}\(invoice-extraction\)\n\+ create flow definition invoice-extraction-[0-9a-f]{10} {3}\(invoice-extraction\)\n2 actions\n$/);
    expect(await flowNames()).toEqual([]);

    const applied = bufferIo();
    expect(await main(args('apply'), applied)).toBe(0);
    expect(applied.stdout).toMatch(/ok invoice-extraction: arn:aws:sagemaker:us-east-1:123456789012:flow-definition\/invoice-extraction-[0-9a-f]{10} \(task UI arn:aws:sagemaker:us-east-1:123456789012:human-task-ui\/invoice-extraction-[0-9a-f]{10}\)\n$/);
    expect(await flowNames()).toHaveLength(1);

    const again = bufferIo();
    expect(await main(args('plan'), again)).toBe(0);
    expect(again.stdout).toBe('no changes\n');
  });

  test('a name prefix gives separate resources, and a changed setting replaces them', async () => {
    expect(await main(args('apply', '--name-prefix', 'dev'), bufferIo())).toBe(0);
    const [first] = await flowNames();

    const changed = bufferIo();
    expect(await main([...args('apply', '--name-prefix', 'dev'), '--kms-key-id', 'alias/review'], changed)).toBe(0);

    expect(changed.stdout).toContain(`- delete flow definition ${first}`);
    const names = await flowNames();
    expect(names).toHaveLength(1);
    expect(names[0]).toMatch(/^dev-invoice-extraction-/);
    expect(names[0]).not.toBe(first);
  });

  test.each([
    ['no --role-arn', ['flows', 'plan', '--workflows', WORKFLOWS], /flows needs --role-arn/],
    ['an unknown flows command', ['flows', 'destroy', '--role-arn', ROLE_ARN], /unknown flows command "destroy"/],
    ['an https output path', ['flows', 'plan', '--workflows', WORKFLOWS, '--role-arn', ROLE_ARN, '--output-path', 'https://bucket/out', '--workteam-arn', WORKTEAM_ARN], /flowDefinition\.outputPath: must match/],
    ['no workteam anywhere', ['flows', 'plan', '--workflows', WORKFLOWS, '--role-arn', ROLE_ARN, '--output-path', 's3://out/'], /flowDefinition\.workteamArn: is required/],
  ])('%s exits 2', async (_title, argv, message) => {
    const io = bufferIo();

    expect(await main(argv, io)).toBe(2);
    expect(io.stderr).toMatch(message);
  });

  test('an unreachable endpoint exits 1 with the error', async () => {
    process.env.AWS_ENDPOINT_URL_SAGEMAKER = 'http://127.0.0.1:1';
    const io = bufferIo();

    expect(await main(args('plan'), io)).toBe(1);
    expect(io.stderr).toMatch(/^a2i-orchestrator flows plan: /);
  });
});

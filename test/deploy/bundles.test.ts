import { build, type Metafile } from 'esbuild';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { deployedBuildOptions, handlerEntry, serverlessConfig } from '../../bench/bundle';
import { LoopbackAws } from '../support/loopback-aws';

/**
 * What the deployed bundles hold, built as serverless-esbuild builds them (esbuild.config.js). Their sizes are
 * bench figures (npm run bench -- bundle); here, which modules they carry: the condition compiler and re2js only
 * in the functions that compile conditions, and one AWS credential chain.
 */
const ROOT = resolve(__dirname, '../..');
const config = serverlessConfig();
const options = { ...deployedBuildOptions(config), sourcemap: false, write: false, metafile: true, logLevel: 'silent' as const };

/** The work queue's consumer evaluates records; flowResources checks a flow's humanLoopActivationConfig with the compiler. */
const COMPILES_CONDITIONS = new Set(['ingestWork', 'flowResources']);

async function bundledInputs(entry: string): Promise<string[]> {
  const { metafile } = await build({ ...options, entryPoints: [entry], outdir: join(tmpdir(), 'a2i-bundles-test'), absWorkingDir: ROOT });
  const [output] = Object.values((metafile as Metafile).outputs).filter((meta) => meta.entryPoint);
  return Object.entries(output.inputs)
    .filter(([, input]) => input.bytesInOutput > 0)
    .map(([path]) => path);
}

const functions = Object.entries(config.functions ?? {}).map(([name, fn]) => ({ name, entry: handlerEntry(fn.handler) }));
const inputs = new Map<string, Promise<string[]>>();
const inputsOf = (name: string): Promise<string[]> => {
  if (!inputs.has(name)) inputs.set(name, bundledInputs(functions.find((fn) => fn.name === name)!.entry));
  return inputs.get(name)!;
};

describe('function bundles', () => {
  it.each(functions.map(({ name }) => [name]))('%s bundles the condition compiler and re2js exactly when it compiles conditions', async (name) => {
    const held = await inputsOf(name);
    const compiler = held.some((path) => path === 'lib/conditions/compile.ts');
    const re2js = held.some((path) => path.includes('node_modules/re2js/'));
    expect({ compiler, re2js }).toEqual({ compiler: COMPILES_CONDITIONS.has(name), re2js: COMPILES_CONDITIONS.has(name) });
  }, 60_000);

  it('each function bundles only the SDK clients it calls', async () => {
    const clients = async (name: string) =>
      [...new Set((await inputsOf(name)).flatMap((path) => /node_modules\/@aws-sdk\/(client-(?:s3|sqs|sfn|dynamodb|sagemaker-a2i-runtime))\//.exec(path)?.[1] ?? []))].sort();
    expect(await clients('reviewLoopCheck')).toEqual(['client-sagemaker-a2i-runtime']);
    expect(await clients('reviewLoopWait')).toEqual(['client-dynamodb', 'client-sfn', 'client-sqs']);
    // An event's record too large for a work message is staged in S3.
    expect(await clients('ingestEvent')).toEqual(['client-s3', 'client-sqs']);
    expect(await clients('ingestS3Object')).toEqual(['client-s3', 'client-sqs']);
  }, 60_000);
});

describe('the AWS credential chain in the bundles', () => {
  let loopback: LoopbackAws;
  let out: string;

  beforeAll(async () => {
    loopback = await LoopbackAws.start();
    out = mkdtempSync(join(tmpdir(), 'a2i-bundle-a2i-'));
  });

  afterAll(async () => {
    await loopback.close();
    rmSync(out, { recursive: true, force: true });
  });

  it('is one copy, the one every client signs with (the A2I client pins an older one)', async () => {
    const chains = new Set((await inputsOf('ingestWork')).flatMap((path) => /^(.*node_modules\/@aws-sdk\/credential-provider-node)\//.exec(path)?.[1] ?? []));
    expect(chains.size).toBe(1);
  }, 60_000);

  it('signs the bundled A2I client\'s calls with the environment\'s credentials, as in Lambda', async () => {
    await build({
      ...options,
      write: true,
      stdin: { contents: "export { createA2iClient } from './lib/runtime/clients/a2i'; export { DescribeHumanLoopCommand } from '@aws-sdk/client-sagemaker-a2i-runtime';", resolveDir: ROOT, loader: 'ts' },
      outfile: join(out, 'a2i.js'),
      absWorkingDir: ROOT,
    });
    loopback.answer(() => ({ status: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ HumanLoopName: 'loop', HumanLoopStatus: 'InProgress', HumanLoopArn: 'arn:aws:sagemaker:us-east-1:123456789012:human-loop/loop', FlowDefinitionArn: 'arn:aws:sagemaker:us-east-1:123456789012:flow-definition/f', CreationTime: '2026-01-01T00:00:00Z' }) }));
    const script = `const { createA2iClient, DescribeHumanLoopCommand } = require(${JSON.stringify(join(out, 'a2i.js'))});
      createA2iClient().send(new DescribeHumanLoopCommand({ HumanLoopName: 'loop' })).then((answer) => process.stdout.write(answer.HumanLoopStatus), (error) => { console.error(error); process.exit(1); });`;
    const env = {
      PATH: process.env.PATH,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDBUNDLECHAIN',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: 'token',
      AWS_ENDPOINT_URL_SAGEMAKER_A2I_RUNTIME: loopback.endpoint,
      // No profile or instance metadata to fall back to: the environment's credentials or nothing.
      AWS_CONFIG_FILE: join(out, 'none'),
      AWS_SHARED_CREDENTIALS_FILE: join(out, 'none'),
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { env, cwd: out });
    expect(stdout).toBe('InProgress');
    expect(loopback.requests).toHaveLength(1);
    expect(String(loopback.requests[0].headers.authorization)).toContain('Credential=AKIDBUNDLECHAIN/');
    expect(loopback.requests[0].headers['x-amz-security-token']).toBe('token');
  }, 60_000);
});

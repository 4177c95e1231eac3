import { build, type BuildOptions, type Metafile } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { parse } from 'yaml';
import { median, type Figure } from './figures';

const ROOT = resolve(__dirname, '..');
const INIT_RUNS = 5;

interface ServerlessFunction {
  handler: string;
  environment?: Record<string, unknown>;
}

export interface ServerlessConfig {
  provider?: { environment?: Record<string, unknown> };
  custom?: { esbuild?: { config?: string } };
  functions?: Record<string, ServerlessFunction>;
}

/** Options serverless-esbuild takes for itself; `exclude` it passes on as esbuild's `external`. */
const PLUGIN_OPTIONS = ['concurrency', 'zipConcurrency', 'nativeZip', 'packager', 'packagePath', 'watch', 'keepOutputDirectory', 'packagerOptions', 'installExtraArgs', 'outputFileExtension', 'outputBuildFolder', 'outputWorkFolder', 'nodeExternals', 'skipBuild', 'skipRebuild', 'skipBuildExcludeFns', 'stripEntryResolveExtensions', 'disposeContext'];

export function serverlessConfig(): ServerlessConfig {
  // CloudFormation's tags (!GetAtt, !Ref) mean nothing here: only the functions and the esbuild options are read.
  return parse(readFileSync(join(ROOT, 'serverless.yml'), 'utf8'), { logLevel: 'error' }) as ServerlessConfig;
}

/** The esbuild options serverless-esbuild builds each function with: the file custom.esbuild.config names. */
export function deployedBuildOptions(config: ServerlessConfig = serverlessConfig()): BuildOptions {
  const file = config.custom?.esbuild?.config;
  if (!file) throw new Error('serverless.yml: custom.esbuild.config names no esbuild options file');
  const load = createRequire(join(ROOT, 'package.json'));
  const options = (load(resolve(ROOT, file)) as (serverless?: unknown) => Record<string, unknown>)(undefined);
  const { exclude, external, ...rest } = options as { exclude?: string[]; external?: string[] } & Record<string, unknown>;
  for (const name of PLUGIN_OPTIONS) delete rest[name];
  return { ...rest, external: [...(external ?? []), ...(exclude ?? []).filter((name) => name !== '*')] } as BuildOptions;
}

/** The source file of a handler (`functions/ingest-s3-object.handler` → functions/ingest-s3-object.ts). */
export function handlerEntry(handler: string): string {
  const base = handler.slice(0, handler.lastIndexOf('.'));
  for (const extension of ['.ts', '.js', '.mts', '.mjs']) if (existsSync(join(ROOT, base + extension))) return join(ROOT, base + extension);
  throw new Error(`no source file for handler ${handler}`);
}

/** The plain-string environment the function gets (variables still holding `${…}` are left out). */
function deployedEnvironment(name: string, fn: ServerlessFunction, config: ServerlessConfig, taskRoot: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    AWS_REGION: 'us-east-1',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    AWS_LAMBDA_FUNCTION_NAME: name,
    LAMBDA_TASK_ROOT: taskRoot,
  };
  for (const [key, value] of Object.entries({ ...config.provider?.environment, ...fn.environment })) {
    if (typeof value === 'string' && !value.includes('${')) env[key] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') env[key] = String(value);
  }
  return env;
}

/** Milliseconds a fresh node process spends in `require(bundle)`. */
function initMs(bundle: string, env: NodeJS.ProcessEnv): number {
  const script = `const t=performance.now();require(${JSON.stringify(bundle)});process.stdout.write(String(performance.now()-t));`;
  const child = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, env, encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`require(${bundle}) failed: ${child.stderr}`);
  return Number(child.stdout.trim().split('\n').pop());
}

/** The packages (or repository folders) that take most of a bundle's bytes. */
function largestInputs(metafile: Metafile, output: string, count: number): Record<string, number> {
  const bytes = new Map<string, number>();
  for (const [path, { bytesInOutput }] of Object.entries(metafile.outputs[output].inputs)) {
    const parts = path.split('/');
    const at = parts.lastIndexOf('node_modules');
    const name = at < 0 ? parts.slice(0, 2).join('/') : parts.slice(at + 1, parts[at + 1].startsWith('@') ? at + 3 : at + 2).join('/');
    bytes.set(name, (bytes.get(name) ?? 0) + bytesInOutput);
  }
  return Object.fromEntries([...bytes].sort((a, b) => b[1] - a[1]).slice(0, count));
}

/**
 * Bundle size and module init time of each function in serverless.yml, built as serverless-esbuild
 * builds it (esbuild.config.js): `bundle.<function>.bytes` is the bundled .js in the function's zip, and
 * `init.<function>.ms` the median time of `require(bundle)` in a fresh node process, with the function's environment.
 */
export function bundleBenchmark(): Promise<Figure[]> {
  const config = serverlessConfig();
  return bundleFigures(config, deployedBuildOptions(config));
}

/** The figures of every function in `config`, bundled with `options`. */
export async function bundleFigures(config: ServerlessConfig, options: BuildOptions): Promise<Figure[]> {
  const out = mkdtempSync(join(tmpdir(), 'a2i-bundle-'));
  const figures: Figure[] = [];
  try {
    for (const [name, fn] of Object.entries(config.functions ?? {})) {
      const outdir = join(out, name);
      const result = await build({ ...options, entryPoints: [handlerEntry(fn.handler)], outdir, absWorkingDir: ROOT, metafile: true, write: true, logLevel: 'error' });
      const [output] = Object.entries(result.metafile.outputs).filter(([path, meta]) => path.endsWith('.js') && meta.entryPoint);
      const bundle = resolve(ROOT, output[0]);
      const code = readFileSync(bundle);
      const map = existsSync(`${bundle}.map`) ? statSync(`${bundle}.map`).size : 0;
      figures.push({
        name: `bundle.${name}.bytes`,
        value: code.length,
        unit: 'bytes',
        target: '<= 1 MB',
        // serverless-esbuild deflates at level 1: this is the .js entry's compressed size in the function's zip.
        zipBytes: deflateRawSync(code, { level: 1 }).length,
        sourcemapBytes: map,
        largest: largestInputs(result.metafile, output[0], 8),
      });
      const env = deployedEnvironment(name, fn, config, outdir);
      const runs = Array.from({ length: INIT_RUNS }, () => initMs(bundle, env));
      figures.push({ name: `init.${name}.ms`, value: Number(median(runs).toFixed(1)), unit: 'ms', target: '<= 150', runs: runs.map((ms) => Number(ms.toFixed(1))), nodeOptions: env.NODE_OPTIONS ?? '' });
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  return figures;
}

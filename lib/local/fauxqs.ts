import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

/**
 * fauxqs names every queue in this account (its URLs and ARNs). Locally, its queues are the stack's, in the
 * stack's account: what authorizes a call on a queue (lib/local/iam) reads them as such.
 */
export const FAUXQS_ACCOUNT = '000000000000';

/**
 * fauxqs (the S3 and SQS emulator) is published as ES modules only, with an `exports` map that offers no
 * `require` condition: this CommonJS code base (and jest, which runs it without ESM support) cannot load
 * it in-process. It runs in a child Node process instead, whose lifeline is its stdin: when this process
 * ends or `stop()` is called, stdin closes and the emulator shuts down.
 */
export interface FauxqsProcess {
  /** The one endpoint serving both S3 (path-style) and SQS, e.g. `http://127.0.0.1:4566`. */
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

export interface FauxqsOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** The region for requests whose signature names none. */
  defaultRegion?: string;
  /** How long to wait for the emulator to listen. */
  startTimeoutMs?: number;
}

export class FauxqsStartError extends Error {
  override readonly name = 'FauxqsStartError';
}

/**
 * fauxqs's own startFauxqs listens on every interface and names queues `sqs.<region>.localhost:<port>`, a
 * host the SDK then calls and DNS may not resolve. The child builds the same app with a queue store that
 * names queues by the host the client used, and listens on loopback only.
 */
const CHILD_SCRIPT = `
const [entry, options] = [process.argv[1], JSON.parse(process.argv[2])];
const { buildApp } = await import(entry);
const { SqsStore } = await import(new URL('./sqs/sqsStore.js', entry).href);
const sqsStore = new SqsStore();
sqsStore.host = '';
const app = buildApp({ logger: false, defaultRegion: options.defaultRegion, stores: { sqsStore } });
await app.listen({ port: options.port, host: '127.0.0.1' });
process.stdout.write(JSON.stringify({ port: app.server.address().port }) + '\\n');
process.stdin.on('end', () => app.close().finally(() => process.exit(0)));
process.stdin.resume();
`;

/** The file URL of fauxqs's ESM entry point, found the way Node finds packages from here. */
export function fauxqsEntry(): string {
  for (const base of require.resolve.paths('fauxqs') ?? []) {
    const manifest = join(base, 'fauxqs', 'package.json');
    if (!existsSync(manifest)) continue;
    const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { exports?: { '.'?: { import?: { default?: string } } }; main?: string };
    const entry = pkg.exports?.['.']?.import?.default ?? pkg.main ?? 'index.js';
    return pathToFileURL(join(dirname(manifest), entry)).href;
  }
  throw new FauxqsStartError('the fauxqs package is not installed (npm install fauxqs)');
}

/** Starts fauxqs in a child process and resolves once it listens on loopback. */
export async function startFauxqsProcess(options: FauxqsOptions = {}): Promise<FauxqsProcess> {
  const serverOptions = { port: options.port ?? 0, ...(options.defaultRegion ? { defaultRegion: options.defaultRegion } : {}) };
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD_SCRIPT, fauxqsEntry(), JSON.stringify(serverOptions)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  try {
    const port = await listeningPort(child, exited, () => stderr, options.startTimeoutMs ?? 15000);
    // The emulator alone does not keep this process alive; when this process ends, its stdin closes and it stops.
    const handles = [child, child.stdin, child.stdout, child.stderr] as ({ ref(): void; unref(): void } | null)[];
    for (const handle of handles) handle?.unref();
    return {
      endpoint: `http://127.0.0.1:${port}`,
      port,
      stop: async () => {
        for (const handle of handles) handle?.ref();
        child.stdin?.end();
        await exited;
      },
    };
  } catch (error) {
    child.kill();
    throw error;
  }
}

function listeningPort(child: ChildProcess, exited: Promise<void>, stderr: () => string, timeoutMs: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new FauxqsStartError(`fauxqs did not start within ${timeoutMs} ms: ${stderr()}`)), timeoutMs);
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      clearTimeout(timer);
      lines.close();
      try {
        resolve((JSON.parse(line) as { port: number }).port);
      } catch {
        reject(new FauxqsStartError(`fauxqs printed ${JSON.stringify(line)} instead of its port`));
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new FauxqsStartError(`fauxqs exited before listening: ${stderr()}`));
    });
  });
}

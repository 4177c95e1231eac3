import { createReadStream, existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { basename, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { parseEventsFile } from '../local/events-file';
import { Inbox, InboxLockedError, lockInbox } from '../local/inbox';
import { MAX_UPLOAD_BYTES } from '../local/local-server';
import { LocalStack } from '../local/stack';
import { CommandError, type Io, UsageError } from './io';
import { DEFAULT_DEV_PORT } from './local-usage';

export interface DevArgs {
  port?: string;
  workflows?: string;
  state?: string;
  inbox?: string;
  'no-demo'?: boolean;
}

/** Files named like this hold EventBridge events (JSON Lines) rather than model output. */
const EVENTS_SUFFIX = '.events.jsonl';
const SAMPLES_DIR = join(__dirname, '..', '..', 'samples');

/** `dev` exits with this when another live `dev` holds the inbox (README, command line). */
export const INBOX_LOCKED_EXIT = 1;

/** Runs until `stop` aborts (the binary aborts on SIGINT/SIGTERM). */
export async function devCommand(args: DevArgs, io: Io, stop: AbortSignal): Promise<number> {
  const port = portArg(args.port);
  const inboxDir = resolve(args.inbox ?? 'inbox');
  // Before anything is started or written: a second dev on the same inbox would take its files twice.
  let unlockInbox: () => void;
  try {
    unlockInbox = lockInbox(inboxDir);
  } catch (error) {
    if (!(error instanceof InboxLockedError)) throw error;
    io.err(`a2i-orchestrator: ${error.message}\n`);
    return INBOX_LOCKED_EXIT;
  }
  try {
    return await runDev(args, io, stop, port, inboxDir);
  } finally {
    unlockInbox();
  }
}

async function runDev(args: DevArgs, io: Io, stop: AbortSignal, port: number, inboxDir: string): Promise<number> {
  const stateDir = resolve(args.state ?? '.a2i-local');
  const deliveredDir = join(stateDir, 'delivered');
  const fresh = !existsSync(stateDir);
  // Before anything starts: a busy port is the common failure, and the answer should not take seconds.
  await assertPortFree(port);
  const stack = await startStack(fresh, stateDir, port, () => LocalStack.start({
    workflows: resolve(args.workflows ?? 'workflows'),
    stateDir,
    port,
    // The stack writes each message to its file, with its own journal: a kill neither loses one nor writes one twice.
    deliveredDir,
    onDelivered: ({ workflow, queue, message }) => {
      io.err(`delivered  ${message.reviewId}  ${message.outcome} → ${workflow}/${queue}\n`);
    },
    onLoopStarted: (task) => io.err(`loop open  ${task.humanLoopName}  ${stack.url}/tasks/${task.humanLoopName}\n`),
    onProblem: (text) => io.err(`problem    ${text}\n`),
  }));
  const take = async (name: string, body: Buffer, resumed = false): Promise<string> => {
    if (name.endsWith(EVENTS_SUFFIX)) {
      const result = stack.putEvents(parseEventsFile(body.toString('utf8')) as never);
      return `${name}: ${result.entries.length - result.failedEntryCount} event(s) put on the local bus`;
    }
    const uploads = await stack.upload(name, body, { resume: resumed });
    return uploads.map((upload) => `${name} → s3://${upload.bucket}/${upload.key} (${upload.workflows.join(', ')})`).join('\n');
  };
  stack.uploadHandler = async (name, body) => ({ message: await take(name, body) });
  const inbox = new Inbox({
    dir: inboxDir,
    take: async (name, body, resumed) => io.err(`inbox      ${await take(name, body, resumed)}\n`),
    onError: (name, error) => io.err(`inbox      ${name} moved to failed/: ${(error as Error).message}\n`),
  });
  try {
    await io.out(banner(stack, inboxDir, deliveredDir));
    if (fresh && !args['no-demo']) await uploadDemo(take, io);
    inbox.start();
    await new Promise<void>((done) => (stop.aborted ? done() : stop.addEventListener('abort', () => done(), { once: true })));
    return 0;
  } finally {
    await inbox.stop();
    await stack.close();
    await io.out('stopped; open loops are kept in the state folder for the next start\n');
  }
}

/** `dev upload FILE`: sends the file to the running dev server, which treats it as an inbox file. */
export async function devUploadCommand(file: string | undefined, args: { port?: string }, io: Io): Promise<number> {
  if (!file) throw new UsageError('dev upload needs a FILE');
  const port = portArg(args.port);
  const stats = statSync(file);
  if (!stats.isFile()) throw new UsageError(`dev upload takes a file; ${file} is not one`);
  const { size } = stats;
  // The server refuses a larger body; saying so here spares sending it.
  if (size > MAX_UPLOAD_BYTES) throw new CommandError(`${file} is ${size} bytes, more than the ${MAX_UPLOAD_BYTES} bytes dev upload takes`);
  let response: Response;
  try {
    response = await fetch(`http://127.0.0.1:${port}/local/upload?name=${encodeURIComponent(basename(file))}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
      body: Readable.toWeb(createReadStream(file)) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
  } catch (error) {
    io.err(`a2i-orchestrator: nothing answers on 127.0.0.1:${port}: is \`a2i-orchestrator dev\` (npm start) running? (${(error as Error).message})\n`);
    return 1;
  }
  const result = (await response.json().catch(() => ({}))) as { message?: string };
  if (!response.ok) {
    io.err(`a2i-orchestrator: ${result.message ?? `upload failed with HTTP ${response.status}`}\n`);
    return 1;
  }
  await io.out(`${result.message ?? 'uploaded'}\n`);
  return 0;
}

async function uploadDemo(take: (name: string, body: Buffer) => Promise<string>, io: Io): Promise<void> {
  if (!existsSync(SAMPLES_DIR)) return;
  for (const name of readdirSync(SAMPLES_DIR).sort()) {
    try {
      io.err(`demo       ${await take(name, readFileSync(join(SAMPLES_DIR, name)))}\n`);
    } catch (error) {
      io.err(`demo       ${name} skipped: ${(error as Error).message}\n`);
    }
  }
}

function banner(stack: LocalStack, inboxDir: string, deliveredDir: string): string {
  const endpoints = Object.entries(stack.endpoints).map(([service, url]) => `    AWS_ENDPOINT_URL_${service}=${url}`);
  return [
    '',
    `a2i-orchestrator local mode: ${stack.workflows.map((workflow) => workflow.definition.name).join(', ')}`,
    '',
    `  Review UI      ${stack.url}/`,
    `  Status         ${stack.url}/status`,
    `  Inbox          ${inboxDir}  (drop a file, or: npx a2i-orchestrator dev upload FILE)`,
    `  Delivered      ${deliveredDir}/<workflow>/<queue>.jsonl`,
    '  Endpoints (credentials: any, region us-east-1):',
    ...endpoints,
    '',
    'Ctrl-C stops.',
    '',
  ].join('\n');
}

/** Raised when the port `dev` should listen on is taken. */
export class PortInUseError extends CommandError {
  override readonly name = 'PortInUseError';
}

/**
 * Starts the stack; when that fails on a first start, the state folder it began is removed, so the next
 * start is a first start again (with the demo) rather than one that finds a folder and skips it.
 */
async function startStack(fresh: boolean, stateDir: string, port: number, start: () => Promise<LocalStack>): Promise<LocalStack> {
  try {
    return await start();
  } catch (error) {
    if (fresh) rmSync(stateDir, { recursive: true, force: true });
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw portInUse(port, error as Error);
    throw error;
  }
}

/** Listens on 127.0.0.1:port for a moment, as the stack will. */
async function assertPortFree(port: number): Promise<void> {
  if (port === 0) return;
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error) => reject((error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? portInUse(port, error) : error));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}

function portInUse(port: number, cause: Error): PortInUseError {
  return new PortInUseError(`port ${port} is in use (another dev, or another program, listens on 127.0.0.1:${port}): stop it, or pick another with --port N`, { cause });
}

function portArg(value: string | undefined): number {
  if (value === undefined) return DEFAULT_DEV_PORT;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number, got ${JSON.stringify(value)}`);
  return port;
}

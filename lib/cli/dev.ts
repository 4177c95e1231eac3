import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseEventsFile } from '../local/events-file';
import { Inbox, InboxLockedError, lockInbox } from '../local/inbox';
import { LocalStack } from '../local/stack';
import { type Io, UsageError } from './io';
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
  const stack = await LocalStack.start({
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
  });
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
  const body = readFileSync(file);
  let response: Response;
  try {
    response = await fetch(`http://127.0.0.1:${port}/local/upload?name=${encodeURIComponent(basename(file))}`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body });
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

function portArg(value: string | undefined): number {
  if (value === undefined) return DEFAULT_DEV_PORT;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number, got ${JSON.stringify(value)}`);
  return port;
}

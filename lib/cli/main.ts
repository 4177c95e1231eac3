import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { EVAL_USAGE, evalCommand } from './eval';
import { FLOWS_USAGE, flowsCommand } from './flows';
import { CommandError, type Io, processIo, UsageError } from './io';
import { formatIssue, WorkflowConfigError } from '../workflow';
import { applyLocalDefaults } from './local-defaults';
import { DEV_USAGE, REPLAY_USAGE } from './local-usage';
import { LOOPS_USAGE, loopsCommand } from './loops';
import { VALIDATE_USAGE, validateCommand } from './validate';

// Local mode's modules load the handlers, whose Powertools settings are read at load: required when used, after applyLocalDefaults.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const loadDev = (): typeof import('./dev') => require('./dev');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const loadReplay = (): typeof import('./replay') => require('./replay');

const USAGE = `usage:
  a2i-orchestrator --version
  ${VALIDATE_USAGE}
  ${EVAL_USAGE.split('\n').join('\n  ')}
  ${DEV_USAGE.split('\n').join('\n  ')}
  ${REPLAY_USAGE.split('\n').join('\n  ')}
  ${FLOWS_USAGE}
  ${LOOPS_USAGE.split('\n').join('\n  ')}
`;

/** Runs one CLI invocation and resolves to its exit code. */
export async function main(argv: string[], io: Io = processIo, stopSignal?: AbortSignal): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'validate': {
        const { positionals } = parseArgs({ args: rest, allowPositionals: true, options: {} });
        return await validateCommand(positionals, io);
      }
      case 'eval': {
        const { values } = parseArgs({
          args: rest,
          options: { conditions: { type: 'string' }, workflow: { type: 'string' }, input: { type: 'string' } },
        });
        return await evalCommand(values, io);
      }
      case 'dev': {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: { port: { type: 'string' }, workflows: { type: 'string' }, state: { type: 'string' }, inbox: { type: 'string' }, 'no-demo': { type: 'boolean' } },
        });
        if (positionals[0] === 'upload') {
          const { devUploadCommand } = loadDev();
          return await devUploadCommand(positionals[1], values, io);
        }
        if (positionals.length > 0) throw new UsageError(`unknown dev command "${positionals[0]}"`);
        applyLocalDefaults('WARN');
        const { devCommand } = loadDev();
        return await devCommand(values, io, stopSignal ?? onTermination());
      }
      case 'flows': {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: {
            workflows: { type: 'string' },
            'role-arn': { type: 'string' },
            'output-path': { type: 'string' },
            'workteam-arn': { type: 'string' },
            'kms-key-id': { type: 'string' },
            'name-prefix': { type: 'string' },
            timeout: { type: 'string' },
          },
        });
        return await flowsCommand(positionals[0], values, io);
      }
      case 'replay': {
        const { values } = parseArgs({
          args: rest,
          options: {
            workflow: { type: 'string' },
            input: { type: 'string' },
            'auto-review': { type: 'string' },
            out: { type: 'string' },
            port: { type: 'string' },
            timeout: { type: 'string' },
            'inject-faults': { type: 'string' },
            'duplicate-events': { type: 'string' },
          },
        });
        applyLocalDefaults('ERROR');
        const { replayCommand } = loadReplay();
        return await replayCommand(values, io);
      }
      case 'loops': {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: { workflow: { type: 'string' }, workflows: { type: 'string' }, 'flow-definition-arn': { type: 'string' }, stage: { type: 'string' }, status: { type: 'string' }, json: { type: 'boolean' } },
        });
        return await loopsCommand(positionals, values, io);
      }
      case '--version':
      case '-V':
      case 'version':
        await io.out(`${packageVersion()}\n`);
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        await io.out(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    return reportError(error, io);
  }
}

/**
 * The exit codes README's command table documents: 2 for what the user gave (usage, workflow files, input
 * files), 1 for a command that failed (a busy port, no region, an unreachable endpoint, anything unexpected).
 * Every error ends in one line on stderr; A2I_DEBUG=1 adds an unexpected error's stack.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

function reportError(error: unknown, io: Io): number {
  if (error instanceof UsageError || (error as { code?: string } | null)?.code?.startsWith('ERR_PARSE_ARGS')) {
    io.err(`a2i-orchestrator: ${oneLine((error as Error).message)}\n${USAGE}`);
    return EXIT.usage;
  }
  if (error instanceof WorkflowConfigError) {
    for (const issue of error.issues) io.err(`${formatIssue(issue)}\n`);
    return EXIT.usage;
  }
  if (isInputError(error)) {
    io.err(`a2i-orchestrator: ${oneLine((error as Error).message)}\n`);
    return EXIT.usage;
  }
  io.err(`${failureLine(error)}\n`);
  return EXIT.failed;
}

/** One line for a failure: the message of an expected one, the name and message of anything else (its stack with A2I_DEBUG=1). */
export function failureLine(error: unknown): string {
  if (error instanceof CommandError) return `a2i-orchestrator: ${oneLine(error.message)}`;
  // The SDK's own words when neither AWS_REGION nor a profile gives one.
  if (error instanceof Error && error.message === 'Region is missing') return 'a2i-orchestrator: no AWS region: set AWS_REGION (or a region in your AWS profile)';
  if (error instanceof Error && error.name === 'CredentialsProviderError') return `a2i-orchestrator: no AWS credentials: ${oneLine(error.message)}`;
  const what = error instanceof Error ? `${error.name}: ${oneLine(error.message)}` : oneLine(String(error));
  if (process.env.A2I_DEBUG === '1' && error instanceof Error && error.stack) return `${error.stack}\na2i-orchestrator: unexpected ${what}`;
  return `a2i-orchestrator: unexpected ${what} (A2I_DEBUG=1 prints the stack)`;
}

/**
 * What escapes every command (a crash in a timer or a stream of `dev`): one line and exit 1, not Node's stack
 * trace. The binary installs it; tests call main() without it.
 */
export function exitOnUncaught(io: Io = processIo): void {
  const crash = (error: unknown) => {
    io.err(`${failureLine(error)}\n`);
    process.exit(EXIT.failed);
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
}

/** Aborted by the first SIGINT or SIGTERM: `dev` then shuts the stack down cleanly. */
function onTermination(): AbortSignal {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return controller.signal;
}

/** Mistakes in what the user gave (files, rules): a message, not a stack trace. */
const INPUT_ERRORS = new Set(['AutoReviewConfigError', 'EventsFileError', 'FaultSpecError', 'ReplayInputError']);
const FILE_ERROR_CODES = new Set(['ENOENT', 'EISDIR', 'EACCES', 'ENOTDIR', 'EEXIST']);

function isInputError(error: unknown): boolean {
  return error instanceof Error && (INPUT_ERRORS.has(error.name) || FILE_ERROR_CODES.has((error as NodeJS.ErrnoException).code ?? ''));
}

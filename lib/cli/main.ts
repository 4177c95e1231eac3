import { parseArgs } from 'node:util';
import { EVAL_USAGE, evalCommand } from './eval';
import { type Io, processIo, UsageError } from './io';
import { VALIDATE_USAGE, validateCommand } from './validate';

const USAGE = `usage:
  ${VALIDATE_USAGE}
  ${EVAL_USAGE.split('\n').join('\n  ')}
`;

/** Runs one CLI invocation and resolves to its exit code. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
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
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`a2i-orchestrator: ${(error as Error).message}\n${USAGE}`);
      return 2;
    }
    io.err(`a2i-orchestrator: ${(error as Error).stack ?? String(error)}\n`);
    return 70;
  }
}

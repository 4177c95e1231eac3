/** Where a command writes; tests pass buffers, the binary passes the process streams. */
export interface Io {
  out(text: string): Promise<void>;
  err(text: string): void;
}

export const processIo: Io = {
  out: (text) =>
    new Promise((resolve, reject) => {
      // Waiting for the write keeps memory flat when stdout is a slow pipe.
      process.stdout.write(text, (error) => (error ? reject(error) : resolve()));
    }),
  err: (text) => {
    process.stderr.write(text);
  },
};

/** Raised for bad command-line use; the CLI prints the message and the usage, and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A failure the operator can act on (a busy port, a missing setting): the CLI prints its message as one line and exits 1. */
export class CommandError extends Error {
  override readonly name: string = 'CommandError';
}

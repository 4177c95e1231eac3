import { existsSync, type FSWatcher, mkdirSync, readdirSync, readFileSync, renameSync, statSync, watch } from 'node:fs';
import { join } from 'node:path';

export interface InboxOptions {
  dir: string;
  /** Takes one file's content; a rejection leaves the file in `failed/`. */
  take(name: string, body: Buffer): Promise<void>;
  onError?(name: string, error: unknown): void;
  /** How long a file's size must stay the same before it is taken: a copy in progress is not read half-written. */
  settleMs?: number;
}

/** Files taken go here, so a restart does not take them again. */
export const DONE_DIR = 'done';
export const FAILED_DIR = 'failed';

/**
 * A folder watched for files: each new top-level file, once it has stopped growing, is handed to `take` and
 * moved to `done/` (or `failed/`). Files already there when it starts are taken too. Hidden files are ignored.
 */
export class Inbox {
  private watcher?: FSWatcher;
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private readonly busy = new Set<string>();
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly options: InboxOptions) {}

  start(): void {
    for (const dir of [this.options.dir, join(this.options.dir, DONE_DIR), join(this.options.dir, FAILED_DIR)]) mkdirSync(dir, { recursive: true });
    this.watcher = watch(this.options.dir, (_event, name) => {
      if (name) this.consider(name.toString());
    });
    for (const name of readdirSync(this.options.dir)) this.consider(name);
  }

  /** Stops watching; resolves once the file being taken (if any) is done. */
  async stop(): Promise<void> {
    this.watcher?.close();
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
    await this.chain;
  }

  private consider(name: string, lastSize = -1): void {
    if (name.startsWith('.') || this.busy.has(name)) return;
    const path = join(this.options.dir, name);
    if (!existsSync(path) || !statSync(path).isFile()) return;
    clearTimeout(this.pending.get(name));
    const size = statSync(path).size;
    if (size !== lastSize) {
      this.pending.set(name, setTimeout(() => this.consider(name, size), this.options.settleMs ?? 300));
      return;
    }
    this.pending.delete(name);
    this.busy.add(name);
    // One file at a time, in the order they settled.
    this.chain = this.chain.then(() => this.takeFile(name, path));
  }

  private async takeFile(name: string, path: string): Promise<void> {
    let destination = DONE_DIR;
    try {
      await this.options.take(name, readFileSync(path));
    } catch (error) {
      destination = FAILED_DIR;
      this.options.onError?.(name, error);
    }
    try {
      renameSync(path, join(this.options.dir, destination, `${new Date().toISOString().replace(/[:.]/g, '-')}-${name}`));
    } finally {
      this.busy.delete(name);
    }
  }
}

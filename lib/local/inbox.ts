import { closeSync, type FSWatcher, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, watch, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface InboxOptions {
  dir: string;
  /**
   * Takes one file's content; resolves once all its work is queued (durably: a kill after that loses nothing).
   * A rejection moves the file to `failed/`. `resumed`: the take of this file was begun by a process that was
   * killed, and this is the same file again (not a new upload of it).
   */
  take(name: string, body: Buffer, resumed: boolean): Promise<void>;
  onError?(name: string, error: unknown): void;
  /** How long a file's size must stay the same before it is taken: a copy in progress is not read half-written. */
  settleMs?: number;
}

/** Files taken go here, so a restart does not take them again. */
export const DONE_DIR = 'done';
export const FAILED_DIR = 'failed';
/** A file being taken: moved here first, so a file found here at start is one whose take a kill interrupted. Hidden. */
export const TAKING_DIR = '.taking';
/** The lock file in the inbox: the pid of the process that watches it. Hidden, so never taken. */
export const LOCK_FILE = '.a2i-inbox.lock';

/** Another live process watches this inbox. */
export class InboxLockedError extends Error {
  override readonly name = 'InboxLockedError';
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(`the inbox ${dir} is in use by another a2i-orchestrator dev (pid ${pid}); stop it, or give this one --inbox DIR`);
  }
}

/**
 * Takes the inbox for this process: writes its pid to the lock file, created exclusively. A lock left by a
 * process that no longer runs (killed) is taken over; one held by a live process is refused. Returns the release.
 */
export function lockInbox(dir: string, pid: number = process.pid): () => void {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, `${pid}\n`);
      closeSync(fd);
      return () => {
        try {
          if (readLockPid(path) === pid) unlinkSync(path);
        } catch {
          // Already gone.
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readLockPid(path);
    if (holder !== undefined && holder !== pid && isAlive(holder)) throw new InboxLockedError(dir, holder);
    // Stale (its process is gone) or unreadable (a kill between create and write): taken over.
    try {
      unlinkSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  throw new InboxLockedError(dir, readLockPid(path) ?? 0);
}

function readLockPid(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A folder watched for files: each new top-level file, once it has stopped growing, is moved to `.taking/`,
 * handed to `take` and, once `take` has resolved, moved to `done/` (or `failed/`). Files already there when it
 * starts are taken too; a file left in `.taking/` by a kill is taken again first, as resumed. Hidden files are
 * ignored; a file that disappears before it is taken is forgotten.
 */
export class Inbox {
  private watcher?: FSWatcher;
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private readonly busy = new Set<string>();
  private chain: Promise<void> = Promise.resolve();
  private stopping = false;

  constructor(private readonly options: InboxOptions) {}

  start(): void {
    for (const dir of [this.options.dir, join(this.options.dir, DONE_DIR), join(this.options.dir, FAILED_DIR), join(this.options.dir, TAKING_DIR)]) mkdirSync(dir, { recursive: true });
    // First what an earlier process was taking when it was killed.
    for (const name of readdirSync(join(this.options.dir, TAKING_DIR))) {
      this.busy.add(name);
      this.chain = this.chain.then(() => this.takeFile(name, true));
    }
    this.watcher = watch(this.options.dir, (_event, name) => {
      if (name) this.consider(name.toString());
    });
    for (const name of readdirSync(this.options.dir)) this.consider(name);
  }

  /** Stops watching; resolves once the file being taken (if any) is done. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.watcher?.close();
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
    await this.chain;
  }

  private consider(name: string, lastSize = -1): void {
    if (this.stopping || name.startsWith('.') || this.busy.has(name)) return;
    const path = join(this.options.dir, name);
    clearTimeout(this.pending.get(name));
    this.pending.delete(name);
    // The file may go at any moment (moved away, deleted mid-copy): then there is nothing to take.
    let size: number | undefined;
    try {
      size = sizeOf(path);
    } catch (error) {
      this.options.onError?.(name, error);
      return;
    }
    if (size === undefined) return;
    if (size !== lastSize) {
      this.pending.set(name, setTimeout(() => this.consider(name, size), this.options.settleMs ?? 300));
      return;
    }
    this.busy.add(name);
    // One file at a time, in the order they settled.
    this.chain = this.chain.then(() => this.takeFile(name, false));
  }

  private async takeFile(name: string, resumed: boolean): Promise<void> {
    const path = join(this.options.dir, TAKING_DIR, name);
    try {
      if (!resumed) {
        try {
          renameSync(join(this.options.dir, name), path);
        } catch (error) {
          // Gone before its turn (moved away, deleted): nothing to take.
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
          throw error;
        }
      }
      const body = readFileSync(path);
      let destination = DONE_DIR;
      try {
        await this.options.take(name, body, resumed);
      } catch (error) {
        destination = FAILED_DIR;
        this.options.onError?.(name, error);
      }
      try {
        renameSync(path, join(this.options.dir, destination, `${new Date().toISOString().replace(/[:.]/g, '-')}-${name}`));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    } catch (error) {
      this.options.onError?.(name, error);
    } finally {
      this.busy.delete(name);
    }
  }
}

function sizeOf(path: string): number | undefined {
  try {
    const stats = statSync(path);
    return stats.isFile() ? stats.size : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

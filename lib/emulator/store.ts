import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { FlowDefinitionRecord, HumanLoopRecord, HumanTaskUiRecord, WorkteamRecord } from './records';

const RECORD_SUFFIX = '.json';
const TEMP_SUFFIX = '.tmp';
const WORKTEAMS_DIR = 'workteams';

/**
 * Records of one kind, in memory and one file each on disk. A write goes to a temporary file that is
 * flushed and then renamed over the record, so a crash leaves the old record or the new one, never half of
 * one. Memory changes only after the file did, so a failed write changes nothing.
 */
export class PersistentCollection<T extends { name: string }> {
  private readonly records = new Map<string, T>();

  constructor(private readonly directory: string) {
    mkdirSync(directory, { recursive: true });
    for (const file of readdirSync(directory)) {
      const path = join(directory, file);
      // Left by a crash between write and rename: the record it was replacing is intact.
      if (file.endsWith(TEMP_SUFFIX)) unlinkSync(path);
      else if (file.endsWith(RECORD_SUFFIX)) this.records.set(file.slice(0, -RECORD_SUFFIX.length), parseRecord<T>(path));
    }
  }

  get(name: string): T | undefined {
    return this.records.get(name);
  }

  values(): T[] {
    return [...this.records.values()];
  }

  find(predicate: (record: T) => boolean): T | undefined {
    return this.values().find(predicate);
  }

  async save(record: T): Promise<void> {
    const path = this.pathOf(record.name);
    const temporary = `${path}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`;
    const file = await open(temporary, 'w');
    try {
      await file.writeFile(JSON.stringify(record));
      await file.sync();
    } finally {
      await file.close();
    }
    try {
      await rename(temporary, path);
    } catch (error) {
      await unlink(temporary).catch(() => undefined);
      throw error;
    }
    this.records.set(record.name, record);
  }

  async remove(name: string): Promise<void> {
    await unlink(this.pathOf(name)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    this.records.delete(name);
  }

  private pathOf(name: string): string {
    // Names are validated against [a-z0-9-] patterns before they get here, so they are safe file names.
    return join(this.directory, `${name}${RECORD_SUFFIX}`);
  }
}

function parseRecord<T>(path: string): T {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (error) {
    throw new Error(`A2I emulator state file ${path} is not readable JSON: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * The emulator's whole state. Loading is synchronous so that a new emulator is complete as soon as it is
 * constructed; every change runs through `exclusive`, one at a time, so that concurrent requests never
 * interleave a read-check-write of the same resource.
 */
export class EmulatorStore {
  readonly humanTaskUis: PersistentCollection<HumanTaskUiRecord>;
  readonly flowDefinitions: PersistentCollection<FlowDefinitionRecord>;
  readonly humanLoops: PersistentCollection<HumanLoopRecord>;
  private workteamRecords: PersistentCollection<WorkteamRecord> | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly stateDir: string) {
    this.humanTaskUis = new PersistentCollection(join(stateDir, 'human-task-uis'));
    this.flowDefinitions = new PersistentCollection(join(stateDir, 'flow-definitions'));
    this.humanLoops = new PersistentCollection(join(stateDir, 'human-loops'));
    // Work teams are recorded the first time they are named: their directory appears only then, and is
    // loaded here once it exists.
    if (existsSync(join(stateDir, WORKTEAMS_DIR))) this.workteamRecords = new PersistentCollection(join(stateDir, WORKTEAMS_DIR));
  }

  get workteams(): PersistentCollection<WorkteamRecord> {
    this.workteamRecords ??= new PersistentCollection(join(this.stateDir, WORKTEAMS_DIR));
    return this.workteamRecords;
  }

  exclusive<R>(change: () => Promise<R>): Promise<R> {
    const result = this.queue.then(change, change);
    this.queue = result.catch(() => undefined);
    return result;
  }
}

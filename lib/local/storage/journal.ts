import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** One state change of the storage emulator, as one JSON line of its journal. */
export type JournalRecord = { t: string } & Record<string, unknown>;

/** The journal file could not be read back (not a truncated last line: a damaged one in the middle). */
export class StorageJournalError extends Error {
  override readonly name = 'StorageJournalError';
}

const JOURNAL_FILE = 'journal.jsonl';

/**
 * The storage emulator's write-ahead journal: every state change is appended (one write(2) per request)
 * before the request is answered. A write that returned is in the kernel's page cache, which survives
 * `kill -9` of this process; no fsync (a power loss is not what local mode guards against).
 */
/** A journal that has grown by this much since it was last compacted (and by twice its live state) is compacted again. */
const COMPACT_AFTER_BYTES = 64 * 1024 * 1024;

export class StorageJournal {
  private fd: number;
  private appended = 0;
  private compactScheduled = false;

  private constructor(
    private readonly file: string,
    fd: number,
    private liveBytes: number,
    private readonly compact: () => Iterable<JournalRecord>,
    private readonly compactAfterBytes: number,
  ) {
    this.fd = fd;
  }

  /**
   * Reads the journal in `dir` (each record to `replay`), then rewrites it as `compact()` returns the state
   * (a new file renamed over the old, so a kill during compaction leaves one or the other whole).
   */
  static open(dir: string, replay: (record: JournalRecord) => void, compact: () => Iterable<JournalRecord>, compactAfterBytes = COMPACT_AFTER_BYTES): StorageJournal {
    mkdirSync(dir, { recursive: true });
    const file = join(dir, JOURNAL_FILE);
    if (existsSync(file)) {
      const text = readFileSync(file, 'utf8');
      // The last piece is '' when the file ends with a newline, else a line a kill cut mid-append: dropped either way.
      text.split('\n').slice(0, -1).forEach((line, index) => {
        if (line === '') return;
        let record: JournalRecord;
        try {
          record = JSON.parse(line) as JournalRecord;
        } catch {
          throw new StorageJournalError(`${file}: line ${index + 1} is not JSON`);
        }
        replay(record);
      });
    }
    const liveBytes = rewrite(file, compact());
    return new StorageJournal(file, openSync(file, 'a'), liveBytes, compact, compactAfterBytes);
  }

  /** Appends records in one write; returns once the kernel has them. */
  append(records: readonly JournalRecord[]): void {
    if (records.length === 0) return;
    let text = '';
    for (const record of records) text += `${JSON.stringify(record)}\n`;
    const buffer = Buffer.from(text, 'utf8');
    let offset = 0;
    while (offset < buffer.length) offset += writeSync(this.fd, buffer, offset);
    this.appended += buffer.length;
    if (!this.compactScheduled && this.appended > Math.max(this.compactAfterBytes, 2 * this.liveBytes)) {
      this.compactScheduled = true;
      // After the request that appended: every change is applied in the same tick as its append, so by then the state is the journal's.
      setImmediate(() => this.compactNow());
    }
  }

  /** Rewrites the journal as the live state (a long `dev` session's journal would otherwise only grow). */
  compactNow(): void {
    this.compactScheduled = false;
    if (this.fd < 0) return;
    this.liveBytes = rewrite(this.file, this.compact());
    closeSync(this.fd);
    this.fd = openSync(this.file, 'a');
    this.appended = 0;
  }

  close(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
  }

  get path(): string {
    return this.file;
  }
}

/** Writes the records to `<file>.next` and renames it over `file` (a kill leaves one or the other whole); returns its size. */
function rewrite(file: string, records: Iterable<JournalRecord>): number {
  const next = `${file}.next`;
  const fd = openSync(next, 'w');
  let chunk: string[] = [];
  let size = 0;
  let total = 0;
  for (const record of records) {
    const line = `${JSON.stringify(record)}\n`;
    chunk.push(line);
    size += line.length;
    if (size > 1 << 20) {
      total += writeSync(fd, chunk.join(''));
      chunk = [];
      size = 0;
    }
  }
  if (chunk.length > 0) total += writeSync(fd, chunk.join(''));
  // The rename must not land before the content it names.
  fsyncSync(fd);
  closeSync(fd);
  renameSync(next, file);
  return total;
}

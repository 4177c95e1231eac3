import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Calls `read` with each line of the JSON Lines file at `path` (none when there is no file; its folder is made
 * for the writer), skipping a line a kill cut short: its write was never acknowledged. Returns how many lines
 * were read, for a caller deciding whether to compact.
 */
export function readJsonLines<T>(path: string, read: (line: T) => void): number {
  mkdirSync(dirname(path), { recursive: true });
  if (!existsSync(path)) return 0;
  let lines = 0;
  for (const text of readFileSync(path, 'utf8').split('\n')) {
    if (text === '') continue;
    let line: T;
    try {
      line = JSON.parse(text) as T;
    } catch {
      continue;
    }
    lines++;
    read(line);
  }
  return lines;
}

/**
 * Small append-only JSON Lines files in the state folder. Each line is written with one synchronous write
 * before the caller goes on, so what was written survives a kill of the process (the kernel has it); a line
 * cut short by a kill is skipped when the file is read back.
 */
class AppendLog<T> {
  private fd?: number;

  constructor(
    private readonly path: string,
    read: (line: T) => void,
  ) {
    readJsonLines(path, read);
  }

  append(line: T): void {
    this.fd ??= openSync(this.path, 'a');
    writeSync(this.fd, `${JSON.stringify(line)}\n`);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** The local consumer's record of what it took: message ids (SQS redelivers), and each reviewId's outcomes. */
/** Where a consumed message's line was to be written: a file (relative to the delivered folder), its offset and length. */
export interface LinePosition {
  f: string;
  at: number;
  n: number;
}

export class ConsumedLog {
  private readonly messages = new Set<string>();
  private readonly reviews = new Map<string, Set<string>>();
  private readonly log: AppendLog<{ m: string; r: string; o: string; p?: LinePosition }>;

  /**
   * `written` says whether the line an entry announces was written (the entry is journaled just before its
   * line, so a kill between the two leaves an entry whose line is not there: that message was not taken).
   */
  constructor(path: string, written: (position: LinePosition) => boolean = () => true) {
    this.log = new AppendLog(path, (line) => {
      if (!line.p || written(line.p)) this.remember(line.m, line.r, line.o);
    });
  }

  hasMessage(messageId: string): boolean {
    return this.messages.has(messageId);
  }

  hasReview(reviewId: string, outcome: string): boolean {
    return this.reviews.get(reviewId)?.has(outcome) ?? false;
  }

  add(messageId: string, reviewId: string, outcome: string, position?: LinePosition): void {
    this.remember(messageId, reviewId, outcome);
    this.log.append({ m: messageId, r: reviewId, o: outcome, ...(position ? { p: position } : {}) });
  }

  close(): void {
    this.log.close();
  }

  private remember(messageId: string, reviewId: string, outcome: string): void {
    this.messages.add(messageId);
    let outcomes = this.reviews.get(reviewId);
    if (!outcomes) this.reviews.set(reviewId, (outcomes = new Set()));
    outcomes.add(outcome);
  }
}

/** A set of strings kept in the state folder (only ever added to). */
export class DurableSet {
  private readonly members = new Set<string>();
  private readonly log: AppendLog<string>;

  constructor(path: string) {
    this.log = new AppendLog(path, (line) => this.members.add(line));
  }

  has(member: string): boolean {
    return this.members.has(member);
  }

  add(member: string): void {
    if (this.members.has(member)) return;
    this.members.add(member);
    this.log.append(member);
  }

  close(): void {
    this.log.close();
  }
}

export interface UploadBegun {
  bucket: string;
  key: string;
  eTag: string;
  versionId?: string;
}

/** The last upload of each bucket and key whose trigger was started, and whether it finished. */
export class UploadJournal {
  private readonly last = new Map<string, UploadBegun & { done: boolean }>();
  private readonly log: AppendLog<{ op: 'begin'; upload: UploadBegun } | { op: 'done'; bucket: string; key: string }>;

  constructor(path: string) {
    this.log = new AppendLog(path, (line) => {
      if (line.op === 'begin') this.last.set(slot(line.upload.bucket, line.upload.key), { ...line.upload, done: false });
      else {
        const last = this.last.get(slot(line.bucket, line.key));
        if (last) last.done = true;
      }
    });
  }

  /** The last upload of the key, finished or not. */
  lastOf(bucket: string, key: string): (UploadBegun & { done: boolean }) | undefined {
    return this.last.get(slot(bucket, key));
  }

  begin(upload: UploadBegun): void {
    const current = this.last.get(slot(upload.bucket, upload.key));
    if (current && !current.done && current.eTag === upload.eTag && current.versionId === upload.versionId) return;
    this.last.set(slot(upload.bucket, upload.key), { ...upload, done: false });
    this.log.append({ op: 'begin', upload });
  }

  done(bucket: string, key: string): void {
    const last = this.last.get(slot(bucket, key));
    if (!last || last.done) return;
    last.done = true;
    this.log.append({ op: 'done', bucket, key });
  }

  close(): void {
    this.log.close();
  }
}

const slot = (bucket: string, key: string): string => `${bucket}\u0000${key}`;

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Io } from '../../lib/cli/io';
import { main } from '../../lib/cli/main';
import type { ReviewMessage } from '../../lib/messages';
import { messageProblems } from '../../lib/messages/validate';

/** The hostile-input corpus (see its README.md). */
export const HOSTILE = join(__dirname, '..', 'fixtures', 'hostile');
export const hostile = (name: string): string => join(HOSTILE, name);
/** A replay takes a few seconds; a slow CI machine starts fauxqs slowly. */
export const REPLAY_MS = 90_000;

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export async function run(...argv: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    out: async (text) => {
      stdout += text;
    },
    err: (text) => {
      stderr += text;
    },
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

export interface ReplaySummary {
  records: number;
  activated: number;
  autoAccepted: number;
  invalid: number;
  loopsStarted: number;
  reviewed: number;
  failed: number;
  delivered: Record<string, number>;
  lost: number;
  duplicates: number;
}

export interface Replayed extends Run {
  summary: ReplaySummary;
  /** DIR/<queue>.jsonl, each message checked against the message contract. */
  queues: Record<string, ReviewMessage[]>;
  all: ReviewMessage[];
}

const tempDirs: string[] = [];
export function tempDir(prefix = 'a2i-hostile-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}
export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** `replay` of one input with the corpus's auto-review rules, its summary and every message it wrote. */
export async function replay(workflow: string, input: string): Promise<Replayed> {
  const out = tempDir('a2i-hostile-out-');
  const result = await run('replay', '--workflow', workflow, '--input', input, '--auto-review', hostile('auto-review.json'), '--out', out, '--timeout', '60');
  const lines = result.stdout.trimEnd().split('\n');
  const summary = JSON.parse(lines[lines.length - 1]) as ReplaySummary;
  const queues: Record<string, ReviewMessage[]> = {};
  for (const file of readdirSync(out).sort()) {
    queues[file.replace(/\.jsonl$/, '')] = readFileSync(join(out, file), 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => {
        const message = JSON.parse(line) as ReviewMessage;
        expect(messageProblems(message)).toEqual([]);
        return message;
      });
  }
  return { ...result, summary, queues, all: Object.values(queues).flat() };
}

export const lineOf = (message: ReviewMessage): number | undefined => (message.source.type === 's3' ? message.source.line : undefined);

/** The one message of the record on `line`. */
export function messageOnLine(all: ReviewMessage[], line: number): ReviewMessage {
  const found = all.filter((message) => lineOf(message) === line);
  expect(found).toHaveLength(1);
  return found[0];
}

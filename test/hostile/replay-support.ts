import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReplaySummary } from '../../lib/local/replay';
import type { ReviewMessage } from '../../lib/messages';
import { messageProblems } from '../../lib/messages/validate';
import { type CliRun, runCli as run } from '../support/run-cli';

export { run };

/** The hostile-input corpus (see its README.md). */
export const HOSTILE = join(__dirname, '..', 'fixtures', 'hostile');
export const hostile = (name: string): string => join(HOSTILE, name);
/** A replay takes a few seconds; a slow CI machine starts fauxqs slowly. */
export const REPLAY_MS = 90_000;

export type { ReplaySummary };

export interface Replayed extends CliRun {
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

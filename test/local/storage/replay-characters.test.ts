import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReviewMessage } from '../../../lib/messages';
import { runCli as run } from '../../support/run-cli';

/**
 * Characters above U+FFFF (emoji, musical symbols, U+10FFFF) in records, ids and the input's name pass the
 * whole local pipeline, as they pass real SQS and S3: the local SQS once refused them, failing the file.
 */
const fixtures = join(__dirname, '..', '..', 'fixtures', 'replay');
const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'a2i-storage-chars-'));
  dirs.push(dir);
  return dir;
};

it('records, record ids and a key with characters above U+FFFF each end in their one message, carried as written', async () => {
  const records = [
    { claimId: 'c-😀', amount: 1, confidence: 0.99, scenario: 'auto', note: '𝄞 \u{10FFFF} \u{10000}' },
    { claimId: 'c-🎉', amount: 2, confidence: 0.5, scenario: 'agree', note: '👩‍👩‍👧 family' },
    { claimId: 'c-plain', amount: 3, confidence: 0.99, scenario: 'auto', note: 'ascii' },
  ];
  const input = join(tempDir(), 'claims 😀.jsonl');
  writeFileSync(input, `${records.map((record) => JSON.stringify(record)).join('\n')}\n`);
  const out = tempDir();

  const result = await run('replay', '--workflow', join(fixtures, 'claims.yaml'), '--input', input, '--auto-review', join(fixtures, 'auto-review.json'), '--out', out, '--timeout', '60');

  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
  const messages = readdirSync(out).flatMap((file) => readFileSync(join(out, file), 'utf8').trimEnd().split('\n').map((line) => ({ queue: file.replace(/\.jsonl$/, ''), message: JSON.parse(line) as ReviewMessage })));
  expect(messages.map(({ queue, message }) => [message.recordId, queue, message.outcome]).sort()).toEqual([
    ['c-plain', 'accepted', 'auto-accepted'],
    ['c-🎉', 'reviewed', 'reviewed'],
    ['c-😀', 'accepted', 'auto-accepted'],
  ]);
  const accepted = messages.find(({ message }) => message.recordId === 'c-😀')?.message;
  expect(accepted?.record).toEqual(records[0]);
  expect(accepted?.source).toMatchObject({ type: 's3', key: expect.stringContaining('claims 😀.jsonl') });
}, 90_000);

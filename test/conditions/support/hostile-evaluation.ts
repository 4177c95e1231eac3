/**
 * Run by bounded-evaluation.test.ts in a child process (node bin/run-ts.js …), so that an evaluation that
 * never ends fails the test at its deadline instead of freezing the test runner: reads the cases as JSON
 * from stdin, evaluates each with compileConditions (summarize, as ingest does, then evaluate) and prints
 * what came out as one JSON line.
 */
import { readFileSync } from 'node:fs';
import { compileConditions } from '../../../lib/conditions';

interface Case {
  document: unknown;
  record: unknown;
}

const cases = JSON.parse(readFileSync(0, 'utf8')) as Case[];
const outcomes = cases.map(({ document, record }) => {
  const conditions = compileConditions(document);
  const summary = conditions.summarize(record, () => 'identity');
  const decision = conditions.evaluate(record, () => 'identity');
  return { activated: summary.activated, errors: summary.errors ?? [], decisionActivated: decision.activated };
});
process.stdout.write(`${JSON.stringify(outcomes)}\n`);

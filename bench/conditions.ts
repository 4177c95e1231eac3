import { search } from '@jmespath-community/jmespath';
import { anyYielded } from '../lib/jmespath';
import { join } from 'node:path';
import { compileConditions } from '../lib/conditions';
import { samplingIdentity } from '../lib/record-identity';
import { loadWorkflowFile } from '../lib/workflow';
import { collectGarbage, type Figure, median, opsPerSecond } from './figures';
import { invoiceRecords } from './records';

const ROUNDS = 9;
const SECONDS_PER_ROUND = 0.4;

/**
 * Evaluations per second of the example workflow's conditions on ~1 KB records, against the same
 * conditions with every JMESPath expression re-parsed per record. Rounds alternate between the two so
 * that a noisy neighbour slows both alike; the medians are compared.
 */
export function conditionsBenchmark(): Figure[] {
  const file = join(__dirname, '..', 'workflows', 'invoice-extraction.yaml');
  const { workflow } = loadWorkflowFile(file);
  if (!workflow) throw new Error(`cannot load ${file}`);
  const activation = workflow.definition.activation;
  const compiled = compileConditions(activation);
  const naive = compileConditions(activation, {
    compilePath: {
      value: (expression) => (value) => search(value as never, expression),
      any: (expression) => (value, test) => anyYielded(search(value as never, expression), test),
    },
  });

  const records = invoiceRecords(1000);
  const identities = records.map((record) => samplingIdentity(record, workflow.definition.name, String(record.documentId)));
  const batch = (conditions: typeof compiled) => () => {
    for (let i = 0; i < records.length; i++) {
      const identity = identities[i];
      conditions.evaluate(records[i], () => identity);
    }
    return records.length;
  };
  const fast: number[] = [];
  const slow: number[] = [];
  opsPerSecond(batch(compiled), 0.3); // warm-up
  opsPerSecond(batch(naive), 0.3);
  for (let round = 0; round < ROUNDS; round++) {
    collectGarbage();
    fast.push(opsPerSecond(batch(compiled), SECONDS_PER_ROUND));
    collectGarbage();
    slow.push(opsPerSecond(batch(naive), SECONDS_PER_ROUND));
  }
  const evalsPerSecond = median(fast);
  const naivePerSecond = median(slow);
  // Each round's pair ran back to back: the median of their ratios holds up when the machine's speed drifts.
  const ratio = median(fast.map((rate, round) => rate / slow[round]));
  const recordBytes = Math.round(records.reduce((sum, record) => sum + JSON.stringify(record).length, 0) / records.length);
  return [
    { name: 'conditions.evals_per_s', value: Math.round(evalsPerSecond), unit: 'evaluations/s', recordBytes, target: '>= 200000' },
    {
      name: 'conditions.naive_ratio',
      value: Number(ratio.toFixed(2)),
      unit: 'ratio',
      naiveEvalsPerSecond: Math.round(naivePerSecond),
      target: '>= 10',
    },
  ];
}

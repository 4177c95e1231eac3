import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { firedConditions } from '../lib/conditions';
import { samplingIdentity } from '../lib/record-identity';
import { formatIssue, loadWorkflows, WorkflowConfigError } from '../lib/workflow';

/**
 * `npm start` until local mode lands: validates workflows/ and shows, for each bundled sample record,
 * whether the example workflow would send it to a person and which conditions decided it.
 */
const root = join(__dirname, '..');

try {
  const workflows = loadWorkflows([join(root, 'workflows')]);
  process.stdout.write(`workflows/ is valid: ${workflows.map((workflow) => workflow.definition.name).join(', ')}\n\n`);
  const workflow = workflows.find((candidate) => candidate.definition.name === 'invoice-extraction');
  if (workflow) {
    process.stdout.write('samples/invoices.jsonl through the invoice-extraction workflow:\n');
    for (const line of readFileSync(join(root, 'samples', 'invoices.jsonl'), 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      const record = JSON.parse(line) as unknown;
      const id = workflow.recordIdOf(record);
      const decision = workflow.decide(record, () => samplingIdentity(record, workflow.definition.name, id));
      const why = firedConditions(decision.humanTaskActivationConditionResults.Conditions);
      const verdict = decision.activated ? `human review   <- ${why.join(', ')}` : 'auto-accepted';
      process.stdout.write(`  ${String(id).padEnd(18)} ${verdict}\n`);
    }
    process.stdout.write('\nFull decisions: npx a2i-orchestrator eval --workflow workflows/invoice-extraction.yaml --input samples/invoices.jsonl\n');
  }
} catch (error) {
  if (!(error instanceof WorkflowConfigError)) throw error;
  for (const issue of error.issues) process.stderr.write(`${formatIssue(issue)}\n`);
  process.exitCode = 1;
}

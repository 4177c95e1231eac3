import { join } from 'node:path';
import { compileWorkflow, compileWorkflowWithoutConditions, ConditionsNotLoadedError, loadWorkflows } from '../../lib/workflow';

/**
 * The functions that never decide activation (the splitters, the review loop's steps) load workflows without
 * compiling their conditions, so that their bundles hold no condition compiler: everything else they use must
 * be what compileWorkflow gives.
 */
const [loaded] = loadWorkflows([join(__dirname, '..', '..', 'workflows')]);
const full = compileWorkflow(loaded.definition);
const partial = compileWorkflowWithoutConditions(loaded.definition);

const record = { documentId: 'inv-7', documentUri: 's3://acme-invoices/scans/inv-7.pdf', vendor: 'Acme', totalAmount: 120, currency: 'EUR', fields: [{ name: 'total', confidence: 0.41 }], extra: 'dropped' };

describe('a workflow compiled without its conditions', () => {
  test('identifies, projects and routes records as the fully compiled workflow does', () => {
    expect(partial.recordIdOf(record)).toBe(full.recordIdOf(record));
    expect(partial.recordIdOf(record)).toBe('inv-7');
    expect(partial.recordsOf(record)).toEqual(full.recordsOf(record));
    expect(partial.project(record)).toEqual(full.project(record));
    for (const answer of [{ review: { consolidated: { verdict: { corrected: true } } } }, { review: { consolidated: { verdict: { corrected: false } } } }]) {
      const queueOf = (workflow: typeof full) => workflow.routes.find((route) => !route.when || route.when(answer))?.queue;
      expect(queueOf(partial)).toBe(queueOf(full));
    }
    expect(partial.definition).toBe(loaded.definition);
  });

  test('refuses to decide a record, with a typed error, rather than deciding it wrongly', () => {
    expect(full.decide(record, () => 'inv-7').activated).toEqual(expect.any(Boolean));
    expect(() => partial.decide(record, () => 'inv-7')).toThrow(ConditionsNotLoadedError);
    expect(() => partial.conditions.summarize(record, () => 'inv-7')).toThrow(ConditionsNotLoadedError);
  });
});

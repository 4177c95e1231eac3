import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeWorkflowBundle } from '../../lib/workflow';

const bundles = new Map<string, string>();

/** The workflow bundle of a fixture directory, as `serverless package` would ship it (written once per test file). */
export function workflowBundleFor(workflowsDir: string): string {
  let file = bundles.get(workflowsDir);
  if (!file) {
    file = join(mkdtempSync(join(tmpdir(), 'a2i-workflows-')), 'workflows.json');
    writeWorkflowBundle([workflowsDir], file);
    bundles.set(workflowsDir, file);
  }
  return file;
}

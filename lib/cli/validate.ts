import { formatIssue, loadWorkflows, WorkflowConfigError } from '../workflow';
import type { Io } from './io';

export const VALIDATE_USAGE = 'a2i-orchestrator validate [PATH…]   (default: workflows/)';

/** Exit 0 when every workflow is valid; otherwise 1, with one line per problem on stdout. */
export async function validateCommand(paths: string[], io: Io): Promise<number> {
  const targets = paths.length > 0 ? paths : ['workflows'];
  try {
    const workflows = loadWorkflows(targets);
    for (const workflow of workflows) await io.out(`ok ${workflow.definition.file} (${workflow.definition.name})\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof WorkflowConfigError)) throw error;
    for (const issue of error.issues) await io.out(`${formatIssue(issue).replace(/\s*\n\s*/g, ' ')}\n`);
    const files = new Set(error.issues.map((issue) => issue.file)).size;
    io.err(`${error.issues.length} problem${error.issues.length === 1 ? '' : 's'} in ${files} file${files === 1 ? '' : 's'}\n`);
    return 1;
  }
}

/** One problem in a workflow file: where (file, path inside it, line when known) and why. */
export interface ConfigIssue {
  file: string;
  location: string;
  line?: number;
  column?: number;
  message: string;
}

export function formatIssue(issue: ConfigIssue): string {
  const position = issue.line === undefined ? '' : `:${issue.line}:${issue.column ?? 1}`;
  return `${issue.file}${position}: ${issue.location}: ${issue.message}`;
}

export class WorkflowConfigError extends Error {
  override readonly name = 'WorkflowConfigError';
  constructor(readonly issues: ConfigIssue[]) {
    super(issues.map(formatIssue).join('\n'));
  }
}

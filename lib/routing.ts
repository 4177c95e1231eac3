import { isTruthy } from './jmespath';
import { RawJson, type ReviewMessage } from './messages';
import type { CompiledWorkflow } from './workflow';

/**
 * The workflow queue a message goes to. Reviewed records take the first route whose `when` is truthy on
 * the message (the last route has no `when`, so there is always one); every other outcome has its queue.
 */
export function queueFor(workflow: CompiledWorkflow, message: ReviewMessage): string {
  const { definition } = workflow;
  switch (message.outcome) {
    case 'auto-accepted':
      return definition.autoAccepted.queue;
    case 'invalid':
      return definition.invalid.queue;
    case 'failed':
      return definition.failures.queue;
    case 'reviewed': {
      // Routes see the message as consumers will: a record carried as its text, parsed.
      const view = message.record instanceof RawJson ? { ...message, record: message.record.toJSON() } : message;
      const route = workflow.routes.find((candidate) => !candidate.when || isTruthy(candidate.when(view)));
      return (route ?? workflow.routes[workflow.routes.length - 1]).queue;
    }
  }
}

import type { Decision } from '../conditions';
import type { RecordReference } from '../messages';
import type { CompiledWorkflow } from '../workflow';

/** A2I's limit on HumanLoopInput.InputContent. */
export const MAX_INPUT_CONTENT_CHARS = 3_145_728;

/**
 * The loop's InputContent, which the worker template sees as `task.input`: the workflow's projection of the
 * record (`record`), why it was sent (`decision`) and where it came from (`source`). Deterministic, so a
 * retried StartHumanLoop sends the same input. Over A2I's limit, a workflow with `input.oversize: reference`
 * gives reviewers `recordRef` (the S3 object, for `grant_read_access`) instead of the record; otherwise the
 * reason the record is invalid is returned.
 *
 * The record as written is not in InputContent: a projection is what A2I and its workers may see (and what
 * content classifiers vouch for), and output.json echoes InputContent parsed (`12345678901234567890`, `-0`,
 * `1.0`, `-1e400`, escapes, spacing and key order do not survive). Ingest keeps the text of every record it
 * opens a loop for in the payload bucket (recordTextKey), so the loop's message, reviewed or failed, carries it.
 */
export function buildInputContent(
  workflow: CompiledWorkflow,
  reference: RecordReference,
  record: unknown,
  decision: Decision,
): { content: string } | { reason: string } {
  const common = { reviewId: reference.reviewId, workflow: reference.workflow, ...(reference.recordId !== undefined ? { recordId: reference.recordId } : {}) };
  const projected = workflow.project(record) ?? null;
  const full = JSON.stringify({ ...common, record: projected, decision, source: reference.source });
  if (full.length <= MAX_INPUT_CONTENT_CHARS) return { content: full };
  const tooLarge = `InputContent would be ${full.length} characters, over A2I's limit of ${MAX_INPUT_CONTENT_CHARS}`;
  const { source } = reference;
  if (workflow.definition.input.oversize !== 'reference' || source.type !== 's3') return { reason: tooLarge };
  const byReference = JSON.stringify({ ...common, recordRef: `s3://${source.bucket}/${source.key}`, decision, source });
  return byReference.length <= MAX_INPUT_CONTENT_CHARS ? { content: byReference } : { reason: `${tooLarge}, even with the record by reference` };
}

/** The payload-bucket key of the text of a record with a loop (see buildInputContent). */
export const recordTextKey = (workflow: string, reviewId: string): string => `payloads/${workflow}/${reviewId}/input-record.json`;

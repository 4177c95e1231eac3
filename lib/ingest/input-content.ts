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
 * `keepText`: whether the reviewed message, which is built from InputContent as A2I's output.json echoes it,
 * cannot carry the record as written (`text`) from there. It can only when InputContent's `record` is the
 * whole record (projection `@`) and the text is what JSON.stringify writes of it; otherwise (a projection,
 * the record by reference, or `12345678901234567890`, `-0`, `1.0`, `-1e400`, escapes, spacing, key order)
 * ingest keeps the text in the payload bucket (recordTextKey). It is never added to InputContent: a
 * projection is what A2I and its workers may see (and what content classifiers vouch for), not the record.
 */
export function buildInputContent(
  workflow: CompiledWorkflow,
  reference: RecordReference,
  record: unknown,
  decision: Decision,
  text: string,
): { content: string; keepText: boolean } | { reason: string } {
  const common = { reviewId: reference.reviewId, workflow: reference.workflow, ...(reference.recordId !== undefined ? { recordId: reference.recordId } : {}) };
  const projected = workflow.project(record) ?? null;
  const full = JSON.stringify({ ...common, record: projected, decision, source: reference.source });
  if (full.length <= MAX_INPUT_CONTENT_CHARS) return { content: full, keepText: projected !== record || JSON.stringify(record) !== text };
  const tooLarge = `InputContent would be ${full.length} characters, over A2I's limit of ${MAX_INPUT_CONTENT_CHARS}`;
  const { source } = reference;
  if (workflow.definition.input.oversize !== 'reference' || source.type !== 's3') return { reason: tooLarge };
  const byReference = JSON.stringify({ ...common, recordRef: `s3://${source.bucket}/${source.key}`, decision, source });
  return byReference.length <= MAX_INPUT_CONTENT_CHARS ? { content: byReference, keepText: true } : { reason: `${tooLarge}, even with the record by reference` };
}

/** The payload-bucket key of a reviewed record's text (see buildInputContent's keepText). */
export const recordTextKey = (workflow: string, reviewId: string): string => `payloads/${workflow}/${reviewId}/input-record.json`;

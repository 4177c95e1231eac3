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
 * The reviewed message is built from this input as output.json echoes it, and must carry the record as
 * written (`text`). When `record` is not that already (a projection other than `@`, or a text that
 * JSON.stringify would not write back: `12345678901234567890`, `-0`, `1.0`, `-1e400`, escapes, spacing,
 * key order), the text travels as the string `recordText`: a string survives any JSON round trip, numbers
 * do not. Most records are written as JSON.stringify writes them, and their InputContent is as it was.
 */
export function buildInputContent(workflow: CompiledWorkflow, reference: RecordReference, record: unknown, decision: Decision, text: string): string | { reason: string } {
  const common = { reviewId: reference.reviewId, workflow: reference.workflow, ...(reference.recordId !== undefined ? { recordId: reference.recordId } : {}) };
  const projected = workflow.project(record) ?? null;
  const asWritten = projected === record && JSON.stringify(record) === text;
  const full = JSON.stringify({ ...common, record: projected, ...(asWritten ? {} : { recordText: text }), decision, source: reference.source });
  if (full.length <= MAX_INPUT_CONTENT_CHARS) return full;
  const tooLarge = `InputContent would be ${full.length} characters, over A2I's limit of ${MAX_INPUT_CONTENT_CHARS}`;
  const { source } = reference;
  if (workflow.definition.input.oversize !== 'reference' || source.type !== 's3') return { reason: tooLarge };
  const byReference = JSON.stringify({ ...common, recordRef: `s3://${source.bucket}/${source.key}`, decision, source });
  return byReference.length <= MAX_INPUT_CONTENT_CHARS ? byReference : { reason: `${tooLarge}, even with the record by reference` };
}

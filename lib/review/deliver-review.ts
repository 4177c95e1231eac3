import type { Clock } from '../clock';
import type { Decision } from '../conditions';
import { RawJson, type RecordReference, type ReviewMessage, reviewMessage } from '../messages';
import { isObjectGone } from '../s3-store';
import type { ConsolidationStrategy, CompiledWorkflow } from '../workflow';
import { compileConsolidation, type Consolidation, type HumanAnswer, reviewTimes } from './consolidate';
import { type DeliverDeps, deliverOnce } from './deliver-once';
import type { ReviewLoopState } from './loop-state';
import { asTaskError } from './task-errors';

/** Reads an s3:// object as text (output.json, a record's text in the payload bucket). */
export interface ObjectReader {
  readObject(uri: string): Promise<string>;
}

export interface ReviewDeps extends DeliverDeps, ObjectReader {
  clock: Clock;
}

/** A2I's output.json (the parts used here). */
interface A2iOutput {
  humanAnswers?: HumanAnswer[];
  inputContent?: unknown;
  humanLoopName?: string;
}

export class OutputFormatError extends Error {
  override readonly name = 'OutputFormatError';
}

const consolidators = new WeakMap<CompiledWorkflow, (answers: HumanAnswer[]) => Consolidation>();

/**
 * DeliverReview: reads the completed loop's output.json, consolidates its answers by the workflow's
 * strategy and delivers the `reviewed` message to the first route that matches. The record (as written) and
 * decision come back from the loop's own InputContent, so nothing large ever travels through the state machine.
 */
export async function deliverReview(state: ReviewLoopState, deps: ReviewDeps): Promise<{ outcome: 'reviewed'; queue: string; delivered: boolean }> {
  const check = state.check;
  if (!check?.outputS3Uri) throw new OutputFormatError(`loop ${state.humanLoopName} completed without an output location`);
  let text: string;
  try {
    text = await deps.readObject(check.outputS3Uri);
  } catch (error) {
    throw asTaskError(error);
  }
  const output = parseOutput(text, check.outputS3Uri);
  const answers = output.humanAnswers ?? [];
  const workflow = deps.workflow(state.workflow);
  const consolidation = consolidatorFor(workflow)(answers);
  const input = loopInputOf(output, check.outputS3Uri);
  const recordText = state.recordTextRef === undefined ? undefined : await keptText(state.recordTextRef, deps);
  // The record as written: its text kept at ingest (see buildInputContent); if that is gone, InputContent's
  // record (a projection shows only what reviewers saw).
  const record = recordText !== undefined ? new RawJson(recordText) : input.record;
  const reference: RecordReference = { reviewId: state.reviewId, workflow: state.workflow, source: state.source, ...(state.recordId !== undefined ? { recordId: state.recordId } : {}) };
  const message: ReviewMessage = reviewMessage(
    reference,
    'reviewed',
    {
      record,
      recordRef: record === undefined ? input.recordRef : undefined,
      decision: input.decision,
      review: {
        humanLoopName: state.humanLoopName,
        ...(check.humanLoopArn ? { humanLoopArn: check.humanLoopArn } : {}),
        status: 'Completed',
        outputS3Uri: check.outputS3Uri,
        answers,
        consolidated: consolidation.consolidated,
        agreement: consolidation.agreement,
        tie: consolidation.tie,
        ...reviewTimes(answers, check.creationTime),
      },
    },
    new Date(deps.clock.now()),
  );
  const { queue, delivered } = await deliverOnce(message, deps);
  return { outcome: 'reviewed', queue, delivered };
}

/**
 * The record's text kept at ingest. The payload bucket expires objects after 30 days, and a loop may run
 * longer (tracking.timeoutSeconds): an object that is gone (404, or 403 without s3:ListBucket) leaves the
 * message without it rather than throwing a person's answers away or holding up a failure. Other errors are retried.
 */
export async function keptText(uri: string, deps: ObjectReader): Promise<string | undefined> {
  try {
    return await deps.readObject(uri);
  } catch (error) {
    if (isObjectGone(error)) return undefined;
    throw asTaskError(error);
  }
}

function parseOutput(text: string, uri: string): A2iOutput {
  let output: unknown;
  try {
    output = JSON.parse(text);
  } catch {
    throw new OutputFormatError(`${uri} is not JSON`);
  }
  if (output === null || typeof output !== 'object' || !Array.isArray((output as A2iOutput).humanAnswers) || (output as A2iOutput).humanAnswers?.length === 0) {
    throw new OutputFormatError(`${uri} has no humanAnswers`);
  }
  return output as A2iOutput;
}

/** The loop's InputContent as output.json echoes it (A2I writes it as a JSON string). */
function loopInputOf(output: A2iOutput, uri: string): { record?: unknown; recordRef?: string; decision?: Decision } {
  if (typeof output.inputContent !== 'string') return (output.inputContent ?? {}) as ReturnType<typeof loopInputOf>;
  try {
    return JSON.parse(output.inputContent);
  } catch {
    // Not the parser's message: it quotes the text, which is the record, and the reason reaches consumers.
    throw new OutputFormatError(`${uri} has an inputContent that is not JSON`);
  }
}

function consolidatorFor(workflow: CompiledWorkflow): (answers: HumanAnswer[]) => Consolidation {
  let consolidate = consolidators.get(workflow);
  if (!consolidate) {
    const { strategy, fields } = workflow.definition.consolidation as { strategy: ConsolidationStrategy; fields?: string[] };
    consolidators.set(workflow, (consolidate = compileConsolidation({ strategy, ...(fields ? { fields } : {}) })));
  }
  return consolidate;
}

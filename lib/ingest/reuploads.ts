import type { Envelope, QueueAddress } from '../delivery';
import type { Ledger, RecordKey, RecordSlot } from '../ledger';
import type { LoopStarter } from '../loop-starter';
import { type MessageSource, RawJson, reviewMessage, type ReviewMessage } from '../messages';
import { textSha256 } from '../naming';
import { queueFor } from '../routing';
import { isObjectGone } from '../s3-store';
import type { CompiledWorkflow } from '../workflow';
import { recordTextKey } from './input-content';

/**
 * `source.s3.reupload: supersede` (the default): the records of an S3 key are matched across its versions by
 * recordId (by position when the workflow has none), and each record of a key is reviewed once per content:
 *
 * - the first version of a record takes the record's slot in the ledger and goes on as usual;
 * - an unchanged record (same text) in a later version is neither reviewed nor delivered again;
 * - a changed record ends its predecessor first: the old loop is stopped and the old record delivered as
 *   `failed` with code `Superseded`, then the new version takes the slot and is reviewed;
 * - a version older than the slot's (S3 events are not delivered in order; the S3 sequencer orders the
 *   versions of one key) does not take it: its changed records are delivered `failed` `Superseded` at once.
 *
 * So one record of one key never has two open tasks, and every record still ends in exactly one message (an
 * unchanged one shares its predecessor's). Every step is idempotent: a retried or duplicated work message
 * finds the slot held by its own review, or the predecessor delivered.
 */
export type SlotVerdict = 'proceed' | 'unchanged' | 'superseded' | 'retry-later';

/** A record of one version, as the slot protocol sees it. */
export interface SlotCandidate {
  key: RecordKey;
  /** What matches the record across versions: its recordId, or its position. */
  match: { recordId: string } | { index: number };
  /** The record's text (or, for a record that travels without one, what stands for it). */
  content: string;
  recordId?: string;
  source: MessageSource;
}

/** The payload bucket, where ingest keeps the text of each record it opens a loop for (recordTextKey). */
export interface KeptTexts {
  uriOf(key: string): string;
  get(uri: string): Promise<string>;
}

export interface ReuploadDeps {
  ledger: Ledger;
  loops: Pick<LoopStarter, 'stop'>;
  payloads: KeptTexts;
  delivery: { deliver(envelopes: Envelope[]): Promise<void> };
  queueAddress(workflow: string, queue: string): QueueAddress;
}

export interface ReuploadContext {
  workflow: CompiledWorkflow;
  source: { bucket: string; key: string; sequencer?: string };
  /** The last delivery attempt of this work: a predecessor still being delivered by another attempt is not waited for. */
  finalAttempt: boolean;
  /** The batch's timestamp (ISO) for the messages of superseded predecessors. */
  now: string;
}

/** How often a slot that changed under us is looked at again within one attempt. */
const SLOT_ROUNDS = 3;

/** The code a superseded record's `failed` message carries. */
export const SUPERSEDED = 'Superseded';

/** Settles one record against its slot: see SlotVerdict. */
export async function settleSlot(candidate: SlotCandidate, context: ReuploadContext, deps: ReuploadDeps): Promise<SlotVerdict> {
  const mine = slotOf(candidate, context);
  // Most records are new to their key: one conditional write settles them.
  if (await deps.ledger.takeSlot(mine)) return 'proceed';
  return settleTakenSlot(mine, context, deps);
}

/**
 * settleSlot for many records: the first take of every slot in few calls (takeSlots), then the few records
 * whose slot was held already one by one. The verdicts in the candidates' order.
 */
export async function settleSlots(candidates: SlotCandidate[], context: ReuploadContext, deps: ReuploadDeps, concurrency: number): Promise<SlotVerdict[]> {
  const mine = candidates.map((candidate) => slotOf(candidate, context));
  const taken = await deps.ledger.takeSlots(mine);
  const verdicts = taken.map((took): SlotVerdict => (took ? 'proceed' : 'retry-later'));
  const held = mine.flatMap((_, index) => (taken[index] ? [] : [index]));
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < held.length) {
      const index = held[next++];
      verdicts[index] = await settleTakenSlot(mine[index], context, deps);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, held.length) }, worker));
  return verdicts;
}

/** The slot a candidate takes. */
function slotOf(candidate: SlotCandidate, context: ReuploadContext): RecordSlot {
  return {
    slotId: slotIdFor(context.workflow.definition.name, context.source, candidate.match),
    holder: candidate.key.reviewId,
    recordIndex: candidate.key.recordIndex,
    ...(candidate.recordId !== undefined ? { recordId: candidate.recordId } : {}),
    source: candidate.source,
    contentHash: textHash(candidate.content),
    ...(context.source.sequencer !== undefined ? { sequencer: context.source.sequencer } : {}),
  };
}

/** A record whose first take of its slot failed: the slot is held (or was, a moment ago). */
async function settleTakenSlot(mine: RecordSlot, context: ReuploadContext, deps: ReuploadDeps): Promise<SlotVerdict> {
  for (let round = 0; round < SLOT_ROUNDS; round++) {
    const slot = await deps.ledger.getSlot(mine.slotId);
    if (!slot) {
      if (await deps.ledger.takeSlot(mine)) return 'proceed';
      continue;
    }
    if (slot.holder === mine.holder) return 'proceed';
    if (slot.contentHash === mine.contentHash) return 'unchanged';
    if (isLaterSequencer(slot.sequencer, mine.sequencer)) return 'superseded';
    const ended = await endPredecessor(slot, context, deps);
    if (ended === 'busy' && !context.finalAttempt) return 'retry-later';
    if (await deps.ledger.takeSlot(mine, slot.holder)) return 'proceed';
  }
  return 'retry-later';
}

/**
 * The holder's record gets its one message, `failed` Superseded, unless it has had its message already;
 * its loop (if one was started) is stopped before. `busy`: another attempt is delivering it right now.
 */
async function endPredecessor(slot: RecordSlot, context: ReuploadContext, deps: ReuploadDeps): Promise<'done' | 'busy'> {
  const { workflow } = context;
  const name = workflow.definition.name;
  const key: RecordKey = { reviewId: slot.holder, workflow: name, recordIndex: slot.recordIndex };
  const claim = await deps.ledger.claimDelivery(key, 'failed');
  if (claim === 'busy') return 'busy';
  if (claim !== 'claimed') return 'done';
  try {
    await deps.loops.stop(slot.holder);
    // The superseded record as written: kept at ingest when its loop was started.
    const text = await keptText(deps.payloads, deps.payloads.uriOf(recordTextKey(name, slot.holder)));
    const message = supersededMessage({ reviewId: slot.holder, workflow: name, source: slot.source, ...(slot.recordId !== undefined ? { recordId: slot.recordId } : {}) }, context, text);
    await deps.delivery.deliver([{ queue: deps.queueAddress(name, queueFor(workflow, message)), message }]);
  } catch (error) {
    await deps.ledger.releaseClaim(slot.holder);
    throw error;
  }
  await deps.ledger.markDelivered(slot.holder);
  return 'done';
}

/** The `failed` Superseded message of a record a later version of its key replaced, with the record as written when there is its text. */
export function supersededMessage(reference: { reviewId: string; workflow: string; source: MessageSource; recordId?: string }, context: Pick<ReuploadContext, 'source' | 'now'>, recordText?: string): ReviewMessage {
  const reason = `a later version of s3://${context.source.bucket}/${context.source.key} changed this record`;
  return reviewMessage(reference, 'failed', { ...(recordText !== undefined ? { record: new RawJson(recordText) } : {}), failure: { code: SUPERSEDED, reason } }, context.now);
}

/** A kept text, or none when it is gone (the payload bucket expires objects; a loop started before texts were kept has none). */
async function keptText(payloads: KeptTexts, uri: string): Promise<string | undefined> {
  try {
    return await payloads.get(uri);
  } catch (error) {
    if (isObjectGone(error)) return undefined;
    throw error;
  }
}

/** The slot's key: `slot#` and a hash of the workflow, the bucket and key, and the record's match. */
export function slotIdFor(workflow: string, source: { bucket: string; key: string }, match: SlotCandidate['match']): string {
  const part = 'recordId' in match ? `id\u0000${match.recordId}` : `index\u0000${match.index}`;
  return `slot#${textHash(`${workflow}\u0001${source.bucket}\u0000${source.key}\u0001${part}`)}`;
}

/** A text's SHA-256 in hex, lone surrogates kept apart (textSha256, as review ids hash). */
const textHash = (text: string): string => textSha256(text).toString('hex');

/**
 * Whether sequencer `a` comes after `b`. S3's sequencers are hexadecimal strings that may differ in length:
 * the shorter is left-padded with zeros, then the two compare as strings. Without both, nothing is known and
 * the version processed last wins.
 */
export function isLaterSequencer(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const width = Math.max(a.length, b.length);
  return a.toUpperCase().padStart(width, '0') > b.toUpperCase().padStart(width, '0');
}

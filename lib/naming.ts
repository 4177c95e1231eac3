import { createHash } from 'node:crypto';

/** Where a record came from, as far as its identity is concerned. */
export type SourceIdentity =
  | { type: 's3'; bucket: string; key: string; versionId?: string; etag?: string }
  | { type: 'event'; eventSource: string; eventId: string; detailType?: string };

/** A2I's name pattern for human loops and flow definitions. */
export const A2I_NAME_PATTERN = /^[a-z0-9](-*[a-z0-9])*$/;
export const A2I_NAME_MAX_LENGTH = 63;
const HASH_LENGTH = 26;
/** The longest workflow name that still leaves room for `-<hash>` within 63 characters. */
export const WORKFLOW_NAME_MAX_LENGTH = A2I_NAME_MAX_LENGTH - HASH_LENGTH - 1;

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/**
 * The review id, which is also the human loop's name and the execution's name: `<workflow>-<hash>` where the
 * hash (130 bits, lowercase base32) covers the workflow, the source object's identity (bucket, key and
 * version or ETag; or the event's source and id) and the record's id (or its position when the workflow has
 * no `recordId`). A retried or duplicated trigger yields the same name; a re-uploaded object with other
 * content has another ETag and so other names.
 */
export function reviewIdFor(workflow: string, source: SourceIdentity, record: { recordId?: string; index: number }): string {
  const sourcePart =
    source.type === 's3'
      ? `s3\u0000${source.bucket}\u0000${source.key}\u0000${source.versionId ?? ''}\u0000${source.etag ?? ''}`
      : `event\u0000${source.eventSource}\u0000${source.eventId}`;
  const recordPart = record.recordId !== undefined ? `id\u0000${record.recordId}` : `index\u0000${record.index}`;
  const digest = createHash('sha256').update(`${workflow}\u0001${sourcePart}\u0001${recordPart}`).digest();
  return `${workflow}-${base32(digest).slice(0, HASH_LENGTH)}`;
}

function base32(bytes: Buffer): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  return out;
}

import * as crypto from 'node:crypto';

/** Where a record came from, as far as its identity is concerned. */
export type SourceIdentity =
  | { type: 's3'; bucket: string; key: string; versionId?: string; etag?: string; /** Orders the versions of one key (S3's event sequencer); not part of any id. */ sequencer?: string }
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
  return reviewIdsFor(workflow, source)(record);
}

/** reviewIdFor for many records of one source: the workflow and source part of the hashed text is built once. */
export function reviewIdsFor(workflow: string, source: SourceIdentity): (record: { recordId?: string; index: number }) => string {
  const sourcePart =
    source.type === 's3'
      ? `s3\u0000${source.bucket}\u0000${source.key}\u0000${source.versionId ?? ''}\u0000${source.etag ?? ''}`
      : `event\u0000${source.eventSource}\u0000${source.eventId}`;
  const prefix = `${workflow}\u0001${sourcePart}\u0001`;
  return (record) => {
    const recordPart = record.recordId !== undefined ? `id\u0000${record.recordId}` : `index\u0000${record.index}`;
    return `${workflow}-${base32(textSha256(prefix + recordPart), HASH_LENGTH)}`;
  };
}

/** The first `length` characters of the bytes in lowercase base32 (RFC 4648 alphabet). */
function base32(bytes: Buffer, length: number): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (let i = 0; out.length < length; ) {
    if (bits < 5) {
      buffer = ((buffer << 8) | bytes[i++]) & 0xffff;
      bits += 8;
    }
    out += BASE32[(buffer >>> (bits - 5)) & 31];
    bits -= 5;
  }
  return out;
}

// crypto.hash (Node 20.12+) hashes in one call, without a Hash object per record; older Node uses createHash.
const oneShot = (crypto as { hash?: (algorithm: string, data: string | Buffer, encoding: 'buffer') => Buffer }).hash;
const digest = (data: string | Buffer): Buffer => (oneShot ? oneShot('sha256', data, 'buffer') : crypto.createHash('sha256').update(data).digest());

/**
 * SHA-256 of the text's UTF-8, as ids have always been hashed. A text with a lone surrogate (an id such as
 * `"sur-\ud800"`, which JSON allows) has no UTF-8: encoding it would turn every lone surrogate into U+FFFD,
 * so `"sur-\ud800"` and `"sur-\udbff"` would share a review id. Such a text is hashed as its UTF-16 code
 * units instead, after a 0xff byte, which no UTF-8 text holds: distinct from every well-formed text's hash,
 * and the ids of well-formed texts stay what they were.
 */
export function textSha256(text: string): Buffer {
  if (isWellFormed(text)) return digest(text);
  return digest(Buffer.concat([ILL_FORMED_MARK, Buffer.from(text, 'utf16le')]));
}

const ILL_FORMED_MARK = Buffer.from([0xff]);
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const nativeWellFormed = (String.prototype as { isWellFormed?: () => boolean }).isWellFormed;
const isWellFormed = (text: string): boolean => (nativeWellFormed ? nativeWellFormed.call(text) : !LONE_SURROGATE.test(text));

import { jsonOf } from './raw-json';
import type { MessageSource, ReviewMessage } from './review-message';

/** Strings JSON writes as they are: A2I names, ISO timestamps, enums. */
const PLAIN = /^[A-Za-z0-9:._-]*$/;

/**
 * JSON string literals. Most strings of a message repeat across a batch (workflow, bucket, key, etag, the
 * timestamp) and the rest are mostly A2I names; both are cheaper than JSON.stringify per call.
 */
class Quoter {
  #last = new Map<string, string>();

  quote(text: string): string {
    if (PLAIN.test(text)) return `"${text}"`;
    let quoted = this.#last.get(text);
    if (quoted === undefined) {
      if (this.#last.size > 64) this.#last.clear();
      this.#last.set(text, (quoted = JSON.stringify(text)));
    }
    return quoted;
  }
}

const quoter = new Quoter();
const quote = (text: string): string => quoter.quote(text);

/**
 * JSON.stringify(message), written for the contract's known shape: one message per record makes generic
 * stringification of the small fields a real share of ingest time. Equal to JSON.stringify (property-tested);
 * a record or decision carried as RawJson is spliced in as its text. Key order is reviewMessage's.
 */
export function serialiseMessage(message: ReviewMessage): string {
  let json = `{"schemaVersion":${quote(message.schemaVersion)},"reviewId":${quote(message.reviewId)},"workflow":${quote(message.workflow)},"outcome":${quote(message.outcome)},"source":${serialiseSource(message.source)},"createdAt":${quote(message.createdAt)}`;
  if (message.recordId !== undefined) json += `,"recordId":${quote(message.recordId)}`;
  if (message.recordIdRef !== undefined) json += `,"recordIdRef":${quote(message.recordIdRef)}`;
  if (message.record !== undefined) json += `,"record":${jsonOf(message.record)}`;
  if (message.recordRef !== undefined) json += `,"recordRef":${quote(message.recordRef)}`;
  if (message.decision !== undefined) json += `,"decision":${jsonOf(message.decision)}`;
  if (message.decisionRef !== undefined) json += `,"decisionRef":${quote(message.decisionRef)}`;
  if (message.review !== undefined) json += `,"review":${JSON.stringify(message.review)}`;
  if (message.failure !== undefined) json += `,"failure":${JSON.stringify(message.failure)}`;
  return `${json}}`;
}

function serialiseSource(source: MessageSource): string {
  if (source.type === 'event') {
    let json = `{"type":"event","eventSource":${quote(source.eventSource)},"eventId":${quote(source.eventId)}`;
    if (source.detailType !== undefined) json += `,"detailType":${quote(source.detailType)}`;
    return `${json},"recordIndex":${source.recordIndex}}`;
  }
  let json = `${s3SourcePrefix(source)},"recordIndex":${source.recordIndex}`;
  if (source.line !== undefined) json += `,"line":${source.line}`;
  return `${json}}`;
}

/** The last S3 source's JSON before its recordIndex: every message of a batch has the same object's. */
let lastS3: { bucket: string; key: string; versionId?: string; etag?: string; json: string } | undefined;

function s3SourcePrefix(source: Extract<MessageSource, { type: 's3' }>): string {
  const last = lastS3;
  if (last && last.bucket === source.bucket && last.key === source.key && last.versionId === source.versionId && last.etag === source.etag) return last.json;
  let json = `{"type":"s3","bucket":${quote(source.bucket)},"key":${quote(source.key)}`;
  if (source.versionId !== undefined) json += `,"versionId":${quote(source.versionId)}`;
  if (source.etag !== undefined) json += `,"etag":${quote(source.etag)}`;
  lastS3 = { bucket: source.bucket, key: source.key, versionId: source.versionId, etag: source.etag, json };
  return json;
}

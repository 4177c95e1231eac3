/**
 * SQS's size limits, defined once for the code that sends messages and for the local SQS that must refuse
 * what AWS refuses. AWS raised its limit to 1 MiB (1,048,576 bytes) in 2025, but a queue's
 * `MaximumMessageSize` may still be 256 KiB (the default of queues created before, and what many consumers
 * such as SNS subscriptions and older SDK clients expect), and a batch call was limited to 256 KiB in all:
 * 262,144 bytes is what every SQS queue accepts, so it is the limit here, for one message and for one
 * SendMessageBatch call.
 */
export const SQS_MAX_MESSAGE_BYTES = 262_144;
/** The sum of the entries of one SendMessageBatch call (each counted as sqsMessageBytes counts it). */
export const SQS_MAX_BATCH_BYTES = 262_144;
export const SQS_MAX_BATCH_ENTRIES = 10;

/** A message attribute as the SDK takes it (String, Number or Binary). */
export interface SqsAttribute {
  DataType?: string;
  StringValue?: string;
  BinaryValue?: Uint8Array;
}

/** The bytes SQS counts for the attributes: for each, the UTF-8 bytes of its name, its type and its value. */
export function attributeBytes(attributes: Record<string, SqsAttribute> | undefined): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(attributes ?? {})) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value.DataType ?? '') + Buffer.byteLength(value.StringValue ?? '') + (value.BinaryValue?.byteLength ?? 0);
  }
  return bytes;
}

/**
 * A message's size as AWS counts it against the limit: the UTF-8 bytes of the body plus attributeBytes.
 * (Message system attributes such as AWSTraceHeader do not count.)
 */
export function sqsMessageBytes(body: string, attributes?: Record<string, SqsAttribute>): number {
  return Buffer.byteLength(body) + attributeBytes(attributes);
}

/** Whether SQS takes a message of this size: a message exactly at the limit is accepted, one byte more is refused. */
export const fitsSqs = (bytes: number, limit = SQS_MAX_MESSAGE_BYTES): boolean => bytes <= limit;

export class MessageTooLargeError extends Error {
  override readonly name = 'MessageTooLargeError';
  constructor(
    message: string,
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(message);
  }
}

/**
 * The longest prefix of `text` whose UTF-8 form takes at most `maxBytes`, never splitting a character (a
 * surrogate pair stays whole, so the prefix stays valid for SQS).
 */
export function utf8Prefix(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let bytes = 0;
  let end = 0;
  while (end < text.length) {
    const code = text.codePointAt(end) as number;
    const size = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += code >= 0x10000 ? 2 : 1;
  }
  return text.slice(0, end);
}

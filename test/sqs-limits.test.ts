import { attributeBytes, fitsSqs, SQS_MAX_BATCH_BYTES, SQS_MAX_MESSAGE_BYTES, sqsMessageBytes, utf8Prefix } from '../lib/sqs-limits';

/** AWS's rule: a message's size is the UTF-8 bytes of its body plus, for each attribute, those of its name, type and value. */
describe('SQS size accounting', () => {
  it('is the limit every SQS queue takes: 256 KiB a message and a batch call', () => {
    expect(SQS_MAX_MESSAGE_BYTES).toBe(262_144);
    expect(SQS_MAX_BATCH_BYTES).toBe(262_144);
  });

  it('counts UTF-8 bytes of the body, not characters', () => {
    expect(sqsMessageBytes('abc')).toBe(3);
    expect(sqsMessageBytes('é')).toBe(2);
    expect(sqsMessageBytes('✓')).toBe(3);
    expect(sqsMessageBytes('😀')).toBe(4);
  });

  it('adds each attribute\'s name, type and value', () => {
    const attributes = { workflow: { DataType: 'String', StringValue: 'prédictions' }, count: { DataType: 'Number', StringValue: '12' }, blob: { DataType: 'Binary', BinaryValue: new Uint8Array(5) } };
    expect(attributeBytes(attributes)).toBe('workflow'.length + 6 + 12 + ('count'.length + 6 + 2) + ('blob'.length + 6 + 5));
    expect(sqsMessageBytes('{}', attributes)).toBe(2 + attributeBytes(attributes));
  });

  it('takes a message exactly at the limit and refuses one byte more', () => {
    const attributes = { outcome: { DataType: 'String', StringValue: 'invalid' } };
    const body = 'é'.repeat((SQS_MAX_MESSAGE_BYTES - attributeBytes(attributes)) / 2 - 1) + 'ab';
    expect(sqsMessageBytes(body, attributes)).toBe(SQS_MAX_MESSAGE_BYTES);
    expect(fitsSqs(sqsMessageBytes(body, attributes))).toBe(true);
    expect(fitsSqs(sqsMessageBytes(`${body}x`, attributes))).toBe(false);
  });
});

describe('utf8Prefix', () => {
  it('keeps the longest prefix within the bytes, never splitting a character', () => {
    expect(utf8Prefix('abc', 10)).toBe('abc');
    expect(utf8Prefix('aé', 2)).toBe('a');
    expect(utf8Prefix('a😀b', 4)).toBe('a');
    expect(utf8Prefix('a😀b', 5)).toBe('a😀');
    expect(Buffer.byteLength(utf8Prefix('✓'.repeat(1000), 1000))).toBe(999);
  });
});

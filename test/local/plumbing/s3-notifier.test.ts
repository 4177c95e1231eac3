import { CreateBucketCommand, GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { createdObjects, decodeS3Key } from '../../../lib/ingest/s3-notification';
import { startTestStorage } from '../storage/support';
import { encodeS3EventKey, s3ObjectCreatedEvent, uploadAndNotify } from '../../../lib/local/s3-notifier';
import { s3Client } from './support';

describe('s3ObjectCreatedEvent', () => {
  it('builds S3\'s ObjectCreated:Put notification record', () => {
    // Act
    const event = s3ObjectCreatedEvent({ bucket: 'outputs', key: 'runs/a b(1).jsonl', size: 42, eTag: '"0123456789abcdef0123456789abcdef"', versionId: 'v1', region: 'eu-west-1', time: new Date('2026-01-02T03:04:05.678Z') });

    // Assess
    expect(event.Records).toHaveLength(1);
    const [record] = event.Records;
    expect(Object.keys(record)).toEqual(['eventVersion', 'eventSource', 'awsRegion', 'eventTime', 'eventName', 'userIdentity', 'requestParameters', 'responseElements', 's3']);
    expect(record).toMatchObject({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'eu-west-1',
      eventTime: '2026-01-02T03:04:05.678Z',
      eventName: 'ObjectCreated:Put',
      requestParameters: { sourceIPAddress: '127.0.0.1' },
      s3: {
        s3SchemaVersion: '1.0',
        bucket: { name: 'outputs', arn: 'arn:aws:s3:::outputs' },
        object: { key: 'runs/a+b%281%29.jsonl', size: 42, eTag: '0123456789abcdef0123456789abcdef', versionId: 'v1' },
      },
    });
    expect(record.s3.object.sequencer).toMatch(/^[0-9A-F]{18}$/);
    expect(Object.keys(record.responseElements)).toEqual(['x-amz-request-id', 'x-amz-id-2']);
  });

  it('omits versionId for an unversioned bucket and orders sequencers', () => {
    const first = s3ObjectCreatedEvent({ bucket: 'b', key: 'k', size: 0, eTag: 'e' }).Records[0].s3.object;
    const second = s3ObjectCreatedEvent({ bucket: 'b', key: 'k', size: 0, eTag: 'e' }).Records[0].s3.object;
    expect('versionId' in first).toBe(false);
    expect(second.sequencer > first.sequencer).toBe(true);
  });

  it.each([
    ['plain/key.json', 'plain/key.json'],
    ['with space/and+plus.txt', 'with+space/and%2Bplus.txt'],
    ['100% done', '100%25+done'],
    ['café/日本.json', 'caf%C3%A9/%E6%97%A5%E6%9C%AC.json'],
    ["a!b'c(d)e*f~g_h-i.j", 'a%21b%27c%28d%29e*f%7Eg_h-i.j'],
    ['q?x=1&y=#z', 'q%3Fx%3D1%26y%3D%23z'],
  ])('encodes %j as S3 does: %j', (key, encoded) => {
    expect(encodeS3EventKey(key)).toBe(encoded);
    expect(decodeS3Key(encoded)).toBe(key);
  });

  it('round-trips any key through the ingest decoding', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1 }), (key) => {
        const event = s3ObjectCreatedEvent({ bucket: 'b', key, size: 1, eTag: 'e' });
        expect(createdObjects(event.Records)).toEqual([{ bucket: 'b', key, etag: 'e', size: 1, sequencer: event.Records[0].s3.object.sequencer }]);
      }),
    );
  });
});

describe('uploadAndNotify against the local S3', () => {
  let storage: Awaited<ReturnType<typeof startTestStorage>>;
  let s3: S3Client;

  beforeAll(async () => {
    storage = await startTestStorage();
    s3 = s3Client(storage.endpoint);
    await s3.send(new CreateBucketCommand({ Bucket: 'model-outputs' }));
  });

  afterAll(async () => {
    s3?.destroy();
    await storage?.stop();
  });

  it.each(['runs/2026 01/out put.jsonl', 'runs/a+b/100%.jsonl', 'runs/naïve/日本語 ✓.jsonl'])('notifies the handler of %j, which reads it back by the decoded key', async (key) => {
    // Prepare
    const body = `{"key":${JSON.stringify(key)}}\n`;
    let event: S3Event | undefined;

    // Act
    const read = await uploadAndNotify(s3, 'model-outputs', key, body, async (notification) => {
      event = notification;
      const [object] = createdObjects(notification.Records);
      const got = await s3.send(new GetObjectCommand({ Bucket: object.bucket, Key: object.key }));
      return { object, text: await got.Body!.transformToString() };
    });

    // Assess
    expect(read.text).toBe(body);
    expect(read.object).toEqual({ bucket: 'model-outputs', key, etag: createHash('md5').update(body).digest('hex'), size: Buffer.byteLength(body), sequencer: event?.Records[0].s3.object.sequencer });
    expect(event?.Records[0].s3.object.key).toBe(encodeS3EventKey(key));
    expect(event?.Records[0].awsRegion).toBe('us-east-1');
  });
});

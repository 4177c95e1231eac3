import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { request } from 'node:http';
import { Readable } from 'node:stream';
import { putObject } from '../../../lib/s3-store';
import { startTestStorage } from './support';

let storage: Awaited<ReturnType<typeof startTestStorage>>;
let s3: S3Client;

beforeAll(async () => {
  storage = await startTestStorage();
  s3 = new S3Client({ endpoint: storage.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, forcePathStyle: true, maxAttempts: 1 });
  await s3.send(new CreateBucketCommand({ Bucket: 'plain' }));
  await s3.send(new CreateBucketCommand({ Bucket: 'versioned' }));
  await s3.send(new PutBucketVersioningCommand({ Bucket: 'versioned', VersioningConfiguration: { Status: 'Enabled' } }));
});

afterAll(async () => {
  s3?.destroy();
  await storage?.stop();
});

const read = async (input: { Bucket: string; Key: string; VersionId?: string; Range?: string }) => (await s3.send(new GetObjectCommand(input))).Body!.transformToString('utf8');
const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (error: Error) => error);

describe('keys', () => {
  const keys = ['emoji 😀/𝄞 and U+10FFFF \u{10FFFF}.jsonl', 'spaces and + % ? # & = ; : @ $ , [ ] ~ \\ " \' < >.json', 'a//double/slash/', 'tab\tand\u0001control', `${'ü'.repeat(512)}`];

  it.each(keys)('%j is stored and read back by the same key', async (key) => {
    await s3.send(new PutObjectCommand({ Bucket: 'plain', Key: key, Body: `body of ${key}` }));
    expect(await read({ Bucket: 'plain', Key: key })).toBe(`body of ${key}`);
  });

  it('a key of 1,024 UTF-8 bytes is accepted, 1,025 is KeyTooLongError', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'plain', Key: 'é'.repeat(512), Body: 'x' }));
    const error = await failure(s3.send(new PutObjectCommand({ Bucket: 'plain', Key: `${'é'.repeat(512)}x`, Body: 'x' })));
    expect(error?.name).toBe('KeyTooLongError');
  });
});

describe('objects', () => {
  it('a versioned bucket keeps each version, read by its VersionId', async () => {
    const first = await s3.send(new PutObjectCommand({ Bucket: 'versioned', Key: 'k', Body: 'one' }));
    const second = await s3.send(new PutObjectCommand({ Bucket: 'versioned', Key: 'k', Body: 'two' }));
    expect(first.VersionId).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(second.VersionId).not.toBe(first.VersionId);
    expect(await read({ Bucket: 'versioned', Key: 'k', VersionId: first.VersionId })).toBe('one');
    expect(await read({ Bucket: 'versioned', Key: 'k' })).toBe('two');
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'versioned', Key: 'k', VersionId: first.VersionId }));
    expect(head).toMatchObject({ ContentLength: 3, ETag: first.ETag, VersionId: first.VersionId });
  });

  it('a streamed body (aws-chunked, with a checksum trailer) is stored as sent, and a Range reads a slice', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'plain', Key: 'streamed', Body: Readable.from([Buffer.from('0123'), Buffer.from('456789')]), ContentLength: 10 }));
    expect(await read({ Bucket: 'plain', Key: 'streamed' })).toBe('0123456789');
    expect(await read({ Bucket: 'plain', Key: 'streamed', Range: 'bytes=2-4' })).toBe('234');
  });

  it('a multipart upload of a 20 MiB body (lib/s3-store putObject) reads back byte for byte', async () => {
    const body = Buffer.alloc(20 * 1024 * 1024);
    for (let i = 0; i < body.length; i += 4) body.writeUInt32LE(i, i);
    const put = await putObject(s3, 'versioned', 'big.jsonl', body);
    expect(put.ETag).toMatch(/-3"$/);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'versioned', Key: 'big.jsonl', VersionId: put.VersionId }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
  });

  it('missing things are NoSuchKey, NoSuchBucket, NoSuchVersion (HEAD: NotFound)', async () => {
    expect((await failure(read({ Bucket: 'plain', Key: 'missing' })))?.name).toBe('NoSuchKey');
    expect((await failure(read({ Bucket: 'no-such-bucket', Key: 'k' })))?.name).toBe('NoSuchBucket');
    expect((await failure(read({ Bucket: 'versioned', Key: 'k', VersionId: 'A'.repeat(32) })))?.name).toBe('NoSuchVersion');
    expect((await failure(s3.send(new HeadObjectCommand({ Bucket: 'plain', Key: 'missing' }))))?.name).toBe('NotFound');
  });

  it('DeleteObject and ListObjectsV2', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'plain', Key: 'list/a', Body: 'a' }));
    await s3.send(new PutObjectCommand({ Bucket: 'plain', Key: 'list/b', Body: 'b' }));
    await s3.send(new DeleteObjectCommand({ Bucket: 'plain', Key: 'list/a' }));
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'plain', Prefix: 'list/' }));
    expect(listed.Contents?.map((entry) => [entry.Key, entry.Size])).toEqual([['list/b', 1]]);
  });

  it('a GET with the query of a presigned URL (X-Amz-Signature and the rest) reads the object', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'plain', Key: 'shared 😀.json', Body: '{"ok":true}' }));
    const query = 'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=x%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=00';
    const body = await new Promise<string>((resolve, reject) => {
      request(`${storage.endpoint}/plain/${encodeURIComponent('shared 😀.json')}?${query}`, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve(text));
      })
        .on('error', reject)
        .end();
    });
    expect(body).toBe('{"ok":true}');
  });

  it('a malformed path is a 400 InvalidURI, not a 500', async () => {
    const status = await new Promise<number | undefined>((resolve, reject) => {
      request(`${storage.endpoint}/plain/%E0%A4%A`, { method: 'GET' }, (res) => {
        res.resume();
        resolve(res.statusCode);
      })
        .on('error', reject)
        .end();
    });
    expect(status).toBe(400);
  });
});

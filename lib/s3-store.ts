import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { PayloadStore } from './delivery';

export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!match) throw new RangeError(`not an s3:// URI: ${uri}`);
  return { bucket: match[1], key: match[2] };
}

/** Payloads too large for a message (records, answers, staged work) in one bucket, by s3:// URI. */
export class S3PayloadStore implements PayloadStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async put(key: string, body: string): Promise<string> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: 'application/json' }));
    return `s3://${this.bucket}/${key}`;
  }

  async get(uri: string): Promise<string> {
    const { bucket, key } = parseS3Uri(uri);
    const { Body } = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (!Body) throw new Error(`empty body for ${uri}`);
    return Body.transformToString('utf8');
  }
}

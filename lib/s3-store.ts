import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
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
    await putObject(this.s3, this.bucket, key, Buffer.from(body, 'utf8'), 'application/json');
    return this.uriOf(key);
  }

  uriOf(key: string): string {
    return `s3://${this.bucket}/${key}`;
  }

  async get(uri: string): Promise<string> {
    const { bucket, key } = parseS3Uri(uri);
    const { Body } = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (!Body) throw new Error(`empty body for ${uri}`);
    return Body.transformToString('utf8');
  }
}

/** Objects larger than this go up in parts, as the AWS uploaders do (and local S3 emulators take 11 MiB a request at most). */
export const MULTIPART_THRESHOLD_BYTES = 8 * 1024 * 1024;

/** PutObject, or a multipart upload (aborted on failure) for a large body. Resolves to the object's ETag and version. */
export async function putObject(s3: S3Client, bucket: string, key: string, body: Buffer, contentType?: string): Promise<{ ETag?: string; VersionId?: string }> {
  const type = contentType ? { ContentType: contentType } : {};
  if (body.length <= MULTIPART_THRESHOLD_BYTES) return s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ...type }));
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...type }));
  try {
    const parts: { ETag?: string; PartNumber: number }[] = [];
    for (let offset = 0, number = 1; offset < body.length; offset += MULTIPART_THRESHOLD_BYTES, number++) {
      const part = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: number, Body: body.subarray(offset, offset + MULTIPART_THRESHOLD_BYTES) }));
      parts.push({ ETag: part.ETag, PartNumber: number });
    }
    return await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }));
  } catch (error) {
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId })).catch(() => undefined);
    throw error;
  }
}

/**
 * An object that is gone: NoSuchKey, or 404/403 (a GetObject of a missing key answers 403 without
 * s3:ListBucket). Kept texts expire with the payload bucket's lifecycle; what reads them goes on without.
 */
export function isObjectGone(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return ['NoSuchKey', 'NotFound', 'AccessDenied'].includes((error as Error).name) || status === 404 || status === 403;
}

import { HeadObjectCommand, PutObjectCommand, type PutObjectCommandInput, type S3Client } from '@aws-sdk/client-s3';
import type { S3Event, S3EventRecord } from 'aws-lambda';
import { putObject } from '../s3-store';
import { randomBytes } from 'node:crypto';

export interface CreatedObjectFacts {
  bucket: string;
  /** The key as stored (not encoded). */
  key: string;
  size: number;
  /** With or without the quotes S3's HTTP API puts around it; notifications carry it without. */
  eTag: string;
  versionId?: string;
  sequencer?: string;
  region?: string;
  /** The event time, default now. */
  time?: Date;
  principalId?: string;
  sourceIp?: string;
  configurationId?: string;
}

/**
 * Encodes a key as S3 event notifications do (Java's URLEncoder, but keeping `/`): letters, digits and
 * `.-*_` stay, a space becomes `+`, every other byte of the key's UTF-8 is percent-encoded.
 */
export function encodeS3EventKey(key: string): string {
  return encodeURIComponent(key)
    .replace(/[!'()~]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+')
    .replace(/%2F/g, '/');
}

let lastSequence = 0n;

/** S3's sequencer: hex, increasing for successive events on a key (here, on everything this process notifies). */
function nextSequencer(): string {
  const now = BigInt(Date.now()) * 1000000n;
  lastSequence = now > lastSequence ? now : lastSequence + 1n;
  return lastSequence.toString(16).toUpperCase().padStart(18, '0');
}

/** The S3 event notification for one ObjectCreated:Put, as S3 sends it to Lambda. */
export function s3ObjectCreatedEvent(facts: CreatedObjectFacts): S3Event {
  const region = facts.region ?? 'us-east-1';
  const principalId = facts.principalId ?? 'A1LOCALPRINCIPAL';
  const record: S3EventRecord = {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: region,
    eventTime: (facts.time ?? new Date()).toISOString(),
    eventName: 'ObjectCreated:Put',
    userIdentity: { principalId: `AWS:${principalId}` },
    requestParameters: { sourceIPAddress: facts.sourceIp ?? '127.0.0.1' },
    responseElements: {
      'x-amz-request-id': randomBytes(8).toString('hex').toUpperCase(),
      'x-amz-id-2': randomBytes(48).toString('base64'),
    },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: facts.configurationId ?? 'local-object-created',
      bucket: { name: facts.bucket, ownerIdentity: { principalId }, arn: `arn:aws:s3:::${facts.bucket}` },
      object: {
        key: encodeS3EventKey(facts.key),
        size: facts.size,
        eTag: facts.eTag.replace(/^"|"$/g, ''),
        ...(facts.versionId ? { versionId: facts.versionId } : {}),
        sequencer: facts.sequencer ?? nextSequencer(),
      },
    },
  };
  return { Records: [record] };
}

export type S3EventHandler<T> = (event: S3Event) => Promise<T>;

export interface UploadOptions extends Pick<CreatedObjectFacts, 'region' | 'principalId' | 'sourceIp' | 'configurationId'> {
  contentType?: string;
  /**
   * The bucket is versioned (the stack's input bucket is): every put has a version id, and the notification
   * names it. An S3 that keeps no versions returns none; one is made for it, naming the object's current
   * content (which is what it then serves for it).
   */
  versioned?: boolean;
}

/** A version id in the form S3 gives them: 32 URL-safe characters. */
export function newVersionId(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * What S3 would do with a bucket notification to Lambda: puts the object with the real client, reads its
 * ETag and size back (HeadObject), and invokes `handler` with the ObjectCreated:Put notification.
 */
export async function uploadAndNotify<T>(
  s3: S3Client,
  bucket: string,
  key: string,
  body: PutObjectCommandInput['Body'],
  handler: S3EventHandler<T>,
  options: UploadOptions = {},
): Promise<T> {
  const put = Buffer.isBuffer(body)
    ? await putObject(s3, bucket, key, body, options.contentType)
    : await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ...(options.contentType ? { ContentType: options.contentType } : {}) }));
  const versionId = put.VersionId ?? (options.versioned ? newVersionId() : undefined);
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) }));
  const { contentType: _contentType, versioned: _versioned, ...notification } = options;
  const event = s3ObjectCreatedEvent({
    ...notification,
    bucket,
    key,
    size: head.ContentLength ?? 0,
    eTag: head.ETag ?? put.ETag ?? '',
    ...(versionId ? { versionId } : {}),
    region: options.region ?? (await s3.config.region()),
  });
  return handler(event);
}

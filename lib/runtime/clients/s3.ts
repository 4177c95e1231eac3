import { S3Client } from '@aws-sdk/client-s3';
import { awsClientConfig, type AwsClientOptions, decorated } from '../aws-client-config';
import { tracer } from '../observability';

/** S3 emulators on loopback (local mode) need path-style addressing. */
export function createS3Client(options: AwsClientOptions = {}): S3Client {
  const forcePathStyle = Boolean(process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL);
  return tracer.captureAWSv3Client(decorated(new S3Client({ ...awsClientConfig(options), forcePathStyle }), options));
}

let shared: S3Client | undefined;
/** The process's client, created on first use and reused by every invocation. */
export const processS3Client = (): S3Client => (shared ??= createS3Client());

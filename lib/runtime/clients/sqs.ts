import { SQSClient } from '@aws-sdk/client-sqs';
import { awsClientConfig, type AwsClientOptions, decorated } from '../aws-client-config';
import { tracer } from '../observability';

export function createSqsClient(options: AwsClientOptions = {}): SQSClient {
  return tracer.captureAWSv3Client(decorated(new SQSClient(awsClientConfig(options)), options));
}

let shared: SQSClient | undefined;
/** The process's client, created on first use and reused by every invocation. */
export const processSqsClient = (): SQSClient => (shared ??= createSqsClient());

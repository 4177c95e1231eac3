import { SFNClient } from '@aws-sdk/client-sfn';
import { awsClientConfig, type AwsClientOptions, decorated } from '../aws-client-config';
import { tracer } from '../observability';

export function createSfnClient(options: AwsClientOptions = {}): SFNClient {
  return tracer.captureAWSv3Client(decorated(new SFNClient(awsClientConfig(options)), options));
}

let shared: SFNClient | undefined;
/** The process's client, created on first use and reused by every invocation. */
export const processSfnClient = (): SFNClient => (shared ??= createSfnClient());

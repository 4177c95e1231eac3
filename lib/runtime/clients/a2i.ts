import { SageMakerA2IRuntimeClient } from '@aws-sdk/client-sagemaker-a2i-runtime';
import { awsClientConfig, type AwsClientOptions, decorated } from '../aws-client-config';
import { tracer } from '../observability';

export function createA2iClient(options: AwsClientOptions = {}): SageMakerA2IRuntimeClient {
  return tracer.captureAWSv3Client(decorated(new SageMakerA2IRuntimeClient(awsClientConfig(options)), options));
}

let shared: SageMakerA2IRuntimeClient | undefined;
/** The process's client, created on first use and reused by every invocation. */
export const processA2iClient = (): SageMakerA2IRuntimeClient => (shared ??= createA2iClient());

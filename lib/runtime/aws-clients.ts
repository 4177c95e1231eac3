import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SageMakerA2IRuntimeClient } from '@aws-sdk/client-sagemaker-a2i-runtime';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { AwsClientOptions } from './aws-client-config';
import { createA2iClient, processA2iClient } from './clients/a2i';
import { createDynamoClient, processDynamoClient } from './clients/dynamo';
import { createS3Client, processS3Client } from './clients/s3';
import { createSfnClient, processSfnClient } from './clients/sfn';
import { createSqsClient, processSqsClient } from './clients/sqs';

export { awsClientConfig, type AwsClientOptions } from './aws-client-config';

export interface AwsClients {
  s3: S3Client;
  sqs: SQSClient;
  sfn: SFNClient;
  a2i: SageMakerA2IRuntimeClient;
  dynamo: DynamoDBDocumentClient;
}

/**
 * A full set of AWS clients (local mode gives each function its own set). Endpoints come from the SDK's standard
 * AWS_ENDPOINT_URL_<SERVICE> variables, which is all local mode changes. Every client runs the same retry policy
 * and timeouts (awsClientConfig). Each client has its factory in ./clients, and a function's wiring imports only
 * the ones it uses: its bundle then holds only those SDK clients (this module imports them all).
 */
export function createAwsClients(options: AwsClientOptions = {}): AwsClients {
  return { s3: createS3Client(options), sqs: createSqsClient(options), sfn: createSfnClient(options), a2i: createA2iClient(options), dynamo: createDynamoClient(options) };
}

/** Every one of the process's clients, each created on first use and reused by every invocation (the work queue's consumer uses them all). */
export function processAwsClients(): AwsClients {
  return { s3: processS3Client(), sqs: processSqsClient(), sfn: processSfnClient(), a2i: processA2iClient(), dynamo: processDynamoClient() };
}

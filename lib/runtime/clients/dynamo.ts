import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { awsClientConfig, type AwsClientOptions, decorated } from '../aws-client-config';
import { tracer } from '../observability';

/** @aws-sdk/lib-dynamodb is not marked free of side effects: only the functions that import this module bundle it. */
export function createDynamoClient(options: AwsClientOptions = {}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(tracer.captureAWSv3Client(decorated(new DynamoDBClient(awsClientConfig(options)), options)), { marshallOptions: { removeUndefinedValues: true } });
}

let shared: DynamoDBDocumentClient | undefined;
/** The process's client, created on first use and reused by every invocation. */
export const processDynamoClient = (): DynamoDBDocumentClient => (shared ??= createDynamoClient());

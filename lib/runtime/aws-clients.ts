import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerA2IRuntimeClient } from '@aws-sdk/client-sagemaker-a2i-runtime';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tracer } from './observability';
import { once } from './once';

export interface AwsClients {
  s3: S3Client;
  sqs: SQSClient;
  sfn: SFNClient;
  a2i: SageMakerA2IRuntimeClient;
  dynamo: DynamoDBDocumentClient;
}

/** The process's AWS clients, created on first use and reused by every invocation. */
export const awsClients = once(createAwsClients);

/**
 * A set of AWS clients. Endpoints come from the SDK's standard AWS_ENDPOINT_URL_<SERVICE> variables, which
 * is all local mode changes; S3 emulators on loopback need path-style addressing. `maxSockets` is for local
 * mode, where every function of the stack shares one process and its connections (a Lambda runs one
 * invocation at a time and keeps the SDK's default).
 */
export function createAwsClients(options: { maxSockets?: number } = {}): AwsClients {
  const forcePathStyle = Boolean(process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL);
  const config = options.maxSockets ? { requestHandler: { httpAgent: { maxSockets: options.maxSockets }, httpsAgent: { maxSockets: options.maxSockets } } } : {};
  return {
    s3: tracer.captureAWSv3Client(new S3Client({ ...config, forcePathStyle })),
    sqs: tracer.captureAWSv3Client(new SQSClient(config)),
    sfn: tracer.captureAWSv3Client(new SFNClient(config)),
    a2i: tracer.captureAWSv3Client(new SageMakerA2IRuntimeClient(config)),
    dynamo: DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient(config)), { marshallOptions: { removeUndefinedValues: true } }),
  };
}

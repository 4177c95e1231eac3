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
 * is all local mode changes; S3 emulators on loopback need path-style addressing.
 */
export function createAwsClients(): AwsClients {
  const forcePathStyle = Boolean(process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL);
  return {
    s3: tracer.captureAWSv3Client(new S3Client({ forcePathStyle })),
    sqs: tracer.captureAWSv3Client(new SQSClient({})),
    sfn: tracer.captureAWSv3Client(new SFNClient({})),
    a2i: tracer.captureAWSv3Client(new SageMakerA2IRuntimeClient({})),
    dynamo: DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})), { marshallOptions: { removeUndefinedValues: true } }),
  };
}

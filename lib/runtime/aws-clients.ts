import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerA2IRuntimeClient } from '@aws-sdk/client-sagemaker-a2i-runtime';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Agent as HttpAgent } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
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

export interface AwsClientOptions {
  /** Connections per client (local mode, where every function of the stack shares one process). */
  maxSockets?: number;
  /** One connection pool for several sets of clients (local mode gives each function its own set). */
  agents?: { httpAgent: HttpAgent; httpsAgent: HttpsAgent };
  /** Applied to each client before anything wraps it: local mode holds each function's calls to its role. */
  decorate?: <C extends { middlewareStack: unknown }>(client: C) => C;
}

/**
 * A set of AWS clients. Endpoints come from the SDK's standard AWS_ENDPOINT_URL_<SERVICE> variables, which
 * is all local mode changes; S3 emulators on loopback need path-style addressing. The options are for local
 * mode (a Lambda runs one invocation at a time and keeps the SDK's defaults).
 */
export function createAwsClients(options: AwsClientOptions = {}): AwsClients {
  const forcePathStyle = Boolean(process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL);
  const agents = options.agents ?? (options.maxSockets ? { httpAgent: { maxSockets: options.maxSockets }, httpsAgent: { maxSockets: options.maxSockets } } : undefined);
  const config = agents ? { requestHandler: agents } : {};
  const decorate = options.decorate ?? (<C>(client: C) => client);
  return {
    s3: tracer.captureAWSv3Client(decorate(new S3Client({ ...config, forcePathStyle }))),
    sqs: tracer.captureAWSv3Client(decorate(new SQSClient(config))),
    sfn: tracer.captureAWSv3Client(decorate(new SFNClient(config))),
    a2i: tracer.captureAWSv3Client(decorate(new SageMakerA2IRuntimeClient(config))),
    dynamo: DynamoDBDocumentClient.from(tracer.captureAWSv3Client(decorate(new DynamoDBClient(config))), { marshallOptions: { removeUndefinedValues: true } }),
  };
}

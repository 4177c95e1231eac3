import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerA2IRuntimeClient } from '@aws-sdk/client-sagemaker-a2i-runtime';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Agent as HttpAgent } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import { AWS_CALL_POLICY, type AwsCallPolicy, AwsCallRetryStrategy, maxRequestsPerCall } from './aws-call-policy';
import { tracer } from './observability';
import { once } from './once';

export interface AwsClients {
  s3: S3Client;
  sqs: SQSClient;
  sfn: SFNClient;
  a2i: SageMakerA2IRuntimeClient;
  dynamo: DynamoDBDocumentClient;
}

export interface AwsClientOptions {
  /**
   * For local mode, where every function of the stack shares one process and its connections (a Lambda runs one
   * invocation at a time and keeps the SDK's default).
   */
  maxSockets?: number;
  /** The retries and timeouts of every call; tests make them short. */
  policy?: AwsCallPolicy;
  /** One connection pool for several sets of clients (local mode gives each function its own set). */
  agents?: { httpAgent: HttpAgent; httpsAgent: HttpsAgent };
  /** Applied to each client before anything wraps it: local mode holds each function's calls to its role. */
  decorate?: <C extends { middlewareStack: unknown }>(client: C) => C;
}

/** The process's AWS clients, created on first use and reused by every invocation. */
export const awsClients = once(createAwsClients);

/**
 * A set of AWS clients. Endpoints come from the SDK's standard AWS_ENDPOINT_URL_<SERVICE> variables, which
 * is all local mode changes; S3 emulators on loopback need path-style addressing. Every client runs the same
 * retry policy and timeouts (awsClientConfig).
 */
export function createAwsClients(options: AwsClientOptions = {}): AwsClients {
  const forcePathStyle = Boolean(process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL);
  const config = () => awsClientConfig(options);
  const decorate = options.decorate ?? (<C>(client: C) => client);
  return {
    s3: tracer.captureAWSv3Client(decorate(new S3Client({ ...config(), forcePathStyle }))),
    sqs: tracer.captureAWSv3Client(decorate(new SQSClient(config()))),
    sfn: tracer.captureAWSv3Client(decorate(new SFNClient(config()))),
    a2i: tracer.captureAWSv3Client(decorate(new SageMakerA2IRuntimeClient(config()))),
    dynamo: DynamoDBDocumentClient.from(tracer.captureAWSv3Client(decorate(new DynamoDBClient(config()))), { marshallOptions: { removeUndefinedValues: true } }),
  };
}

/**
 * The configuration every SDK client of the functions is built with: the policy's retry strategy (which the
 * SDK's AWS_MAX_ATTEMPTS and AWS_RETRY_MODE do not change) and its timeouts on the HTTP handler.
 * `throwOnRequestTimeout`: without it the SDK only logs a warning when requestTimeout passes and keeps waiting.
 * No socket idle timeout: an S3 object's body is read at the pace of the records' sends, and a pause longer
 * than the timeout would cut a healthy download. Each client gets its own strategy and handler.
 */
export function awsClientConfig(options: AwsClientOptions = {}) {
  const policy = options.policy ?? AWS_CALL_POLICY;
  const agents = options.agents ?? (options.maxSockets ? { httpAgent: { maxSockets: options.maxSockets }, httpsAgent: { maxSockets: options.maxSockets } } : undefined);
  return {
    retryStrategy: new AwsCallRetryStrategy(policy),
    // Only the amz-sdk-request header's "max=" reads it: the strategy decides.
    maxAttempts: maxRequestsPerCall(policy),
    requestHandler: {
      connectionTimeout: policy.connectionTimeoutMs,
      requestTimeout: policy.requestTimeoutMs,
      throwOnRequestTimeout: true,
      ...(agents ?? {}),
    },
  };
}

import type { Agent as HttpAgent } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import { AWS_CALL_POLICY, type AwsCallPolicy, AwsCallRetryStrategy, maxRequestsPerCall } from './aws-call-policy';

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

/**
 * The configuration every SDK client of the functions is built with: the policy's retry strategy (which the
 * SDK's AWS_MAX_ATTEMPTS and AWS_RETRY_MODE do not change) and its timeouts on the HTTP handler.
 * `throwOnRequestTimeout`: without it the SDK only logs a warning when requestTimeout passes and keeps waiting.
 * No socket idle timeout: an S3 object's body is read at the pace of the records' sends, and a pause longer
 * than the timeout would cut a healthy download. Each client gets its own strategy and handler.
 * In a module of its own, which imports no SDK client: a function imports only the clients it builds.
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

/** `options.decorate` applied, when given. */
export function decorated<C extends { middlewareStack: unknown }>(client: C, options: AwsClientOptions): C {
  return options.decorate ? options.decorate(client) : client;
}

import type { Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';

export interface LambdaContextOptions {
  functionName: string;
  /** The function's timeout: getRemainingTimeInMillis counts down from it. Default 3 s, Lambda's default. */
  timeoutMs?: number;
  memoryLimitInMB?: number;
  region?: string;
  accountId?: string;
  awsRequestId?: string;
  now?: () => number;
}

const DEFAULTS = { timeoutMs: 3000, memoryLimitInMB: 128, region: 'us-east-1', accountId: '000000000000' };

/** The Lambda context of one in-process invocation, as the Node.js runtime builds it. */
export function lambdaContext(options: LambdaContextOptions): Context {
  const { functionName } = options;
  const { timeoutMs, memoryLimitInMB, region, accountId } = { ...DEFAULTS, ...definedOnly(options) };
  const now = options.now ?? Date.now;
  const deadline = now() + timeoutMs;
  const unsupported = (name: string) => () => {
    throw new Error(`context.${name} is not supported by local invocations; return or throw instead`);
  };
  const day = new Date(now()).toISOString().slice(0, 10).replace(/-/g, '/');
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${accountId}:function:${functionName}`,
    memoryLimitInMB: String(memoryLimitInMB),
    awsRequestId: options.awsRequestId ?? randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `${day}/[$LATEST]${randomUUID().replace(/-/g, '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - now()),
    done: unsupported('done'),
    fail: unsupported('fail'),
    succeed: unsupported('succeed'),
  };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}

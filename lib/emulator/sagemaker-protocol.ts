import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, unknownOperationException } from './errors';
import { errorBody, parseJsonObject, readBody, sendJson } from './http-io';
import { SAGEMAKER_OPERATIONS, type SageMakerContext } from './sagemaker-operations';

/**
 * SageMaker's awsJson1_1 front: `POST /` with `X-Amz-Target: SageMaker.<Operation>` and a JSON body; errors
 * are HTTP 400 (500 for internal) with the exception name in the body's `__type`.
 */
const TARGET_PREFIX = 'SageMaker.';
const CONTENT_TYPE = 'application/x-amz-json-1.1';

/**
 * Coral's own errors (an unknown operation, a body that does not deserialise) come with its namespace, as
 * the real service sends them; the SDKs and botocore strip everything up to `#`.
 */
const FRAMEWORK_ERRORS: ReadonlySet<string> = new Set(['UnknownOperationException', 'SerializationException']);

/** The operation a request names, when it is a SageMaker call at all. */
export function sageMakerOperationOf(req: IncomingMessage): string | undefined {
  const target = req.headers['x-amz-target'];
  if (req.method !== 'POST' || typeof target !== 'string' || !target.startsWith(TARGET_PREFIX)) return undefined;
  return target.slice(TARGET_PREFIX.length);
}

export async function serveSageMaker(req: IncomingMessage, res: ServerResponse, operationName: string, context: SageMakerContext): Promise<void> {
  try {
    const body = await readBody(req);
    const operation = Object.hasOwn(SAGEMAKER_OPERATIONS, operationName) ? SAGEMAKER_OPERATIONS[operationName] : undefined;
    if (!operation) throw unknownOperationException(`The local A2I emulator does not serve SageMaker.${operationName}`);
    sendJson(res, 200, CONTENT_TYPE, await operation(parseJsonObject(body), context));
  } catch (error) {
    const apiError = error instanceof ApiError ? error : new ApiError('InternalFailure', `Internal error: ${(error as Error).message}`, 500);
    const type = FRAMEWORK_ERRORS.has(apiError.name) ? `com.amazon.coral.service#${apiError.name}` : apiError.name;
    sendJson(res, apiError.httpStatus, CONTENT_TYPE, { __type: type, ...errorBody(apiError) });
  }
}

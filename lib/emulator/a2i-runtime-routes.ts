import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, validationException } from './errors';
import type { HumanLoops } from './human-loops';
import { errorBody, parseJsonObject, readBody, sendJson } from './http-io';

/**
 * The A2I runtime's REST routes (restJson1, botocore's sagemaker-a2i-runtime 2019-11-07):
 *   POST   /human-loops                 StartHumanLoop
 *   GET    /human-loops                 ListHumanLoops (query string)
 *   POST   /human-loops/stop            StopHumanLoop
 *   GET    /human-loops/{HumanLoopName} DescribeHumanLoop
 *   DELETE /human-loops/{HumanLoopName} DeleteHumanLoop
 * Errors carry the exception name in `x-amzn-ErrorType` and the shape's HTTP status.
 */
const ROOT = '/human-loops';
const CONTENT_TYPE = 'application/json';
const LIST_QUERY_MEMBERS = ['FlowDefinitionArn', 'CreationTimeAfter', 'CreationTimeBefore', 'SortOrder', 'NextToken', 'MaxResults'] as const;

export function isA2iRuntimePath(pathname: string): boolean {
  return pathname === ROOT || pathname.startsWith(`${ROOT}/`);
}

export async function serveA2iRuntime(req: IncomingMessage, res: ServerResponse, url: URL, loops: HumanLoops): Promise<void> {
  try {
    const result = await dispatch(req, url, loops);
    sendJson(res, 200, CONTENT_TYPE, result);
  } catch (error) {
    const apiError = error instanceof ApiError ? error : new ApiError('InternalServerException', `Internal error: ${(error as Error).message}`, 500);
    sendJson(res, apiError.httpStatus, CONTENT_TYPE, errorBody(apiError), { 'x-amzn-ErrorType': apiError.name });
  }
}

async function dispatch(req: IncomingMessage, url: URL, loops: HumanLoops): Promise<unknown> {
  const method = req.method ?? 'GET';
  const path = url.pathname;
  if (path === ROOT && method === 'POST') return loops.start(parseJsonObject(await readBody(req)));
  if (path === ROOT && method === 'GET') return loops.list(listInput(url.searchParams));
  if (path === `${ROOT}/stop` && method === 'POST') {
    await loops.stop(parseJsonObject(await readBody(req)));
    return {};
  }
  const label = path.slice(ROOT.length + 1);
  if (path.startsWith(`${ROOT}/`) && !label.includes('/')) {
    if (method === 'GET') return loops.describe(decodeLabel(label));
    if (method === 'DELETE') {
      await loops.delete(decodeLabel(label));
      return {};
    }
  }
  req.resume();
  // What a REST front answers for a method and path that match no operation.
  throw new ApiError('UnknownOperationException', `No A2I runtime operation matches ${method} ${path}`, 404);
}

/** The query string as the operation's input: MaxResults becomes a number when it is one. */
function listInput(query: URLSearchParams): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const member of LIST_QUERY_MEMBERS) {
    const value = query.get(member);
    if (value === null) continue;
    input[member] = member === 'MaxResults' && /^-?\d+$/.test(value) ? Number(value) : value;
  }
  return input;
}

function decodeLabel(label: string): string {
  try {
    return decodeURIComponent(label);
  } catch {
    throw validationException(`The human loop name in the path is not valid percent-encoding: ${label}`);
  }
}

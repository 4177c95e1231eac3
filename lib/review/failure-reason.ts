/** The error a Catch put on the execution's state (`ResultPath: $.error`). */
export interface CaughtError {
  Error: string;
  Cause?: string;
}

/**
 * The `failure.reason` consumers get for an error the review-loop machine caught: the error's type and message,
 * never its stack. When a Lambda task fails, Step Functions' `Cause` is the function's error document as JSON
 * text, `{"errorType", "errorMessage", "trace": [...]}` (Node.js runtimes; others say `stackTrace`): its stack
 * lines name the deployment's files, and a consumer has no use for them. Any other Cause (a States.* error's
 * text, a SendTaskFailure cause) is Step Functions' or ours, and is kept as it is.
 */
export function reasonOfCaughtError(error: CaughtError): string {
  const cause = error.Cause?.trim();
  if (!cause) return error.Error;
  const document = lambdaErrorDocument(cause);
  if (!document) return `${error.Error}: ${cause}`;
  const type = document.errorType || error.Error;
  return document.errorMessage ? `${type}: ${document.errorMessage}` : type;
}

function lambdaErrorDocument(cause: string): { errorType?: string; errorMessage?: string } | undefined {
  if (!cause.startsWith('{')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(cause);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const { errorType, errorMessage } = parsed as Record<string, unknown>;
  if (typeof errorType !== 'string' && typeof errorMessage !== 'string') return undefined;
  return { ...(typeof errorType === 'string' ? { errorType } : {}), ...(typeof errorMessage === 'string' ? { errorMessage } : {}) };
}

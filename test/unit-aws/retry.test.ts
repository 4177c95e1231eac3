import {
  ConflictException,
  InternalServerException,
  ResourceNotFoundException,
  ServiceQuotaExceededException,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-sagemaker-a2i-runtime';
import { RequestThrottled } from '@aws-sdk/client-sqs';
import { backoffCeilingMs, backoffDelayMs, isRetryable, isThrottling, type RetryBudget } from '../../lib/retry';

function named(name: string): Error {
  const error = new Error(`${name} happened`);
  error.name = name;
  return error;
}

function withCode(code: string): Error {
  return Object.assign(new Error(`connect ${code}`), { code });
}

function withStatus(httpStatusCode: number, name = 'UnknownError'): Error {
  return Object.assign(named(name), { $metadata: { httpStatusCode } });
}

describe('isRetryable', () => {
  it.each([
    'ThrottlingException',
    'Throttling',
    'ThrottledException',
    'TooManyRequestsException',
    'RequestLimitExceeded',
    'ProvisionedThroughputExceededException',
    'SlowDown',
    'ServiceQuotaExceededException',
    'InternalServerException',
    'InternalServerError',
    'InternalFailure',
    'InternalError',
    'ServiceUnavailable',
    'ServiceUnavailableException',
    'RequestTimeout',
    'RequestTimeoutException',
    'TimeoutError',
    'AbortError',
  ])('retries an error named %s', (name) => {
    // Act
    const retryable = isRetryable(named(name));

    // Assess
    expect(retryable).toBe(true);
  });

  it.each(['ValidationException', 'ConflictException', 'ResourceNotFoundException', 'AccessDeniedException', 'Error', 'TypeError', 'throttlingexception'])(
    'does not retry an error named %s',
    (name) => {
      // Act
      const retryable = isRetryable(named(name));

      // Assess
      expect(retryable).toBe(false);
    },
  );

  it('classifies the A2I runtime SDK exception classes', () => {
    // Prepare
    const $metadata = { httpStatusCode: 400 };
    const retryable = [
      new ThrottlingException({ message: 'slow down', $metadata }),
      new ServiceQuotaExceededException({ message: 'quota', $metadata }),
      new InternalServerException({ message: 'oops', $metadata: { httpStatusCode: 500 } }),
    ];
    const final = [new ValidationException({ message: 'bad', $metadata }), new ConflictException({ message: 'exists', $metadata: { httpStatusCode: 409 } }), new ResourceNotFoundException({ message: 'gone', $metadata: { httpStatusCode: 404 } })];

    // Act
    const verdicts = [...retryable, ...final].map((error) => isRetryable(error));

    // Assess
    expect(verdicts).toEqual([true, true, true, false, false, false]);
  });

  // Bug (lib/retry.ts, RETRYABLE_NAMES): SQS throttles with the error code `RequestThrottled` (HTTP 400;
  // the SDK's own RequestThrottled class). The SDK's retry strategy counts it as throttling, isRetryable does not.
  it('retries SQS throttling (the SDK RequestThrottled class, HTTP 400)', () => {
    // Prepare
    const error = new RequestThrottled({ message: 'Request is throttled.', $metadata: { httpStatusCode: 400 } });

    // Act
    const retryable = isRetryable(error);

    // Assess
    expect(retryable).toBe(true);
  });

  it.each(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ECONNABORTED', 'EHOSTUNREACH', 'UND_ERR_SOCKET'])('retries the network error code %s', (code) => {
    // Act
    const retryable = isRetryable(withCode(code));

    // Assess
    expect(retryable).toBe(true);
  });

  it.each(['ENOENT', 'EACCES', 'ERR_INVALID_ARG_TYPE'])('does not retry the error code %s', (code) => {
    // Act
    const retryable = isRetryable(withCode(code));

    // Assess
    expect(retryable).toBe(false);
  });

  it.each([500, 502, 503, 504, 599, 429])('retries an unknown error with HTTP status %i', (status) => {
    // Act
    const retryable = isRetryable(withStatus(status));

    // Assess
    expect(retryable).toBe(true);
  });

  it.each([400, 401, 403, 404, 409, 413, 499])('does not retry an unknown error with HTTP status %i', (status) => {
    // Act
    const retryable = isRetryable(withStatus(status));

    // Assess
    expect(retryable).toBe(false);
  });

  it('retries an error the SDK marked $retryable, and not one without the mark', () => {
    // Prepare
    const marked = Object.assign(withStatus(400), { $retryable: {} });
    const throttlingMark = Object.assign(withStatus(400), { $retryable: { throttling: true } });
    const unmarked = Object.assign(withStatus(400), { $retryable: undefined });

    // Act
    const verdicts = [marked, throttlingMark, unmarked].map((error) => isRetryable(error));

    // Assess
    expect(verdicts).toEqual([true, true, false]);
  });

  it('looks through causes: a wrapped retryable error is retryable at any depth', () => {
    // Prepare
    const once = new Error('wrapper', { cause: withCode('ECONNRESET') });
    const deep = new Error('outer', { cause: new Error('middle', { cause: new Error('inner', { cause: named('ThrottlingException') }) }) });

    // Act
    const verdicts = [once, deep].map((error) => isRetryable(error));

    // Assess
    expect(verdicts).toEqual([true, true]);
  });

  it('does not retry a wrapper whose causes are all final', () => {
    // Prepare
    const wrapped = new Error('outer', { cause: new Error('middle', { cause: named('ValidationException') }) });
    const nonErrorCause = new Error('outer', { cause: 'ThrottlingException' });

    // Act
    const verdicts = [wrapped, nonErrorCause].map((error) => isRetryable(error));

    // Assess
    expect(verdicts).toEqual([false, false]);
  });

  it('stops at an error that is its own cause', () => {
    // Prepare
    const selfish = new Error('selfish');
    Object.assign(selfish, { cause: selfish });

    // Act
    const retryable = isRetryable(selfish);

    // Assess
    expect(retryable).toBe(false);
  });

  // Robustness bug (lib/retry.ts, isRetryable): only `cause === error` is guarded against, so two errors
  // that are each other's cause recurse until the stack overflows: RangeError instead of `false`.
  it('stops at a cycle of causes', () => {
    // Prepare
    const first = new Error('first');
    const second = new Error('second', { cause: first });
    Object.assign(first, { cause: second });

    // Act
    const retryable = isRetryable(first);

    // Assess
    expect(retryable).toBe(false);
  });

  it.each([null, undefined, 'ThrottlingException', 503, true])('does not retry the non-object %p', (value) => {
    // Act
    const retryable = isRetryable(value);

    // Assess
    expect(retryable).toBe(false);
  });

  it('accepts error-like plain objects', () => {
    // Act
    const verdicts = [{ name: 'SlowDown' }, { code: 'ETIMEDOUT' }, { $metadata: { httpStatusCode: 503 } }, { name: 'NotFound', $metadata: { httpStatusCode: 404 } }].map(
      (error) => isRetryable(error),
    );

    // Assess
    expect(verdicts).toEqual([true, true, true, false]);
  });
});

describe('isThrottling', () => {
  it('recognises throttling by name or HTTP 429, and nothing else', () => {
    // Prepare
    const errors = [named('ThrottlingException'), named('SlowDown'), withStatus(429), named('InternalServerException'), withStatus(503), null];

    // Act
    const verdicts = errors.map((error) => isThrottling(error));

    // Assess
    expect(verdicts).toEqual([true, true, true, false, false, false]);
  });
});

describe('backoff', () => {
  const budget: RetryBudget = { maxAttempts: 7, baseDelayMs: 100, maxDelayMs: 500 };

  it('ceilings double from baseDelayMs, then stay at maxDelayMs', () => {
    // Act
    const ceilings = [1, 2, 3, 4, 5, 6].map((retry) => backoffCeilingMs(budget, retry));

    // Assess
    expect(ceilings).toEqual([100, 200, 400, 500, 500, 500]);
  });

  it('a wait is the random draw times its ceiling, in whole milliseconds', () => {
    // Act
    const waits = [0, 0.25, 0.5, 0.123, 0.9999].map((draw, index) => backoffDelayMs(budget, index + 1, draw));

    // Assess
    expect(waits).toEqual([0, 50, 200, 62, 500]);
  });
});

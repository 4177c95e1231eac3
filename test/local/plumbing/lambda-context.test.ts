import { lambdaContext } from '../../../lib/local/lambda-context';

describe('lambdaContext', () => {
  it('describes the invocation as the Node.js runtime does', () => {
    // Prepare
    let now = Date.UTC(2026, 0, 2, 3, 4, 5);

    // Act
    const context = lambdaContext({ functionName: 'ingest-work', timeoutMs: 10000, memoryLimitInMB: 512, region: 'eu-west-1', accountId: '123456789012', now: () => now });

    // Assess
    expect(context).toMatchObject({
      functionName: 'ingest-work',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:ingest-work',
      memoryLimitInMB: '512',
      logGroupName: '/aws/lambda/ingest-work',
      callbackWaitsForEmptyEventLoop: true,
    });
    expect(context.awsRequestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(context.logStreamName).toMatch(/^2026\/01\/02\/\[\$LATEST\][0-9a-f]{32}$/);
    expect(context.getRemainingTimeInMillis()).toBe(10000);
    now += 2500;
    expect(context.getRemainingTimeInMillis()).toBe(7500);
    now += 60000;
    expect(context.getRemainingTimeInMillis()).toBe(0);
    expect(() => context.succeed('x')).toThrow(/not supported/);
  });

  it('defaults to Lambda\'s defaults and a fresh request id per invocation', () => {
    const [first, second] = [lambdaContext({ functionName: 'f' }), lambdaContext({ functionName: 'f' })];
    expect(first).toMatchObject({ memoryLimitInMB: '128', invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:f' });
    expect(first.getRemainingTimeInMillis()).toBeLessThanOrEqual(3000);
    expect(first.awsRequestId).not.toBe(second.awsRequestId);
  });
});

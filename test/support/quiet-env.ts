import '../../lib/promise-with-resolvers';

/**
 * Tests and the benchmark run the handlers in one process with fake AWS credentials: Powertools and the SDK
 * print nothing (a test that looks at logs or metrics turns them on itself).
 */
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_TRACE_ENABLED ??= 'false';
process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
// The SDK warns once per process that Node 20 support ends in 2027.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export {};

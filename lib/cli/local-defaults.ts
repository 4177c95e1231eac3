/**
 * Local mode runs the handlers in this process: before their modules load, Powertools is told to log at
 * `logLevel` (unless the user chose), to print no EMF metrics and to skip X-Ray, which exists only in Lambda.
 */
export function applyLocalDefaults(logLevel: 'WARN' | 'ERROR'): void {
  process.env.POWERTOOLS_LOG_LEVEL ??= logLevel;
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  process.env.POWERTOOLS_TRACE_ENABLED ??= 'false';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

/**
 * Imported first by the local stack, before any handler module loads the X-Ray SDK (through the Powertools
 * tracer): in its default automatic mode the SDK enables an async hook with a destroy callback, which makes
 * every promise of the process pay for tracking (a fifth of local mode's CPU), for traces that local mode
 * never sends. Manual mode leaves the hook off; in Lambda this module is never loaded.
 */
process.env.AWS_XRAY_MANUAL_MODE ??= '1';

/**
 * The three timestamp spellings on the wire: A2I runtime's shapes are `timestampFormat: iso8601`
 * (`2019-11-14T17:37:36.740Z`), SageMaker's awsJson1_1 default is epoch seconds, and EventBridge's `time`
 * has whole seconds (`2019-11-14T17:49:25Z`).
 */
export const isoMillis = (epochMs: number): string => new Date(epochMs).toISOString();
export const isoSeconds = (epochMs: number): string => new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
export const epochSeconds = (epochMs: number): number => epochMs / 1000;

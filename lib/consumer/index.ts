export { type DedupeResult, type DedupeStore, type InvocationTimer, joinInFlight, ReviewInProgressError } from './dedupe';
export { DEFAULT_DEDUPE_TTL_SECONDS, DynamoDbDedupeStore, type DynamoDbDedupeOptions } from './dynamodb-dedupe';
export { handleReview, type ReviewHandler } from './handle-review';
export { parseReviewMessage } from './parse-message';
export { reviewConsumerRuntime, type ReviewConsumerRuntime } from './wiring';

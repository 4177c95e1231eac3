export * from './review-message';
export * from './build';
export { assertReviewMessage, InvalidMessageError, messageProblems } from './validate';

import Ajv, { type ValidateFunction } from 'ajv';
import messageSchema from '../../schemas/review-message.schema.json';
import type { ReviewMessage } from './review-message';

let validator: ValidateFunction | undefined;

export class InvalidMessageError extends Error {
  override readonly name = 'InvalidMessageError';
  constructor(readonly problems: string[]) {
    super(`message does not follow the review-message schema: ${problems.join('; ')}`);
  }
}

/** The problems that keep `body` from being a valid ReviewMessage; empty when it is one. */
export function messageProblems(body: unknown): string[] {
  validator ??= new Ajv({ allErrors: true, strict: true, strictRequired: false }).compile(messageSchema);
  if (validator(body)) return [];
  return (validator.errors ?? []).map((error) => `${error.instancePath || '(message)'} ${error.message ?? error.keyword}`);
}

export function assertReviewMessage(body: unknown): asserts body is ReviewMessage {
  const problems = messageProblems(body);
  if (problems.length > 0) throw new InvalidMessageError(problems);
}

import type { ReviewMessage } from '../messages';
import { InvalidMessageError, messageProblems } from '../messages/validate';

/**
 * The ReviewMessage in an SQS message body. Throws InvalidMessageError (its `problems` name what is wrong,
 * never what the body holds) when the body is not JSON or does not follow the contract: a permanent error,
 * which no retry can fix.
 */
export function parseReviewMessage(body: string): ReviewMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    // JSON.parse's own message quotes the body: it must not reach the logs.
    throw new InvalidMessageError(['(message) is not JSON']);
  }
  const problems = messageProblems(parsed);
  if (problems.length > 0) throw new InvalidMessageError(problems);
  return parsed as ReviewMessage;
}

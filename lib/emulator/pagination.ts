import { validationException } from './errors';

/** A listed resource: ordered by creation time, then name, so that equal times still page stably. */
export interface Listed {
  name: string;
  creationTime: number;
}

export interface ListQuery {
  /** Epoch ms, inclusive: the SageMaker docs say "greater than or equal to". */
  createdAfter?: number;
  /** Epoch ms, exclusive ("created before"). */
  createdBefore?: number;
  descending: boolean;
  maxResults: number;
  nextToken?: string;
  /** The filters a token belongs to: a token from one listing is refused by another. */
  scope: string;
}

/**
 * SageMaker's list operations default to 10 results a page, newest first; A2I's ListHumanLoops documents
 * no defaults, and the emulator uses the same.
 */
export const DEFAULT_MAX_RESULTS = 10;

interface TokenContent {
  scope: string;
  creationTime: number;
  name: string;
}

/**
 * One page of `records`. The NextToken names the last item returned (opaque to callers: base64url JSON), so a
 * resource created or deleted between pages neither repeats nor skips the others.
 */
export function paginate<T extends Listed>(records: readonly T[], query: ListQuery): { items: T[]; nextToken?: string } {
  const direction = query.descending ? -1 : 1;
  const sorted = records
    .filter((record) => (query.createdAfter === undefined || record.creationTime >= query.createdAfter) && (query.createdBefore === undefined || record.creationTime < query.createdBefore))
    .sort((a, b) => direction * compare(a, b));
  const after = query.nextToken === undefined ? undefined : decodeToken(query.nextToken, query.scope);
  const start = after === undefined ? 0 : sorted.findIndex((record) => direction * compare(record, after) > 0);
  const remaining = start < 0 ? [] : sorted.slice(start);
  const items = remaining.slice(0, query.maxResults);
  if (remaining.length <= query.maxResults) return { items };
  const last = items[items.length - 1];
  return { items, nextToken: encodeToken({ scope: query.scope, creationTime: last.creationTime, name: last.name }) };
}

function compare(a: Listed, b: Listed): number {
  if (a.creationTime !== b.creationTime) return a.creationTime - b.creationTime;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function encodeToken(content: TokenContent): string {
  return Buffer.from(JSON.stringify(content)).toString('base64url');
}

function decodeToken(token: string, scope: string): Listed {
  let content: Partial<TokenContent> | undefined;
  try {
    content = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<TokenContent>;
  } catch {
    content = undefined;
  }
  if (!content || content.scope !== scope || typeof content.creationTime !== 'number' || typeof content.name !== 'string') {
    throw validationException('The NextToken is not valid for this request');
  }
  return { creationTime: content.creationTime, name: content.name };
}

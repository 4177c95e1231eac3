import { randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { RoleIdentity } from './authorizer';
import { type AuthorizationRequest, UnmappedCallError } from './requests';

/**
 * A refused call answered as the service answers it: the HTTP response (403, its protocol's error shape) goes
 * through the client's own deserializer, so the code sees exactly what the real SDK throws in AWS — the
 * client's ServiceException with AWS's error name (`AccessDenied` for S3 and SQS, `AccessDeniedException` for
 * the others), `$fault: 'client'`, `$metadata.httpStatusCode` 403 — and the SDK's retry strategy sees a 403.
 */

/** What the client's deserializer reads: the shape of the SDK's HttpResponse. */
export interface DeniedResponse {
  statusCode: 403;
  reason: 'Forbidden';
  headers: Record<string, string>;
  body: Readable;
}

/**
 * AWS's message: "User: <session> is not authorized to perform: <action> on resource: <arn> because no
 * identity-based policy allows the <action> action". S3 quotes the ARN; SQS writes the action in lower case.
 */
export function accessDeniedMessage(client: string, identity: RoleIdentity, request: AuthorizationRequest, explicitDeny: boolean): string {
  const action = client === 'SQSClient' ? request.action.toLowerCase() : request.action;
  const resource = client === 'S3Client' ? `"${request.resource}"` : request.resource;
  const because = explicitDeny ? 'with an explicit deny in an identity-based policy' : `because no identity-based policy allows the ${action} action`;
  return `User: ${identity.sessionArn} is not authorized to perform: ${action} on resource: ${resource} ${because}`;
}

/** The 403 each service sends, in its protocol (rest-xml, awsJson1_0 with SQS's query compatibility, awsJson1_1, rest-json). */
export function accessDeniedResponse(client: string, message: string, method: string): DeniedResponse {
  const requestId = randomUUID();
  const response = (headers: Record<string, string>, body: string): DeniedResponse => ({ statusCode: 403, reason: 'Forbidden', headers, body: Readable.from([Buffer.from(body)]) });
  const json = (contentType: string, extra: Record<string, string> = {}) =>
    response({ 'content-type': contentType, 'x-amzn-requestid': requestId, ...extra }, JSON.stringify({ __type: 'com.amazon.coral.service#AccessDeniedException', Message: message }));
  switch (client) {
    case 'S3Client': {
      const hostId = randomBytes(24).toString('base64');
      const headers = { 'content-type': 'application/xml', 'x-amz-request-id': requestId.replaceAll('-', '').slice(0, 16).toUpperCase(), 'x-amz-id-2': hostId };
      // A HEAD response has no body: the SDK then knows the error by its status alone.
      if (method === 'HEAD') return response(headers, '');
      return response(headers, s3ErrorDocument('AccessDenied', message, { RequestId: headers['x-amz-request-id'], HostId: hostId }));
    }
    case 'SQSClient':
      // SQS on the JSON protocol keeps its query-protocol error code in this header; the SDK names the error by it.
      return json('application/x-amz-json-1.0', { 'x-amzn-query-error': 'AccessDenied;Sender' });
    case 'DynamoDBClient':
    case 'SFNClient':
      return json('application/x-amz-json-1.0');
    case 'SageMakerClient':
      return response({ 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': requestId }, JSON.stringify({ __type: 'AccessDeniedException', Message: message }));
    case 'SageMakerA2IRuntimeClient':
      return response(
        { 'content-type': 'application/json', 'x-amzn-requestid': requestId, 'x-amzn-errortype': 'AccessDeniedException:http://internal.amazon.com/coral/com.amazon.coral.service/' },
        JSON.stringify({ message }),
      );
    default:
      throw new UnmappedCallError(`${client}: local mode does not know how this service answers a refused call`);
  }
}

/** S3's XML error document. */
export function s3ErrorDocument(code: string, message: string, ids: { RequestId?: string; HostId?: string } = {}): string {
  const extra = Object.entries(ids)
    .map(([name, value]) => `<${name}>${escapeXml(value)}</${name}>`)
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message>${extra}</Error>`;
}

function escapeXml(value: string): string {
  return value.replace(/[<>&"']/g, (char) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[char] as string);
}

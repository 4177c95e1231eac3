import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { request } from 'node:http';
import { startLocalDynamoDb } from '../../../lib/local/dynamodb/server';
import { startTestStorage } from './support';

/**
 * The local S3, SQS and DynamoDB hold records and the ledger on loopback ports: a page on another site (or
 * a DNS-rebinding name for 127.0.0.1) must not write or read them, as it must not use the review port. A
 * simple request (text/plain POST, a PUT a page can send after its preflight is ignored) is refused before
 * it changes anything; the SDKs, which send no Origin and name 127.0.0.1, are served.
 */

let storage: Awaited<ReturnType<typeof startTestStorage>>;
beforeAll(async () => {
  storage = await startTestStorage();
  await fetch(`${storage.endpoint}/guarded`, { method: 'PUT' });
});
afterAll(() => storage.stop());

describe('the local S3 and SQS', () => {
  test.each([
    ['an Origin of another site', { Origin: 'http://evil.example' }, 403],
    ['Sec-Fetch-Site: cross-site', { 'Sec-Fetch-Site': 'cross-site' }, 403],
    ['a Host other than 127.0.0.1 or localhost (DNS rebinding)', { Host: 'evil.example' }, 421],
  ])('refuse a request with %s, and it writes nothing', async (_case, headers, status) => {
    expect(await put(`${storage.endpoint}/guarded/planted.txt`, { 'Content-Type': 'text/plain', ...headers }, 'planted')).toBe(status);
    expect((await fetch(`${storage.endpoint}/guarded/planted.txt`)).status).toBe(404);
  });

  test('serve a request as the SDK sends it', async () => {
    expect((await fetch(`${storage.endpoint}/guarded/kept.txt`, { method: 'PUT', body: 'kept' })).status).toBe(200);
    expect(await (await fetch(`${storage.endpoint}/guarded/kept.txt`)).text()).toBe('kept');
  });
});

describe('the local DynamoDB', () => {
  test('refuses a cross-site PutItem, and the item is not written; the SDK is served', async () => {
    const dynamo = await startLocalDynamoDb();
    try {
      await dynamo.createTable('guarded', 'id');
      const put = JSON.stringify({ TableName: 'guarded', Item: { id: { S: 'planted' } } });
      const refused = await fetch(dynamo.endpoint, { method: 'POST', headers: { 'Content-Type': 'text/plain', 'X-Amz-Target': 'DynamoDB_20120810.PutItem', Origin: 'http://evil.example' }, body: put });
      expect(refused.status).toBe(403);
      const { Item } = await dynamo.client.send(new GetItemCommand({ TableName: 'guarded', Key: { id: { S: 'planted' } } }));
      expect(Item).toBeUndefined();
    } finally {
      await dynamo.close();
    }
  });
});

/** A PUT with exactly these headers (fetch will not send another Host), answering its status. */
function put(url: string, headers: Record<string, string>, body: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const sent = request(url, { method: 'PUT', headers: { 'Content-Length': String(Buffer.byteLength(body)), ...headers } }, (answer) => {
      answer.resume();
      resolve(answer.statusCode);
    });
    sent.on('error', reject);
    sent.end(body);
  });
}

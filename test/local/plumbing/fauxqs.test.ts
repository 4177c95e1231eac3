import { ListQueuesCommand } from '@aws-sdk/client-sqs';
import { fauxqsEntry, startFauxqsProcess } from '../../../lib/local/fauxqs';
import { sqsClient } from './support';

describe('startFauxqsProcess', () => {
  it('serves SQS on loopback until stopped', async () => {
    // Prepare
    const fauxqs = await startFauxqsProcess();
    const sqs = sqsClient(fauxqs.endpoint);
    try {
      // Act
      const listed = await sqs.send(new ListQueuesCommand({}));
      await fauxqs.stop();

      // Assess
      expect(fauxqs.endpoint).toBe(`http://127.0.0.1:${fauxqs.port}`);
      expect(listed.$metadata.httpStatusCode).toBe(200);
      await expect(sqs.send(new ListQueuesCommand({}))).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      sqs.destroy();
    }
  });

  it('finds the ESM entry point of the installed package', () => {
    expect(fauxqsEntry()).toMatch(/^file:\/\/.*\/node_modules\/fauxqs\/dist\/app\.js$/);
  });
});

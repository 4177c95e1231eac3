/**
 * The local S3 and SQS alone in a process, for the crash test to kill: `node bin/run-ts.js
 * test/local/storage/storage-child.ts <dir>` prints `{"port":…}` once it listens.
 */
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../../../lib/local/resources';
import { startLocalStorage } from '../../../lib/local/storage/server';

startLocalStorage({ dir: process.argv[2], region: LOCAL_REGION, account: LOCAL_ACCOUNT }).then(
  (storage) => process.stdout.write(`${JSON.stringify({ port: storage.port })}\n`),
  (error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../../../lib/local/resources';
import { type LocalStorage, startLocalStorage } from '../../../lib/local/storage/server';

/** The local S3 and SQS on a fresh state folder, removed by stop(). */
export async function startTestStorage(dir = mkdtempSync(join(tmpdir(), 'a2i-storage-')), options: { journalCompactBytes?: number } = {}): Promise<LocalStorage & { dir: string; stop(): Promise<void> }> {
  const storage = await startLocalStorage({ dir, region: LOCAL_REGION, account: LOCAL_ACCOUNT, ...options });
  return Object.assign(storage, {
    dir,
    stop: async () => {
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

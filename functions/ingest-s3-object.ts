import type { S3Event } from 'aws-lambda';
import { type ObjectIngestDeps, ingestCreatedObject } from '../lib/ingest/ingest-object';
import { createdObjects } from '../lib/ingest/s3-notification';
import { splitterRuntime } from '../lib/runtime/splitter-wiring';
import { withPowertools } from '../lib/runtime/handler';
import { logger, metrics, workflowMetrics } from '../lib/runtime/observability';
import { once } from '../lib/runtime/once';

/**
 * S3 ObjectCreated (model outputs): streams each object and fans its records out to the work queue for
 * every workflow the key belongs to. A failure throws, so Lambda's asynchronous retries (then the
 * function's failure destination) take over; a retry re-sends work that names the same loops.
 */
export function createHandler(deps: () => ObjectIngestDeps = once(splitterRuntime)) {
  return withPowertools(async (event: S3Event): Promise<void> => {
    const runtime = deps();
    for (const object of createdObjects(event.Records)) {
      const results = await ingestCreatedObject(object, runtime);
      if (results.length === 0) {
        logger.warn('no workflow for object', { bucket: object.bucket, key: object.key });
        metrics.addMetric('ObjectsUnmatched', 'Count', 1);
      }
      for (const { workflow, report } of results) {
        logger.info('object split into work', { bucket: object.bucket, key: object.key, workflow, ...report });
        // Past FirstRecords' size the ledger, not file order, decides which record of a repeated id keeps it.
        if (report.idsUnchecked > 0) logger.warn('too many record ids to keep the first line of each', { bucket: object.bucket, key: object.key, workflow, idsUnchecked: report.idsUnchecked });
        workflowMetrics(workflow).addMetric('RecordsIngested', 'Count', report.records);
      }
    }
  });
}

export const handler = createHandler();

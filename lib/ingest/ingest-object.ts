import type { CompiledWorkflow } from '../workflow';
import { workflowsForObject } from './match';
import type { CreatedObject } from './s3-notification';
import { type SplitDeps, type SplitReport, splitObject } from './split-object';

export interface ObjectIngestDeps {
  workflows: CompiledWorkflow[];
  inputBucket?: string;
  splitDeps: SplitDeps;
  getObject(bucket: string, key: string, versionId?: string): Promise<AsyncIterable<Uint8Array>>;
}

/** Fans a created object's records out to the work queue, once for each workflow it belongs to (none: nothing to do). */
export async function ingestCreatedObject(object: CreatedObject, deps: ObjectIngestDeps): Promise<{ workflow: string; report: SplitReport }[]> {
  const results: { workflow: string; report: SplitReport }[] = [];
  for (const workflow of workflowsForObject(deps.workflows, object.bucket, object.key, deps.inputBucket)) {
    const body = await deps.getObject(object.bucket, object.key, object.versionId);
    const source = {
      type: 's3' as const,
      bucket: object.bucket,
      key: object.key,
      ...(object.versionId ? { versionId: object.versionId } : {}),
      ...(object.etag ? { etag: object.etag } : {}),
      ...(object.sequencer ? { sequencer: object.sequencer } : {}),
    };
    results.push({ workflow: workflow.definition.name, report: await splitObject(body, { workflow, source }, deps.splitDeps) });
  }
  return results;
}

/** The parts of an S3 event notification record that ingest uses (S3's format, not a Lambda type). */
export interface S3NotificationRecord {
  eventName?: string;
  s3: { bucket: { name: string }; object: { key: string; size?: number; eTag?: string; versionId?: string; sequencer?: string } };
}

export interface CreatedObject {
  bucket: string;
  /** Decoded: S3 notifications URL-encode keys, with `+` for spaces. */
  key: string;
  etag?: string;
  versionId?: string;
  /** S3's event sequencer: which of two versions of a key came later. */
  sequencer?: string;
  size?: number;
}

/** The objects an S3 notification says were created; other event types are ignored. */
export function createdObjects(records: S3NotificationRecord[]): CreatedObject[] {
  return records
    .filter((record) => record.eventName === undefined || record.eventName.startsWith('ObjectCreated:'))
    .map(({ s3 }) => ({
      bucket: s3.bucket.name,
      key: decodeS3Key(s3.object.key),
      ...(s3.object.eTag ? { etag: s3.object.eTag } : {}),
      ...(s3.object.versionId ? { versionId: s3.object.versionId } : {}),
      ...(s3.object.sequencer ? { sequencer: s3.object.sequencer } : {}),
      ...(s3.object.size !== undefined ? { size: s3.object.size } : {}),
    }));
}

export function decodeS3Key(encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, ' '));
}

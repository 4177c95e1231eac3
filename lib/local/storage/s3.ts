import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync, rmSync, statSync, unlinkSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { PassThrough, type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AwsChunkedDecoder } from './chunked';
import type { JournalRecord } from './journal';

/** S3's bounds that the code here can reach. */
export const S3_LIMITS = {
  maxKeyBytes: 1024,
  /** PutObject and UploadPart take 5 GiB at most. */
  maxPutBytes: 5 * 1024 ** 3,
  /** Every part but the last is at least 5 MiB. */
  minPartBytes: 5 * 1024 ** 2,
  maxParts: 10_000,
  maxListKeys: 1000,
} as const;

/** What S3 answers when a PutObject names no Content-Type. */
const DEFAULT_CONTENT_TYPE = 'binary/octet-stream';

export class S3Error extends Error {
  override readonly name = 'S3Error';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, string> = {},
  ) {
    super(message);
  }
}

const noSuchBucket = (bucket: string) => new S3Error(404, 'NoSuchBucket', 'The specified bucket does not exist', { BucketName: bucket });
const noSuchKey = (key: string) => new S3Error(404, 'NoSuchKey', 'The specified key does not exist.', { Key: key });

interface ObjectVersion {
  versionId: string;
  file?: string;
  etag: string;
  size: number;
  contentType?: string;
  metadata?: Record<string, string>;
  lastModified: number;
  deleteMarker?: boolean;
}

interface Bucket {
  name: string;
  createdAt: number;
  versioning?: 'Enabled' | 'Suspended';
  /** Each key's versions, the current one last. */
  objects: Map<string, ObjectVersion[]>;
}

interface Upload {
  bucket: string;
  key: string;
  contentType?: string;
  metadata?: Record<string, string>;
  parts: Map<number, { file: string; etag: string; size: number; md5: Buffer }>;
}

/**
 * The S3 buckets of local mode (path-style REST): object bodies are files under `<dir>/objects`, everything
 * else in memory, every change journaled before the request is answered. Multipart uploads in progress are
 * not kept across restarts (an unfinished upload was never acknowledged).
 */
export class S3Store {
  private readonly buckets = new Map<string, Bucket>();
  private readonly uploads = new Map<string, Upload>();
  private readonly objectsDir: string;
  private readonly uploadsDir: string;

  constructor(
    dir: string,
    private readonly journal: (records: JournalRecord[]) => void = () => undefined,
  ) {
    this.objectsDir = join(dir, 'objects');
    this.uploadsDir = join(dir, 'uploads');
  }

  replay(record: JournalRecord): void {
    switch (record.t) {
      case 'b':
        if (!this.buckets.has(record.name as string)) this.buckets.set(record.name as string, { name: record.name as string, createdAt: record.at as number, objects: new Map() });
        return;
      case 'bv': {
        const bucket = this.buckets.get(record.name as string);
        if (bucket) bucket.versioning = record.status as Bucket['versioning'];
        return;
      }
      case 'o': {
        const bucket = this.buckets.get(record.b as string);
        if (!bucket) return;
        this.addVersion(bucket, record.k as string, {
          versionId: record.v as string,
          ...(record.f !== undefined ? { file: record.f as string } : {}),
          etag: record.e as string,
          size: record.n as number,
          ...(record.ct !== undefined ? { contentType: record.ct as string } : {}),
          ...(record.m !== undefined ? { metadata: record.m as Record<string, string> } : {}),
          lastModified: record.at as number,
          ...(record.dm ? { deleteMarker: true } : {}),
        });
        return;
      }
      case 'od': {
        const versions = this.buckets.get(record.b as string)?.objects.get(record.k as string);
        if (!versions) return;
        const index = versions.findIndex((version) => version.versionId === record.v);
        if (index >= 0) versions.splice(index, 1);
        if (versions.length === 0) this.buckets.get(record.b as string)?.objects.delete(record.k as string);
        return;
      }
      case 'bd':
        this.buckets.delete(record.name as string);
        return;
      default:
    }
  }

  *snapshot(): Iterable<JournalRecord> {
    for (const bucket of this.buckets.values()) {
      yield { t: 'b', name: bucket.name, at: bucket.createdAt };
      if (bucket.versioning) yield { t: 'bv', name: bucket.name, status: bucket.versioning };
      for (const [key, versions] of bucket.objects) for (const version of versions) yield objectRecord(bucket.name, key, version);
    }
  }

  /** After a replay: bodies no record names (a put killed before its journal line) and unfinished uploads go. */
  collectGarbage(): void {
    mkdirSync(this.objectsDir, { recursive: true });
    rmSync(this.uploadsDir, { recursive: true, force: true });
    mkdirSync(this.uploadsDir, { recursive: true });
    const named = new Set<string>();
    for (const bucket of this.buckets.values()) for (const versions of bucket.objects.values()) for (const version of versions) if (version.file) named.add(version.file);
    for (const file of readdirSync(this.objectsDir)) if (!named.has(file)) rmSync(join(this.objectsDir, file), { force: true });
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://s3.local');
    const query = url.searchParams;
    const path = url.pathname.slice(1);
    const slash = path.indexOf('/');
    let bucketName: string;
    let key: string;
    try {
      bucketName = decodeURIComponent(slash < 0 ? path : path.slice(0, slash));
      key = slash < 0 ? '' : decodeURIComponent(path.slice(slash + 1));
    } catch {
      throw new S3Error(400, 'InvalidURI', "Couldn't parse the specified URI.");
    }
    const method = req.method ?? 'GET';
    if (bucketName === '') {
      if (method === 'GET') return this.listBuckets(res);
      throw new S3Error(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
    }
    // `/bucket` and `/bucket/` both name the bucket.
    if (key === '') return this.bucketRequest(method, bucketName, query, req, res);
    if (Buffer.byteLength(key, 'utf8') > S3_LIMITS.maxKeyBytes) throw new S3Error(400, 'KeyTooLongError', 'Your key is too long', { Size: String(Buffer.byteLength(key, 'utf8')), MaxSizeAllowed: String(S3_LIMITS.maxKeyBytes) });
    const bucket = this.bucket(bucketName);
    switch (method) {
      case 'PUT':
        if (req.headers['x-amz-copy-source']) throw new S3Error(501, 'NotImplemented', 'CopyObject is not implemented by the local S3.');
        if (query.has('uploadId')) return this.uploadPart(bucket, key, query, req, res);
        return this.putObject(bucket, key, req, res);
      case 'POST':
        if (query.has('uploads')) return this.createUpload(bucket, key, req, res);
        if (query.has('uploadId')) return this.completeUpload(bucket, key, query.get('uploadId') as string, req, res);
        break;
      case 'DELETE':
        if (query.has('uploadId')) return this.abortUpload(bucket, key, query.get('uploadId') as string, res);
        return this.deleteObject(bucket, key, query.get('versionId') ?? undefined, res);
      case 'GET':
      case 'HEAD':
        return this.getObject(bucket, key, query.get('versionId') ?? undefined, req, res, method === 'HEAD');
      default:
    }
    throw new S3Error(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
  }

  private bucket(name: string): Bucket {
    const bucket = this.buckets.get(name);
    if (!bucket) throw noSuchBucket(name);
    return bucket;
  }

  private listBuckets(res: ServerResponse): void {
    const buckets = [...this.buckets.values()].map((bucket) => `<Bucket><Name>${xml(bucket.name)}</Name><CreationDate>${new Date(bucket.createdAt).toISOString()}</CreationDate></Bucket>`).join('');
    sendXml(res, 200, `<ListAllMyBucketsResult><Owner><ID>local</ID></Owner><Buckets>${buckets}</Buckets></ListAllMyBucketsResult>`);
  }

  private async bucketRequest(method: string, name: string, query: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (method === 'PUT' && query.has('versioning')) {
      const bucket = this.bucket(name);
      const body = (await readBody(req)).toString('utf8');
      const status = /<Status>\s*(Enabled|Suspended)\s*<\/Status>/.exec(body)?.[1] as Bucket['versioning'] | undefined;
      if (!status) throw new S3Error(400, 'MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema.');
      this.journal([{ t: 'bv', name, status }]);
      bucket.versioning = status;
      return sendEmpty(res, 200);
    }
    if (method === 'PUT') {
      await readBody(req);
      if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name)) throw new S3Error(400, 'InvalidBucketName', 'The specified bucket is not valid.', { BucketName: name });
      if (!this.buckets.has(name)) {
        const at = Date.now();
        this.journal([{ t: 'b', name, at }]);
        this.buckets.set(name, { name, createdAt: at, objects: new Map() });
      }
      // us-east-1 answers a CreateBucket of a bucket the caller owns with 200.
      res.setHeader('Location', `/${name}`);
      return sendEmpty(res, 200);
    }
    const bucket = this.bucket(name);
    if (method === 'HEAD') return sendEmpty(res, 200);
    if (method === 'GET' && query.has('versioning')) {
      return sendXml(res, 200, `<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${bucket.versioning ? `<Status>${bucket.versioning}</Status>` : ''}</VersioningConfiguration>`);
    }
    if (method === 'GET' && !query.has('uploads') && !query.has('versions')) return this.listObjects(bucket, query, res);
    if (method === 'DELETE') {
      if (bucket.objects.size > 0) throw new S3Error(409, 'BucketNotEmpty', 'The bucket you tried to delete is not empty', { BucketName: name });
      this.journal([{ t: 'bd', name }]);
      this.buckets.delete(name);
      return sendEmpty(res, 204);
    }
    throw new S3Error(501, 'NotImplemented', 'This bucket operation is not implemented by the local S3.');
  }

  /** ListObjectsV2 (and V1's Marker): keys in UTF-8 binary order, with Prefix, Delimiter and paging. */
  private listObjects(bucket: Bucket, query: URLSearchParams, res: ServerResponse): void {
    const v2 = query.get('list-type') === '2';
    const prefix = query.get('prefix') ?? '';
    const delimiter = query.get('delimiter') ?? '';
    const max = Math.min(S3_LIMITS.maxListKeys, Number(query.get('max-keys') ?? S3_LIMITS.maxListKeys));
    const after = v2 ? (query.get('continuation-token') ? Buffer.from(query.get('continuation-token') as string, 'base64url').toString('utf8') : (query.get('start-after') ?? '')) : (query.get('marker') ?? '');
    const encode = query.get('encoding-type') === 'url';
    const keys = [...bucket.objects.entries()]
      .filter(([key, versions]) => key.startsWith(prefix) && !versions[versions.length - 1].deleteMarker)
      .map(([key]) => key)
      .sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
    const contents: string[] = [];
    const prefixes = new Set<string>();
    let last = '';
    let truncated = false;
    for (const key of keys) {
      if (after && Buffer.compare(Buffer.from(key, 'utf8'), Buffer.from(after, 'utf8')) <= 0) continue;
      if (contents.length + prefixes.size >= max) {
        truncated = true;
        break;
      }
      const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
      if (cut >= 0) {
        prefixes.add(key.slice(0, cut + delimiter.length));
        last = key;
        continue;
      }
      const version = bucket.objects.get(key)?.at(-1) as ObjectVersion;
      const name = encode ? encodeURIComponent(key).replace(/%2F/g, '/') : key;
      contents.push(`<Contents><Key>${xml(name)}</Key><LastModified>${new Date(version.lastModified).toISOString()}</LastModified><ETag>${xml(version.etag)}</ETag><Size>${version.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`);
      last = key;
    }
    const common = [...prefixes].map((value) => `<CommonPrefixes><Prefix>${xml(value)}</Prefix></CommonPrefixes>`).join('');
    const paging = v2
      ? `<KeyCount>${contents.length + prefixes.size}</KeyCount>${truncated ? `<NextContinuationToken>${Buffer.from(last, 'utf8').toString('base64url')}</NextContinuationToken>` : ''}`
      : `<Marker>${xml(after)}</Marker>${truncated ? `<NextMarker>${xml(last)}</NextMarker>` : ''}`;
    sendXml(
      res,
      200,
      `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${xml(bucket.name)}</Name><Prefix>${xml(prefix)}</Prefix>${delimiter ? `<Delimiter>${xml(delimiter)}</Delimiter>` : ''}<MaxKeys>${max}</MaxKeys>${encode ? '<EncodingType>url</EncodingType>' : ''}<IsTruncated>${truncated}</IsTruncated>${paging}${contents.join('')}${common}</ListBucketResult>`,
    );
  }

  private async putObject(bucket: Bucket, key: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { file, size, md5 } = await this.receiveBody(req, this.objectsDir);
    const version = this.newVersion(bucket, { file, etag: `"${md5.toString('hex')}"`, size, ...objectHeaders(req) });
    this.commit(bucket, key, version);
    res.setHeader('ETag', version.etag);
    if (bucket.versioning) res.setHeader('x-amz-version-id', version.versionId);
    sendEmpty(res, 200);
  }

  private newVersion(bucket: Bucket, fields: Omit<ObjectVersion, 'versionId' | 'lastModified'>): ObjectVersion {
    // A version id in the form S3 gives them: 32 URL-safe characters; "null" in a bucket that never had versioning.
    const versionId = bucket.versioning === 'Enabled' ? randomBytes(24).toString('base64url') : 'null';
    return { versionId, lastModified: Date.now(), ...fields };
  }

  /** Journals the new version, then makes it current; an unversioned bucket's previous "null" version (and its file) goes. */
  private commit(bucket: Bucket, key: string, version: ObjectVersion): void {
    const replaced = version.versionId === 'null' ? bucket.objects.get(key)?.find((existing) => existing.versionId === 'null') : undefined;
    this.journal([objectRecord(bucket.name, key, version)]);
    this.addVersion(bucket, key, version);
    if (replaced?.file && replaced.file !== version.file) rmSync(join(this.objectsDir, replaced.file), { force: true });
  }

  private addVersion(bucket: Bucket, key: string, version: ObjectVersion): void {
    const versions = bucket.objects.get(key) ?? [];
    const kept = version.versionId === 'null' ? versions.filter((existing) => existing.versionId !== 'null') : versions;
    kept.push(version);
    bucket.objects.set(key, kept);
  }

  private getObject(bucket: Bucket, key: string, versionId: string | undefined, req: IncomingMessage, res: ServerResponse, head: boolean): void {
    const versions = bucket.objects.get(key);
    let version: ObjectVersion | undefined;
    if (versionId !== undefined) {
      version = versions?.find((candidate) => candidate.versionId === versionId);
      if (!version) {
        if (versionId !== 'null' && !/^[A-Za-z0-9._-]{1,1024}$/.test(versionId)) throw new S3Error(400, 'InvalidArgument', 'Invalid version id specified', { ArgumentName: 'versionId', ArgumentValue: versionId });
        throw new S3Error(404, 'NoSuchVersion', 'The specified version does not exist.', { Key: key, VersionId: versionId });
      }
      if (version.deleteMarker) {
        res.setHeader('x-amz-delete-marker', 'true');
        throw new S3Error(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
      }
    } else {
      version = versions?.at(-1);
      if (!version || version.deleteMarker) {
        if (version) res.setHeader('x-amz-delete-marker', 'true');
        throw noSuchKey(key);
      }
    }
    const range = rangeOf(req.headers.range, version.size);
    res.setHeader('ETag', version.etag);
    res.setHeader('Last-Modified', new Date(version.lastModified).toUTCString());
    res.setHeader('Content-Type', version.contentType ?? DEFAULT_CONTENT_TYPE);
    res.setHeader('Accept-Ranges', 'bytes');
    if (bucket.versioning) res.setHeader('x-amz-version-id', version.versionId);
    for (const [name, value] of Object.entries(version.metadata ?? {})) res.setHeader(`x-amz-meta-${name}`, encodeHeader(value));
    if (range) {
      res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${version.size}`);
      res.setHeader('Content-Length', String(range.end - range.start + 1));
      res.writeHead(206);
    } else {
      res.setHeader('Content-Length', String(version.size));
      res.writeHead(200);
    }
    if (head || version.size === 0 || !version.file) {
      res.end();
      return;
    }
    const stream = createReadStream(join(this.objectsDir, version.file), range ? { start: range.start, end: range.end } : {});
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  }

  private deleteObject(bucket: Bucket, key: string, versionId: string | undefined, res: ServerResponse): void {
    const versions = bucket.objects.get(key) ?? [];
    if (versionId !== undefined) {
      const version = versions.find((candidate) => candidate.versionId === versionId);
      if (version) {
        this.journal([{ t: 'od', b: bucket.name, k: key, v: versionId }]);
        this.replay({ t: 'od', b: bucket.name, k: key, v: versionId });
        if (version.file) rmSync(join(this.objectsDir, version.file), { force: true });
      }
      res.setHeader('x-amz-version-id', versionId);
      return sendEmpty(res, 204);
    }
    if (bucket.versioning) {
      const marker = this.newVersion(bucket, { etag: '', size: 0, deleteMarker: true });
      if (bucket.versioning === 'Enabled') {
        this.commit(bucket, key, marker);
        res.setHeader('x-amz-delete-marker', 'true');
        res.setHeader('x-amz-version-id', marker.versionId);
        return sendEmpty(res, 204);
      }
    }
    const current = versions.find((candidate) => candidate.versionId === 'null');
    if (current) {
      this.journal([{ t: 'od', b: bucket.name, k: key, v: 'null' }]);
      this.replay({ t: 'od', b: bucket.name, k: key, v: 'null' });
      if (current.file) rmSync(join(this.objectsDir, current.file), { force: true });
    }
    sendEmpty(res, 204);
  }

  private async createUpload(bucket: Bucket, key: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    await readBody(req);
    const uploadId = randomBytes(24).toString('base64url');
    this.uploads.set(uploadId, { bucket: bucket.name, key, ...objectHeaders(req), parts: new Map() });
    sendXml(res, 200, `<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${xml(bucket.name)}</Bucket><Key>${xml(key)}</Key><UploadId>${uploadId}</UploadId></InitiateMultipartUploadResult>`);
  }

  private upload(bucket: Bucket, key: string, uploadId: string): Upload {
    const upload = this.uploads.get(uploadId);
    if (!upload || upload.bucket !== bucket.name || upload.key !== key) {
      throw new S3Error(404, 'NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', { UploadId: uploadId });
    }
    return upload;
  }

  private async uploadPart(bucket: Bucket, key: string, query: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const upload = this.upload(bucket, key, query.get('uploadId') as string);
    const number = Number(query.get('partNumber'));
    if (!Number.isInteger(number) || number < 1 || number > S3_LIMITS.maxParts) throw new S3Error(400, 'InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive', { ArgumentName: 'partNumber' });
    const { file, size, md5 } = await this.receiveBody(req, this.uploadsDir);
    const previous = upload.parts.get(number);
    upload.parts.set(number, { file, size, md5, etag: `"${md5.toString('hex')}"` });
    if (previous) rmSync(join(this.uploadsDir, previous.file), { force: true });
    res.setHeader('ETag', `"${md5.toString('hex')}"`);
    sendEmpty(res, 200);
  }

  private async completeUpload(bucket: Bucket, key: string, uploadId: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const upload = this.upload(bucket, key, uploadId);
    const body = (await readBody(req)).toString('utf8');
    const listed = [...body.matchAll(/<Part>([\s\S]*?)<\/Part>/g)].map(([, part]) => ({
      number: Number(/<PartNumber>\s*(\d+)\s*<\/PartNumber>/.exec(part)?.[1]),
      etag: (/<ETag>([\s\S]*?)<\/ETag>/.exec(part)?.[1] ?? '').replace(/&quot;/g, '"').trim(),
    }));
    if (listed.length === 0) throw new S3Error(400, 'MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema.');
    const parts = listed.map(({ number, etag }, index) => {
      const part = upload.parts.get(number);
      if (!part || (etag !== '' && etag.replace(/"/g, '') !== part.etag.replace(/"/g, ''))) throw new S3Error(400, 'InvalidPart', 'One or more of the specified parts could not be found.');
      if (index > 0 && number <= listed[index - 1].number) throw new S3Error(400, 'InvalidPartOrder', 'The list of parts was not in ascending order.');
      if (index < listed.length - 1 && part.size < S3_LIMITS.minPartBytes) throw new S3Error(400, 'EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.');
      return part;
    });
    const file = randomUUID();
    const out = createWriteStream(join(this.objectsDir, file));
    const uploadsDir = this.uploadsDir;
    await pipeline(async function* () {
      for (const part of parts) yield* createReadStream(join(uploadsDir, part.file)) as AsyncIterable<Buffer>;
    }, out);
    const etag = `"${createHash('md5').update(Buffer.concat(parts.map((part) => part.md5))).digest('hex')}-${parts.length}"`;
    const version = this.newVersion(bucket, { file, etag, size: parts.reduce((sum, part) => sum + part.size, 0), ...(upload.contentType ? { contentType: upload.contentType } : {}), ...(upload.metadata ? { metadata: upload.metadata } : {}) });
    this.commit(bucket, key, version);
    this.dropUpload(uploadId);
    if (bucket.versioning) res.setHeader('x-amz-version-id', version.versionId);
    sendXml(res, 200, `<CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${xml(bucket.name)}</Bucket><Key>${xml(key)}</Key><ETag>${xml(etag)}</ETag></CompleteMultipartUploadResult>`);
  }

  private abortUpload(bucket: Bucket, key: string, uploadId: string, res: ServerResponse): void {
    this.upload(bucket, key, uploadId);
    this.dropUpload(uploadId);
    sendEmpty(res, 204);
  }

  private dropUpload(uploadId: string): void {
    for (const part of this.uploads.get(uploadId)?.parts.values() ?? []) rmSync(join(this.uploadsDir, part.file), { force: true });
    this.uploads.delete(uploadId);
  }

  /** Streams the request body to a new file (aws-chunked decoded), hashing it; the file is removed if the request fails. */
  private async receiveBody(req: IncomingMessage, dir: string): Promise<{ file: string; size: number; md5: Buffer }> {
    const declared = Number(req.headers['x-amz-decoded-content-length'] ?? req.headers['content-length'] ?? 0);
    if (declared > S3_LIMITS.maxPutBytes) throw new S3Error(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed object size.');
    const chunked = /aws-chunked/.test(String(req.headers['content-encoding'] ?? '')) || String(req.headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-');
    const file = randomUUID();
    const path = join(dir, file);
    const hash = createHash('md5');
    let size = 0;
    const count = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        size += chunk.length;
        if (size > S3_LIMITS.maxPutBytes) {
          callback(new S3Error(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed object size.'));
          return;
        }
        hash.update(chunk);
        callback(null, chunk);
      },
    });
    try {
      await pipeline(req as Readable, chunked ? new AwsChunkedDecoder() : new PassThrough(), count, createWriteStream(path));
    } catch (error) {
      if (existsSync(path)) unlinkSync(path);
      throw error instanceof S3Error ? error : new S3Error(400, 'IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header.');
    }
    return { file, size, md5: hash.digest() };
  }

  /** For tests and diagnostics: the bytes on disk of a key's current version. */
  objectFile(bucket: string, key: string): string | undefined {
    const file = this.buckets.get(bucket)?.objects.get(key)?.at(-1)?.file;
    return file && existsSync(join(this.objectsDir, file)) && statSync(join(this.objectsDir, file)).isFile() ? join(this.objectsDir, file) : undefined;
  }
}

function objectRecord(bucket: string, key: string, version: ObjectVersion): JournalRecord {
  return {
    t: 'o',
    b: bucket,
    k: key,
    v: version.versionId,
    ...(version.file !== undefined ? { f: version.file } : {}),
    e: version.etag,
    n: version.size,
    ...(version.contentType !== undefined ? { ct: version.contentType } : {}),
    ...(version.metadata !== undefined ? { m: version.metadata } : {}),
    at: version.lastModified,
    ...(version.deleteMarker ? { dm: true } : {}),
  };
}

function objectHeaders(req: IncomingMessage): { contentType?: string; metadata?: Record<string, string> } {
  const contentType = req.headers['content-type'];
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith('x-amz-meta-') && typeof value === 'string') metadata[name.slice('x-amz-meta-'.length)] = value;
  }
  return { ...(contentType ? { contentType } : {}), ...(Object.keys(metadata).length > 0 ? { metadata } : {}) };
}

/** A single `bytes=` range of an object of `size` bytes; undefined for none (or one S3 would ignore). */
function rangeOf(header: string | undefined, size: number): { start: number; end: number } | undefined {
  const match = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (match[1] === '') {
    start = Math.max(0, size - Number(match[2]));
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(size - 1, Number(match[2]));
  }
  if (start >= size || start > end) throw new S3Error(416, 'InvalidRange', 'The requested range is not satisfiable', { RangeRequested: header as string, ActualObjectSize: String(size) });
  return { start, end };
}

function readBody(req: IncomingMessage, limit = 1024 * 1024): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new S3Error(400, 'MaxMessageLengthExceeded', 'Your request was too big.'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** XML text: the five entities, and control characters (and CR, which XML would normalise) as numeric references. */
function xml(text: string): string {
  let out = '';
  for (const c of text) {
    const code = c.charCodeAt(0);
    if (c === '&' || c === '<' || c === '>' || c === '"' || c === "'") out += `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]};`;
    else if (code < 0x20 && code !== 0x9 && code !== 0xa) out += `&#${code};`;
    else out += c;
  }
  return out;
}

/** A header value carries only Latin-1 text: metadata beyond it travels as S3 sends it, RFC 2047-encoded. */
function encodeHeader(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value : `=?UTF-8?B?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

function sendXml(res: ServerResponse, status: number, body: string): void {
  const payload = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`, 'utf8');
  res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': String(payload.length) });
  res.end(payload);
}

function sendEmpty(res: ServerResponse, status: number): void {
  res.setHeader('Content-Length', '0');
  res.writeHead(status);
  res.end();
}

/** An S3 error as the SDK reads it: the XML error document (none for HEAD, whose status alone is read). */
export function sendS3Error(res: ServerResponse, error: S3Error, head: boolean, requestId: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.setHeader('x-amz-request-id', requestId);
  if (head) return sendEmpty(res, error.status);
  const extra = Object.entries(error.extra)
    .map(([name, value]) => `<${name}>${xml(value)}</${name}>`)
    .join('');
  sendXml(res, error.status, `<Error><Code>${error.code}</Code><Message>${xml(error.message)}</Message>${extra}<RequestId>${requestId}</RequestId></Error>`);
}

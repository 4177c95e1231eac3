import { Transform, type TransformCallback } from 'node:stream';

/** The body of an S3 request sent with `Content-Encoding: aws-chunked` was not well formed. */
export class ChunkedBodyError extends Error {
  override readonly name = 'ChunkedBodyError';
}

/**
 * Decodes the aws-chunked content encoding the SDK uses for streamed uploads with checksums
 * (`<hex size>[;chunk-signature=…]\r\n<data>\r\n` … `0\r\n<trailers>\r\n\r\n`) into the object's bytes.
 */
export class AwsChunkedDecoder extends Transform {
  private pending: Buffer = Buffer.alloc(0);
  /** Bytes of data left in the current chunk, then its CRLF; -1 while reading a chunk header; -2 after the last chunk. */
  private remaining = -1;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.pending = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    try {
      this.drain();
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    callback(this.remaining === -2 ? null : new ChunkedBodyError('the aws-chunked body ended before its last chunk'));
  }

  private drain(): void {
    while (this.pending.length > 0) {
      if (this.remaining === -2) {
        // Trailers (x-amz-checksum-*): read and dropped; the emulator computes its own ETag.
        this.pending = Buffer.alloc(0);
        return;
      }
      if (this.remaining === -1) {
        const end = this.pending.indexOf('\r\n');
        if (end < 0) {
          if (this.pending.length > 4096) throw new ChunkedBodyError('an aws-chunked chunk header is too long');
          return;
        }
        const size = parseInt(this.pending.subarray(0, end).toString('latin1').split(';')[0], 16);
        if (!Number.isInteger(size) || size < 0) throw new ChunkedBodyError('an aws-chunked chunk header has no size');
        this.pending = this.pending.subarray(end + 2);
        this.remaining = size === 0 ? -2 : size + 2;
        continue;
      }
      const take = Math.min(this.remaining, this.pending.length);
      const dataEnd = Math.max(0, Math.min(take, this.remaining - 2));
      if (dataEnd > 0) this.push(this.pending.subarray(0, dataEnd));
      this.pending = this.pending.subarray(take);
      this.remaining -= take;
      if (this.remaining === 0) this.remaining = -1;
    }
  }
}

/** Kept between uses: enough for ordinary partial records, without holding on to what a rare huge one needed. */
const RETAINED_CAPACITY = 1024 * 1024;

/** A growable byte buffer with a limit: appending copies, and the capacity doubles, so a long record costs linear time. */
export class ByteAccumulator {
  private buffer = Buffer.alloc(0);
  private used = 0;

  constructor(private readonly limit: number) {}

  get length(): number {
    return this.used;
  }

  /** False (and nothing appended) when the bytes would take the content past the limit. */
  append(bytes: Buffer): boolean {
    const needed = this.used + bytes.length;
    if (needed > this.limit) return false;
    if (needed > this.buffer.length) this.grow(needed);
    bytes.copy(this.buffer, this.used);
    this.used = needed;
    return true;
  }

  /** The content, as a view valid until the next append or clear. */
  bytes(): Buffer {
    return this.buffer.subarray(0, this.used);
  }

  clear(): void {
    this.used = 0;
    if (this.buffer.length > RETAINED_CAPACITY) this.buffer = Buffer.alloc(0);
  }

  private grow(needed: number): void {
    const capacity = Math.min(this.limit, Math.max(needed, this.buffer.length * 2, 4096));
    const grown = Buffer.allocUnsafe(capacity);
    this.buffer.copy(grown, 0, 0, this.used);
    this.buffer = grown;
  }
}

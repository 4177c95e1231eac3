import { TextDecoder } from 'node:util';
import { ByteAccumulator } from './byte-accumulator';
import { type DocumentRecords, WHOLE_DOCUMENT } from './records-path';

/**
 * The records of a JSON document read as its bytes arrive, for a `records` path that is a chain of fields
 * (see records-path.ts): a validating JSON tokenizer over bytes that keeps nothing of the document but the
 * record in progress (its raw bytes, at most `maxRecordBytes`), the key in progress on the records path, and
 * one byte per open bracket. Each record is its own text, sliced from the document exactly as written (never
 * parsed and re-serialised), so a 256 MiB document is split in the memory of its largest record.
 *
 * The answers are JSON.parse-then-JMESPath's on a valid document: the same records, in the same order, with
 * the same indexes (a `[*]` projection leaves out null elements). Where streaming cannot wait for the end:
 *
 * - a document that stops being valid JSON part-way keeps the records completed before that point, and the
 *   rest of it is one error item at the next index (JSON.parse would refuse the whole document);
 * - a key of the records path that appears twice in its object (JSON.parse keeps the last) is an error item
 *   at that point: which one the workflow meant cannot be known, and the records after it are not read.
 */

/** One record, or why it (or the rest of the document) cannot be read. */
export type DocumentItem = { index: number; text: string } | { index: number; error: string };

/** Deeper nesting than this anywhere in the document makes the rest of it unreadable (the tokenizer keeps a byte a level). */
export const MAX_DOCUMENT_DEPTH = 1_000_000;

// Tokenizer states.
const VALUE = 0; // a value is expected
const AFTER_VALUE = 1; // `,` or the closing bracket of the container
const OBJECT_FIRST = 2; // after `{`: a key or `}`
const OBJECT_KEY = 3; // after `,` in an object: a key
const COLON = 4;
const ARRAY_FIRST = 5; // after `[`: a value or `]`
const STRING = 6;
const STRING_ESCAPE = 7; // after `\`
const STRING_HEX = 8; // inside `\uXXXX`
const STRING_UTF8 = 9; // inside a multi-byte character (checked outside records only: a record is decoded strictly)
const NUMBER = 10;
const LITERAL = 11;
const END = 12; // after the document's value: only whitespace
const FAILED = 13;

// Number sub-states (RFC 8259's grammar).
const N_MINUS = 0;
const N_ZERO = 1;
const N_INT = 2;
const N_DOT = 3;
const N_FRAC = 4;
const N_EXP = 5;
const N_EXP_SIGN = 6;
const N_EXP_DIGITS = 7;

const IN_OBJECT = 1;
const IN_ARRAY = 2;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LITERALS: Record<number, Buffer> = { 0x74: Buffer.from('true'), 0x66: Buffer.from('false'), 0x6e: Buffer.from('null') };
const NULL_BYTE = 0x6e;

const isWhitespace = (byte: number): boolean => byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
const isDigit = (byte: number): boolean => byte >= 0x30 && byte <= 0x39;

export class JsonDocumentStream {
  #state = VALUE;
  #number = N_INT;
  #literal: Buffer = LITERALS[NULL_BYTE];
  #literalAt = 0;
  #hexLeft = 0;
  #utf8Left = 0;
  #utf8Low = 0x80;
  #utf8High = 0xbf;
  #isKey = false;
  #depth = 0;
  #stack = new Uint8Array(64);
  /** Bytes of the chunks before the current one. */
  #offset = 0;
  #started = false;

  // The records path.
  readonly #fields: readonly string[];
  readonly #dropNulls: boolean;
  /** Depth of the innermost object on the records path (0: none), where the key fields[depth - 1] is looked for. */
  #pathDepth = 0;
  /** Whether the object on the path at each level already had the path's key: a second one is refused. */
  readonly #seen: boolean[];
  /** The value about to start is the one at the path's key (the document itself is on the path). */
  #nextOnPath = true;
  /** Depth of the records array while it is open; -1 otherwise. */
  #recordsDepth = -1;
  #recordsFound = false;

  // The key in progress, when it is a key of an object on the path.
  #keyRecording = false;
  #keyFrom = 0;
  #keyTooLong = false;
  readonly #key: ByteAccumulator;

  // The record in progress.
  #recording = false;
  #recordFrom = 0;
  #recordIsNull = false;
  #recordOversized = false;
  readonly #record: ByteAccumulator;
  #index = 0;

  #items: DocumentItem[] = [];
  readonly #decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

  constructor(
    records: DocumentRecords,
    private readonly maxRecordBytes: number,
  ) {
    const path = records === WHOLE_DOCUMENT ? { fields: [], dropNulls: false } : records;
    this.#fields = path.fields;
    this.#dropNulls = path.dropNulls;
    this.#seen = path.fields.map(() => false);
    if (records === WHOLE_DOCUMENT) {
      // The document's value (depth 0) is the record; there is no path to follow.
      this.#recordsDepth = 0;
      this.#recordsFound = true;
      this.#nextOnPath = false;
    }
    // A key can only be one of the path's fields if its raw text is at most 6 bytes (`\uXXXX`) a byte of the field.
    const longest = Math.max(0, ...path.fields.map((field) => Buffer.byteLength(field)));
    this.#key = new ByteAccumulator(6 * longest + 6);
    this.#record = new ByteAccumulator(maxRecordBytes);
  }

  /** The index of the next record: where an error item for the rest of the document goes. */
  get nextIndex(): number {
    return this.#index;
  }

  /** After an error item for the rest of the document: nothing more is read. */
  get failed(): boolean {
    return this.#state === FAILED;
  }

  /** The items this chunk completes. */
  push(chunk: Buffer): DocumentItem[] {
    this.#items = [];
    if (this.#state === FAILED) return this.#items;
    this.#recordFrom = 0;
    this.#keyFrom = 0;
    this.#scan(chunk);
    if (this.#state !== FAILED) {
      if (this.#recording) this.#keepRecord(chunk.subarray(this.#recordFrom));
      if (this.#keyRecording) this.#keepKey(chunk.subarray(this.#keyFrom));
    }
    this.#offset += chunk.length;
    return this.#items;
  }

  /** The items the end of the document completes: a last number, what is missing, or that the path found no array. */
  end(): DocumentItem[] {
    this.#items = [];
    if (this.#state === FAILED) return this.#items;
    if (this.#state === NUMBER && this.#depth === 0) this.#endNumber(Buffer.alloc(0), 0);
    if (this.#state === VALUE && !this.#started) return this.#items; // empty (or whitespace-only) document: no records
    if (this.#state !== END) {
      this.#fail('the document ends before its value does', this.#offset);
      return this.#items;
    }
    if (!this.#recordsFound) this.#items.push({ index: 0, error: 'records path did not yield an array' });
    return this.#items;
  }

  #scan(chunk: Buffer): void {
    const length = chunk.length;
    let at = 0;
    while (at < length) {
      switch (this.#state) {
        case VALUE:
        case ARRAY_FIRST: {
          while (at < length && isWhitespace(chunk[at])) at++;
          if (at === length) return;
          if (this.#state === ARRAY_FIRST && chunk[at] === 0x5d) {
            at = this.#close(chunk, at, IN_ARRAY);
            break;
          }
          at = this.#startValue(chunk, at);
          break;
        }
        case AFTER_VALUE: {
          while (at < length && isWhitespace(chunk[at])) at++;
          if (at === length) return;
          const byte = chunk[at];
          const container = this.#stack[this.#depth - 1];
          if (byte === 0x2c) {
            this.#state = container === IN_OBJECT ? OBJECT_KEY : VALUE;
            at++;
          } else if (byte === 0x7d || byte === 0x5d) {
            at = this.#close(chunk, at, byte === 0x7d ? IN_OBJECT : IN_ARRAY);
          } else {
            at = this.#unexpected(chunk, at);
          }
          break;
        }
        case OBJECT_FIRST:
        case OBJECT_KEY: {
          while (at < length && isWhitespace(chunk[at])) at++;
          if (at === length) return;
          const byte = chunk[at];
          if (byte === QUOTE) {
            at = this.#startKey(at);
          } else if (byte === 0x7d && this.#state === OBJECT_FIRST) {
            at = this.#close(chunk, at, IN_OBJECT);
          } else {
            at = this.#unexpected(chunk, at);
          }
          break;
        }
        case COLON: {
          while (at < length && isWhitespace(chunk[at])) at++;
          if (at === length) return;
          if (chunk[at] !== 0x3a) {
            at = this.#unexpected(chunk, at);
            break;
          }
          this.#state = VALUE;
          at++;
          break;
        }
        case STRING:
          at = this.#string(chunk, at);
          break;
        case STRING_ESCAPE: {
          const byte = chunk[at];
          if (byte === 0x75) {
            this.#hexLeft = 4;
            this.#state = STRING_HEX;
          } else if (byte === QUOTE || byte === BACKSLASH || byte === 0x2f || byte === 0x62 || byte === 0x66 || byte === 0x6e || byte === 0x72 || byte === 0x74) {
            this.#state = STRING;
          } else {
            at = this.#fail('an invalid escape in a string', this.#offset + at);
            break;
          }
          at++;
          break;
        }
        case STRING_HEX: {
          const byte = chunk[at] | 0x20; // lower case
          if (!(isDigit(byte) || (byte >= 0x61 && byte <= 0x66))) {
            at = this.#fail('an invalid \\u escape in a string', this.#offset + at);
            break;
          }
          if (--this.#hexLeft === 0) this.#state = STRING;
          at++;
          break;
        }
        case STRING_UTF8: {
          const byte = chunk[at];
          if (byte < this.#utf8Low || byte > this.#utf8High) {
            at = this.#fail('text that is not valid UTF-8', this.#offset + at);
            break;
          }
          this.#utf8Low = 0x80;
          this.#utf8High = 0xbf;
          if (--this.#utf8Left === 0) this.#state = STRING;
          at++;
          break;
        }
        case NUMBER:
          at = this.#numberBytes(chunk, at);
          break;
        case LITERAL: {
          if (chunk[at] !== this.#literal[this.#literalAt]) {
            at = this.#unexpected(chunk, at);
            break;
          }
          at++;
          if (++this.#literalAt === this.#literal.length) this.#valueDone(chunk, at);
          break;
        }
        case END: {
          while (at < length && isWhitespace(chunk[at])) at++;
          if (at < length) at = this.#fail('more content after the document', this.#offset + at);
          break;
        }
        default: // FAILED
          return;
      }
    }
  }

  /** A value starts at `at` (not whitespace). */
  #startValue(chunk: Buffer, at: number): number {
    this.#started = true;
    const byte = chunk[at];
    const onPath = this.#nextOnPath;
    this.#nextOnPath = false;
    if (this.#recordsDepth !== -1 && this.#depth === this.#recordsDepth) {
      this.#recording = true;
      this.#recordFrom = at;
      this.#recordIsNull = byte === NULL_BYTE;
      this.#recordOversized = false;
    }
    // The path's fields matched so far: one per enclosing object on the path.
    const matched = this.#depth;
    const isTarget = onPath && matched === this.#fields.length;
    if (isTarget) this.#recordsFound = byte === 0x5b;
    switch (byte) {
      case 0x7b: // {
        if (!this.#open(IN_OBJECT, at)) return at;
        if (onPath && matched < this.#fields.length) {
          this.#pathDepth = this.#depth;
          this.#seen[matched] = false;
        }
        this.#state = OBJECT_FIRST;
        return at + 1;
      case 0x5b: // [
        if (!this.#open(IN_ARRAY, at)) return at;
        if (isTarget) this.#recordsDepth = this.#depth;
        this.#state = ARRAY_FIRST;
        return at + 1;
      case QUOTE:
        this.#isKey = false;
        this.#state = STRING;
        return at + 1;
      case 0x74: // t
      case 0x66: // f
      case NULL_BYTE:
        this.#literal = LITERALS[byte];
        this.#literalAt = 1;
        this.#state = LITERAL;
        return at + 1;
      case 0x2d: // -
        this.#number = N_MINUS;
        this.#state = NUMBER;
        return at + 1;
      default:
        if (isDigit(byte)) {
          this.#number = byte === 0x30 ? N_ZERO : N_INT;
          this.#state = NUMBER;
          return at + 1;
        }
        this.#recording = false;
        return this.#unexpected(chunk, at);
    }
  }

  #open(container: number, at: number): boolean {
    if (this.#depth === MAX_DOCUMENT_DEPTH) {
      this.#fail(`nesting deeper than ${MAX_DOCUMENT_DEPTH} levels`, this.#offset + at);
      return false;
    }
    if (this.#depth === this.#stack.length) {
      const grown = new Uint8Array(Math.min(MAX_DOCUMENT_DEPTH, this.#stack.length * 2));
      grown.set(this.#stack);
      this.#stack = grown;
    }
    this.#stack[this.#depth++] = container;
    return true;
  }

  /** A closing bracket at `at`. */
  #close(chunk: Buffer, at: number, container: number): number {
    if (this.#depth === 0 || this.#stack[this.#depth - 1] !== container) return this.#unexpected(chunk, at);
    if (this.#depth === this.#pathDepth) this.#pathDepth--;
    if (this.#depth === this.#recordsDepth) this.#recordsDepth = -1;
    this.#depth--;
    this.#valueDone(chunk, at + 1);
    return at + 1;
  }

  /** A value ended before `end` (a position in `chunk`, or in the next one when a number ends with the chunk). */
  #valueDone(chunk: Buffer, end: number): void {
    if (this.#recording && this.#depth === this.#recordsDepth) this.#finishRecord(chunk, end);
    this.#state = this.#depth === 0 ? END : AFTER_VALUE;
  }

  #startKey(at: number): number {
    this.#isKey = true;
    this.#state = STRING;
    if (this.#pathDepth === this.#depth && !this.#recording) {
      this.#keyRecording = true;
      this.#keyFrom = at + 1;
      this.#keyTooLong = false;
      this.#key.clear();
    }
    return at + 1;
  }

  /** Inside a string: runs to its end, an escape, a multi-byte character to check, or the chunk's end. */
  #string(chunk: Buffer, at: number): number {
    const length = chunk.length;
    // Records are decoded strictly when they end; only the document's other strings need their UTF-8 checked here.
    const checkUtf8 = !this.#recording;
    let position = at;
    if (checkUtf8) {
      for (; position < length; position++) {
        const byte = chunk[position];
        if (byte === QUOTE || byte === BACKSLASH || byte < 0x20 || byte >= 0x80) break;
      }
    } else {
      for (; position < length; position++) {
        const byte = chunk[position];
        if (byte === QUOTE || byte === BACKSLASH || byte < 0x20) break;
      }
    }
    if (position === length) return position;
    const byte = chunk[position];
    if (byte === QUOTE) {
      this.#stringDone(chunk, position);
      return position + 1;
    }
    if (byte === BACKSLASH) {
      this.#state = STRING_ESCAPE;
      return position + 1;
    }
    if (byte < 0x20) return this.#fail('a control character in a string', this.#offset + position);
    return this.#utf8Lead(byte, position);
  }

  /** The lead byte of a multi-byte character: how many continuation bytes follow, and the range of the first (no overlongs, no surrogates, nothing above U+10FFFF). */
  #utf8Lead(byte: number, position: number): number {
    if (byte >= 0xc2 && byte <= 0xdf) this.#utf8Left = 1;
    else if (byte >= 0xe0 && byte <= 0xef) {
      this.#utf8Left = 2;
      if (byte === 0xe0) this.#utf8Low = 0xa0;
      if (byte === 0xed) this.#utf8High = 0x9f;
    } else if (byte >= 0xf0 && byte <= 0xf4) {
      this.#utf8Left = 3;
      if (byte === 0xf0) this.#utf8Low = 0x90;
      if (byte === 0xf4) this.#utf8High = 0x8f;
    } else return this.#fail('text that is not valid UTF-8', this.#offset + position);
    this.#state = STRING_UTF8;
    return position + 1;
  }

  /** The closing quote of a string is at `quote`. */
  #stringDone(chunk: Buffer, quote: number): void {
    if (!this.#isKey) {
      this.#valueDone(chunk, quote + 1);
      return;
    }
    this.#state = COLON;
    if (!this.#keyRecording) return;
    this.#keyRecording = false;
    this.#keepKey(chunk.subarray(this.#keyFrom, quote));
    if (this.#keyTooLong) return;
    const field = this.#fields[this.#depth - 1];
    if (keyText(this.#key.bytes()) !== field) return;
    if (this.#seen[this.#depth - 1]) {
      // Not a syntax error, but JSON.parse would keep the last one, which streaming cannot wait for.
      this.#fail(`the records path's key ${JSON.stringify(field)} appears twice in one object`, this.#offset + quote, false);
      return;
    }
    this.#seen[this.#depth - 1] = true;
    this.#nextOnPath = true;
  }

  #numberBytes(chunk: Buffer, at: number): number {
    const length = chunk.length;
    let position = at;
    for (; position < length; position++) {
      const byte = chunk[position];
      const digit = isDigit(byte);
      switch (this.#number) {
        case N_MINUS:
          if (!digit) return this.#unexpected(chunk, position);
          this.#number = byte === 0x30 ? N_ZERO : N_INT;
          continue;
        case N_INT:
        case N_ZERO:
          // A leading zero takes no more digits (`01` ends the number at `1`, which is then unexpected).
          if (digit && this.#number === N_INT) continue;
          if (byte === 0x2e) this.#number = N_DOT;
          else if (byte === 0x65 || byte === 0x45) this.#number = N_EXP;
          else return this.#endNumber(chunk, position);
          continue;
        case N_DOT:
          if (!digit) return this.#unexpected(chunk, position);
          this.#number = N_FRAC;
          continue;
        case N_FRAC:
          if (digit) continue;
          if (byte === 0x65 || byte === 0x45) this.#number = N_EXP;
          else return this.#endNumber(chunk, position);
          continue;
        case N_EXP:
          if (byte === 0x2b || byte === 0x2d) this.#number = N_EXP_SIGN;
          else if (digit) this.#number = N_EXP_DIGITS;
          else return this.#unexpected(chunk, position);
          continue;
        case N_EXP_SIGN:
          if (!digit) return this.#unexpected(chunk, position);
          this.#number = N_EXP_DIGITS;
          continue;
        default: // N_EXP_DIGITS
          if (digit) continue;
          return this.#endNumber(chunk, position);
      }
    }
    return position;
  }

  /** The number ended before `position`, whose byte is not part of it (scanned next, in the new state). */
  #endNumber(chunk: Buffer, position: number): number {
    if (this.#number !== N_ZERO && this.#number !== N_INT && this.#number !== N_FRAC && this.#number !== N_EXP_DIGITS) {
      return this.#fail('an incomplete number', this.#offset + position);
    }
    this.#valueDone(chunk, position);
    return position;
  }

  #finishRecord(chunk: Buffer, end: number): void {
    this.#recording = false;
    const piece = chunk.subarray(this.#recordFrom, end);
    // A null element of a `[*]` projection is no record (JMESPath leaves it out). The literal is complete here.
    if (this.#dropNulls && this.#recordIsNull) {
      this.#record.clear();
      return;
    }
    const index = this.#index++;
    if (this.#recordOversized || this.#record.length + piece.length > this.maxRecordBytes) {
      this.#items.push({ index, error: `record ${index} is larger than ${this.maxRecordBytes} bytes` });
    } else {
      let bytes = piece;
      if (this.#record.length > 0) {
        this.#record.append(piece);
        bytes = this.#record.bytes();
      }
      const text = decodeStrictly(this.#decoder, bytes);
      this.#items.push(text === undefined ? { index, error: `record ${index} is not valid UTF-8` } : { index, text });
    }
    this.#record.clear();
    this.#recordOversized = false;
  }

  /** The bytes of the record in progress to the chunk's end: kept, or dropped (and the record marked too large) past the limit. */
  #keepRecord(bytes: Buffer): void {
    if (this.#recordOversized || bytes.length === 0) return;
    if (!this.#record.append(bytes)) {
      this.#recordOversized = true;
      this.#record.clear();
    }
  }

  #keepKey(bytes: Buffer): void {
    if (this.#keyTooLong || bytes.length === 0) return;
    if (!this.#key.append(bytes)) this.#keyTooLong = true;
  }

  #unexpected(chunk: Buffer, at: number): number {
    const byte = chunk[at];
    const shown = byte >= 0x21 && byte <= 0x7e ? JSON.stringify(String.fromCharCode(byte)) : `byte 0x${byte.toString(16).padStart(2, '0')}`;
    return this.#fail(`unexpected ${shown}`, this.#offset + at);
  }

  /** The rest of the document is unreadable: one error item at the next index, and nothing more is read. Returns a position past any chunk. */
  #fail(reason: string, position: number, syntax = true): number {
    const after = this.#index === 0 ? '' : `; the ${this.#index} records before it were read, the rest of the document is not`;
    this.#items.push({ index: this.#index, error: `${syntax ? 'not valid JSON: ' : ''}${reason} at byte ${position}${after}` });
    this.#state = FAILED;
    this.#recording = false;
    this.#keyRecording = false;
    return Number.MAX_SAFE_INTEGER;
  }
}

/** A key's text from its raw bytes (already checked: valid escapes, valid UTF-8). */
function keyText(raw: Buffer): string {
  const text = raw.toString('utf8');
  return raw.includes(BACKSLASH) ? (JSON.parse(`"${text}"`) as string) : text;
}

function decodeStrictly(decoder: TextDecoder, bytes: Buffer): string | undefined {
  try {
    return decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

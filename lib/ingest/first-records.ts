/**
 * The first record of each id in one object, remembered by the splitter as it reads the object in file order,
 * in a compact table: a 96-bit hash of the id and the record's position (its line, or its index in a JSON
 * document), 16 bytes a slot. A 1 GB JSON Lines object of 1.19M records takes 32 MB.
 *
 * Two different ids share a hash with a probability of about n²/2⁹⁷ (1e-17 for 1.19M ids), far below any
 * hardware fault rate, so an id found in the table is taken as seen. The table stops growing at
 * `maxSlots` (12.5M ids at the default); ids beyond that are not remembered (see `unchecked`) and fall back on
 * the ledger, which gives a repeated id to whichever record reaches it first.
 */
export class FirstRecords {
  #slots: Uint32Array;
  #mask: number;
  #count = 0;
  /** Records whose id could not be remembered because the table was full. */
  unchecked = 0;

  constructor(
    private readonly maxSlots = DEFAULT_MAX_SLOTS,
    initialSlots = 2 ** 14,
  ) {
    this.#slots = new Uint32Array(initialSlots * STRIDE);
    this.#mask = initialSlots - 1;
  }

  /**
   * The position of the first record with `id` when one came before; otherwise undefined, and `position`
   * (a non-negative integer below 2³²-1) is remembered as the first.
   */
  firstOf(id: string, position: number): number | undefined {
    hash96(id, HASH);
    const found = this.#find(this.#slots, this.#mask);
    if (this.#slots[found * STRIDE + 3] !== EMPTY) return this.#slots[found * STRIDE + 3] - 1;
    if ((this.#count + 1) * 4 > (this.#mask + 1) * 3) {
      if (!this.#grow()) {
        this.unchecked++;
        return undefined;
      }
      this.#store(this.#find(this.#slots, this.#mask), position);
      return undefined;
    }
    this.#store(found, position);
    return undefined;
  }

  /** The slot holding HASH, or the empty slot where it belongs (linear probing). */
  #find(slots: Uint32Array, mask: number): number {
    for (let slot = HASH[0] & mask; ; slot = (slot + 1) & mask) {
      const at = slot * STRIDE;
      if (slots[at + 3] === EMPTY || (slots[at] === HASH[0] && slots[at + 1] === HASH[1] && slots[at + 2] === HASH[2])) return slot;
    }
  }

  #store(slot: number, position: number): void {
    const at = slot * STRIDE;
    this.#slots[at] = HASH[0];
    this.#slots[at + 1] = HASH[1];
    this.#slots[at + 2] = HASH[2];
    this.#slots[at + 3] = position + 1;
    this.#count++;
  }

  /** Doubles the table (false at maxSlots). Entries are distinct, so each goes to the first empty slot of its probe. */
  #grow(): boolean {
    const size = this.#mask + 1;
    if (size * 2 > this.maxSlots) return false;
    const old = this.#slots;
    const slots = new Uint32Array(size * 2 * STRIDE);
    const mask = size * 2 - 1;
    for (let from = 0; from < old.length; from += STRIDE) {
      if (old[from + 3] === EMPTY) continue;
      let slot = old[from] & mask;
      while (slots[slot * STRIDE + 3] !== EMPTY) slot = (slot + 1) & mask;
      const to = slot * STRIDE;
      slots[to] = old[from];
      slots[to + 1] = old[from + 1];
      slots[to + 2] = old[from + 2];
      slots[to + 3] = old[from + 3];
    }
    this.#slots = slots;
    this.#mask = mask;
    return true;
  }
}

/** 2^24 slots (256 MB) hold 12.5M ids at three-quarters load: about a 10 GB object of 1 KB records. */
export const DEFAULT_MAX_SLOTS = 2 ** 24;

const STRIDE = 4;
/** A slot's position is stored plus one, so that 0 marks an empty slot. */
const EMPTY = 0;
const HASH = new Uint32Array(3);

/**
 * Three 32-bit hashes of the text's UTF-16 code units into `out`: the two halves of cyrb53's state (two
 * multiplicative hashes mixed into each other) and FNV-1a, each finished with an avalanche step.
 */
function hash96(text: string, out: Uint32Array): void {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  let h3 = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ code, 2654435761);
    h2 = Math.imul(h2 ^ code, 1597334677);
    h3 = Math.imul(h3 ^ code, 16777619);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  h3 ^= text.length;
  h3 = Math.imul(h3 ^ (h3 >>> 16), 0x85ebca6b);
  h3 = Math.imul(h3 ^ (h3 >>> 13), 0xc2b2ae35);
  h3 ^= h3 >>> 16;
  out[0] = h1;
  out[1] = h2;
  out[2] = h3;
}

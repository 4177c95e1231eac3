/**
 * Deterministic sampling: a record's draw is a hash of its identity and the condition's location, so the
 * same record always gets the same answer (retries, replays, other processes) while two Sampling conditions
 * in one document draw independently. cyrb53 is used for its spread, speed and stability across versions.
 */
export function samplingDraw(identity: string, salt: string): number {
  return cyrb53(identity, saltSeed(salt)) / 2 ** 53;
}

/** A test that is true for the share `percentage` (0..100) of identities; the salt is hashed once. */
export function compileSampler(salt: string, percentage: number): (identity: string) => boolean {
  const seed = saltSeed(salt);
  const threshold = (percentage / 100) * 2 ** 53;
  return (identity) => cyrb53(identity, seed) < threshold;
}

const saltSeed = (salt: string): number => cyrb53(salt) % 2 ** 32;

function cyrb53(text: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

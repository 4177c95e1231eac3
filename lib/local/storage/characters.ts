/**
 * What SQS accepts in a message body and in String attribute values (the W3C XML Char production):
 * #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF. A JavaScript string holds
 * U+10000–U+10FFFF as surrogate pairs, which are valid; a lone surrogate is not a character at all.
 * Returns the first code point refused (a lone surrogate as its code unit), or undefined when all are valid.
 */
export function firstInvalidSqsCharacter(text: string): number | undefined {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0x20 && unit < 0xd800) continue;
    if (unit === 0x9 || unit === 0xa || unit === 0xd) continue;
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      return unit;
    }
    if (unit >= 0xe000 && unit <= 0xfffd) continue;
    return unit;
  }
  return undefined;
}

/** The code point as SQS's message names it (`#xFFFE`). */
export function xmlCharName(codePoint: number): string {
  return `#x${codePoint.toString(16).toUpperCase()}`;
}

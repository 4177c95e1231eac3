/**
 * The soak's model output: `count` invoices as JSON Lines, deterministic for a seed. About a tenth activate
 * (a field under 0.5 confidence), one line in fifty is not JSON, and the rest are auto-accepted.
 */
export function soakInput(count: number, seed = 1): string {
  let state = seed >>> 0 || 1;
  const random = () => {
    // xorshift32: repeatable without a dependency.
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  const lines: string[] = [];
  for (let index = 0; index < count; index++) {
    if (random() < 0.02) {
      lines.push(`{"documentId": "soak-${index}", "broken": `);
      continue;
    }
    const uncertain = random() < 0.1;
    lines.push(
      JSON.stringify({
        documentId: `soak-${index}`,
        vendor: { name: `Vendor ${index % 97}`, trust: 'verified' },
        totalAmount: Math.round(random() * 100_000) / 100,
        fields: [
          { name: 'invoice_number', value: `INV-${index}`, confidence: uncertain ? 0.3 : 0.97 },
          { name: 'total_amount', value: '1.00', confidence: 0.99 },
        ],
      }),
    );
  }
  return `${lines.join('\n')}\n`;
}

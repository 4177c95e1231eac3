/** Realistic ~1 KB invoice-extraction records, deterministic for a given count. */
export function invoiceRecords(count: number): Record<string, unknown>[] {
  const vendors = [
    { name: 'Acme Supplies Ltd', trust: 'verified' },
    { name: 'Globex Corporation', trust: 'new' },
    { name: 'Initech', trust: 'preferred' },
    { name: 'Umbrella Corp', trust: 'new' },
  ];
  const fieldNames = ['vendor_name', 'invoice_number', 'invoice_date', 'due_date', 'currency', 'total_amount', 'tax_amount', 'iban'];
  let seed = 42;
  const random = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  return Array.from({ length: count }, (_, index) => {
    const documentId = `inv-2026-${String(index).padStart(6, '0')}`;
    // Mostly small invoices; about 2% above 10,000.
    const totalAmount = Math.round((random() < 0.02 ? 10000 + random() * 40000 : 20 + random() * 4000) * 100) / 100;
    const lowConfidence = random() < 0.02;
    return {
      documentId,
      documentUri: `s3://acme-invoices/scans/${documentId}.pdf`,
      model: { name: 'invoice-extractor', version: '2.3.1' },
      vendor: vendors[index % vendors.length],
      currency: 'EUR',
      totalAmount,
      fields: fieldNames.map((name, position) => ({
        name,
        value: `${name.toUpperCase()}-${index}-${position}`,
        confidence: lowConfidence && position === 3 ? 0.61 : 0.955 + random() * 0.045,
      })),
      pageCount: 1 + (index % 3),
    };
  });
}

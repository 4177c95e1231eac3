import { Readable } from 'node:stream';
import { exampleWorkflow, forgetfulLedger, stubbedIngest } from './ingest-pipeline';
import { invoiceRecords } from './records';

const TARGET_BYTES = 1024 ** 3;

/** A 1 GB JSON Lines stream made on the fly from a small pool of ~1 KB records (never held whole). */
function* generatedStream(): Generator<Buffer> {
  const pool = invoiceRecords(1000).map((record) => JSON.stringify(record));
  let produced = 0;
  for (let index = 0; produced < TARGET_BYTES; ) {
    const lines: string[] = [];
    for (let i = 0; i < 64; i++, index++) {
      const record = pool[index % pool.length];
      // Unique ids, so every record is its own review.
      lines.push(record.replace(/"documentId":"[^"]*"/, `"documentId":"doc-${index}"`));
    }
    const chunk = Buffer.from(`${lines.join('\n')}\n`);
    produced += chunk.length;
    yield chunk;
  }
}

async function main(): Promise<void> {
  const { ingest } = stubbedIngest(exampleWorkflow(), () => forgetfulLedger);
  let bytes = 0;
  const stream = Readable.from(
    (function* counted() {
      for (const chunk of generatedStream()) {
        bytes += chunk.length;
        yield chunk;
      }
    })(),
  );
  const start = process.hrtime.bigint();
  const records = await ingest(stream, 'bench/one-gigabyte.jsonl');
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  process.stdout.write(JSON.stringify({ peakRssMb, bytes, records, seconds: Number(seconds.toFixed(1)) }));
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exitCode = 1;
});

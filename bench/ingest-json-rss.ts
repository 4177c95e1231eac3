import { Readable } from 'node:stream';
import { DEFAULT_MAX_DOCUMENT_BYTES } from '../lib/ingest/object-records';
import { splitObject } from '../lib/ingest/split-object';
import { encodeWork } from '../lib/ingest/work-message';
import { compileWorkflow } from '../lib/workflow';
import { collectGarbage } from './figures';
import { exampleWorkflow } from './ingest-pipeline';
import { invoiceRecords } from './records';

const MiB = 1024 ** 2;

/**
 * `stream`: just under the 256 MiB document the issue names, with `records: records` (streamed).
 * `whole`: just under DEFAULT_MAX_DOCUMENT_BYTES, with a records expression that is not plain fields (a
 * filter), so the document is parsed whole: the figure that sizes that limit.
 */
const MODES = {
  stream: { bytes: 256 * MiB - MiB, records: 'records' },
  whole: { bytes: DEFAULT_MAX_DOCUMENT_BYTES - MiB, records: 'records[?documentId]' },
} as const;

/**
 * A ~255 MiB JSON document `{"model": …, "records": [ … ]}` made on the fly from a small pool of ~1 KB
 * records, in 64 KiB-ish chunks, never held whole by the generator.
 */
function* generatedDocument(targetBytes: number): Generator<Buffer> {
  const pool = invoiceRecords(1000).map((record) => JSON.stringify(record));
  yield Buffer.from('{"model":"invoice-extractor","version":"2.3.1","records":[');
  let produced = 0;
  for (let index = 0; produced < targetBytes; ) {
    const records: string[] = [];
    for (let i = 0; i < 64; i++, index++) {
      // Unique ids, so every record is its own review.
      records.push(pool[index % pool.length].replace(/"documentId":"[^"]*"/, `"documentId":"doc-${index}"`));
    }
    const chunk = Buffer.from(`${index > 64 ? ',' : ''}${records.join(',')}`);
    produced += chunk.length;
    yield chunk;
  }
  yield Buffer.from(']}\n');
}

/**
 * ingest.peak_rss_mb_json_256mib and ingest.peak_rss_mb_json_64mib_whole (run by bench/ingest.ts in a child
 * process each, so nothing else counts toward the peak): the splitter alone, as ingestS3Object runs it, on
 * the generated document; each work message is encoded as SQS would receive it and dropped.
 */
async function main(): Promise<void> {
  const mode = MODES[(process.argv[2] ?? 'stream') as keyof typeof MODES];
  if (!mode) throw new Error(`usage: ingest-json-rss.ts [${Object.keys(MODES).join('|')}]`);
  const base = exampleWorkflow();
  const workflow = compileWorkflow({ ...base.definition, records: mode.records });
  let bytes = 0;
  const stream = Readable.from(
    (function* counted() {
      for (const chunk of generatedDocument(mode.bytes)) {
        bytes += chunk.length;
        yield chunk;
      }
    })(),
  );
  let records = 0;
  collectGarbage();
  const start = process.hrtime.bigint();
  const report = await splitObject(
    stream,
    { workflow, source: { type: 's3', bucket: 'bench', key: 'invoices/bench-256mib.json', etag: 'bench' } },
    {
      send: async (messages) => {
        for (const message of messages) {
          if (encodeWork(message).length === 0) throw new Error('empty work message');
          records += message.items.length;
        }
      },
      stage: async () => {
        throw new Error('no staging in the benchmark');
      },
    },
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (records !== report.records) throw new Error(`sent ${records} records, the report says ${report.records}`);
  if (report.records < 1000) throw new Error(`only ${report.records} records: the document was not read`);
  const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  process.stdout.write(JSON.stringify({ peakRssMb, bytes, records, seconds: Number(seconds.toFixed(1)) }));
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exitCode = 1;
});

import { IngestHarness, startDynalite } from '../support/ingest-harness';
import { answer, claimInput, ReviewHarness } from '../support/review-harness';

/**
 * Per-workflow metrics as CloudWatch reads them: the EMF documents the handlers print, captured from stdout
 * with metrics on (as in Lambda). CloudWatch files a value under exactly the dimension set its document
 * names, so a figure published under `service` alone is lost to every per-workflow graph and alarm.
 */

interface EmfDocument {
  _aws: { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] };
  [key: string]: unknown;
}

let dynamo: Awaited<ReturnType<typeof startDynalite>>;
let printed: string[];
let savedMetricsSetting: string | undefined;

beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo.close();
});
beforeEach(() => {
  // Each per-workflow helper is a Powertools single metric, which reads this setting when it is created.
  savedMetricsSetting = process.env.POWERTOOLS_METRICS_DISABLED;
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  printed = [];
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    printed.push(String(chunk));
    return true;
  });
});
afterEach(() => {
  jest.restoreAllMocks();
  process.env.POWERTOOLS_METRICS_DISABLED = savedMetricsSetting;
});

function emfDocuments(): EmfDocument[] {
  return printed
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((document): document is EmfDocument => '_aws' in document);
}

/** Each named metric's EMF documents: the dimension sets CloudWatch files it under, and the dimension values. */
function publishedAs(names: string[]): Record<string, { dimensionSets: string[][]; service: unknown; workflow: unknown }[]> {
  const byName: ReturnType<typeof publishedAs> = {};
  for (const name of names) byName[name] = [];
  for (const document of emfDocuments()) {
    for (const directive of document._aws.CloudWatchMetrics) {
      for (const metric of directive.Metrics) {
        byName[metric.Name]?.push({ dimensionSets: directive.Dimensions, service: document.service, workflow: document.workflow });
      }
    }
  }
  return byName;
}

const filedUnderWorkflow = (workflow: string) => ({ dimensionSets: [['service', 'workflow']], service: 'a2i-orchestrator', workflow });

it('ingest: every per-workflow metric of a batch, not only the first, is filed under service and workflow', async () => {
  // Prepare: one object whose records end three ways, so the work consumer publishes three metrics from one helper.
  const harness = await IngestHarness.create(dynamo);
  const lines = ['{"id":"a","label":"cat","confidence":0.9}', '{"id":"b","label":"dog","confidence":0.2}', 'not json', '{"id":"c","label":"owl","confidence":0.7}'];
  try {
    // Act
    await harness.uploadObject('predictions/metrics.jsonl', `${lines.join('\n')}\n`);
    await harness.drain();
  } finally {
    harness.restore();
  }

  // Assess
  const published = publishedAs(['RecordsIngested', 'LoopsStarted', 'RecordsAutoAccepted', 'RecordsInvalid']);
  for (const name of Object.keys(published)) {
    expect({ name, documents: published[name] }).toEqual({ name, documents: [filedUnderWorkflow('predictions')] });
  }
});

it('review: RecordsReviewed and SecondsInReview, published one after the other, are both filed under service and workflow', async () => {
  // Prepare
  const harness = await ReviewHarness.create(dynamo);
  try {
    // Act
    const result = await harness.run(claimInput('m1'), { steps: [{ at: 60_000, status: 'Completed' }], answers: [answer('fraud', 'w1', 5)] });
    expect(result.delivered).toHaveLength(1);
  } finally {
    harness.restore();
  }

  // Assess
  const published = publishedAs(['RecordsReviewed', 'SecondsInReview']);
  for (const name of Object.keys(published)) {
    expect({ name, documents: published[name] }).toEqual({ name, documents: [filedUnderWorkflow('claims')] });
  }
});

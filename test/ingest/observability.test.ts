import { StartHumanLoopCommand, ThrottlingException } from '@aws-sdk/client-sagemaker-a2i-runtime';
import { logger } from '../../lib/runtime/observability';
import { IngestHarness, startDynalite } from '../support/ingest-harness';

let dynamo: Awaited<ReturnType<typeof startDynalite>>;
let harness: IngestHarness;
let logLines: string[];
let savedMetricsSetting: string | undefined;

beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo.close();
});
beforeEach(async () => {
  harness = await IngestHarness.create(dynamo);
  // Metrics on, as in Lambda: each per-workflow helper is a Powertools single metric, which reads this when created.
  savedMetricsSetting = process.env.POWERTOOLS_METRICS_DISABLED;
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  logLines = [];
  logger.setLogLevel('DEBUG');
  // Powertools puts the initial level (SILENT under test) back on every warm invocation.
  jest.spyOn(logger, 'refreshSampleRateCalculation').mockImplementation(() => undefined);
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    logLines.push(String(chunk));
    return true;
  });
});
afterEach(() => {
  jest.restoreAllMocks();
  process.env.POWERTOOLS_METRICS_DISABLED = savedMetricsSetting;
  logger.setLogLevel('SILENT');
  harness.restore();
});

interface EmfDocument {
  _aws: { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] };
  [key: string]: unknown;
}

/** The sum of a metric as CloudWatch files it under the workflow's dimension set, read from the EMF documents printed. */
const total = (name: string, workflow: string) =>
  logLines
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{"_aws"'))
    .map((line) => JSON.parse(line) as EmfDocument)
    .filter((document) => document.workflow === workflow && document._aws.CloudWatchMetrics.some((directive) => directive.Dimensions.some((set) => set.includes('workflow')) && directive.Metrics.some((metric) => metric.Name === name)))
    .reduce((sum, document) => sum + (document[name] as number), 0);

it('publishes RecordsIngested, LoopsStarted, RecordsAutoAccepted, RecordsInvalid and StartThrottled per workflow', async () => {
  // Each rejection is a StartHumanLoop still throttled after the SDK's retries (mocks bypass them): two receives
  // of the work end throttled, the third starts the loop. StartThrottled counts those two starts.
  let calls = 0;
  harness.a2i.on(StartHumanLoopCommand).callsFake(() => {
    if (++calls <= 2) throw new ThrottlingException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } });
    return { HumanLoopArn: 'arn:aws:sagemaker:us-east-1:123456789012:human-loop/x' };
  });
  const lines = ['{"id":"a","label":"cat","confidence":0.9}', '{"id":"b","label":"dog","confidence":0.2}', 'not json', '{"id":"c","label":"owl","confidence":0.7}'];

  await harness.uploadObject('predictions/metrics.jsonl', `${lines.join('\n')}\n`);
  await harness.drain();

  expect(total('RecordsIngested', 'predictions')).toBe(4);
  expect(total('LoopsStarted', 'predictions')).toBe(1);
  expect(total('RecordsAutoAccepted', 'predictions')).toBe(2);
  expect(total('RecordsInvalid', 'predictions')).toBe(1);
  expect(total('StartThrottled', 'predictions')).toBe(2);
});

it('logs ids, never record content', async () => {
  const secret = 'SECRET-CONTENT-7f3a';
  const lines = [`{"id":"a","label":"${secret}","confidence":0.9}`, `{"id":"b","label":"${secret}","confidence":0.2}`, `{"label":"${secret}" broken`];

  await harness.uploadObject('predictions/private.jsonl', `${lines.join('\n')}\n`);
  await harness.sendEvent({ version: '0', id: 'e-9', source: 'acme.orders', 'detail-type': 'OrderScored', detail: { order: { orderId: 'o-1', fraudScore: 0.9, customer: secret } } } as never);
  await harness.drain();

  const logs = logLines.join('');
  expect(logs).toContain('predictions/private.jsonl');
  expect(logs).toContain('work done');
  expect(logs).not.toContain(secret);
  // What the run delivered did carry the content: the test would notice content going missing instead.
  expect(JSON.stringify(harness.delivered)).toContain(secret);
});

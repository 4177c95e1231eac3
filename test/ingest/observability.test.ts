import { StartHumanLoopCommand, ThrottlingException } from '@aws-sdk/client-sagemaker-a2i-runtime';
import { logger, metrics } from '../../lib/runtime/observability';
import { IngestHarness, startDynalite } from '../support/ingest-harness';

let dynamo: Awaited<ReturnType<typeof startDynalite>>;
let harness: IngestHarness;
const published: { dimensions: Record<string, string>; name: string; value: number }[] = [];
let logLines: string[];

beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo.close();
});
beforeEach(async () => {
  harness = await IngestHarness.create(dynamo);
  published.length = 0;
  jest.spyOn(metrics, 'singleMetric').mockImplementation(() => {
    const dimensions: Record<string, string> = {};
    const recorder = {
      addDimension: (name: string, value: string) => void (dimensions[name] = value),
      addMetric: (name: string, _unit: string, value: number) => void published.push({ dimensions: { ...dimensions }, name, value }),
    };
    return recorder as unknown as ReturnType<typeof metrics.singleMetric>;
  });
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
  logger.setLogLevel('SILENT');
  harness.restore();
});

const total = (name: string, workflow: string) =>
  published.filter((metric) => metric.name === name && metric.dimensions.workflow === workflow).reduce((sum, metric) => sum + metric.value, 0);

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

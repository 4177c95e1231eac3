import { ServiceQuotaExceededException, SageMakerA2IRuntimeClient, ListHumanLoopsCommand, ThrottlingException, InternalServerException } from '@aws-sdk/client-sagemaker-a2i-runtime';
import { GetObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { ListExecutionsCommand, SFNClient, SFNServiceException } from '@aws-sdk/client-sfn';
import { ListQueuesCommand, SQSClient, SQSServiceException } from '@aws-sdk/client-sqs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRetryable, isThrottling } from '../../lib/retry';
import { main } from '../../lib/cli/main';
import { FaultInjector, faultResponse, type FaultService, FaultSpecError, parseFaultSpec, parseShare } from '../../lib/local/faults';
import { soakInput } from '../../bench/soak/input';

const SPEC = 'a2i.throttle=0.3,a2i.error=0.05,s3.error=0.05,sqs.error=0.05,sfn.error=0.05';

describe('fault specs', () => {
  it('reads service.kind=share pairs, every other share 0', () => {
    const spec = parseFaultSpec(SPEC);
    expect(spec.a2i).toEqual({ throttle: 0.3, error: 0.05 });
    expect(spec.s3).toEqual({ throttle: 0, error: 0.05 });
    expect(parseFaultSpec('').sfn).toEqual({ throttle: 0, error: 0 });
  });

  it.each([
    ['a2i.throttle', /is not <service>\.<kind>=<share>/],
    ['lambda.error=0.1', /unknown service "lambda"/],
    ['a2i.crash=0.1', /unknown fault "crash"/],
    ['a2i.error=1.5', /from 0 to 1/],
    ['a2i.error=-0.1', /from 0 to 1/],
    ['a2i.throttle=0.7,a2i.error=0.5', /add up to more than 1/],
  ])('refuses %s', (text, problem) => {
    expect(() => parseFaultSpec(text)).toThrow(FaultSpecError);
    expect(() => parseFaultSpec(text)).toThrow(problem);
  });

  it('reads a share for --duplicate-events', () => {
    expect(parseShare('--duplicate-events', '0.2')).toBe(0.2);
    expect(() => parseShare('--duplicate-events', 'lots')).toThrow(FaultSpecError);
    expect(() => parseShare('--duplicate-events', '')).toThrow(FaultSpecError);
  });

  it('draws throttles, errors and passes in the given shares and counts them', () => {
    const draws = [0.1, 0.32, 0.5, 0.29, 0.9];
    const faults = new FaultInjector(parseFaultSpec('a2i.throttle=0.3,a2i.error=0.05'), () => draws.shift() as number);
    expect([1, 2, 3, 4, 5].map(() => faults.decide('a2i'))).toEqual(['throttle', 'error', undefined, 'throttle', undefined]);
    expect(faults.decide('s3')).toBeUndefined();
    expect(faults.injected).toEqual({ 'a2i.throttle': 2, 'a2i.error': 1 });
  });
});

/** A server that answers every request with the fault response, so the real SDK clients can say what they make of it. */
async function answering(service: FaultService, kind: 'throttle' | 'error'): Promise<{ server: Server; endpoint: string }> {
  const server = createServer((req, res) => {
    req.resume();
    const { status, headers, body } = faultResponse(service, kind);
    res.writeHead(status, headers);
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { server, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('fault responses, as the SDK reads them', () => {
  const config = (endpoint: string) => ({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });
  const cases: [FaultService, 'throttle' | 'error', (endpoint: string) => Promise<unknown>, (error: unknown) => void][] = [
    ['a2i', 'throttle', (e) => new SageMakerA2IRuntimeClient(config(e)).send(new ListHumanLoopsCommand({ FlowDefinitionArn: 'arn:aws:sagemaker:us-east-1:123456789012:flow-definition/x' })), (error) => expect(error).toBeInstanceOf(ThrottlingException)],
    ['a2i', 'error', (e) => new SageMakerA2IRuntimeClient(config(e)).send(new ListHumanLoopsCommand({ FlowDefinitionArn: 'arn:aws:sagemaker:us-east-1:123456789012:flow-definition/x' })), (error) => expect(error).toBeInstanceOf(InternalServerException)],
    ['sfn', 'throttle', (e) => new SFNClient(config(e)).send(new ListExecutionsCommand({ stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:x' })), (error) => expect(error).toBeInstanceOf(SFNServiceException)],
    ['sfn', 'error', (e) => new SFNClient(config(e)).send(new ListExecutionsCommand({ stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:x' })), (error) => expect(error).toBeInstanceOf(SFNServiceException)],
    ['sqs', 'throttle', (e) => new SQSClient(config(e)).send(new ListQueuesCommand({})), (error) => expect(error).toBeInstanceOf(SQSServiceException)],
    ['sqs', 'error', (e) => new SQSClient(config(e)).send(new ListQueuesCommand({})), (error) => expect(error).toBeInstanceOf(SQSServiceException)],
    ['s3', 'throttle', (e) => new S3Client({ ...config(e), forcePathStyle: true }).send(new GetObjectCommand({ Bucket: 'b', Key: 'k' })), (error) => expect((error as Error).name).toBe('SlowDown')],
    ['s3', 'error', (e) => new S3Client({ ...config(e), forcePathStyle: true }).send(new GetObjectCommand({ Bucket: 'b', Key: 'k' })), (error) => expect(error).toBeInstanceOf(S3ServiceException)],
  ];

  it.each(cases)('%s %s: the service exception, which our retry policy retries (as throttling when throttled)', async (service, kind, call, check) => {
    const { server, endpoint } = await answering(service, kind);
    try {
      const error = await call(endpoint).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      check(error);
      expect(isRetryable(error)).toBe(true);
      if (kind === 'throttle') expect(isThrottling(error)).toBe(true);
      expect(error).not.toBeInstanceOf(ServiceQuotaExceededException);
    } finally {
      server.close();
    }
  });
});

describe('replay with injected faults and duplicated events', () => {
  const work = mkdtempSync(join(tmpdir(), 'a2i-faults-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it(
    'still gives every record exactly one terminal message',
    async () => {
      const input = join(work, 'soak.jsonl');
      writeFileSync(input, soakInput(300, 7));
      const out: string[] = [];
      const err: string[] = [];
      const io = { out: async (text: string) => void out.push(text), err: (text: string) => void err.push(text) };
      const soak = join(__dirname, '..', '..', 'bench', 'soak');
      const code = await main(
        ['replay', '--workflow', join(soak, 'soak.yaml'), '--input', input, '--auto-review', join(soak, 'auto-review.json'), '--out', join(work, 'out'), '--inject-faults', SPEC, '--duplicate-events', '0.3', '--timeout', '240'],
        io,
      );
      const summary = JSON.parse(out.join('').trim().split('\n').at(-1) as string) as Record<string, unknown>;
      expect(summary).toMatchObject({ records: 300, lost: 0, duplicates: 0 });
      expect(code).toBe(0);
      const injected = JSON.parse(/faults injected: (\{.*\})/.exec(err.join(''))?.[1] ?? '{}') as Record<string, number>;
      expect(injected['a2i.throttle']).toBeGreaterThan(0);
      // Every record index of the file appears exactly once across the queues.
      const indexes = ['reviewed', 'corrections', 'accepted', 'failures'].flatMap((queue) => {
        const file = join(work, 'out', `${queue}.jsonl`);
        if (!existsSync(file)) return [];
        return readFileSync(file, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => (JSON.parse(line) as { source: { recordIndex: number } }).source.recordIndex);
      });
      expect(indexes.sort((a, b) => a - b)).toEqual(Array.from({ length: 300 }, (_, index) => index));
    },
    300_000,
  );

  it('refuses a bad fault spec before starting anything', async () => {
    const err: string[] = [];
    const code = await main(['replay', '--workflow', 'workflows/invoice-extraction.yaml', '--input', 'samples/invoices.jsonl', '--inject-faults', 'a2i.crash=1'], { out: async () => undefined, err: (text) => void err.push(text) });
    expect(code).toBe(2);
    expect(err.join('')).toContain('unknown fault "crash"');
  });
});

import { DescribeHumanLoopCommand, ListHumanLoopsCommand, StartHumanLoopCommand, StopHumanLoopCommand } from '@aws-sdk/client-sagemaker-a2i-runtime';
import { ApiError, OutputWriteDeniedError } from '../../lib/emulator/a2i-emulator';
import { ACCOUNT, EmulatorHarness, fixtureJson, fixtureText, REGION, rejectionOf } from './harness';

/**
 * A loop's life after it starts: reviewers' answers, completion with output.json in A2I's format and key
 * layout, expiry, scripted outcomes, and the EventBridge events A2I sends for Completed, Failed and Stopped.
 */
let harness: EmulatorHarness;
let flowArn: string;
const LOOP = 'invoice-check-inv-1001';
const input = fixtureText('invoice-input.json');
const at = (iso: string) => Date.parse(iso);

afterEach(async () => {
  await harness.stop();
});

const startLoop = (name = LOOP) => harness.a2i.send(new StartHumanLoopCommand({ HumanLoopName: name, FlowDefinitionArn: flowArn, HumanLoopInput: { InputContent: input } }));
const describeLoop = (name = LOOP) => harness.a2i.send(new DescribeHumanLoopCommand({ HumanLoopName: name }));

describe('completion (TaskCount 2)', () => {
  beforeEach(async () => {
    harness = await EmulatorHarness.start();
    flowArn = await harness.createFlowDefinition();
    await startLoop();
  });

  it('lists the open task for the review UI with its template, input and progress', async () => {
    const [task] = harness.emulator.openTasks();

    expect(harness.emulator.openTasks()).toHaveLength(1);
    expect(task).toEqual({
      humanLoopName: LOOP,
      flowDefinitionName: 'invoice-check',
      flowDefinitionArn: flowArn,
      humanTaskUiArn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:human-task-ui/invoice-check-ui`,
      // The flow definition's role: what the review UI reads the task's inputs with.
      roleArn: fixtureJson<{ RoleArn: string }>('create-flow-definition.json').RoleArn,
      inputContent: JSON.parse(input),
      answersSoFar: 0,
      taskCount: 2,
      creationTime: '2024-05-02T14:03:11.402Z',
    });
    expect(harness.emulator.humanTaskUi(task.humanTaskUiArn as string)?.uiTemplate).toBe(fixtureText('invoice-review-template.liquid'));
  });

  it('stays InProgress after the first answer: no output, no event', async () => {
    harness.time = at('2024-05-02T14:04:07.250Z');

    await harness.emulator.submitAnswer(LOOP, { answerContent: { correct: { correct: true } }, workerId: 'e81f4c2a09b7d365', acceptanceTime: '2024-05-02T14:03:20.000Z' });

    expect((await describeLoop()).HumanLoopStatus).toBe('InProgress');
    expect(harness.emulator.openTasks()[0].answersSoFar).toBe(1);
    expect(harness.outputs.size).toBe(0);
    expect(harness.events).toEqual([]);
  });

  it('writes output.json at <S3OutputPath>/<flow>/YYYY/MM/DD/hh/mm/ss/<loop>/output.json on the second answer and announces Completed', async () => {
    harness.time = at('2024-05-02T14:04:07.250Z');
    await harness.emulator.submitAnswer(LOOP, { answerContent: { correct: { correct: true }, note: 'matches the scan' }, workerId: 'e81f4c2a09b7d365', acceptanceTime: '2024-05-02T14:03:20.000Z' });
    harness.time = at('2024-05-02T14:05:12.500Z');

    await harness.emulator.submitAnswer(LOOP, { answerContent: { wrong: { wrong: true }, note: 'total is 1243.50' }, workerId: '72b9d0e5c3a1f846', acceptanceTime: '2024-05-02T14:04:30.000Z', timeSpentInSeconds: 42.5 });

    const key = `s3://review-output/a2i/invoice-check/2024/05/02/14/03/11/${LOOP}/output.json`;
    expect([...harness.outputs.keys()]).toEqual([key]);
    const output = JSON.parse(harness.outputs.get(key) as string);
    expect(output).toEqual(fixtureJson('expected-output-task-count-2.json'));
    expect(Object.keys(output)).toEqual(['flowDefinitionArn', 'humanAnswers', 'humanLoopName', 'inputContent']);
    expect(Object.keys(output.humanAnswers[0])).toEqual(['acceptanceTime', 'answerContent', 'submissionTime', 'timeSpentInSeconds', 'workerId', 'workerMetadata']);

    const described = await describeLoop();
    expect(described.HumanLoopStatus).toBe('Completed');
    expect(described.HumanLoopOutput).toEqual({ OutputS3Uri: key });

    expect(harness.events).toHaveLength(1);
    const [event] = harness.events;
    expect(event).toEqual({
      version: '0',
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      'detail-type': 'SageMaker A2I HumanLoop Status Change',
      source: 'aws.sagemaker',
      account: ACCOUNT,
      time: '2024-05-02T14:05:12Z',
      region: REGION,
      resources: [`arn:aws:sagemaker:${REGION}:${ACCOUNT}:human-loop/${LOOP}`],
      detail: {
        creationTime: '2024-05-02T14:03:11.402Z',
        failureCode: null,
        failureReason: null,
        flowDefinitionArn: flowArn,
        humanLoopArn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:human-loop/${LOOP}`,
        humanLoopName: LOOP,
        humanLoopOutput: { outputS3Uri: key },
        humanLoopStatus: 'Completed',
      },
    });
    expect(Object.keys(event.detail)).toEqual(['creationTime', 'failureCode', 'failureReason', 'flowDefinitionArn', 'humanLoopArn', 'humanLoopName', 'humanLoopOutput', 'humanLoopStatus']);
    expect(harness.emulator.openTasks()).toEqual([]);
  });

  it('refuses a second answer from the same worker, and answers for a finished or unknown loop', async () => {
    await harness.emulator.submitAnswer(LOOP, { answerContent: {}, workerId: 'e81f4c2a09b7d365' });

    const sameWorker = await rejectionOf(harness.emulator.submitAnswer(LOOP, { answerContent: {}, workerId: 'e81f4c2a09b7d365' }));
    await harness.emulator.submitAnswer(LOOP, { answerContent: {} });
    const afterCompletion = await rejectionOf(harness.emulator.submitAnswer(LOOP, { answerContent: {} }));
    const unknown = await rejectionOf(harness.emulator.submitAnswer('never-started', { answerContent: {} }));

    expect(sameWorker).toBeInstanceOf(ApiError);
    expect(sameWorker.name).toBe('ValidationException');
    expect(afterCompletion.name).toBe('ValidationException');
    expect(unknown.name).toBe('ResourceNotFoundException');
  });

  it.each<[string, Parameters<typeof harness.emulator.submitAnswer>[1], string]>([
    ['an answer that is not an object', { answerContent: ['yes'] }, 'answerContent must be a JSON object'],
    ['an empty worker id', { answerContent: {}, workerId: '' }, 'workerId must be a non-empty string'],
    ['a negative time spent', { answerContent: {}, timeSpentInSeconds: -1 }, 'timeSpentInSeconds must be a number of seconds'],
    ['an acceptance time that is not a time', { answerContent: {}, acceptanceTime: 'lunchtime' }, 'acceptanceTime lunchtime is not an ISO 8601 time'],
  ])('refuses %s with ValidationException', async (_case, answer, wording) => {
    const error = await rejectionOf(harness.emulator.submitAnswer(LOOP, answer));

    expect(error.name).toBe('ValidationException');
    expect(error.message).toContain(wording);
    expect(harness.emulator.openTasks()[0].answersSoFar).toBe(0);
  });

  it('gives an anonymous answer its own 16-hex worker id and derives acceptance from timeSpentInSeconds', async () => {
    harness.time = at('2024-05-02T14:10:00.000Z');
    await harness.emulator.submitAnswer(LOOP, { answerContent: { note: 'a' }, timeSpentInSeconds: 30 });
    await harness.emulator.submitAnswer(LOOP, { answerContent: { note: 'b' } });

    const output = JSON.parse([...harness.outputs.values()][0]);
    const [first, second] = output.humanAnswers;
    expect(first).toMatchObject({ acceptanceTime: '2024-05-02T14:09:30.000Z', submissionTime: '2024-05-02T14:10:00.000Z', timeSpentInSeconds: 30 });
    expect(second).toMatchObject({ acceptanceTime: '2024-05-02T14:10:00.000Z', timeSpentInSeconds: 0 });
    expect(first.workerId).toMatch(/^[0-9a-f]{16}$/);
    expect(second.workerId).not.toBe(first.workerId);
  });

  it('keeps the loop InProgress when writing output.json fails, so the answer can be sent again', async () => {
    await harness.stop();
    let failWrites = true;
    harness = await EmulatorHarness.start({
      outputs: {
        put: async () => {
          if (failWrites) throw new Error('S3 unavailable');
        },
      },
    });
    flowArn = await harness.createFlowDefinition();
    await startLoop();
    await harness.emulator.submitAnswer(LOOP, { answerContent: {}, workerId: 'aaaaaaaaaaaaaaaa' });

    const failed = await rejectionOf(harness.emulator.submitAnswer(LOOP, { answerContent: {}, workerId: 'bbbbbbbbbbbbbbbb' }));
    const stillOpen = await describeLoop();
    failWrites = false;
    await harness.emulator.submitAnswer(LOOP, { answerContent: {}, workerId: 'bbbbbbbbbbbbbbbb' });

    expect(failed.message).toBe('S3 unavailable');
    expect(stillOpen.HumanLoopStatus).toBe('InProgress');
    expect((await describeLoop()).HumanLoopStatus).toBe('Completed');
  });
});

describe("output.json that the flow definition's role may not write", () => {
  it('fails the loop with ValidationError and the refusal, announced as Failed, and writes nothing', async () => {
    // Prepare
    const writers: { roleArn?: string }[] = [];
    harness = await EmulatorHarness.start({
      outputs: {
        put: async (_uri, _body, writer) => {
          writers.push(writer);
          throw new OutputWriteDeniedError('User: arn:aws:sts::123456789012:assumed-role/a2i-local/SageMaker is not authorized to perform: s3:PutObject');
        },
      },
    });
    flowArn = await harness.createFlowDefinition({ HumanLoopConfig: { TaskCount: 1 } });
    await startLoop();

    // Act
    await harness.emulator.submitAnswer(LOOP, { answerContent: { correct: { correct: true } }, workerId: 'aaaaaaaaaaaaaaaa' });
    const described = await describeLoop();

    // Assess
    expect(writers).toEqual([{ roleArn: fixtureJson<{ RoleArn: string }>('create-flow-definition.json').RoleArn }]);
    expect(described).toMatchObject({ HumanLoopStatus: 'Failed', FailureCode: 'ValidationError', FailureReason: expect.stringMatching(/^A2I could not write the output to s3:\/\/.*output\.json: User: .* is not authorized to perform: s3:PutObject$/) });
    expect(described.HumanLoopOutput).toBeUndefined();
    expect(harness.events).toEqual([expect.objectContaining({ detail: expect.objectContaining({ humanLoopName: LOOP, humanLoopStatus: 'Failed' }) })]);
    expect(harness.emulator.openTasks()).toEqual([]);
  });
});

describe('expiry (TaskAvailabilityLifetimeInSeconds)', () => {
  beforeEach(async () => {
    harness = await EmulatorHarness.start();
    flowArn = await harness.createFlowDefinition({ HumanLoopConfig: { TaskAvailabilityLifetimeInSeconds: 2 } });
    await startLoop();
  });

  it('fails an unanswered loop with FailureCode Expired once the lifetime has passed, announcing Failed', async () => {
    harness.advance(1999);
    await harness.emulator.processDue();
    const before = await describeLoop();
    harness.advance(1);

    await harness.emulator.processDue();

    const after = await describeLoop();
    expect(before.HumanLoopStatus).toBe('InProgress');
    expect(after).toMatchObject({ HumanLoopStatus: 'Failed', FailureCode: 'Expired', FailureReason: 'No answer within TaskAvailabilityLifetimeInSeconds (2 s)' });
    expect(after.HumanLoopOutput).toBeUndefined();
    expect(harness.events.map((event) => event.detail)).toEqual([
      {
        creationTime: '2024-05-02T14:03:11.402Z',
        failureCode: 'Expired',
        failureReason: 'No answer within TaskAvailabilityLifetimeInSeconds (2 s)',
        flowDefinitionArn: flowArn,
        humanLoopArn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:human-loop/${LOOP}`,
        humanLoopName: LOOP,
        humanLoopStatus: 'Failed',
      },
    ]);
    expect(harness.emulator.openTasks()).toEqual([]);
    expect((await rejectionOf(harness.emulator.submitAnswer(LOOP, { answerContent: {} }))).name).toBe('ValidationException');
  });

  it('expires a partly answered loop too, and announces it once', async () => {
    await harness.emulator.submitAnswer(LOOP, { answerContent: {} });
    harness.advance(10_000);

    await harness.emulator.processDue();
    await harness.emulator.processDue();

    expect((await describeLoop()).FailureCode).toBe('Expired');
    expect(harness.events).toHaveLength(1);
  });

  it('does not expire a loop that completed in time', async () => {
    await harness.emulator.submitAnswer(LOOP, { answerContent: {} });
    await harness.emulator.submitAnswer(LOOP, { answerContent: {} });
    harness.advance(10_000);

    await harness.emulator.processDue();

    expect((await describeLoop()).HumanLoopStatus).toBe('Completed');
    expect(harness.events.map((event) => event.detail.humanLoopStatus)).toEqual(['Completed']);
  });

  it("runs from the emulator's own timer when the loop is due", async () => {
    harness.advance(2000);
    const event = harness.nextEvent();

    // Any A2I call re-arms the timer; the loop is already due, so it fires at once.
    await startLoop('another-loop');

    expect((await event).detail).toMatchObject({ humanLoopName: LOOP, humanLoopStatus: 'Failed', failureCode: 'Expired' });
  });
});

describe('stopping and scripted outcomes', () => {
  beforeEach(async () => {
    harness = await EmulatorHarness.start();
    flowArn = await harness.createFlowDefinition();
    await startLoop();
  });

  it('finishes a stop on its own timer (no worker holds the task), announcing Stopped', async () => {
    const event = harness.nextEvent();

    await harness.a2i.send(new StopHumanLoopCommand({ HumanLoopName: LOOP }));

    expect((await event).detail).toMatchObject({ humanLoopName: LOOP, humanLoopStatus: 'Stopped', failureCode: null });
    expect((await describeLoop()).HumanLoopStatus).toBe('Stopped');
    expect(harness.emulator.openTasks()).toEqual([]);
  });

  it('setStatus Failed records the code and reason, as DescribeHumanLoop, ListHumanLoops and the event show', async () => {
    await harness.emulator.setStatus(LOOP, 'Failed', 'ValidationError', 'The worker task template failed to render');

    const described = await describeLoop();
    const { HumanLoopSummaries } = await harness.a2i.send(new ListHumanLoopsCommand({ FlowDefinitionArn: flowArn }));

    expect(described).toMatchObject({ HumanLoopStatus: 'Failed', FailureCode: 'ValidationError', FailureReason: 'The worker task template failed to render' });
    expect(HumanLoopSummaries?.[0].FailureReason).toBe('The worker task template failed to render');
    expect(harness.events[0].detail).toMatchObject({ humanLoopStatus: 'Failed', failureCode: 'ValidationError', failureReason: 'The worker task template failed to render' });
  });

  it('setStatus Failed defaults to InternalError; Stopped takes no failure code; an ended loop cannot change', async () => {
    await harness.emulator.setStatus(LOOP, 'Failed');
    await startLoop('second-loop');

    const codeOnStop = await rejectionOf(harness.emulator.setStatus('second-loop', 'Stopped', 'Expired'));
    await harness.emulator.setStatus('second-loop', 'Stopped');
    const ended = await rejectionOf(harness.emulator.setStatus(LOOP, 'Stopped'));

    expect((await describeLoop()).FailureCode).toBe('InternalError');
    expect(codeOnStop.name).toBe('ValidationException');
    expect(ended.name).toBe('ValidationException');
    expect(harness.events.map((event) => [event.detail.humanLoopName, event.detail.humanLoopStatus])).toEqual([
      [LOOP, 'Failed'],
      ['second-loop', 'Stopped'],
    ]);
  });

  it('keeps a change when the status listener throws, and warns', async () => {
    await harness.stop();
    harness = await EmulatorHarness.start({
      onStatusChange: () => {
        throw new Error('bus down');
      },
    });
    flowArn = await harness.createFlowDefinition();
    await startLoop();
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);

    try {
      await harness.emulator.setStatus(LOOP, 'Stopped');

      expect((await describeLoop()).HumanLoopStatus).toBe('Stopped');
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('onStatusChange failed for invoice-check-inv-1001 (Stopped): bus down'));
    } finally {
      warn.mockRestore();
    }
  });
});

test('the creation time, not the completion time, dates the output key (UTC)', async () => {
  harness = await EmulatorHarness.start();
  flowArn = await harness.createFlowDefinition({ FlowDefinitionName: 'night-shift', HumanLoopConfig: { TaskCount: 1 }, OutputConfig: { S3OutputPath: 's3://bucket' } });
  harness.time = Date.UTC(2023, 11, 31, 23, 59, 59, 999);
  await startLoop('new-year');
  harness.time = Date.UTC(2024, 0, 1, 0, 0, 5);

  await harness.emulator.submitAnswer('new-year', { answerContent: { ok: true } });

  expect([...harness.outputs.keys()]).toEqual(['s3://bucket/night-shift/2023/12/31/23/59/59/new-year/output.json']);
});

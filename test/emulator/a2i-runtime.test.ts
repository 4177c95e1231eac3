import {
  ConflictException,
  DeleteHumanLoopCommand,
  DescribeHumanLoopCommand,
  ListHumanLoopsCommand,
  paginateListHumanLoops,
  ResourceNotFoundException,
  type StartHumanLoopCommandInput,
  StartHumanLoopCommand,
  StopHumanLoopCommand,
  ValidationException,
} from '@aws-sdk/client-sagemaker-a2i-runtime';
import { ACCOUNT, EmulatorHarness, fixtureText, REGION, rejectionOf, START_TIME } from './harness';

/**
 * The A2I runtime's five operations through the real SDK client (restJson1): shapes, status codes and every
 * modelled error the emulator produces, each arriving as the SDK's own exception class.
 */
let harness: EmulatorHarness;
let flowArn: string;
const input = fixtureText('invoice-input.json');

beforeEach(async () => {
  harness = await EmulatorHarness.start();
  flowArn = await harness.createFlowDefinition();
});
afterEach(async () => {
  await harness.stop();
});

const start = (name: string, overrides: Partial<StartHumanLoopCommandInput> = {}) =>
  harness.a2i.send(new StartHumanLoopCommand({ HumanLoopName: name, FlowDefinitionArn: flowArn, HumanLoopInput: { InputContent: input }, ...overrides }));
const describeLoop = (name: string) => harness.a2i.send(new DescribeHumanLoopCommand({ HumanLoopName: name }));

describe('StartHumanLoop (POST /human-loops)', () => {
  it('starts a loop that DescribeHumanLoop reports InProgress with its ISO 8601 creation time', async () => {
    const { HumanLoopArn } = await start('invoice-check-inv-1001', { DataAttributes: { ContentClassifiers: ['FreeOfPersonallyIdentifiableInformation', 'FreeOfAdultContent'] } });

    const described = await describeLoop('invoice-check-inv-1001');

    expect(HumanLoopArn).toBe(`arn:aws:sagemaker:${REGION}:${ACCOUNT}:human-loop/invoice-check-inv-1001`);
    expect(described).toMatchObject({ HumanLoopName: 'invoice-check-inv-1001', HumanLoopArn, HumanLoopStatus: 'InProgress', FlowDefinitionArn: flowArn });
    expect(described.CreationTime).toEqual(new Date(START_TIME));
    expect(described.FailureCode).toBeUndefined();
    expect(described.HumanLoopOutput).toBeUndefined();
  });

  it('is idempotent: the same name and input return the existing loop', async () => {
    const first = await start('retried-loop');
    harness.advance(5000);

    const second = await start('retried-loop');

    expect(second.HumanLoopArn).toBe(first.HumanLoopArn);
    expect((await describeLoop('retried-loop')).CreationTime).toEqual(new Date(START_TIME));
  });

  it('answers ConflictException (409) for the name of an active loop with different input', async () => {
    await start('taken-name');

    const error = await rejectionOf(start('taken-name', { HumanLoopInput: { InputContent: '{"invoiceId":"INV-2002"}' } }));

    expect(error).toBeInstanceOf(ConflictException);
    expect(error.name).toBe('ConflictException');
    expect(error.$metadata?.httpStatusCode).toBe(409);
    expect(error.message).toContain('taken-name');
  });

  it('answers ValidationException for the name of a finished loop with different input', async () => {
    await start('finished-name');
    await harness.a2i.send(new StopHumanLoopCommand({ HumanLoopName: 'finished-name' }));
    await harness.emulator.processDue();

    const error = await rejectionOf(start('finished-name', { HumanLoopInput: { InputContent: '{"other":true}' } }));

    expect(error).toBeInstanceOf(ValidationException);
    expect(error.message).toContain('delete it to reuse the name');
  });

  it.each([
    ['upper case', 'Invoice-1', "Value 'Invoice-1' at 'humanLoopName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-z0-9](-*[a-z0-9])*$"],
    ['a leading hyphen', '-invoice', 'Member must satisfy regular expression pattern'],
    ['a trailing hyphen', 'invoice-', 'Member must satisfy regular expression pattern'],
    ['64 characters', 'a'.repeat(64), 'Member must have length less than or equal to 63'],
  ])('answers ValidationException (400) for a name with %s, worded as the service words it', async (_case, name, wording) => {
    const error = await rejectionOf(start(name));

    expect(error).toBeInstanceOf(ValidationException);
    expect(error.$metadata?.httpStatusCode).toBe(400);
    expect(error.message).toMatch(/^1 validation error detected: /);
    expect(error.message).toContain(wording);
  });

  it('reports every violation in one ValidationException', async () => {
    const error = await rejectionOf(start('Bad_Name', { FlowDefinitionArn: 'not-an-arn' }));

    expect(error).toBeInstanceOf(ValidationException);
    expect(error.message).toMatch(/^2 validation errors detected: Value 'Bad_Name' at 'humanLoopName' .*; Value 'not-an-arn' at 'flowDefinitionArn' failed to satisfy constraint/);
  });

  it('answers ValidationException when the flow definition does not exist', async () => {
    const error = await rejectionOf(start('no-flow', { FlowDefinitionArn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:flow-definition/missing` }));

    expect(error).toBeInstanceOf(ValidationException);
    expect(error.message).toContain('flow-definition/missing does not exist');
  });

  it('answers ValidationException when InputContent is not JSON', async () => {
    const error = await rejectionOf(start('not-json', { HumanLoopInput: { InputContent: 'invoice INV-1001' } }));

    expect(error).toBeInstanceOf(ValidationException);
    expect(error.message).toContain('InputContent must be a JSON document');
  });

  it('accepts InputContent of exactly 3,145,728 characters and refuses one more', async () => {
    const atLimit = JSON.stringify({ blob: 'x'.repeat(3_145_728 - 11) });
    expect(atLimit).toHaveLength(3_145_728);

    await expect(start('at-the-limit', { HumanLoopInput: { InputContent: atLimit } })).resolves.toHaveProperty('HumanLoopArn');
    const error = await rejectionOf(start('over-the-limit', { HumanLoopInput: { InputContent: JSON.stringify({ blob: 'x'.repeat(3_145_728 - 10) }) } }));

    expect(error).toBeInstanceOf(ValidationException);
    expect(error.message).toContain("at 'humanLoopInput.inputContent' failed to satisfy constraint: Member must have length less than or equal to 3145728");
  });

  it('answers ValidationException for a content classifier outside the enum', async () => {
    const error = await rejectionOf(start('classified', { DataAttributes: { ContentClassifiers: ['FreeOfMalware' as never] } }));

    expect(error).toBeInstanceOf(ValidationException);
    expect(error.message).toContain(
      "Value 'FreeOfMalware' at 'dataAttributes.contentClassifiers.1.member' failed to satisfy constraint: Member must satisfy enum value set: [FreeOfPersonallyIdentifiableInformation, FreeOfAdultContent]",
    );
  });

  it('answers ValidationException for a missing required member', async () => {
    const error = await rejectionOf(harness.a2i.send(new StartHumanLoopCommand({ HumanLoopName: 'no-input', FlowDefinitionArn: flowArn } as StartHumanLoopCommandInput)));

    expect(error).toBeInstanceOf(ValidationException);
    expect(error.message).toContain("Value null at 'humanLoopInput' failed to satisfy constraint: Member must not be null");
  });
});

describe('DescribeHumanLoop (GET /human-loops/{HumanLoopName})', () => {
  it('answers ResourceNotFoundException (404) for an unknown loop', async () => {
    const error = await rejectionOf(describeLoop('never-started'));

    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect(error.$metadata?.httpStatusCode).toBe(404);
    expect(error.message).toBe('Human loop never-started does not exist');
  });

  it('answers ValidationException for a name that is not a loop name', async () => {
    const error = await rejectionOf(describeLoop('Not A Name'));

    expect(error).toBeInstanceOf(ValidationException);
    expect(error.message).toContain("Value 'Not A Name' at 'humanLoopName'");
  });
});

describe('ListHumanLoops (GET /human-loops?FlowDefinitionArn=…)', () => {
  const names = ['loop-a', 'loop-b', 'loop-c', 'loop-d', 'loop-e'];
  beforeEach(async () => {
    for (const name of names) {
      await start(name);
      harness.advance(60_000);
    }
  });

  it('lists newest first by default, in pages of MaxResults with an opaque NextToken', async () => {
    const first = await harness.a2i.send(new ListHumanLoopsCommand({ FlowDefinitionArn: flowArn, MaxResults: 2 }));
    const second = await harness.a2i.send(new ListHumanLoopsCommand({ FlowDefinitionArn: flowArn, MaxResults: 2, NextToken: first.NextToken }));
    const third = await harness.a2i.send(new ListHumanLoopsCommand({ FlowDefinitionArn: flowArn, MaxResults: 2, NextToken: second.NextToken }));

    expect(first.HumanLoopSummaries?.map((loop) => loop.HumanLoopName)).toEqual(['loop-e', 'loop-d']);
    expect(second.HumanLoopSummaries?.map((loop) => loop.HumanLoopName)).toEqual(['loop-c', 'loop-b']);
    expect(third.HumanLoopSummaries?.map((loop) => loop.HumanLoopName)).toEqual(['loop-a']);
    expect(third.NextToken).toBeUndefined();
    expect(first.HumanLoopSummaries?.[1]).toEqual({ HumanLoopName: 'loop-d', HumanLoopStatus: 'InProgress', CreationTime: new Date(START_TIME + 3 * 60_000), FlowDefinitionArn: flowArn });
  });

  it('sorts Ascending on request and works with the SDK paginator', async () => {
    const pages = paginateListHumanLoops({ client: harness.a2i, pageSize: 2 }, { FlowDefinitionArn: flowArn, SortOrder: 'Ascending' });
    const listed: string[] = [];
    let pageCount = 0;
    for await (const page of pages) {
      pageCount++;
      listed.push(...(page.HumanLoopSummaries ?? []).map((loop) => loop.HumanLoopName as string));
    }

    expect(listed).toEqual(names);
    expect(pageCount).toBe(3);
  });

  it('filters by CreationTimeAfter (inclusive) and CreationTimeBefore (exclusive)', async () => {
    const { HumanLoopSummaries } = await harness.a2i.send(
      new ListHumanLoopsCommand({ FlowDefinitionArn: flowArn, CreationTimeAfter: new Date(START_TIME + 60_000), CreationTimeBefore: new Date(START_TIME + 3 * 60_000), SortOrder: 'Ascending' }),
    );

    expect(HumanLoopSummaries?.map((loop) => loop.HumanLoopName)).toEqual(['loop-b', 'loop-c']);
  });

  it('leaves deleted loops out and shows FailureReason for failed ones', async () => {
    await harness.emulator.setStatus('loop-a', 'Failed', 'ValidationError', 'the template did not render');
    await harness.emulator.setStatus('loop-b', 'Stopped');
    await harness.a2i.send(new DeleteHumanLoopCommand({ HumanLoopName: 'loop-b' }));

    const { HumanLoopSummaries } = await harness.a2i.send(new ListHumanLoopsCommand({ FlowDefinitionArn: flowArn, SortOrder: 'Ascending', MaxResults: 100 }));

    expect(HumanLoopSummaries?.map((loop) => loop.HumanLoopName)).toEqual(['loop-a', 'loop-c', 'loop-d', 'loop-e']);
    expect(HumanLoopSummaries?.[0]).toMatchObject({ HumanLoopStatus: 'Failed', FailureReason: 'the template did not render' });
  });

  it.each([0, 101])('answers ValidationException for MaxResults %d', async (maxResults) => {
    const error = await rejectionOf(harness.a2i.send(new ListHumanLoopsCommand({ FlowDefinitionArn: flowArn, MaxResults: maxResults })));

    expect(error).toBeInstanceOf(ValidationException);
    expect(error.message).toContain(`Value '${maxResults}' at 'maxResults' failed to satisfy constraint`);
  });

  it('answers ValidationException for a NextToken it did not issue, or issued for another query', async () => {
    const { NextToken } = await harness.a2i.send(new ListHumanLoopsCommand({ FlowDefinitionArn: flowArn, MaxResults: 1 }));

    const forged = await rejectionOf(harness.a2i.send(new ListHumanLoopsCommand({ FlowDefinitionArn: flowArn, NextToken: 'bm90LWEtdG9rZW4' })));
    const otherQuery = await rejectionOf(harness.a2i.send(new ListHumanLoopsCommand({ FlowDefinitionArn: flowArn, SortOrder: 'Ascending', NextToken })));

    expect(forged).toBeInstanceOf(ValidationException);
    expect(otherQuery).toBeInstanceOf(ValidationException);
  });

  it('answers ResourceNotFoundException for a flow definition that does not exist', async () => {
    const error = await rejectionOf(harness.a2i.send(new ListHumanLoopsCommand({ FlowDefinitionArn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:flow-definition/missing` })));

    expect(error).toBeInstanceOf(ResourceNotFoundException);
  });
});

describe('StopHumanLoop (POST /human-loops/stop)', () => {
  it('moves an InProgress loop to Stopping, then Stopped, announcing only Stopped', async () => {
    await harness.stop();
    harness = await EmulatorHarness.start({ stopDelayMs: 30_000 });
    flowArn = await harness.createFlowDefinition();
    await start('to-stop');

    await harness.a2i.send(new StopHumanLoopCommand({ HumanLoopName: 'to-stop' }));
    const whileStopping = await describeLoop('to-stop');
    await harness.a2i.send(new StopHumanLoopCommand({ HumanLoopName: 'to-stop' }));
    harness.advance(30_000);
    await harness.emulator.processDue();
    const afterwards = await describeLoop('to-stop');

    expect(whileStopping.HumanLoopStatus).toBe('Stopping');
    expect(afterwards.HumanLoopStatus).toBe('Stopped');
    expect(harness.events.map((event) => event.detail.humanLoopStatus)).toEqual(['Stopped']);
    expect(harness.events[0].detail).toMatchObject({ humanLoopName: 'to-stop', failureCode: null, failureReason: null });
  });

  it('answers ResourceNotFoundException for an unknown loop', async () => {
    const error = await rejectionOf(harness.a2i.send(new StopHumanLoopCommand({ HumanLoopName: 'never-started' })));

    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect(error.$metadata?.httpStatusCode).toBe(404);
  });

  it('answers ValidationException for a loop that has ended', async () => {
    await start('ended');
    await harness.emulator.setStatus('ended', 'Failed', 'InternalError');

    const error = await rejectionOf(harness.a2i.send(new StopHumanLoopCommand({ HumanLoopName: 'ended' })));

    expect(error).toBeInstanceOf(ValidationException);
    expect(error.message).toContain('is Failed');
  });
});

describe('DeleteHumanLoop (DELETE /human-loops/{HumanLoopName})', () => {
  it('deletes a stopped loop, which is then not found', async () => {
    await start('to-delete');
    await harness.a2i.send(new StopHumanLoopCommand({ HumanLoopName: 'to-delete' }));
    await harness.emulator.processDue();

    const response = await harness.a2i.send(new DeleteHumanLoopCommand({ HumanLoopName: 'to-delete' }));

    expect(response.$metadata.httpStatusCode).toBe(200);
    expect(await rejectionOf(describeLoop('to-delete'))).toBeInstanceOf(ResourceNotFoundException);
    expect(await rejectionOf(harness.a2i.send(new DeleteHumanLoopCommand({ HumanLoopName: 'to-delete' })))).toBeInstanceOf(ResourceNotFoundException);
  });

  it('lets a deleted loop name be used again', async () => {
    await start('reused');
    await harness.emulator.setStatus('reused', 'Stopped');
    await harness.a2i.send(new DeleteHumanLoopCommand({ HumanLoopName: 'reused' }));

    await start('reused', { HumanLoopInput: { InputContent: '{"second":true}' } });

    expect((await describeLoop('reused')).HumanLoopStatus).toBe('InProgress');
  });

  it.each(['InProgress', 'Stopping'])('answers ValidationException for a loop that is %s', async (status) => {
    await harness.stop();
    harness = await EmulatorHarness.start({ stopDelayMs: 60_000 });
    flowArn = await harness.createFlowDefinition();
    await start('still-open');
    if (status === 'Stopping') await harness.a2i.send(new StopHumanLoopCommand({ HumanLoopName: 'still-open' }));

    const error = await rejectionOf(harness.a2i.send(new DeleteHumanLoopCommand({ HumanLoopName: 'still-open' })));

    expect(error).toBeInstanceOf(ValidationException);
    expect(error.message).toContain(`is ${status}; stop it before deleting it`);
  });
});

describe('the restJson1 wire format', () => {
  it('sends errors with x-amzn-ErrorType, the modelled status and a message in the JSON body', async () => {
    const response = await fetch(`${harness.endpoint}/human-loops/never-started`);

    expect(response.status).toBe(404);
    expect(response.headers.get('x-amzn-errortype')).toBe('ResourceNotFoundException');
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ Message: 'Human loop never-started does not exist', message: 'Human loop never-started does not exist' });
  });

  it('requires FlowDefinitionArn on ListHumanLoops (the SDK refuses to send without it)', async () => {
    const response = await fetch(`${harness.endpoint}/human-loops?MaxResults=5`);

    expect(response.status).toBe(400);
    expect(response.headers.get('x-amzn-errortype')).toBe('ValidationException');
    expect(((await response.json()) as { message: string }).message).toContain("Value null at 'flowDefinitionArn' failed to satisfy constraint: Member must not be null");
  });

  it('answers SerializationException for a body that is not JSON', async () => {
    const response = await fetch(`${harness.endpoint}/human-loops`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"HumanLoopName":' });

    expect(response.status).toBe(400);
    expect(response.headers.get('x-amzn-errortype')).toBe('SerializationException');
  });

  it('answers 404 UnknownOperationException for a method and path that match no operation', async () => {
    const response = await fetch(`${harness.endpoint}/human-loops/some-loop`, { method: 'PUT', body: '{}' });

    expect(response.status).toBe(404);
    expect(response.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
  });

  it('decodes percent-encoded names in the path', async () => {
    await start('encoded-name');

    const response = await fetch(`${harness.endpoint}/human-loops/encoded%2Dname`);

    expect(response.status).toBe(200);
    expect(((await response.json()) as { CreationTime: string }).CreationTime).toBe('2024-05-02T14:03:11.402Z');
  });
});

import { DescribeFlowDefinitionCommand, DescribeHumanTaskUiCommand, ListFlowDefinitionsCommand } from '@aws-sdk/client-sagemaker';
import { DescribeHumanLoopCommand, ListHumanLoopsCommand, StartHumanLoopCommand, StopHumanLoopCommand } from '@aws-sdk/client-sagemaker-a2i-runtime';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { A2iEmulator } from '../../lib/emulator/a2i-emulator';
import { EmulatorHarness, fixtureText, rejectionOf } from './harness';

/**
 * State survives a restart: a new emulator on the same directory serves the same UIs, flow definitions and
 * loops (answers so far included) and resumes their timers. Writes are atomic (temporary file, then rename).
 */
let harness: EmulatorHarness;
let flowArn: string;
const input = fixtureText('invoice-input.json');

beforeEach(async () => {
  harness = await EmulatorHarness.start({ stopDelayMs: 5000 });
  flowArn = await harness.createFlowDefinition({ HumanLoopConfig: { TaskAvailabilityLifetimeInSeconds: 600 } });
});
afterEach(async () => {
  await harness.stop();
});

const startLoop = (name: string) => harness.a2i.send(new StartHumanLoopCommand({ HumanLoopName: name, FlowDefinitionArn: flowArn, HumanLoopInput: { InputContent: input } }));
const statusOf = async (name: string) => (await harness.a2i.send(new DescribeHumanLoopCommand({ HumanLoopName: name }))).HumanLoopStatus;

it('serves the same UIs, flow definitions and loops after a restart, answers so far included', async () => {
  await startLoop('half-answered');
  await harness.emulator.submitAnswer('half-answered', { answerContent: { first: true }, workerId: 'aaaaaaaaaaaaaaaa' });
  harness.advance(1000);
  await startLoop('finished');
  await harness.emulator.setStatus('finished', 'Failed', 'InternalError', 'scripted');

  harness.restart();

  const flow = await harness.sagemaker.send(new DescribeFlowDefinitionCommand({ FlowDefinitionName: 'invoice-check' }));
  const ui = await harness.sagemaker.send(new DescribeHumanTaskUiCommand({ HumanTaskUiName: 'invoice-check-ui' }));
  const { FlowDefinitionSummaries } = await harness.sagemaker.send(new ListFlowDefinitionsCommand({}));
  const { HumanLoopSummaries } = await harness.a2i.send(new ListHumanLoopsCommand({ FlowDefinitionArn: flowArn, SortOrder: 'Ascending' }));
  expect(flow).toMatchObject({ FlowDefinitionArn: flowArn, FlowDefinitionStatus: 'Active', HumanLoopConfig: { TaskCount: 2, TaskAvailabilityLifetimeInSeconds: 600 } });
  expect(ui.HumanTaskUiStatus).toBe('Active');
  expect(FlowDefinitionSummaries?.map((summary) => summary.FlowDefinitionName)).toEqual(['invoice-check']);
  expect(HumanLoopSummaries?.map((loop) => [loop.HumanLoopName, loop.HumanLoopStatus])).toEqual([
    ['half-answered', 'InProgress'],
    ['finished', 'Failed'],
  ]);
  expect(harness.emulator.openTasks().map((task) => [task.humanLoopName, task.answersSoFar])).toEqual([['half-answered', 1]]);

  await harness.emulator.submitAnswer('half-answered', { answerContent: { second: true }, workerId: 'bbbbbbbbbbbbbbbb' });

  const output = JSON.parse([...harness.outputs.values()][0]);
  expect(output.humanAnswers.map((answer: { answerContent: unknown }) => answer.answerContent)).toEqual([{ first: true }, { second: true }]);
  expect(await statusOf('half-answered')).toBe('Completed');
  // Idempotency and conflicts hold across the restart too.
  expect((await startLoop('half-answered')).HumanLoopArn).toMatch(/human-loop\/half-answered$/);
});

it('resumes expiry after a restart: a loop that came due while the emulator was down expires on its timer', async () => {
  await startLoop('outlives-restart');
  harness.emulator.close();
  harness.advance(600_000);
  const event = harness.nextEvent();

  harness.restart();

  expect((await event).detail).toMatchObject({ humanLoopName: 'outlives-restart', humanLoopStatus: 'Failed', failureCode: 'Expired' });
  expect(await statusOf('outlives-restart')).toBe('Failed');
});

it('resumes a stop after a restart', async () => {
  await startLoop('stopping-at-restart');
  await harness.a2i.send(new StopHumanLoopCommand({ HumanLoopName: 'stopping-at-restart' }));
  harness.restart();
  expect(await statusOf('stopping-at-restart')).toBe('Stopping');

  harness.advance(5000);
  await harness.emulator.processDue();

  expect(await statusOf('stopping-at-restart')).toBe('Stopped');
  expect(harness.events.map((event) => event.detail.humanLoopStatus)).toEqual(['Stopped']);
});

it('keeps one JSON file per resource and no temporary files', async () => {
  await startLoop('on-disk');

  expect(readdirSync(harness.stateDir).sort()).toEqual(['flow-definitions', 'human-loops', 'human-task-uis']);
  expect(readdirSync(join(harness.stateDir, 'human-loops'))).toEqual(['on-disk.json']);
  expect(readdirSync(join(harness.stateDir, 'flow-definitions'))).toEqual(['invoice-check.json']);
  expect(JSON.parse(readFileSync(join(harness.stateDir, 'human-loops', 'on-disk.json'), 'utf8'))).toMatchObject({ name: 'on-disk', status: 'InProgress', inputContent: input });
});

it('ignores and removes a temporary file a crash left between write and rename', async () => {
  await startLoop('crashed-write');
  const loops = join(harness.stateDir, 'human-loops');
  writeFileSync(join(loops, 'crashed-write.json.1a2b3c.tmp'), '{"name":"crashed-write","status":"Compl');

  harness.restart();

  expect(await statusOf('crashed-write')).toBe('InProgress');
  expect(readdirSync(loops)).toEqual(['crashed-write.json']);
});

it('refuses to start on a state file that is not JSON, naming it', async () => {
  const path = join(harness.stateDir, 'flow-definitions', 'invoice-check.json');
  writeFileSync(path, 'not json');

  const error = await rejectionOf(Promise.resolve().then(() => new A2iEmulator({ stateDir: harness.stateDir, outputs: { put: async () => undefined } })));

  expect(error.message).toContain(path);
});

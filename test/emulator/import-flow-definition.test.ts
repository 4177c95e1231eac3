import { DescribeHumanLoopCommand, StartHumanLoopCommand } from '@aws-sdk/client-sagemaker-a2i-runtime';
import { EmulatorHarness, rejectionOf } from './harness';

const FOREIGN_ARN = 'arn:aws:sagemaker:eu-west-1:111122223333:flow-definition/invoice-review';

describe('importFlowDefinition (a workflow naming an existing flow definition, in local mode)', () => {
  let harness: EmulatorHarness;

  beforeEach(async () => {
    harness = await EmulatorHarness.start();
  });

  afterEach(async () => {
    await harness.stop();
  });

  it('lets loops start against the foreign ARN, one worker each, with no task UI', async () => {
    await harness.emulator.importFlowDefinition(FOREIGN_ARN, 'local-output');
    await harness.a2i.send(new StartHumanLoopCommand({ HumanLoopName: 'loop-1', FlowDefinitionArn: FOREIGN_ARN, HumanLoopInput: { InputContent: '{"a":1}' } }));
    const [task] = harness.emulator.openTasks();
    expect(task).toMatchObject({ humanLoopName: 'loop-1', flowDefinitionArn: FOREIGN_ARN, flowDefinitionName: 'invoice-review', taskCount: 1 });
    expect(task.humanTaskUiArn).toBeUndefined();
    await harness.emulator.submitAnswer('loop-1', { answerContent: { ok: true } });
    const loop = await harness.a2i.send(new DescribeHumanLoopCommand({ HumanLoopName: 'loop-1' }));
    expect(loop.HumanLoopStatus).toBe('Completed');
    expect(loop.HumanLoopOutput?.OutputS3Uri).toMatch(/^s3:\/\/local-output\/invoice-review\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/\d{2}\/\d{2}\/loop-1\/output\.json$/);
  });

  it('is idempotent, and survives a restart', async () => {
    await harness.emulator.importFlowDefinition(FOREIGN_ARN, 'local-output');
    await harness.emulator.importFlowDefinition(FOREIGN_ARN, 'local-output');
    harness.restart();
    await harness.emulator.importFlowDefinition(FOREIGN_ARN, 'local-output');
    await expect(harness.a2i.send(new StartHumanLoopCommand({ HumanLoopName: 'loop-2', FlowDefinitionArn: FOREIGN_ARN, HumanLoopInput: { InputContent: '{}' } }))).resolves.toBeDefined();
  });

  it('refuses a name already taken by another flow definition, and what is not a flow definition ARN', async () => {
    await harness.emulator.importFlowDefinition(FOREIGN_ARN, 'local-output');
    const other = FOREIGN_ARN.replace('111122223333', '444455556666');
    expect((await rejectionOf(harness.emulator.importFlowDefinition(other, 'local-output'))).message).toContain('exists with another ARN');
    expect((await rejectionOf(harness.emulator.importFlowDefinition('arn:aws:sagemaker:eu-west-1:1:human-task-ui/x', 'local-output'))).name).toBe('ValidationException');
  });
});

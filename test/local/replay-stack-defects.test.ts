import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildStack, type StackModel } from '../../lib/deploy/stack-model';
import { loadAutoReview } from '../../lib/local/auto-review';
import { LOCAL_STACK } from '../../lib/local/resources';
import { replay, type ReplaySummary } from '../../lib/local/replay';
import type { ReviewMessage } from '../../lib/messages';
import { loadWorkflows } from '../../lib/workflow';

/**
 * Local mode runs what the generated stack says, so a defect in the stack fails a replay as it would fail
 * in AWS. Defect 2 of issue 11, put back into a copy of the stack model: the workflow rule's input template
 * passed `<aws.events.event>`, the event without its `detail`, where every record lives.
 */

const fixture = (name: string): string => join(__dirname, '..', 'fixtures', 'replay', name);
const [WORKFLOW] = loadWorkflows([fixture('events.yaml')]);
/** The workflow rule, in the workflow's nested stack. */
const RULE = 'EventRule';
/** Generous: a replay starts the local S3, SQS, DynamoDB and the emulators. */
const FULL_RUN_MS = 90_000;

type Resources = Record<string, { Type: string; Properties: Record<string, any> }>;

/** The stack model as generated, with the workflow rule's input template as it was before the fix. */
function withDetailLessTemplate(): StackModel {
  const model = buildStack({ ...LOCAL_STACK, workflows: [WORKFLOW] });
  const stack = model.workflowStacks.find((candidate) => candidate.workflow === WORKFLOW.definition.name);
  const [target] = (stack?.template.Resources as Resources)[RULE].Properties.Targets;
  target.InputTransformer.InputTemplate = `{"workflow": "${WORKFLOW.definition.name}", "event": <aws.events.event>}`;
  return model;
}

const stateDirs: string[] = [];
afterAll(() => {
  for (const dir of stateDirs) rmSync(dir, { recursive: true, force: true });
});

async function replayWith(stackModel: StackModel | undefined): Promise<{ summary: ReplaySummary; messages: ReviewMessage[] }> {
  const stateDir = mkdtempSync(join(tmpdir(), 'a2i-replay-defects-'));
  stateDirs.push(stateDir);
  const messages: ReviewMessage[] = [];
  const summary = await replay({
    workflow: WORKFLOW,
    inputFile: fixture('events.jsonl'),
    stateDir,
    autoReview: loadAutoReview(fixture('events-auto-review.json')),
    timeoutMs: 45_000,
    ...(stackModel ? { stackModel } : {}),
    onDelivered: ({ message }) => messages.push(message),
  });
  return { summary, messages };
}

describe('replay follows the generated stack\'s EventBridge rule', () => {
  test(
    'with <aws.events.event> in the rule\'s template every record is invalid; with the stack as generated none is',
    async () => {
      // Act
      const broken = await replayWith(withDetailLessTemplate());
      const fixed = await replayWith(undefined);

      // Assess: events.jsonl holds 4 records of the workflow (2 of them twice, and one event of another source).
      expect(broken.summary).toMatchObject({ records: 4, invalid: 4, autoAccepted: 0, reviewed: 0, loopsStarted: 0, lost: 0 });
      for (const message of broken.messages) expect(message).toMatchObject({ outcome: 'invalid', failure: { reason: expect.stringContaining('the event has no record at') } });
      expect(fixed.summary).toMatchObject({ records: 4, invalid: 0, autoAccepted: 2, reviewed: 2, lost: 0, duplicates: 0 });
    },
    2 * FULL_RUN_MS,
  );
});

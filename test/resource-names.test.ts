import fc from 'fast-check';
import {
  assertDistinctNames,
  EVENT_RULE_NAME_MAX_LENGTH,
  ResourceNameError,
  SQS_QUEUE_NAME_MAX_LENGTH,
  workflowDlqName,
  workflowQueueName,
  workflowQueuePrefix,
  workflowRuleName,
} from '../lib/resource-names';
import { WORKFLOW_NAME_MAX_LENGTH } from '../lib/naming';

/** What SQS accepts as a queue name (CreateQueue): 1–80 characters of [A-Za-z0-9_-], `.fifo` ending a FIFO queue's. */
const sqsAccepts = (name: string, fifo: boolean): boolean => name.length <= SQS_QUEUE_NAME_MAX_LENGTH && (fifo ? /^[A-Za-z0-9_-]+\.fifo$/ : /^[A-Za-z0-9_-]+$/).test(name);
/** What EventBridge accepts as a rule name (PutRule). */
const eventBridgeAccepts = (name: string): boolean => name.length <= EVENT_RULE_NAME_MAX_LENGTH && /^[.\-_A-Za-z0-9]+$/.test(name);

// The schema's names: workflows [a-z0-9-] up to 36, queues up to 20, starting and ending alphanumeric.
const part = (max: number) =>
  fc
    .stringMatching(/^[a-z0-9](-?[a-z0-9])*$/)
    .filter((text) => text.length <= max);
const workflowName = part(WORKFLOW_NAME_MAX_LENGTH);
const queueName = part(20);
// Stages serverless allows as CloudFormation stack names; a long one leaves little room.
const stage = fc.oneof(fc.constant('a2i-orchestrator-ci'), fc.constant('a2i-orchestrator-production-eu-west-1'), fc.stringMatching(/^a2i-orchestrator-[a-z][a-z0-9-]{0,20}$/));

describe('workflow queue and rule names', () => {
  it('keeps whole names that fit: <stage>_wf_<workflow>_<queue>, .fifo for a FIFO queue', () => {
    expect(workflowQueueName('a2i-orchestrator-ci', 'invoices', 'reviewed', false)).toBe('a2i-orchestrator-ci_wf_invoices_reviewed');
    expect(workflowQueueName('a2i-orchestrator-ci', 'invoices', 'ordered', true)).toBe('a2i-orchestrator-ci_wf_invoices_ordered.fifo');
    expect(workflowDlqName('a2i-orchestrator-ci', 'invoices', 'ordered', true)).toBe('a2i-orchestrator-ci_wfdlq_invoices_ordered.fifo');
    expect(workflowRuleName('a2i-orchestrator-ci', 'partner-events')).toBe('a2i-orchestrator-ci_wf_partner-events');
  });

  it('makes names SQS and EventBridge accept, for every workflow and queue name the schema allows', () => {
    fc.assert(
      fc.property(stage, workflowName, queueName, fc.boolean(), (prefix, workflow, queue, fifo) => {
        expect(sqsAccepts(workflowQueueName(prefix, workflow, queue, fifo), fifo)).toBe(true);
        expect(sqsAccepts(workflowDlqName(prefix, workflow, queue, fifo), fifo)).toBe(true);
        expect(eventBridgeAccepts(workflowRuleName(prefix, workflow))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('shortens a long name to the limit, keeping its start and ending in a hash (and .fifo)', () => {
    const workflow = 'a'.repeat(WORKFLOW_NAME_MAX_LENGTH);
    const name = workflowQueueName('a2i-orchestrator-ci', workflow, 'corrections-waiting', true);
    expect(name).toHaveLength(SQS_QUEUE_NAME_MAX_LENGTH);
    expect(name).toMatch(/^a2i-orchestrator-ci_wf_a{36}-cor__[a-z2-7]{10}\.fifo$/);
    expect(sqsAccepts(name, true)).toBe(true);
  });

  it('starts every destination queue name, shortened or not, with the stage\'s queue prefix, and no DLQ name with it', () => {
    fc.assert(
      fc.property(stage, workflowName, queueName, fc.boolean(), (prefix, workflow, queue, fifo) => {
        expect(workflowQueueName(prefix, workflow, queue, fifo).startsWith(workflowQueuePrefix(prefix))).toBe(true);
        expect(workflowDlqName(prefix, workflow, queue, fifo).startsWith(workflowQueuePrefix(prefix))).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('gives distinct workflows and queues distinct names, where joining them with "-" would not', () => {
    // a-b + c and a + b-c are one name when joined with "-".
    expect(workflowQueueName('s-ci', 'a-b', 'c', false)).not.toBe(workflowQueueName('s-ci', 'a', 'b-c', false));
    // Names that differ only past the kept start of a shortened name.
    const long = 'x'.repeat(WORKFLOW_NAME_MAX_LENGTH - 1);
    expect(workflowQueueName('a2i-orchestrator-production', `${long}1`, 'reviewed-by-people', false)).not.toBe(workflowQueueName('a2i-orchestrator-production', `${long}2`, 'reviewed-by-people', false));
    fc.assert(
      fc.property(stage, workflowName, queueName, workflowName, queueName, fc.boolean(), (prefix, w1, q1, w2, q2, fifo) => {
        fc.pre(w1 !== w2 || q1 !== q2);
        expect(workflowQueueName(prefix, w1, q1, fifo)).not.toBe(workflowQueueName(prefix, w2, q2, fifo));
      }),
      { numRuns: 1000 },
    );
  });

  it('is the same name every time (the stack, the functions and local mode each compute it)', () => {
    expect(workflowQueueName('a2i-orchestrator-ci', 'w'.repeat(36), 'q'.repeat(20), true)).toBe(workflowQueueName('a2i-orchestrator-ci', 'w'.repeat(36), 'q'.repeat(20), true));
  });

  it('refuses names that are not workflow or queue names, and a stage prefix with no room or with "_"', () => {
    expect(() => workflowQueueName('a2i-orchestrator-ci', 'Bad_Name', 'q', false)).toThrow(ResourceNameError);
    expect(() => workflowQueueName('a2i_orchestrator-ci', 'w', 'q', false)).toThrow(ResourceNameError);
    expect(() => workflowQueueName(`a2i-${'x'.repeat(70)}`, 'w'.repeat(36), 'q', false)).toThrow(/no room/);
  });
});

describe('assertDistinctNames', () => {
  it('refuses one name for two resources, naming both', () => {
    expect(() =>
      assertDistinctNames([
        { name: 'a2i-orchestrator-ci_wf_x__abcdefghij', of: 'alpha/reviewed' },
        { name: 'a2i-orchestrator-ci_wf_x__abcdefghij', of: 'beta/reviewed' },
      ]),
    ).toThrow(/alpha\/reviewed and beta\/reviewed would both be named a2i-orchestrator-ci_wf_x__abcdefghij/);
  });

  it('lets distinct names, and one resource named twice, pass', () => {
    expect(() =>
      assertDistinctNames([
        { name: 'a', of: 'alpha/reviewed' },
        { name: 'b', of: 'beta/reviewed' },
        { name: 'a', of: 'alpha/reviewed' },
      ]),
    ).not.toThrow();
  });
});

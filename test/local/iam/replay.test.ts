/**
 * Replays through the whole local pipeline with every function held to its role from the generated stack
 * model: a normal replay makes no call its role does not allow, and a copy of the model with defect 1 put
 * back (the S3 trigger's role without s3:GetObjectVersion) loses every record, as AWS would.
 */
import '../../support/quiet-env';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildStack, type StackModel } from '../../../lib/deploy/stack-model';
import { loadAutoReview, parseAutoReview } from '../../../lib/local/auto-review';
import type { AccessDenial } from '../../../lib/local/iam/enforce';
import { replay, type ReplayOptions, type ReplaySummary } from '../../../lib/local/replay';
import { LOCAL_BUCKETS, LOCAL_STACK } from '../../../lib/local/resources';
import type { Delivery } from '../../../lib/local/stack';
import { type CompiledWorkflow, loadWorkflows } from '../../../lib/workflow';
import { EXAMPLE_WORKFLOW, REPO, roleStatement } from '../../support/local-roles';

jest.setTimeout(120_000);

const REPLAY_FIXTURES = join(__dirname, '..', '..', 'fixtures', 'replay');
const SAMPLES = join(REPO, 'samples', 'invoices.jsonl');
/** A record that never gets its message fails the test here rather than hang it. */
const REPLAY_TIMEOUT_MS = 60_000;
/** Every loop of the example answered: the answers route it to `reviewed`. */
const ANSWER_EVERYTHING = parseAutoReview({ default: { answers: [{ verdict: { correct: true, corrected: false }, total_amount: '1' }] } });

const stateDirs: string[] = [];
afterAll(() => {
  for (const dir of stateDirs) rmSync(dir, { recursive: true, force: true });
});

interface Run {
  summary: ReplaySummary;
  denials: AccessDenial[];
  checks: Record<string, { checks: number; denials: number }>;
  deliveries: Delivery[];
  problems: string[];
}

async function run(workflow: CompiledWorkflow, options: Partial<ReplayOptions> & Pick<ReplayOptions, 'inputFile'>): Promise<Run> {
  const stateDir = mkdtempSync(join(tmpdir(), 'a2i-iam-replay-'));
  stateDirs.push(stateDir);
  const denials: AccessDenial[] = [];
  const deliveries: Delivery[] = [];
  const problems: string[] = [];
  let checks: Run['checks'] = {};
  const summary = await replay({
    workflow,
    stateDir,
    timeoutMs: REPLAY_TIMEOUT_MS,
    onAccessDenied: (denial) => denials.push(denial),
    onAccessChecks: (counts) => (checks = counts),
    onDelivered: (delivery) => deliveries.push(delivery),
    onProblem: (text) => problems.push(text),
    ...options,
  });
  return { summary, denials, checks, deliveries, problems };
}

const loadOne = (file: string): CompiledWorkflow => loadWorkflows([file])[0];
/** The stack model local mode builds for this workflow, as the deployed stack would have it. */
const generatedModel = (workflow: CompiledWorkflow): StackModel => buildStack({ ...LOCAL_STACK, workflows: [workflow] });

describe('defect 1 put back in a copy of the stack model', () => {
  it('the S3 trigger may not read the notified version: every record of the example is lost, nothing is delivered', async () => {
    // Prepare
    const workflow = loadOne(EXAMPLE_WORKFLOW);
    const model = structuredClone(generatedModel(workflow));
    const read = roleStatement(model, 'IngestS3ObjectRole', 'ReadModelOutputs');
    read.Action = read.Action.filter((action) => action !== 's3:GetObjectVersion');

    // Act
    const { summary, denials, deliveries } = await run(workflow, { inputFile: SAMPLES, autoReview: ANSWER_EVERYTHING, stackModel: model });

    // Assess
    expect(summary).toMatchObject({ records: 5, loopsStarted: 0, lost: 5, delivered: {} });
    expect(deliveries).toEqual([]);
    // The first try and Lambda's two retries, each refused as AWS refuses it.
    expect(denials).toHaveLength(3);
    for (const denial of denials) {
      expect(denial).toMatchObject({ role: 'IngestS3ObjectRole', operation: 'GetObject', action: 's3:GetObjectVersion', resource: expect.stringMatching(/^arn:aws:s3:::a2i-orchestrator-local-input-123456789012-us-east-1\/invoices\/invoices\.jsonl$/) });
    }
  });

  it('with the model as generated, the same replay delivers every record', async () => {
    // Prepare
    const workflow = loadOne(EXAMPLE_WORKFLOW);

    // Act
    const { summary, denials } = await run(workflow, { inputFile: SAMPLES, autoReview: ANSWER_EVERYTHING, stackModel: generatedModel(workflow) });

    // Assess
    expect(summary).toMatchObject({ records: 5, lost: 0, duplicates: 0, delivered: { 'auto-accepted': 2, reviewed: 3 } });
    expect(denials).toEqual([]);
  });
});

describe('a normal replay makes no call its role does not allow', () => {
  const runs: Run[] = [];
  beforeAll(async () => {
    // S3 records with every ending (two reviewers, corrections, stopped, expired and failed loops), then events.
    runs.push(await run(loadOne(join(REPLAY_FIXTURES, 'claims.yaml')), { inputFile: join(REPLAY_FIXTURES, 'claims.jsonl'), autoReview: loadAutoReview(join(REPLAY_FIXTURES, 'auto-review.json')) }));
    runs.push(await run(loadOne(join(REPLAY_FIXTURES, 'events.yaml')), { inputFile: join(REPLAY_FIXTURES, 'events.jsonl'), autoReview: loadAutoReview(join(REPLAY_FIXTURES, 'events-auto-review.json')), duplicateEvents: 0 }));
  });

  it('every record arrives, and no call anywhere was refused', () => {
    for (const { summary, denials, problems } of runs) {
      expect(summary).toMatchObject({ lost: 0, duplicates: 0 });
      expect(denials).toEqual([]);
      expect(problems.filter((text) => text.includes('AccessDenied'))).toEqual([]);
    }
  });

  it("the calls were checked: every function that ran, its event sources, and A2I's reads and writes", () => {
    // Act
    const checked = (role: string) => runs.reduce((total, { checks }) => total + (checks[role]?.checks ?? 0), 0);

    // Assess
    const unchecked = [
      'IngestS3ObjectRole',
      'IngestEventRole',
      'IngestWorkRole',
      'ReviewLoopCheckRole',
      'ReviewLoopWaitRole',
      'ReviewLoopCompleteRole',
      'ReviewLoopFailRole',
      'LoopStatusEventRole',
      'LoopPollRole',
      'FlowResourcesRole',
      'A2iRole',
    ].filter((role) => checked(role) === 0);
    expect(unchecked).toEqual([]);
  });
});

describe('the A2I role holds A2I to what it may write', () => {
  it("a flow definition whose output path the A2I role may not write: the loop fails (ValidationError), the record's failure is delivered", async () => {
    // Prepare: the example, but sending A2I's output to the payload bucket, where the A2I role has no s3:PutObject.
    const dir = mkdtempSync(join(tmpdir(), 'a2i-iam-output-'));
    stateDirs.push(dir);
    cpSync(join(REPO, 'workflows', 'templates'), join(dir, 'templates'), { recursive: true });
    const text = readFileSync(EXAMPLE_WORKFLOW, 'utf8').replace(/^flowDefinition:\n/m, `flowDefinition:\n  outputPath: s3://${LOCAL_BUCKETS.payloads}/a2i-output\n`);
    writeFileSync(join(dir, 'invoice-extraction.yaml'), text);
    const workflow = loadOne(join(dir, 'invoice-extraction.yaml'));

    // Act
    const { summary, denials, deliveries } = await run(workflow, { inputFile: SAMPLES, autoReview: ANSWER_EVERYTHING });

    // Assess
    expect(summary).toMatchObject({ records: 5, lost: 0, reviewed: 0, failed: 3, autoAccepted: 2 });
    const failures = deliveries.filter((delivery) => delivery.message.outcome === 'failed');
    expect(failures).toHaveLength(3);
    for (const { message } of failures) {
      expect(message.failure).toMatchObject({ code: 'ValidationError', reason: expect.stringContaining('is not authorized to perform: s3:PutObject') });
    }
    expect(denials.map(({ role, action }) => `${role} ${action}`)).toEqual(Array(3).fill('A2iRole s3:PutObject'));
  });
});

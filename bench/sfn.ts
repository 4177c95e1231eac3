import { StateMachine } from 'aws-local-stepfunctions';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDynalite } from '../test/support/ingest-harness';
import { answer, claimInput, DAY, ReviewHarness } from '../test/support/review-harness';
import type { Figure } from './figures';

const WEEK = 7 * DAY;

/**
 * State transitions and DescribeHumanLoop calls per loop, from executing statemachines/review-loop.asl.json
 * unchanged (aws-local-stepfunctions, every task bound to its real handler, A2I and time simulated): (a)
 * the status event arrives after a 7-day review, (b) it is lost and the fallback polls find the loop, and
 * (c) a naive 60-second poller (Wait, Describe, Choice) over the same 7 days, in the same run.
 */
export async function sfnBenchmark(): Promise<Figure[]> {
  const dynamo = await startDynalite();
  try {
    const harness = await ReviewHarness.create(dynamo);
    const completedAfterAWeek = (lost: boolean) => ({ steps: [{ at: WEEK, status: 'Completed' as const, lost }], answers: [answer('fraud', 'w1', 5)] });
    const event = await harness.run(claimInput('bench-event'), completedAfterAWeek(false));
    const lost = await harness.run(claimInput('bench-lost'), completedAfterAWeek(true));
    harness.restore();
    for (const run of [event, lost]) if (run.status !== 'SUCCEEDED' || run.delivered.length !== 1) throw new Error(`review-loop run did not deliver: ${String(run.error)}`);
    const naive = await naivePoller(WEEK);
    return [
      { name: 'sfn.transitions_event', value: event.transitions, unit: 'transitions', reviewDays: 7, target: '<= 12' },
      { name: 'sfn.transitions_lost_event_7d', value: lost.transitions, unit: 'transitions', reviewDays: 7, target: '<= 200' },
      { name: 'sfn.transitions_naive_7d', value: naive.transitions, unit: 'transitions', reviewDays: 7, ratioToLostEvent: Number((naive.transitions / lost.transitions).toFixed(1)) },
      { name: 'sfn.describe_calls_event', value: event.describeCalls, unit: 'calls', reviewDays: 7, fallbackPolls: event.polls },
      { name: 'sfn.describe_calls_lost_event_7d', value: lost.describeCalls, unit: 'calls', reviewDays: 7, fallbackPolls: lost.polls, naiveDescribeCalls: naive.describeCalls },
    ];
  } finally {
    await dynamo.close();
  }
}

/** The naive machine, run with its Wait shortened to nothing and each Describe one simulated minute later. */
async function naivePoller(reviewMs: number): Promise<{ transitions: number; describeCalls: number }> {
  const definition = JSON.parse(readFileSync(join(__dirname, 'naive-poller.asl.json'), 'utf8'));
  let elapsed = 0;
  let describeCalls = 0;
  const execution = new StateMachine(definition).run(
    {},
    {
      overrides: {
        waitTimeOverrides: { Wait: 0 },
        taskResourceLocalHandlers: {
          Describe: () => {
            describeCalls++;
            elapsed += 60_000;
            return elapsed >= reviewMs ? 'Completed' : 'InProgress';
          },
        },
      },
    },
  );
  let transitions = 0;
  const counting = (async () => {
    for await (const event of execution.eventLogs) if (event.type === 'StateEntered') transitions++;
  })();
  await execution.result;
  await counting;
  return { transitions, describeCalls };
}

import { SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { Ledger } from '../ledger';

/** The detail of A2I's `SageMaker A2I HumanLoop Status Change` event. */
export interface HumanLoopStatusDetail {
  humanLoopName: string;
  humanLoopStatus: string;
  humanLoopArn?: string;
  flowDefinitionArn?: string;
  creationTime?: string;
  failureCode?: string | null;
  failureReason?: string | null;
  humanLoopOutput?: { outputS3Uri?: string };
}

export type WakeResult = 'woken' | 'noted' | 'not-ours' | 'stale';

/** The token was used, timed out or its execution ended: the event came late, which is harmless. */
const STALE_TOKEN_ERRORS = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

/**
 * Wakes the execution tracking the loop: the event is noted in the ledger (so a wait that starts a moment
 * later sees it), and a parked task token is sent back. Duplicate and late events are harmless: the
 * machine checks the loop again, or the token is stale.
 */
export async function wakeOnStatusEvent(detail: HumanLoopStatusDetail, deps: { ledger: Ledger; sfn: SFNClient }): Promise<WakeResult> {
  const entry = await deps.ledger.recordStatusEvent(detail.humanLoopName, detail.humanLoopStatus);
  if (!entry) return 'not-ours';
  if (!entry.taskToken || entry.state === 'delivered') return 'noted';
  try {
    await deps.sfn.send(new SendTaskSuccessCommand({ taskToken: entry.taskToken, output: JSON.stringify({ wokenBy: 'event', status: detail.humanLoopStatus }) }));
    return 'woken';
  } catch (error) {
    if (STALE_TOKEN_ERRORS.has((error as Error).name)) return 'stale';
    throw error;
  }
}

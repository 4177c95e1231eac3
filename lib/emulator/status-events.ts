import { randomUUID } from 'node:crypto';
import type { FailureCode, HumanLoopRecord } from './records';
import { isoMillis, isoSeconds } from './timestamps';

/**
 * A2I sends a status-change event when a loop becomes Completed, Failed or Stopped ("Use Amazon CloudWatch
 * Events in Amazon Augmented AI"); Stopping and InProgress are not announced.
 */
export type AnnouncedStatus = 'Completed' | 'Failed' | 'Stopped';
export const ANNOUNCED_STATUSES: ReadonlySet<string> = new Set<AnnouncedStatus>(['Completed', 'Failed', 'Stopped']);

export interface A2iStatusEventDetail {
  creationTime: string;
  failureCode: FailureCode | null;
  failureReason: string | null;
  flowDefinitionArn: string;
  humanLoopArn: string;
  humanLoopName: string;
  /** Present when the loop Completed (the only case the documentation shows). */
  humanLoopOutput?: { outputS3Uri: string };
  humanLoopStatus: AnnouncedStatus;
}

/** The EventBridge event, field for field as the A2I documentation shows it. */
export interface A2iStatusEvent {
  version: '0';
  id: string;
  'detail-type': 'SageMaker A2I HumanLoop Status Change';
  source: 'aws.sagemaker';
  account: string;
  time: string;
  region: string;
  resources: [string];
  detail: A2iStatusEventDetail;
}

export function statusChangeEvent(loop: HumanLoopRecord & { status: AnnouncedStatus }, where: { account: string; region: string; at: number }): A2iStatusEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'SageMaker A2I HumanLoop Status Change',
    source: 'aws.sagemaker',
    account: where.account,
    time: isoSeconds(where.at),
    region: where.region,
    resources: [loop.arn],
    detail: {
      creationTime: isoMillis(loop.creationTime),
      failureCode: loop.failureCode ?? null,
      failureReason: loop.failureReason ?? null,
      flowDefinitionArn: loop.flowDefinitionArn,
      humanLoopArn: loop.arn,
      humanLoopName: loop.name,
      ...(loop.status === 'Completed' && loop.outputS3Uri ? { humanLoopOutput: { outputS3Uri: loop.outputS3Uri } } : {}),
      humanLoopStatus: loop.status,
    },
  };
}

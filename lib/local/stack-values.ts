import { functionLogicalId } from '../deploy/cfn';
import { DEPLOYED_FUNCTIONS, roleLogicalId } from '../deploy/function-roles';
import type { CfnValueContext, LocalResourceValue } from './cfn-values';
import {
  A2I_ROLE_LOGICAL_ID,
  LOCAL_ACCOUNT,
  LOCAL_BUCKETS,
  LOCAL_LEDGER_TABLE,
  LOCAL_REGION,
  LOCAL_STACK,
  LOCAL_STATE_MACHINE_ARN,
  LOCAL_WORKTEAM_ARN,
  localFunctionArn,
  localFunctionName,
  localRoleArn,
  localRoleName,
  type LocalResources,
} from './resources';

/** A flow definition the local stack made for a workflow (the custom resource's attributes). */
export interface LocalFlowDefinition {
  arn: string;
  name: string;
  humanTaskUiArn: string;
}

/**
 * The table of the local stack's physical values that CloudFormation's intrinsics in the generated stack
 * (and in resources/*.yml) are evaluated against with `resolveCfn`: what `Ref` and `Fn::GetAtt` of each
 * logical id give locally, the stack's parameters and conditions. Everything that reads the generated stack
 * locally (the functions' roles, the A2I role, the EventBridge rules and their targets) evaluates it against
 * this one table, so local mode sees the names and ARNs the deployed stack would, without a translation table.
 *
 * `flowDefinitions` (by workflow) may be empty while the flow definitions are being made: the custom
 * resource's own properties do not refer to them.
 */
export function localStackValues(resources: LocalResources): CfnValueContext {
  const values: Record<string, LocalResourceValue> = {};
  const queue = (logicalId: string, url: string, arn: string) => {
    values[logicalId] = { ref: url, attributes: { Arn: arn, QueueName: arn.slice(arn.lastIndexOf(':') + 1), QueueUrl: url } };
  };
  queue('WorkQueue', resources.work.url, resources.work.arn);
  queue('WorkDlq', resources.work.dlqUrl, resources.work.dlqArn);
  queue('PollQueue', resources.poll.url, resources.poll.arn);
  queue('PollDlq', resources.poll.dlqUrl, resources.poll.dlqArn);
  queue('EventsDlq', resources.eventsDlq.url, resources.eventsDlq.arn);
  queue('TriggerFailuresDlq', resources.triggerFailuresDlq.url, resources.triggerFailuresDlq.arn);
  for (const [logicalId, bucket] of [
    ['InputBucket', LOCAL_BUCKETS.input],
    ['PayloadBucket', LOCAL_BUCKETS.payloads],
    ['OutputBucket', LOCAL_BUCKETS.output],
  ]) {
    values[logicalId] = { ref: bucket, attributes: { Arn: `arn:aws:s3:::${bucket}`, DomainName: `${bucket}.s3.amazonaws.com`, RegionalDomainName: `${bucket}.s3.${LOCAL_REGION}.amazonaws.com` } };
  }
  values.LedgerTable = { ref: LOCAL_LEDGER_TABLE, attributes: { Arn: `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${LOCAL_LEDGER_TABLE}` } };
  values.ReviewLoopStateMachine = { ref: LOCAL_STATE_MACHINE_ARN, attributes: { Arn: LOCAL_STATE_MACHINE_ARN, Name: LOCAL_STATE_MACHINE_ARN.slice(LOCAL_STATE_MACHINE_ARN.lastIndexOf(':') + 1) } };
  for (const fn of DEPLOYED_FUNCTIONS) {
    values[functionLogicalId(fn)] = { ref: localFunctionName(fn), attributes: { Arn: localFunctionArn(fn) } };
    values[roleLogicalId(fn)] = { ref: localRoleName(roleLogicalId(fn)), attributes: { Arn: localRoleArn(roleLogicalId(fn)) } };
  }
  values[A2I_ROLE_LOGICAL_ID] = { ref: localRoleName(A2I_ROLE_LOGICAL_ID), attributes: { Arn: localRoleArn(A2I_ROLE_LOGICAL_ID) } };
  return {
    region: LOCAL_REGION,
    account: LOCAL_ACCOUNT,
    stackName: `${LOCAL_STACK.service}-${LOCAL_STACK.stage}`,
    // The stack's parameters as `npm start` deploys it: no customer managed key, no alarm topic.
    parameters: { WorkteamArn: LOCAL_WORKTEAM_ARN, KmsKeyArn: '', AlarmTopicArn: '' },
    conditions: { HasKmsKey: false, HasAlarmTopic: false },
    resources: values,
  };
}

import type { Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import type { StackModel } from '../deploy/stack-model';
import type { CustomResourceEvent, CustomResourceResponse } from '../flows';
import { type CfnValueContext, resolveCfn } from './cfn-values';
import { resourcesOfType, templateScopes } from './stack-scopes';
import { LOCAL_ACCOUNT, LOCAL_REGION, LOCAL_STACK, localFunctionArn } from './resources';
import type { LocalFlowDefinition } from './stack-values';

/** The flow-resources function answered FAILED: CloudFormation would roll the stack back. */
export class FlowResourceFailedError extends Error {
  override readonly name = 'FlowResourceFailedError';
}

const FLOW_RESOURCE_TYPE = 'Custom::A2iFlowDefinition';

/** The flow-resources function as CloudFormation invokes it: the event, and the response it PUTs back. */
export type FlowResourcesInvoke = (event: CustomResourceEvent, context?: Context) => Promise<CustomResourceResponse>;

/**
 * What CloudFormation does with the stack's Custom::A2iFlowDefinition resources: each one's properties,
 * evaluated against the local stack, go to the function its ServiceToken names (the flow-resources function,
 * with its own role) as a Create request; its answer gives the flow definition's attributes. An unchanged
 * flow definition (the emulator keeps state across restarts) is found, not made again.
 */
export async function createFlowResources(model: StackModel, values: CfnValueContext, invoke: FlowResourcesInvoke): Promise<Record<string, LocalFlowDefinition>> {
  const flows: Record<string, LocalFlowDefinition> = {};
  // Each workflow's flow definition is in its nested stack, its properties resolved there.
  for (const { template, context } of templateScopes(model, values)) {
    for (const [logicalId, { Properties }] of resourcesOfType(template, FLOW_RESOURCE_TYPE)) {
      flows[String(Properties?.Workflow)] = await createFlowResource(logicalId, resolveCfn<Record<string, unknown>>(Properties ?? {}, context), invoke);
    }
  }
  return flows;
}

async function createFlowResource(logicalId: string, resolved: Record<string, unknown>, invoke: FlowResourcesInvoke): Promise<LocalFlowDefinition> {
  const { ServiceToken, ...properties } = resolved;
  if (ServiceToken !== localFunctionArn('flowResources')) throw new FlowResourceFailedError(`${logicalId}: ServiceToken ${String(ServiceToken)} is not the flow-resources function`);
  const response = await invoke({
    RequestType: 'Create',
    // The response is the function's answer to `invoke`; nothing is PUT anywhere.
    ResponseURL: 'http://127.0.0.1/cloudformation-response',
    StackId: `arn:aws:cloudformation:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stack/${LOCAL_STACK.service}-${LOCAL_STACK.stage}/local`,
    RequestId: randomUUID(),
    LogicalResourceId: logicalId,
    ResourceType: FLOW_RESOURCE_TYPE,
    ResourceProperties: { ServiceToken, ...properties },
  });
  if (response.Status !== 'SUCCESS' || !response.Data) throw new FlowResourceFailedError(`${logicalId}: ${response.Reason ?? 'FAILED without a reason'}`);
  return { arn: response.Data.FlowDefinitionArn, name: response.Data.FlowDefinitionName, humanTaskUiArn: response.Data.HumanTaskUiArn };
}

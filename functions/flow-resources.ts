import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { sageMakerFlowApi } from '../lib/flows/api';
import { type CustomResourceEvent, type FlowResourceDeps, handleFlowResourceEvent, putResponse, type ResponseSender } from '../lib/flows/custom-resource';
import { awsClientConfig } from '../lib/runtime/aws-client-config';
import { withPowertools } from '../lib/runtime/handler';
import { logger, tracer } from '../lib/runtime/observability';
import { once } from '../lib/runtime/once';

/** Left of the Lambda's time to answer CloudFormation when a flow definition is slow to be Active. */
const RESPONSE_MARGIN_MS = 30_000;

export interface FlowResourcesRuntime extends FlowResourceDeps {
  respond: ResponseSender;
}

function flowResourcesRuntime(): FlowResourcesRuntime {
  return { api: sageMakerFlowApi(tracer.captureAWSv3Client(new SageMakerClient(awsClientConfig()))), respond: putResponse };
}

/**
 * The Custom::A2iFlow resource: a workflow's HumanTaskUi and FlowDefinition (CloudFormation has no resource
 * for either). Answers CloudFormation at the pre-signed ResponseURL, SUCCESS or FAILED with the reason;
 * throws only when that answer cannot be sent (the invocation is then retried).
 */
export function createHandler(deps: () => FlowResourcesRuntime = once(flowResourcesRuntime)) {
  return withPowertools(async (event: CloudFormationCustomResourceEvent, context: Context): Promise<void> => {
    const runtime = deps();
    const timeoutMs = runtime.timeoutMs ?? Math.max(context.getRemainingTimeInMillis() - RESPONSE_MARGIN_MS, 0);
    const response = await handleFlowResourceEvent(event as unknown as CustomResourceEvent, { ...runtime, timeoutMs });
    const log = { requestType: event.RequestType, logicalResourceId: event.LogicalResourceId, physicalResourceId: response.PhysicalResourceId, status: response.Status };
    if (response.Status === 'FAILED') logger.error('flow resource failed', { ...log, reason: response.Reason });
    else if (response.Reason) logger.warn('flow resource done, with something left', { ...log, reason: response.Reason });
    else logger.info('flow resource done', log);
    await runtime.respond(event.ResponseURL, JSON.stringify(response));
  });
}

export const handler = createHandler();

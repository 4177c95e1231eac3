import { type Clock, systemClock } from '../clock';
import type { AwsClients } from './aws-clients';
import { processA2iClient } from './clients/a2i';
import { deployedWorkflowLookup } from './deployed-workflows';
import type { ReviewRuntime } from './review-wiring';

type Env = Record<string, string | undefined>;

/**
 * CheckLoop: DescribeHumanLoop and the workflow's tracking settings, nothing else. Apart from ./review-wiring,
 * which imports the ledger (and with it the DynamoDB client) for the other steps.
 */
export function checkRuntime(env: Env = process.env, clients: Pick<AwsClients, 'a2i'> = { a2i: processA2iClient() }, clock: Clock = systemClock): Pick<ReviewRuntime, 'check'> {
  return { check: { a2i: clients.a2i, workflow: deployedWorkflowLookup(env).byName, clock } };
}

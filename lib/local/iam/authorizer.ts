import { type EvaluationResult, runSimulation, runUnsafeSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import type { AuthorizationRequest } from './requests';

/** Who makes the calls: a role, and the session a service opens with it (a Lambda function's, A2I's). */
export interface RoleIdentity {
  /** The role's logical id in the stack (`IngestS3ObjectRole`). */
  logicalId: string;
  roleArn: string;
  /** `arn:aws:sts::<account>:assumed-role/<role>/<session>`: who AWS says was refused. */
  sessionArn: string;
}

export interface IdentityPolicy {
  name: string;
  document: unknown;
}

export type Decision = { allowed: true } | { allowed: false; explicitDeny: boolean };

/** The policies or the request could not be evaluated (an ARN no resource type of the action has, a malformed policy). */
export class PolicySimulationError extends Error {
  override readonly name = 'PolicySimulationError';
}

/** Decisions kept per role; beyond this many the cache starts over (distinct objects and loops grow it). */
const MAX_CACHED_DECISIONS = 100_000;

/**
 * A role's identity policies held against requests with @cloud-copilot/iam-simulate: same-account calls, no
 * SCPs or permission boundaries (the stack has none), resource policies not consulted (the stack's grant
 * nothing to its own functions). Decisions are cached per (action, resource): a call to the same queue or
 * table is simulated once. The first request of each action is simulated with iam-simulate's validation (the
 * action exists, the ARN is one of its resource types, the policies are well formed: a mapping mistake fails
 * loudly); later ones of the same action differ only in names and skip it (ten times faster).
 */
export class RoleAuthorizer {
  private readonly decisions = new Map<string, Promise<Decision>>();
  private readonly validatedActions = new Set<string>();
  /** Calls checked, and how many of them were simulated (not answered from the cache). */
  readonly counts = { checks: 0, simulations: 0, denials: 0 };

  constructor(
    readonly identity: RoleIdentity,
    private readonly policies: IdentityPolicy[],
    private readonly account: string,
  ) {}

  async decide(request: AuthorizationRequest): Promise<Decision> {
    this.counts.checks++;
    const key = `${request.action}\u0000${request.resource}\u0000${request.context ? JSON.stringify(request.context) : ''}`;
    let decision = this.decisions.get(key);
    if (!decision) {
      if (this.decisions.size >= MAX_CACHED_DECISIONS) this.decisions.clear();
      decision = this.simulate(request);
      this.decisions.set(key, decision);
      // A failed simulation is not a decision: the next call tries again (and fails again, loudly).
      decision.catch(() => this.decisions.delete(key));
    }
    const result = await decision;
    if (!result.allowed) this.counts.denials++;
    return result;
  }

  private async simulate(request: AuthorizationRequest): Promise<Decision> {
    this.counts.simulations++;
    const simulation: Simulation = {
      request: {
        principal: this.identity.sessionArn,
        action: request.action,
        resource: { resource: request.resource, accountId: this.account },
        contextVariables: request.context ?? {},
      },
      identityPolicies: this.policies.map(({ name, document }) => ({ name, policy: document })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    };
    let result: EvaluationResult;
    if (this.validatedActions.has(request.action)) {
      result = runUnsafeSimulation(simulation, { simulationMode: 'Strict' });
    } else {
      const checked = await runSimulation(simulation, { simulationMode: 'Strict' });
      if (checked.resultType === 'error') {
        throw new PolicySimulationError(`${this.identity.logicalId}: ${request.action} on ${request.resource} could not be evaluated: ${JSON.stringify(checked.errors)}`);
      }
      this.validatedActions.add(request.action);
      result = checked.overallResult;
    }
    if (result === 'Allowed') return { allowed: true };
    return { allowed: false, explicitDeny: result === 'ExplicitlyDenied' };
  }
}

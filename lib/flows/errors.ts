import type { FlowIssue } from './validate';

/** A flow spec (or the stack's settings for it) breaks a documented constraint: nothing was called. */
export class FlowSpecError extends Error {
  override readonly name = 'FlowSpecError';
  constructor(
    readonly workflow: string,
    readonly issues: FlowIssue[],
  ) {
    super(issues.map((issue) => `${workflow}: ${issue.location}: ${issue.message}`).join('\n'));
  }
}

/** The flow definition ended Failed: A2I's FailureReason says why. */
export class FlowDefinitionFailedError extends Error {
  override readonly name = 'FlowDefinitionFailedError';
  constructor(
    readonly flowDefinitionName: string,
    readonly failureReason: string,
  ) {
    super(`flow definition ${flowDefinitionName} failed: ${failureReason}`);
  }
}

/** The flow definition was not Active by the deadline. */
export class FlowDefinitionTimeoutError extends Error {
  override readonly name = 'FlowDefinitionTimeoutError';
  constructor(
    readonly flowDefinitionName: string,
    readonly lastStatus: string,
  ) {
    super(`flow definition ${flowDefinitionName} is still ${lastStatus}, not Active, at the deadline`);
  }
}

/** A2I refuses to delete a flow definition while human loops still use it (ResourceInUse). */
export class FlowDefinitionInUseError extends Error {
  override readonly name = 'FlowDefinitionInUseError';
  constructor(
    readonly flowDefinitionName: string,
    detail: string,
  ) {
    super(`flow definition ${flowDefinitionName} cannot be deleted while human loops are in progress; stop or finish them and retry (${detail})`);
  }
}

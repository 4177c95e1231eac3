import type { StackModel } from '../deploy/stack-model';
import type { EventPattern } from '../event-pattern';
import { type CfnValueContext, type LocalResourceValue, resolveCfn } from './cfn-values';
import type { BusRule, TargetHandler } from './event-bus';
import type { TargetInputSettings } from './event-targets';
import { resourcesOfType, type Template, type TemplateScope, templateScopes } from './stack-scopes';

/**
 * The local bus's rules, read from the generated stack rather than written again here: every
 * AWS::Events::Rule (in nested templates too), its pattern and its targets (Input, InputPath or
 * InputTransformer, DeadLetterConfig) with CloudFormation's intrinsics resolved against the local stack's
 * values, each target bound to the local function with its ARN — if the function's resource policy (the
 * stack's AWS::Lambda::Permission resources) lets EventBridge invoke it for that rule.
 */

/** A target as AWS::Events::Rule declares it, its intrinsics resolved. */
export interface StackRuleTarget extends TargetInputSettings {
  Id: string;
  Arn: string;
  RetryPolicy?: { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number };
  DeadLetterConfig?: { Arn?: string };
}

export interface StackEventRule {
  logicalId: string;
  name: string;
  arn: string;
  pattern: EventPattern;
  targets: StackRuleTarget[];
}

/** A function the local stack runs: a rule target with its ARN invokes it. */
export interface LocalTargetFunction {
  /** Its key in serverless.yml (`ingestEvent`): the stack names it by the logical id serverless derives from it. */
  key: string;
  arn: string;
  name: string;
  invoke: TargetHandler;
}

/** The stack declares a rule that EventBridge would refuse, or one local mode cannot read. */
export class StackRuleError extends Error {
  override readonly name = 'StackRuleError';
}


/** RetryPolicy's ranges (API reference: MaximumRetryAttempts, MaximumEventAgeInSeconds). */
const RETRY_LIMITS = { attempts: [0, 185], ageSeconds: [60, 86_400] } as const;
const EVENTS_PRINCIPAL = 'events.amazonaws.com';

/** The bus rules of a stack: what `LocalEventBus.addRule` takes, each target bound to its local function (or to none). */
export function busRulesOf(model: StackModel, context: CfnValueContext, functions: LocalTargetFunction[]): BusRule[] {
  const scopes = templateScopes(model, context).map(({ template, context: own }) => ({ template, context: withRuleValues(template, own) }));
  const permissions = scopes.flatMap(eventsPermissions);
  return scopes.flatMap(eventRulesOf).map((rule) => ({
    name: rule.name,
    arn: rule.arn,
    pattern: rule.pattern,
    targets: rule.targets.map((target) => {
      const fn = functions.find((candidate) => candidate.arn === target.Arn);
      return {
        id: target.Id,
        arn: target.Arn,
        input: targetInput(target),
        ...(fn ? { invoke: fn.invoke, functionName: fn.name, permitted: permissions.some((permission) => permission.allows(fn, rule.arn, context.account)) } : {}),
        ...(target.DeadLetterConfig?.Arn ? { deadLetterArn: target.DeadLetterConfig.Arn } : {}),
      };
    }),
  }));
}

/** Every enabled AWS::Events::Rule of one template, its intrinsics resolved. */
function eventRulesOf({ template, context }: TemplateScope): StackEventRule[] {
  const rules: StackEventRule[] = [];
  for (const [logicalId, resource] of resourcesOfType(template, 'AWS::Events::Rule')) {
    const properties = resolveCfn<Record<string, unknown>>(resource.Properties ?? {}, context);
    if (properties.State === 'DISABLED') continue;
    const pattern = typeof properties.EventPattern === 'string' ? (JSON.parse(properties.EventPattern) as EventPattern) : (properties.EventPattern as EventPattern | undefined);
    // A schedule rule has no pattern: nothing local puts its events.
    if (!pattern) continue;
    const own = context.resources[logicalId];
    const targets = ((properties.Targets ?? []) as StackRuleTarget[]).map((target) => checkedTarget(logicalId, target));
    rules.push({ logicalId, name: own.ref, arn: own.attributes?.Arn as string, pattern, targets });
  }
  return rules;
}

/** `context` plus each rule's own values: Ref is its name (Name, or CloudFormation's `<stack>-<logical id>`), Arn its ARN on its bus. */
function withRuleValues(template: Template, context: CfnValueContext): CfnValueContext {
  const resources: Record<string, LocalResourceValue> = { ...context.resources };
  for (const [logicalId, resource] of resourcesOfType(template, 'AWS::Events::Rule')) {
    const properties = resource.Properties ?? {};
    const name = properties.Name === undefined ? `${context.stackName ?? 'a2i-local'}-${logicalId}` : resolveCfn<string>(properties.Name, context);
    const bus = properties.EventBusName === undefined ? 'default' : resolveCfn<string>(properties.EventBusName, context).replace(/^arn:[^:]+:events:[^:]*:[^:]*:event-bus\//, '');
    const arn = `arn:${context.partition ?? 'aws'}:events:${context.region}:${context.account}:rule/${bus === 'default' ? '' : `${bus}/`}${name}`;
    resources[logicalId] = { ref: name, attributes: { Arn: arn } };
  }
  return { ...context, resources };
}

function checkedTarget(ruleId: string, target: StackRuleTarget): StackRuleTarget {
  if (typeof target?.Id !== 'string' || typeof target.Arn !== 'string') throw new StackRuleError(`${ruleId}: every target needs an Id and an Arn`);
  const retry = target.RetryPolicy;
  const outside = (value: number | undefined, [min, max]: readonly [number, number]) => value !== undefined && (!Number.isInteger(value) || value < min || value > max);
  if (outside(retry?.MaximumRetryAttempts, RETRY_LIMITS.attempts) || outside(retry?.MaximumEventAgeInSeconds, RETRY_LIMITS.ageSeconds)) {
    throw new StackRuleError(`${ruleId} target ${target.Id}: RetryPolicy allows MaximumRetryAttempts ${RETRY_LIMITS.attempts.join('..')} and MaximumEventAgeInSeconds ${RETRY_LIMITS.ageSeconds.join('..')}`);
  }
  return target;
}

interface EventsPermission {
  allows(fn: LocalTargetFunction, ruleArn: string, account: string): boolean;
}

/** The AWS::Lambda::Permission resources of one template that name EventBridge as principal. */
function eventsPermissions({ template, context }: TemplateScope): EventsPermission[] {
  return resourcesOfType(template, 'AWS::Lambda::Permission')
    .filter(([, resource]) => resource.Properties?.Principal === EVENTS_PRINCIPAL)
    .map(([, resource]) => {
      const properties = resolveCfn<{ Action?: string; FunctionName?: string; SourceArn?: string; SourceAccount?: string }>(resource.Properties, context);
      return {
        allows: (fn, ruleArn, account) =>
          (properties.Action === 'lambda:InvokeFunction' || properties.Action === 'lambda:*') &&
          namesFunction(properties.FunctionName, fn) &&
          (properties.SourceArn === undefined || arnLike(properties.SourceArn, ruleArn)) &&
          (properties.SourceAccount === undefined || properties.SourceAccount === account),
      };
    });
}

/** A permission's FunctionName: the function's name, its ARN or a partial ARN (a qualifier aside). */
function namesFunction(name: string | undefined, fn: LocalTargetFunction): boolean {
  if (name === undefined) return false;
  return name === fn.name || name === fn.arn || fn.arn.endsWith(`:${name}`);
}

/** IAM's ArnLike: `*` any run of characters, `?` any one. */
function arnLike(pattern: string, arn: string): boolean {
  const expression = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${expression}$`, 's').test(arn);
}

/** The target's Input, InputPath and InputTransformer, as given (EventBridge refuses more than one). */
function targetInput({ Input, InputPath, InputTransformer }: StackRuleTarget): TargetInputSettings {
  return { ...(Input !== undefined ? { Input } : {}), ...(InputPath !== undefined ? { InputPath } : {}), ...(InputTransformer !== undefined ? { InputTransformer } : {}) };
}

import { functionLogicalId } from '../deploy/cfn';
import type { StackModel } from '../deploy/stack-model';
import type { EventPattern } from '../event-pattern';
import { type CfnValueContext, CfnValueError, evaluateConditions, type LocalResourceValue, resolveCfn } from './cfn-values';
import type { BusRule, TargetHandler } from './event-bus';
import type { TargetInputSettings } from './event-targets';

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

type Template = { Resources: Record<string, { Type?: string; Properties?: Record<string, unknown> }> };

/** RetryPolicy's ranges (API reference: MaximumRetryAttempts, MaximumEventAgeInSeconds). */
const RETRY_LIMITS = { attempts: [0, 185], ageSeconds: [60, 86_400] } as const;
const EVENTS_PRINCIPAL = 'events.amazonaws.com';

/** The bus rules of a stack: what `LocalEventBus.addRule` takes, each target bound to its local function (or to none). */
export function busRulesOf(model: StackModel, context: CfnValueContext, functions: LocalTargetFunction[]): BusRule[] {
  const scopes = templateScopes(model, context);
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

/** One template of the stack (the root, or a workflow's nested stack) with the values its intrinsics resolve against. */
interface TemplateScope {
  template: Template;
  context: CfnValueContext;
}

/**
 * The root template in the local stack's values, and each workflow's nested template in its own: its
 * parameters are what the root's AWS::CloudFormation::Stack resource passes, its conditions evaluated over
 * them, its resources its own (every nested template has an `EventRule`). A parameter the local stack cannot
 * know is left out, so only a rule that uses it fails, and loudly.
 */
function templateScopes(model: StackModel, context: CfnValueContext): TemplateScope[] {
  const rootTemplate = model.resources as Template;
  const root: TemplateScope = { template: rootTemplate, context: withRuleValues(rootTemplate, context) };
  const nested = (model.workflowStacks ?? []).map((stack): TemplateScope => {
    const passed = ((model.resources.Resources[stack.logicalId] as { Properties?: { Parameters?: Record<string, unknown> } } | undefined)?.Properties?.Parameters ?? {}) as Record<string, unknown>;
    const parameters: Record<string, string> = {};
    for (const [name, value] of Object.entries(passed)) {
      try {
        parameters[name] = resolveCfn<string>(value, root.context);
      } catch (error) {
        if (!(error instanceof CfnValueError)) throw error;
      }
    }
    const own: CfnValueContext = { ...context, stackName: `${context.stackName ?? 'a2i-local'}-${stack.logicalId}`, parameters, resources: {} };
    const template = stack.template as Template & { Conditions?: Record<string, unknown> };
    return { template, context: withRuleValues(template, { ...own, conditions: evaluateConditions(template.Conditions, own) }) };
  });
  return [root, ...nested];
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

/**
 * The values of the local stack that the rules and their permissions refer to: the functions and the events
 * DLQ. Only these: lib/local/stack-values (the local stack's whole table) replaces this function when it lands.
 */
export function localRuleValues(values: { region: string; account: string; stackName: string; functions: LocalTargetFunction[]; eventsDlqArn: string }): CfnValueContext {
  const resources: Record<string, LocalResourceValue> = {};
  for (const fn of values.functions) resources[functionLogicalId(fn.key)] = { ref: fn.name, attributes: { Arn: fn.arn } };
  resources.EventsDlq = { ref: values.eventsDlqArn, attributes: { Arn: values.eventsDlqArn, QueueName: values.eventsDlqArn.split(':').pop() as string } };
  // The stack's parameters as local mode runs it: no KMS key, no alarm topic, no default work team.
  const parameters = { KmsKeyArn: '', AlarmTopicArn: '', WorkteamArn: '' };
  return { region: values.region, account: values.account, stackName: values.stackName, resources, parameters, conditions: { HasKmsKey: false, HasAlarmTopic: false } };
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

function resourcesOfType(template: Template, type: string): [string, Template['Resources'][string]][] {
  return Object.entries(template.Resources).filter(([, resource]) => resource?.Type === type);
}

/** The target's Input, InputPath and InputTransformer, as given (EventBridge refuses more than one). */
function targetInput({ Input, InputPath, InputTransformer }: StackRuleTarget): TargetInputSettings {
  return { ...(Input !== undefined ? { Input } : {}), ...(InputPath !== undefined ? { InputPath } : {}), ...(InputTransformer !== undefined ? { InputTransformer } : {}) };
}

import type { StackModel } from '../deploy/stack-model';
import { type CfnValueContext, CfnValueError, evaluateConditions, resolveCfn } from './cfn-values';

/** A template as the stack model writes one: resources by logical id (and the conditions over its parameters). */
export type Template = { Resources: Record<string, { Type?: string; Properties?: Record<string, unknown> }>; Conditions?: Record<string, unknown> };

/** One template of the stack (the root, or a workflow's nested stack) with the values its intrinsics resolve against. */
export interface TemplateScope {
  template: Template;
  context: CfnValueContext;
}

/**
 * The root template in the local stack's values, and each workflow's nested template in its own, as
 * CloudFormation evaluates them: a nested template's parameters are what the root's AWS::CloudFormation::Stack
 * resource passes, its conditions are evaluated over them, and its resources are its own (every workflow's
 * template has an `EventRule`, a `FlowDefinition`). A parameter the local stack cannot know is left out, so
 * only what uses it fails, and loudly.
 */
export function templateScopes(model: StackModel, context: CfnValueContext): TemplateScope[] {
  const root: TemplateScope = { template: model.resources as Template, context };
  const nested = (model.workflowStacks ?? []).map((stack): TemplateScope => {
    const passed = (model.resources.Resources[stack.logicalId] as { Properties?: { Parameters?: Record<string, unknown> } } | undefined)?.Properties?.Parameters ?? {};
    const parameters: Record<string, string> = {};
    for (const [name, value] of Object.entries(passed)) {
      try {
        parameters[name] = resolveCfn<string>(value, context);
      } catch (error) {
        if (!(error instanceof CfnValueError)) throw error;
      }
    }
    const own: CfnValueContext = { ...context, stackName: `${context.stackName ?? 'a2i-local'}-${stack.logicalId}`, parameters, resources: {} };
    const template = stack.template as Template;
    return { template, context: { ...own, conditions: evaluateConditions(template.Conditions, own) } };
  });
  return [root, ...nested];
}

/** The resources of one type in a template. */
export function resourcesOfType(template: Template, type: string): [string, Template['Resources'][string]][] {
  return Object.entries(template.Resources).filter(([, resource]) => resource?.Type === type);
}

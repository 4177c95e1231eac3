import type { FlowSpec, Workflow } from '../workflow/types';
import { flowTargetOfProperties, type FlowResourceProperties } from './custom-resource';
import { desiredFlow } from './flow-plan';

/**
 * A workflow's flow definition as the stack makes it: the custom resource's properties, built by one function
 * for CloudFormation (values are intrinsics) and for the functions and local mode (values are the resolved
 * strings). The flow definition's name is `<stage>-<workflow>-<hash of everything it is made of>`, and some of
 * that (the A2I role, the output bucket, the work team and key parameters) is known only once the stack
 * exists: the functions compute the name from the same properties, resolved from their environment, with the
 * code the custom resource names it with. So no ARN per workflow travels in an environment.
 */

/** The stack's values a flow definition is made with; `V` is a CloudFormation value or a string. */
export interface StackFlowValues<V> {
  /** The stage: names are `<namePrefix>-<workflow>-<hash>`. */
  namePrefix: string;
  roleArn: V;
  /** For specs that name no work team (the stack's WorkteamArn parameter; may be empty). */
  workteamArn: V;
  /** For specs that name no output path: where the workflow's output.json files go. */
  outputPath(workflow: string): V;
  /** For specs that name no key: the stack's key, or nothing. */
  kmsKeyId: V | undefined;
}

/** The Custom::A2iFlowDefinition properties of a workflow with a flow spec. */
export function flowResourceProperties<V>(definition: Workflow, template: string, values: StackFlowValues<V>): Record<keyof FlowResourceProperties, V | string | undefined> {
  const spec = definition.flowDefinition as FlowSpec;
  return {
    // Names are <stage>-<workflow>-<hash>: the flow-resources role may touch this stage's A2I resources only.
    NamePrefix: values.namePrefix,
    Workflow: definition.name,
    // The template's content (not its path): a changed template is a changed resource.
    Template: template,
    Spec: JSON.stringify({ ...spec, templateFile: undefined, template: undefined }),
    RoleArn: values.roleArn,
    WorkteamArn: spec.workteamArn ?? values.workteamArn,
    OutputPath: spec.outputPath ?? values.outputPath(definition.name),
    KmsKeyId: spec.kmsKeyId ?? values.kmsKeyId,
    Description: undefined,
  };
}

/** The name the custom resource gives a workflow's current flow definition, from the resolved stack values. */
export function stackFlowDefinitionName(definition: Workflow, template: string, values: StackFlowValues<string>): string {
  const properties = flowResourceProperties(definition, template, values);
  const given = Object.fromEntries(Object.entries(properties).filter(([, value]) => value !== undefined)) as Record<string, unknown>;
  return desiredFlow(flowTargetOfProperties(given)).name;
}

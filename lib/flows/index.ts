export { type FlowApi, type FlowDefinitionState, type HumanTaskUiState, sageMakerFlowApi } from './api';
export { type CustomResourceEvent, type CustomResourceResponse, type FlowResourceDeps, type FlowResourceProperties, flowDefinitionNameOf, handleFlowResourceEvent, putResponse, type ResponseSender } from './custom-resource';
export { FlowDefinitionFailedError, FlowDefinitionInUseError, FlowDefinitionTimeoutError, FlowSpecError } from './errors';
export {
  apply,
  type ApplyOptions,
  type CurrentState,
  deleteFlow,
  describeAction,
  type DesiredFlow,
  desiredFlow,
  type FlowAction,
  type FlowDefaults,
  type FlowPlan,
  type FlowResources,
  type FlowTarget,
  flowTargetOf,
  isVersionOf,
  plan,
  readState,
  waitForActive,
} from './flow-plan';
export { activationConfigIssues, type FlowIssue, type FlowSettings, flowSettingsIssues, validTaskPrices } from './validate';

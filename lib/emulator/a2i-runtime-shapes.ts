import type { StringShape, StructureShape } from './constraints';

/** Request shapes of sagemaker-a2i-runtime 2019-11-07, transcribed from botocore's service-2.json. */

export const HUMAN_LOOP_NAME: StringShape = { type: 'string', min: 1, max: 63, pattern: '^[a-z0-9](-*[a-z0-9])*$' };
export const FLOW_DEFINITION_ARN: StringShape = { type: 'string', max: 1024, pattern: 'arn:aws[a-z\\-]*:sagemaker:[a-z0-9\\-]*:[0-9]{12}:flow-definition/.*' };
export const INPUT_CONTENT_MAX_CHARS = 3_145_728;
export const CONTENT_CLASSIFIERS = ['FreeOfPersonallyIdentifiableInformation', 'FreeOfAdultContent'] as const;
export const SORT_ORDERS = ['Ascending', 'Descending'] as const;

export const START_HUMAN_LOOP_REQUEST: StructureShape = {
  type: 'structure',
  required: ['HumanLoopName', 'FlowDefinitionArn', 'HumanLoopInput'],
  members: {
    HumanLoopName: HUMAN_LOOP_NAME,
    FlowDefinitionArn: FLOW_DEFINITION_ARN,
    HumanLoopInput: {
      type: 'structure',
      required: ['InputContent'],
      members: { InputContent: { type: 'string', max: INPUT_CONTENT_MAX_CHARS } },
    },
    DataAttributes: {
      type: 'structure',
      required: ['ContentClassifiers'],
      members: { ContentClassifiers: { type: 'list', max: 256, member: { type: 'string', enum: CONTENT_CLASSIFIERS } } },
    },
  },
};

/** DescribeHumanLoop, DeleteHumanLoop (URI label) and StopHumanLoop (body). */
export const HUMAN_LOOP_NAME_REQUEST: StructureShape = { type: 'structure', required: ['HumanLoopName'], members: { HumanLoopName: HUMAN_LOOP_NAME } };

export const LIST_HUMAN_LOOPS_REQUEST: StructureShape = {
  type: 'structure',
  required: ['FlowDefinitionArn'],
  members: {
    CreationTimeAfter: { type: 'timestamp' },
    CreationTimeBefore: { type: 'timestamp' },
    FlowDefinitionArn: FLOW_DEFINITION_ARN,
    SortOrder: { type: 'string', enum: SORT_ORDERS },
    NextToken: { type: 'string', max: 8192 },
    MaxResults: { type: 'integer', min: 1, max: 100 },
  },
};

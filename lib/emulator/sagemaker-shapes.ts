import type { ListShape, StringShape, StructureShape } from './constraints';

/**
 * Request shapes of the SageMaker (2017-07-24) operations the emulator serves, transcribed from botocore's
 * service-2.json. Model patterns are matched against the whole value.
 */

const HUMAN_TASK_UI_NAME: StringShape = { type: 'string', min: 1, max: 63, pattern: '[a-z0-9](-*[a-z0-9])*' };
const HUMAN_TASK_UI_ARN: StringShape = { type: 'string', min: 0, max: 1024, pattern: 'arn:aws[a-z\\-]*:sagemaker:[a-z0-9\\-]+:[0-9]{12}:human-task-ui/.*' };
const FLOW_DEFINITION_NAME: StringShape = { type: 'string', min: 1, max: 63, pattern: '[a-z0-9](-*[a-z0-9]){0,62}' };
const SORT_ORDER: StringShape = { type: 'string', enum: ['Ascending', 'Descending'] };

const TAGS: ListShape = {
  type: 'list',
  min: 0,
  max: 50,
  member: {
    type: 'structure',
    required: ['Key', 'Value'],
    members: { Key: { type: 'string', min: 1, max: 128 }, Value: { type: 'string', min: 0, max: 256 } },
  },
};

const LIST_REQUEST: StructureShape = {
  type: 'structure',
  members: {
    CreationTimeAfter: { type: 'timestamp' },
    CreationTimeBefore: { type: 'timestamp' },
    SortOrder: SORT_ORDER,
    NextToken: { type: 'string', min: 0, max: 8192 },
    MaxResults: { type: 'integer', min: 1, max: 100 },
  },
};

export const AWS_MANAGED_REQUEST_SOURCES = ['AWS/Rekognition/DetectModerationLabels/Image/V3', 'AWS/Textract/AnalyzeDocument/Forms/V1'] as const;

export const CREATE_HUMAN_TASK_UI_REQUEST: StructureShape = {
  type: 'structure',
  required: ['HumanTaskUiName', 'UiTemplate'],
  members: {
    HumanTaskUiName: HUMAN_TASK_UI_NAME,
    UiTemplate: { type: 'structure', required: ['Content'], members: { Content: { type: 'string', min: 1, max: 128000 } } },
    Tags: TAGS,
  },
};
export const HUMAN_TASK_UI_NAME_REQUEST: StructureShape = { type: 'structure', required: ['HumanTaskUiName'], members: { HumanTaskUiName: HUMAN_TASK_UI_NAME } };
export const LIST_HUMAN_TASK_UIS_REQUEST = LIST_REQUEST;

export const CREATE_FLOW_DEFINITION_REQUEST: StructureShape = {
  type: 'structure',
  required: ['FlowDefinitionName', 'OutputConfig', 'RoleArn'],
  members: {
    FlowDefinitionName: FLOW_DEFINITION_NAME,
    HumanLoopRequestSource: {
      type: 'structure',
      required: ['AwsManagedHumanLoopRequestSource'],
      members: { AwsManagedHumanLoopRequestSource: { type: 'string', enum: AWS_MANAGED_REQUEST_SOURCES } },
    },
    HumanLoopActivationConfig: {
      type: 'structure',
      required: ['HumanLoopActivationConditionsConfig'],
      members: {
        HumanLoopActivationConditionsConfig: {
          type: 'structure',
          required: ['HumanLoopActivationConditions'],
          // A JSON document carried as a string (`jsonvalue`).
          members: { HumanLoopActivationConditions: { type: 'string', min: 0, max: 10240 } },
        },
      },
    },
    HumanLoopConfig: {
      type: 'structure',
      required: ['WorkteamArn', 'HumanTaskUiArn', 'TaskTitle', 'TaskDescription', 'TaskCount'],
      members: {
        WorkteamArn: { type: 'string', min: 0, max: 256, pattern: 'arn:aws[a-z\\-]*:sagemaker:[a-z0-9\\-]*:[0-9]{12}:workteam/.*' },
        HumanTaskUiArn: HUMAN_TASK_UI_ARN,
        TaskTitle: { type: 'string', min: 1, max: 128, pattern: '[\\t\\n\\r -\\uD7FF\\uE000-\\uFFFD]*' },
        TaskDescription: { type: 'string', min: 1, max: 255, pattern: '.+' },
        TaskCount: { type: 'integer', min: 1, max: 3 },
        TaskAvailabilityLifetimeInSeconds: { type: 'integer', min: 1 },
        TaskTimeLimitInSeconds: { type: 'integer', min: 30 },
        TaskKeywords: { type: 'list', min: 1, max: 5, member: { type: 'string', min: 1, max: 30, pattern: '[A-Za-z0-9]+( [A-Za-z0-9]+)*' } },
        PublicWorkforceTaskPrice: {
          type: 'structure',
          members: {
            AmountInUsd: {
              type: 'structure',
              members: {
                Dollars: { type: 'integer', min: 0, max: 2 },
                Cents: { type: 'integer', min: 0, max: 99 },
                TenthFractionsOfACent: { type: 'integer', min: 0, max: 9 },
              },
            },
          },
        },
      },
    },
    OutputConfig: {
      type: 'structure',
      required: ['S3OutputPath'],
      members: {
        S3OutputPath: { type: 'string', min: 0, max: 1024, pattern: '(https|s3)://([^/]+)/?(.*)' },
        KmsKeyId: { type: 'string', min: 0, max: 2048, pattern: '[a-zA-Z0-9:/_-]*' },
      },
    },
    RoleArn: { type: 'string', min: 20, max: 2048, pattern: 'arn:aws[a-z\\-]*:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+' },
    Tags: TAGS,
  },
};
export const FLOW_DEFINITION_NAME_REQUEST: StructureShape = { type: 'structure', required: ['FlowDefinitionName'], members: { FlowDefinitionName: FLOW_DEFINITION_NAME } };
export const LIST_FLOW_DEFINITIONS_REQUEST = LIST_REQUEST;

const WORKTEAM_NAME: StringShape = { type: 'string', min: 1, max: 63, pattern: '[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}' };
/**
 * The model's CognitoUserGroup and Group patterns (`[\p{L}\p{M}\p{S}\p{N}\p{P}]+`) need Unicode property
 * escapes, which the validator's non-`u` RegExp does not have, so those two are checked for length only.
 */
const MEMBER_DEFINITIONS: ListShape = {
  type: 'list',
  min: 1,
  max: 10,
  member: {
    type: 'structure',
    members: {
      CognitoMemberDefinition: {
        type: 'structure',
        required: ['UserPool', 'UserGroup', 'ClientId'],
        members: {
          UserPool: { type: 'string', min: 1, max: 55, pattern: '[\\w-]+_[0-9a-zA-Z]+' },
          UserGroup: { type: 'string', min: 1, max: 128 },
          ClientId: { type: 'string', min: 1, max: 1024, pattern: '[ -~]+' },
        },
      },
      OidcMemberDefinition: {
        type: 'structure',
        members: { Groups: { type: 'list', min: 1, max: 10, member: { type: 'string', min: 1, max: 63 } } },
      },
    },
  },
};
const ENABLED_OR_DISABLED: StringShape = { type: 'string', enum: ['Enabled', 'Disabled'] };

export const WORKTEAM_NAME_REQUEST: StructureShape = { type: 'structure', required: ['WorkteamName'], members: { WorkteamName: WORKTEAM_NAME } };
export const UPDATE_WORKTEAM_REQUEST: StructureShape = {
  type: 'structure',
  required: ['WorkteamName'],
  members: {
    WorkteamName: WORKTEAM_NAME,
    MemberDefinitions: MEMBER_DEFINITIONS,
    Description: { type: 'string', min: 1, max: 200, pattern: '.+' },
    NotificationConfiguration: {
      type: 'structure',
      // The model's pattern (botocore 1.43): the topic name part is `*`, so an empty name passes it.
      members: { NotificationTopicArn: { type: 'string', pattern: 'arn:aws[a-z\\-]*:sns:[a-z0-9\\-]*:[0-9]{12}:[a-zA-Z0-9_.-]*' } },
    },
    WorkerAccessConfiguration: {
      type: 'structure',
      members: {
        S3Presign: {
          type: 'structure',
          members: { IamPolicyConstraints: { type: 'structure', members: { SourceIp: ENABLED_OR_DISABLED, VpcSourceIp: ENABLED_OR_DISABLED } } },
        },
      },
    },
  },
};

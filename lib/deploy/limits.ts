/**
 * The AWS limits a stage's templates are held to when they are packaged (plugins/workflow-stacks.js) and in
 * test/deploy/scale.integration.test.ts. Each is AWS's documented value; the doc is named beside it.
 */

/**
 * CloudFormation, "Understand CloudFormation quotas"
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html): per template
 * 500 resources, 200 outputs, 200 parameters, 200 mappings; a template body in S3 (`TemplateURL`) of at most
 * 1 MB (CreateStack/CreateChangeSet API reference, TemplateURL: "max size: 1 MB"), counted here as 1,000,000
 * bytes to stay on the safe side of either reading of "MB"; a parameter value of at most 4,096 bytes.
 */
export const CFN_MAX_RESOURCES = 500;
export const CFN_MAX_OUTPUTS = 200;
export const CFN_MAX_PARAMETERS = 200;
export const CFN_MAX_MAPPINGS = 200;
export const CFN_MAX_TEMPLATE_BYTES = 1_000_000;
export const CFN_MAX_PARAMETER_VALUE_BYTES = 4_096;

/**
 * Lambda quotas (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html): "Function
 * environment variables: 4 KB, for all environment variables associated with the function, in aggregate";
 * "Function resource-based policy: 20 KB".
 */
export const LAMBDA_MAX_ENVIRONMENT_BYTES = 4_096;
export const LAMBDA_MAX_RESOURCE_POLICY_BYTES = 20_480;

/**
 * IAM and AWS STS quotas (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html):
 * "Role policy size cannot exceed 10,240 characters" for the aggregate of a role's inline policies; "IAM
 * doesn't count white space when calculating the size of a policy".
 */
export const IAM_MAX_ROLE_INLINE_POLICY_CHARS = 10_240;

/**
 * Amazon EventBridge quotas (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html): rules,
 * 300 per event bus (adjustable); event pattern size, "Maximum size of an event pattern, in characters": 2,048
 * (adjustable).
 */
export const EVENTBRIDGE_MAX_RULES_PER_BUS = 300;
export const EVENTBRIDGE_MAX_PATTERN_CHARS = 2_048;

/**
 * Amazon S3 service quotas (https://docs.aws.amazon.com/general/latest/gr/s3.html, to which
 * PutBucketNotificationConfiguration refers "for more information about the number of event notification
 * configurations that you can create per bucket"): 100 event notification configurations per bucket.
 */
export const S3_MAX_NOTIFICATION_CONFIGURATIONS = 100;

/**
 * CloudWatch: a DashboardBody holds "between 0 and 500 widget objects" (Dashboard Body Structure and Syntax,
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html);
 * CloudWatch service quotas (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_limits.html):
 * up to 500 widgets per dashboard, 500 metrics per widget and 2,500 metrics per dashboard.
 */
export const DASHBOARD_MAX_WIDGETS = 500;
export const DASHBOARD_MAX_METRICS_PER_WIDGET = 500;
export const DASHBOARD_MAX_METRICS = 2_500;

/**
 * What the stack's pseudo parameters can be at most when CloudFormation resolves them: the longest partition
 * (`aws-iso-b`, `aws-us-gov` are 9–10), a region name of 15 (`ap-southeast-5` is 14), a 12-digit account.
 * Sizes counted with these are upper bounds of what AWS counts after deployment.
 */
export const LONGEST_PSEUDO_PARAMETERS: Record<string, string> = {
  'AWS::Partition': 'aws-xxxxxxx',
  'AWS::Region': 'xx-xxxxxxxxx-99',
  'AWS::AccountId': '123456789012',
  'AWS::URLSuffix': 'amazonaws.com.cn',
  'AWS::StackName': 'x'.repeat(128),
};

import { ConditionDocumentError, compileConditions } from '../conditions';

/**
 * The constraints CreateHumanTaskUi, CreateFlowDefinition and UpdateWorkteam document (botocore's
 * sagemaker 2017-07-24 service model, the API reference pages), checked before any call so that a stack
 * or `flows apply` fails with every problem at once, located, instead of one ValidationException at a time.
 */

/** One problem, at a location such as `flowDefinition.taskCount` or `Template`. */
export interface FlowIssue {
  location: string;
  message: string;
}

export const FLOW_NAME_PATTERN = /^[a-z0-9](-*[a-z0-9])*$/;
export const FLOW_NAME_MAX = 63;
export const HUMAN_LOOP_REQUEST_SOURCES = ['AWS/Rekognition/DetectModerationLabels/Image/V3', 'AWS/Textract/AnalyzeDocument/Forms/V1'] as const;
/** HumanLoopActivationConditions: a JSON document of at most 10,240 characters. */
export const MAX_ACTIVATION_CONDITIONS_CHARS = 10240;
export const MAX_TEMPLATE_CHARS = 128000;

export const ROLE_ARN_PATTERN = /^arn:aws[a-z-]*:iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/;
export const WORKTEAM_ARN_PATTERN = /^arn:aws[a-z-]*:sagemaker:[a-z0-9-]*:[0-9]{12}:workteam\/.*$/;
export const SNS_TOPIC_ARN_PATTERN = /^arn:aws[a-z-]*:sns:[a-z0-9-]*:[0-9]{12}:[a-zA-Z0-9_.-]*$/;
export const KMS_KEY_ID_PATTERN = /^[a-zA-Z0-9:/_-]*$/;
/** The model's S3Uri admits https:// too; A2I writes output.json to S3 and needs an s3:// URI. */
export const S3_OUTPUT_PATH_PATTERN = /^s3:\/\/([^/]+)\/?(.*)$/;
const TASK_TITLE_PATTERN = /^[\t\n\r -\uD7FF\uE000-\uFFFD]*$/;
const TASK_KEYWORD_PATTERN = /^[A-Za-z0-9]+( [A-Za-z0-9]+)*$/;
const TAG_KEY_PATTERN = /^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$/u;
/** The public workforce (Amazon Mechanical Turk): `arn:aws:sagemaker:<region>:394669845002:workteam/public-crowd/default`. */
export const isPublicWorkteam = (arn: string): boolean => /:workteam\/public-crowd\//.test(arn);

/**
 * PublicWorkforceTaskPrice: "Use one of the following prices", per task kind, in USD, from
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_PublicWorkforceTaskPrice.html
 * (custom tasks, which this project's worker templates are, and the Rekognition DetectModerationLabels
 * integration: 0.012 … 1.200; the Textract AnalyzeDocument forms integration: 0.012 … 2.400).
 * Kept in tenths of a cent, the API's smallest unit.
 */
const CUSTOM_TASK_PRICES = [12, 24, 36, 48, 60, 72, 120, 240, 360, 480, 600, 720, 840, 960, 1080, 1200];
const TEXTRACT_TASK_PRICES = [...CUSTOM_TASK_PRICES, 1320, 1440, 1560, 1680, 1800, 1920, 2040, 2160, 2280, 2400];
export function validTaskPrices(requestSource?: string): number[] {
  return requestSource === 'AWS/Textract/AnalyzeDocument/Forms/V1' ? TEXTRACT_TASK_PRICES : CUSTOM_TASK_PRICES;
}

export interface UsdAmount {
  dollars?: number;
  cents?: number;
  tenthFractionsOfACent?: number;
}
export const tenthsOfACent = (amount: UsdAmount): number => (amount.dollars ?? 0) * 1000 + (amount.cents ?? 0) * 10 + (amount.tenthFractionsOfACent ?? 0);
const formatUsd = (tenths: number): string => (tenths / 1000).toFixed(3);

/** The flow spec's keys as written in a workflow file (camelCase), with the stack's defaults merged in. */
export interface FlowSettings {
  workteamArn?: string;
  taskTitle?: string;
  taskDescription?: string;
  taskCount?: number;
  taskTimeLimitInSeconds?: number;
  taskAvailabilityLifetimeInSeconds?: number;
  taskKeywords?: string[];
  publicWorkforceTaskPrice?: { amountInUsd?: UsdAmount };
  outputPath?: string;
  kmsKeyId?: string;
  tags?: Record<string, string>;
  humanLoopRequestSource?: string;
  humanLoopActivationConfig?: unknown;
  notificationTopicArn?: string;
}

/** Every documented constraint on a flow spec (plus the role and names it is created with). `at` prefixes locations. */
export function flowSettingsIssues(settings: FlowSettings, at = 'flowDefinition'): FlowIssue[] {
  const issues: FlowIssue[] = [];
  const add = (key: string, message: string): void => {
    issues.push({ location: `${at}.${key}`, message });
  };
  const text = (key: keyof FlowSettings, value: unknown, min: number, max: number, pattern?: RegExp, required = false): void => {
    if (value === undefined) {
      if (required) add(key, 'is required');
      return;
    }
    if (typeof value !== 'string') return add(key, 'must be a string');
    if (value.length < min || value.length > max) add(key, min === max ? `must be ${min} characters` : `must be ${min}–${max} characters long (is ${value.length})`);
    if (pattern && !pattern.test(value)) add(key, `must match ${pattern.source}`);
  };
  const integer = (key: keyof FlowSettings, value: unknown, min: number, max: number): void => {
    if (value === undefined) return;
    if (typeof value !== 'number' || !Number.isInteger(value)) return add(key, 'must be an integer');
    if (value < min || value > max) add(key, `must be between ${min} and ${max} (is ${value})`);
  };

  text('workteamArn', settings.workteamArn, 1, 256, WORKTEAM_ARN_PATTERN, true);
  text('taskTitle', settings.taskTitle, 1, 128, TASK_TITLE_PATTERN, true);
  text('taskDescription', settings.taskDescription, 1, 255, /^.+$/s, true);
  integer('taskCount', settings.taskCount, 1, 3);
  integer('taskTimeLimitInSeconds', settings.taskTimeLimitInSeconds, 30, 28800);
  const publicWorkforce = typeof settings.workteamArn === 'string' && isPublicWorkteam(settings.workteamArn);
  // A2I: 60 s to 10 days for private and vendor work teams; at most 12 hours on the public workforce.
  integer('taskAvailabilityLifetimeInSeconds', settings.taskAvailabilityLifetimeInSeconds, 60, publicWorkforce ? 43200 : 864000);
  if (settings.taskKeywords !== undefined) {
    if (!Array.isArray(settings.taskKeywords) || settings.taskKeywords.length < 1 || settings.taskKeywords.length > 5) add('taskKeywords', 'must be a list of 1–5 keywords');
    else settings.taskKeywords.forEach((keyword, index) => text(`taskKeywords[${index}]` as keyof FlowSettings, keyword, 1, 30, TASK_KEYWORD_PATTERN));
  }
  const price = settings.publicWorkforceTaskPrice;
  if (price !== undefined) {
    const amount = price.amountInUsd ?? {};
    integer('publicWorkforceTaskPrice.amountInUsd.dollars' as keyof FlowSettings, amount.dollars, 0, 2);
    integer('publicWorkforceTaskPrice.amountInUsd.cents' as keyof FlowSettings, amount.cents, 0, 99);
    integer('publicWorkforceTaskPrice.amountInUsd.tenthFractionsOfACent' as keyof FlowSettings, amount.tenthFractionsOfACent, 0, 9);
    const tenths = tenthsOfACent(amount);
    const allowed = validTaskPrices(settings.humanLoopRequestSource);
    if (!allowed.includes(tenths)) {
      const kind = settings.humanLoopRequestSource ?? 'custom tasks';
      add('publicWorkforceTaskPrice', `USD ${formatUsd(tenths)} is not a documented price for ${kind}; use one of ${allowed.map(formatUsd).join(', ')}`);
    }
  }
  text('outputPath', settings.outputPath, 1, 1024, S3_OUTPUT_PATH_PATTERN, true);
  text('kmsKeyId', settings.kmsKeyId, 1, 2048, KMS_KEY_ID_PATTERN);
  if (settings.tags !== undefined) {
    const entries = Object.entries(settings.tags);
    if (entries.length > 50) add('tags', `at most 50 tags (has ${entries.length})`);
    for (const [key, value] of entries) {
      if (key.length < 1 || key.length > 128 || !TAG_KEY_PATTERN.test(key)) add(`tags.${key}`, 'tag keys are 1–128 letters, digits, spaces and _ . : / = + - @');
      if (key.toLowerCase().startsWith('aws:')) add(`tags.${key}`, 'the aws: prefix is reserved for AWS');
      if (typeof value !== 'string' || value.length > 256 || !TAG_KEY_PATTERN.test(value)) add(`tags.${key}`, 'tag values are at most 256 letters, digits, spaces and _ . : / = + - @');
    }
  }
  if (settings.humanLoopRequestSource !== undefined && !(HUMAN_LOOP_REQUEST_SOURCES as readonly unknown[]).includes(settings.humanLoopRequestSource)) {
    add('humanLoopRequestSource', `must be one of ${HUMAN_LOOP_REQUEST_SOURCES.join(', ')}`);
  }
  issues.push(...activationConfigIssues(settings, at));
  if (settings.notificationTopicArn !== undefined) {
    text('notificationTopicArn', settings.notificationTopicArn, 1, 2048, SNS_TOPIC_ARN_PATTERN);
    if (publicWorkforce) add('notificationTopicArn', 'notifications are for private work teams only');
  }
  return issues;
}

/**
 * humanLoopActivationConfig as A2I checks it: only with a request source, at most 10,240 characters as
 * JSON, and a valid conditions document (our own compiler, which knows the Textract and Rekognition types).
 */
export function activationConfigIssues(settings: Pick<FlowSettings, 'humanLoopRequestSource' | 'humanLoopActivationConfig'>, at = 'flowDefinition'): FlowIssue[] {
  const document = settings.humanLoopActivationConfig;
  if (document === undefined) return [];
  const location = `${at}.humanLoopActivationConfig`;
  const issues: FlowIssue[] = [];
  if (settings.humanLoopRequestSource === undefined) {
    issues.push({ location, message: 'activation conditions are for A2I built-in integrations only: set humanLoopRequestSource too' });
  }
  const json = JSON.stringify(document);
  if (json.length > MAX_ACTIVATION_CONDITIONS_CHARS) {
    issues.push({ location, message: `is ${json.length} characters as JSON; A2I accepts at most ${MAX_ACTIVATION_CONDITIONS_CHARS}` });
  }
  try {
    compileConditions(document);
  } catch (error) {
    if (!(error instanceof ConditionDocumentError)) throw error;
    for (const issue of error.issues) issues.push({ location: issue.location === '(document)' ? location : `${location}.${issue.location}`, message: issue.message });
  }
  return issues;
}

/** The names CreateHumanTaskUi and CreateFlowDefinition accept. */
export function resourceNameIssues(name: string, location: string): FlowIssue[] {
  const issues: FlowIssue[] = [];
  if (name.length < 1 || name.length > FLOW_NAME_MAX) issues.push({ location, message: `name "${name}" is ${name.length} characters; at most ${FLOW_NAME_MAX}` });
  if (!FLOW_NAME_PATTERN.test(name)) issues.push({ location, message: `name "${name}" must match ${FLOW_NAME_PATTERN.source} (lower-case letters, digits and hyphens)` });
  return issues;
}

export function roleArnIssues(roleArn: unknown, location = 'roleArn'): FlowIssue[] {
  if (typeof roleArn !== 'string' || roleArn.length < 20 || roleArn.length > 2048 || !ROLE_ARN_PATTERN.test(roleArn)) {
    return [{ location, message: `must be an IAM role ARN (arn:aws:iam::<account>:role/<name>), got ${JSON.stringify(roleArn)}` }];
  }
  return [];
}

export function templateIssues(content: unknown, location = 'template'): FlowIssue[] {
  if (typeof content !== 'string' || content.length === 0) return [{ location, message: 'the worker template is empty' }];
  if (content.length > MAX_TEMPLATE_CHARS) return [{ location, message: `the worker template is ${content.length} characters; CreateHumanTaskUi accepts at most ${MAX_TEMPLATE_CHARS}` }];
  return [];
}

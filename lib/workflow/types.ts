/** A workflow file after validation, with every default filled in. See schemas/workflow.schema.json. */
export interface Workflow {
  name: string;
  description?: string;
  /** The file it was loaded from (for messages only). */
  file: string;
  source: S3Source | EventBridgeSource;
  format?: RecordFormat;
  records?: string;
  recordId?: string;
  /** `readAccess`: S3 locations the template opens with grant_read_access, which A2I's role is allowed to read. */
  input: { projection: string; oversize: 'invalid' | 'reference'; readAccess?: string[] };
  activation: unknown;
  /** What becomes of a record on which a condition cannot be evaluated: `invalid` (ConditionError), or `review` by a person. */
  onConditionError: 'invalid' | 'review';
  /** A record whose object repeats a key: `invalid` (DuplicateKey), or `last-wins` as JSON.parse reads it. */
  duplicateKeys: 'invalid' | 'last-wins';
  contentClassifiers: ContentClassifier[];
  flowDefinition: ExistingFlowDefinition | FlowSpec;
  consolidation: { strategy: ConsolidationStrategy; fields?: string[] };
  queues: Record<string, { fifo: boolean }>;
  routes: Route[];
  autoAccepted: Destination;
  failures: Destination;
  invalid: Destination;
  tracking: { initialPollSeconds: number; maxPollSeconds: number; timeoutSeconds: number };
  /** maxRecordsPerObject / maxObjectBytes: caps per object (lib/ingest/object-records.ts has the defaults). */
  ingest: { maxStartsPerSecond: number; maxRecordsPerObject?: number; maxObjectBytes?: number };
}

export type RecordFormat = 'json' | 'jsonl';
export type ContentClassifier = 'FreeOfPersonallyIdentifiableInformation' | 'FreeOfAdultContent';
export type ConsolidationStrategy = 'first' | 'majority' | 'unanimous' | 'all';

export interface S3Source {
  /** `reupload`: what a new version of a key does to the reviews of the earlier one (lib/ingest/reuploads.ts). */
  s3: { bucket?: string; prefix: string; suffix: string[]; reupload: 'supersede' | 'separate' };
}

export interface EventBridgeSource {
  eventBridge: { pattern: Record<string, unknown>; record: string; eventBusName: string };
}

export interface ExistingFlowDefinition {
  arn: string;
}

export interface FlowSpec {
  /** As written, relative to the workflow file. */
  template: string;
  /** Resolved absolute path of the worker template. */
  templateFile: string;
  workteamArn?: string;
  taskTitle?: string;
  taskDescription?: string;
  taskCount: number;
  taskTimeLimitInSeconds: number;
  taskAvailabilityLifetimeInSeconds: number;
  taskKeywords?: string[];
  publicWorkforceTaskPrice?: { amountInUsd: { dollars?: number; cents?: number; tenthFractionsOfACent?: number } };
  outputPath?: string;
  kmsKeyId?: string;
  tags?: Record<string, string>;
  /** A2I's built-in integrations only: the service that starts the loops. */
  humanLoopRequestSource?: HumanLoopRequestSource;
  /** A2I's activation conditions document for a built-in integration; only with humanLoopRequestSource. */
  humanLoopActivationConfig?: Record<string, unknown>;
  /** SNS topic for the private work team's task notifications. */
  notificationTopicArn?: string;
}

export type HumanLoopRequestSource = 'AWS/Rekognition/DetectModerationLabels/Image/V3' | 'AWS/Textract/AnalyzeDocument/Forms/V1';

export interface Route {
  when?: string;
  queue: string;
}

export interface Destination {
  queue: string;
}

export const isS3Source = (source: Workflow['source']): source is S3Source => 's3' in source;
export const isFlowSpec = (flow: Workflow['flowDefinition']): flow is FlowSpec => 'template' in flow;

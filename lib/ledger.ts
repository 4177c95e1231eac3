import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { type Clock, systemClock } from './clock';
import type { Outcome } from './messages';

/**
 * A record's progress, keyed by its reviewId. Triggers and SQS deliveries arrive at least once; the ledger's
 * conditional writes turn that into "one loop and one terminal message per record".
 *
 *   (none) ─reserveStart─> starting ─markStarted─> started ─claimDelivery─> delivering ─markDelivered─> delivered
 *   (none) ──────────────────────────────────────────────────claimDelivery─> delivering ─markDelivered─> delivered
 *
 * Each entry belongs to the record at `recordIndex` of its source: another record of the same object with
 * the same recordId is a duplicate id, not a redelivery. Which record keeps a repeated id is decided before
 * this, by the splitter in file order (split-object.ts); the ledger's check is the backstop for ids it could
 * not remember, where the first record to reach the ledger keeps the id. A delivery claim is a lease, so a sender that dies
 * after claiming blocks the others only until the lease runs out.
 */
export type LedgerState = 'starting' | 'started' | 'delivering' | 'delivered';

export interface LedgerEntry {
  reviewId: string;
  workflow: string;
  recordIndex: number;
  state: LedgerState;
  outcome?: Outcome;
  humanLoopName?: string;
  executionArn?: string;
  /** The waiting state machine's task token (WaitForStatus). */
  taskToken?: string;
  /** When the WaitForStatus attempt that parked it began (epoch ms): an older attempt cannot overwrite it. */
  tokenParkedAt?: number;
  /** When A2I's last status-change event for the loop arrived (epoch ms), and its status. */
  lastEventAt?: number;
  lastEventStatus?: string;
  /** When the loop's fallback polls were started (epoch ms); they are started once. */
  pollScheduledAt?: number;
  claimedAt?: number;
  updatedAt: number;
  /** Epoch seconds: DynamoDB's TTL attribute. */
  expiresAt: number;
}

export interface RecordKey {
  reviewId: string;
  workflow: string;
  recordIndex: number;
}

/** `reserved`: go on and start the loop. `already`: the loop was started before. `duplicate-id`: another record of the source owns this reviewId. */
export type ReserveResult = 'reserved' | 'already' | 'duplicate-id';
/** `claimed`: send now, then markDelivered. `delivered`: sent before, send nothing. `busy`: another sender holds the lease, try later. */
export type ClaimResult = 'claimed' | 'delivered' | 'busy' | 'duplicate-id';

export interface Ledger {
  get(reviewId: string): Promise<LedgerEntry | undefined>;
  reserveStart(key: RecordKey): Promise<ReserveResult>;
  markStarted(reviewId: string, loop: { humanLoopName: string; executionArn?: string }): Promise<void>;
  claimDelivery(key: RecordKey, outcome: Outcome): Promise<ClaimResult>;
  markDelivered(reviewId: string): Promise<void>;
  /** Gives a claim back after a failed send, so that a retry need not wait for the lease to run out. */
  releaseClaim(reviewId: string): Promise<void>;
  /**
   * Parks the tracking execution's task token; undefined when the record is not waiting on a loop (no entry, or
   * delivered) or when a later WaitForStatus attempt (`attemptStartedAt`) already parked its own: an attempt that
   * timed out but still runs must not replace the live token with its dead one.
   */
  storeTaskToken(reviewId: string, taskToken: string, attemptStartedAt?: number): Promise<LedgerEntry | undefined>;
  /** Notes a status-change event; returns the entry (with any parked token), or undefined when the loop is not one of ours. */
  recordStatusEvent(reviewId: string, status: string): Promise<LedgerEntry | undefined>;
  /** Notes that the loop's fallback polls are scheduled. */
  markPollScheduled(reviewId: string): Promise<void>;
}

export interface LedgerOptions {
  /** How long a delivery claim blocks other senders: longer than one delivery attempt takes. */
  leaseMs: number;
  /** How long entries are kept after their last change. */
  retentionDays: number;
}

export const DEFAULT_LEDGER_OPTIONS: LedgerOptions = { leaseMs: 120_000, retentionDays: 30 };

export class DynamoDbLedger implements Ledger {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly options: LedgerOptions = DEFAULT_LEDGER_OPTIONS,
    private readonly clock: Clock = systemClock,
  ) {}

  async get(reviewId: string): Promise<LedgerEntry | undefined> {
    const { Item } = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: { reviewId }, ConsistentRead: true }));
    return Item as LedgerEntry | undefined;
  }

  async reserveStart(key: RecordKey): Promise<ReserveResult> {
    const now = this.clock.now();
    const reserved = await this.#conditionalUpdate({
      Key: { reviewId: key.reviewId },
      UpdateExpression: 'SET #state = :starting, workflow = :workflow, recordIndex = :index, updatedAt = :now, expiresAt = :expires',
      // A crashed or concurrent attempt for the same record may reserve again: starting a loop is idempotent by name.
      ConditionExpression: 'attribute_not_exists(reviewId) OR (recordIndex = :index AND #state = :starting)',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':starting': 'starting', ':workflow': key.workflow, ':index': key.recordIndex, ':now': now, ':expires': this.#expiresAt(now) },
    });
    if (reserved) return 'reserved';
    const current = await this.get(key.reviewId);
    return current && current.recordIndex !== key.recordIndex ? 'duplicate-id' : 'already';
  }

  async markStarted(reviewId: string, loop: { humanLoopName: string; executionArn?: string }): Promise<void> {
    const now = this.clock.now();
    await this.#conditionalUpdate({
      Key: { reviewId },
      UpdateExpression: `SET #state = :started, humanLoopName = :loop, updatedAt = :now${loop.executionArn ? ', executionArn = :execution' : ''}`,
      // Only forwards: the tracking execution may already be delivering.
      ConditionExpression: '#state = :starting',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: {
        ':started': 'started',
        ':starting': 'starting',
        ':loop': loop.humanLoopName,
        ':now': now,
        ...(loop.executionArn ? { ':execution': loop.executionArn } : {}),
      },
    });
  }

  async claimDelivery(key: RecordKey, outcome: Outcome): Promise<ClaimResult> {
    const now = this.clock.now();
    const claimed = await this.#conditionalUpdate({
      Key: { reviewId: key.reviewId },
      UpdateExpression:
        'SET #state = :delivering, workflow = :workflow, recordIndex = :index, outcome = :outcome, claimedAt = :now, updatedAt = :now, expiresAt = :expires',
      ConditionExpression:
        'attribute_not_exists(reviewId) OR (recordIndex = :index AND (#state IN (:starting, :started) OR (#state = :delivering AND claimedAt < :leaseCutoff)))',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: {
        ':delivering': 'delivering',
        ':starting': 'starting',
        ':started': 'started',
        ':workflow': key.workflow,
        ':index': key.recordIndex,
        ':outcome': outcome,
        ':now': now,
        ':leaseCutoff': now - this.options.leaseMs,
        ':expires': this.#expiresAt(now),
      },
    });
    if (claimed) return 'claimed';
    const current = await this.get(key.reviewId);
    if (!current) return 'busy';
    if (current.recordIndex !== key.recordIndex) return 'duplicate-id';
    return current.state === 'delivered' ? 'delivered' : 'busy';
  }

  async markDelivered(reviewId: string): Promise<void> {
    const now = this.clock.now();
    // Only an entry that exists: a bare item without workflow and recordIndex would read as a duplicate id later.
    await this.#conditionalUpdate({
      Key: { reviewId },
      UpdateExpression: 'SET #state = :delivered, updatedAt = :now, expiresAt = :expires REMOVE claimedAt, taskToken',
      ConditionExpression: 'attribute_exists(reviewId)',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':delivered': 'delivered', ':now': now, ':expires': this.#expiresAt(now) },
    });
  }

  async releaseClaim(reviewId: string): Promise<void> {
    await this.#conditionalUpdate({
      Key: { reviewId },
      UpdateExpression: 'SET claimedAt = :zero',
      ConditionExpression: '#state = :delivering',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':zero': 0, ':delivering': 'delivering' },
    });
  }

  async storeTaskToken(reviewId: string, taskToken: string, attemptStartedAt?: number): Promise<LedgerEntry | undefined> {
    const now = this.clock.now();
    const parkedAt = attemptStartedAt ?? now;
    return this.#conditionalUpdateReturning({
      Key: { reviewId },
      UpdateExpression: 'SET taskToken = :token, tokenParkedAt = :parkedAt, updatedAt = :now',
      ConditionExpression: '#state IN (:starting, :started) AND (attribute_not_exists(tokenParkedAt) OR tokenParkedAt <= :parkedAt)',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':token': taskToken, ':parkedAt': parkedAt, ':now': now, ':starting': 'starting', ':started': 'started' },
    });
  }

  async recordStatusEvent(reviewId: string, status: string): Promise<LedgerEntry | undefined> {
    const now = this.clock.now();
    return this.#conditionalUpdateReturning({
      Key: { reviewId },
      UpdateExpression: 'SET lastEventAt = :now, lastEventStatus = :status, updatedAt = :now',
      ConditionExpression: 'attribute_exists(reviewId)',
      ExpressionAttributeValues: { ':now': now, ':status': status },
    });
  }

  async markPollScheduled(reviewId: string): Promise<void> {
    await this.#conditionalUpdate({
      Key: { reviewId },
      UpdateExpression: 'SET pollScheduledAt = :now',
      ConditionExpression: 'attribute_exists(reviewId)',
      ExpressionAttributeValues: { ':now': this.clock.now() },
    });
  }

  /** True when the write happened, false when its condition did not hold. */
  async #conditionalUpdate(input: Omit<UpdateCommandInput, 'TableName'>): Promise<boolean> {
    return (await this.#conditionalWrite(input, 'NONE')) !== undefined;
  }

  /** The entry after the write, or undefined when its condition did not hold. */
  async #conditionalUpdateReturning(input: Omit<UpdateCommandInput, 'TableName'>): Promise<LedgerEntry | undefined> {
    return (await this.#conditionalWrite(input, 'ALL_NEW'))?.Attributes as LedgerEntry | undefined;
  }

  /** The UpdateItem's response, or undefined when its condition did not hold. */
  async #conditionalWrite(input: Omit<UpdateCommandInput, 'TableName'>, returnValues: 'NONE' | 'ALL_NEW') {
    try {
      return await this.documents.send(new UpdateCommand({ ...input, TableName: this.tableName, ReturnValues: returnValues }));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException || (error as Error).name === 'ConditionalCheckFailedException') return undefined;
      throw error;
    }
  }

  #expiresAt(now: number): number {
    return Math.floor(now / 1000) + this.options.retentionDays * 86_400;
  }
}

/** The same protocol in memory: for unit tests and the benchmark, held to DynamoDbLedger by a shared contract test. */
export class MemoryLedger implements Ledger {
  readonly entries = new Map<string, LedgerEntry>();
  constructor(
    private readonly options: LedgerOptions = DEFAULT_LEDGER_OPTIONS,
    private readonly clock: Clock = systemClock,
  ) {}

  async get(reviewId: string): Promise<LedgerEntry | undefined> {
    const entry = this.entries.get(reviewId);
    return entry && { ...entry };
  }

  async reserveStart(key: RecordKey): Promise<ReserveResult> {
    const current = this.entries.get(key.reviewId);
    if (current && current.recordIndex !== key.recordIndex) return 'duplicate-id';
    if (current && current.state !== 'starting') return 'already';
    this.#write({ ...current, ...key, state: 'starting' });
    return 'reserved';
  }

  async markStarted(reviewId: string, loop: { humanLoopName: string; executionArn?: string }): Promise<void> {
    const current = this.entries.get(reviewId);
    if (current?.state === 'starting') this.#write({ ...current, ...loop, state: 'started' }, false);
  }

  async claimDelivery(key: RecordKey, outcome: Outcome): Promise<ClaimResult> {
    const now = this.clock.now();
    const current = this.entries.get(key.reviewId);
    if (current && current.recordIndex !== key.recordIndex) return 'duplicate-id';
    if (current?.state === 'delivered') return 'delivered';
    if (current?.state === 'delivering' && (current.claimedAt ?? 0) >= now - this.options.leaseMs) return 'busy';
    this.#write({ ...current, ...key, state: 'delivering', outcome, claimedAt: now });
    return 'claimed';
  }

  async markDelivered(reviewId: string): Promise<void> {
    const current = this.entries.get(reviewId);
    if (!current) return;
    const { claimedAt: _claimedAt, taskToken: _taskToken, ...rest } = current;
    this.#write({ ...rest, state: 'delivered' });
  }

  async releaseClaim(reviewId: string): Promise<void> {
    const current = this.entries.get(reviewId);
    if (current?.state === 'delivering') this.entries.set(reviewId, { ...current, claimedAt: 0 });
  }

  async storeTaskToken(reviewId: string, taskToken: string, attemptStartedAt?: number): Promise<LedgerEntry | undefined> {
    const current = this.entries.get(reviewId);
    if (current?.state !== 'starting' && current?.state !== 'started') return undefined;
    const now = this.clock.now();
    const parkedAt = attemptStartedAt ?? now;
    if (current.tokenParkedAt !== undefined && current.tokenParkedAt > parkedAt) return undefined;
    this.entries.set(reviewId, { ...current, taskToken, tokenParkedAt: parkedAt, updatedAt: now });
    return this.get(reviewId);
  }

  async markPollScheduled(reviewId: string): Promise<void> {
    const current = this.entries.get(reviewId);
    if (current) this.entries.set(reviewId, { ...current, pollScheduledAt: this.clock.now() });
  }

  async recordStatusEvent(reviewId: string, status: string): Promise<LedgerEntry | undefined> {
    const current = this.entries.get(reviewId);
    if (!current) return undefined;
    const now = this.clock.now();
    this.entries.set(reviewId, { ...current, lastEventAt: now, lastEventStatus: status, updatedAt: now });
    return this.get(reviewId);
  }

  #write(entry: Omit<LedgerEntry, 'updatedAt' | 'expiresAt'> & Partial<LedgerEntry>, renew = true): void {
    const now = this.clock.now();
    const expiresAt = renew || entry.expiresAt === undefined ? Math.floor(now / 1000) + this.options.retentionDays * 86_400 : entry.expiresAt;
    this.entries.set(entry.reviewId, { ...entry, updatedAt: now, expiresAt });
  }
}

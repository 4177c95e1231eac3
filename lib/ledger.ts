import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, TransactWriteCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { type Clock, systemClock } from './clock';
import type { MessageSource, Outcome } from './messages';

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

/**
 * Which review holds a record of an S3 key (the record with that recordId, or at that position), across the
 * key's versions: a new version's changed record supersedes the holder, an unchanged one is not reviewed
 * again (`source.s3.reupload: supersede`, lib/ingest/reuploads.ts). Stored in the ledger table under
 * `slotId` (`slot#…`, which no review id can be) in the key attribute.
 */
export interface RecordSlot {
  slotId: string;
  /** The review that holds the record. */
  holder: string;
  /** Its record's position in its version of the object, its id and where it is: for its Superseded message. */
  recordIndex: number;
  recordId?: string;
  source: MessageSource;
  /** SHA-256 of the record's text. */
  contentHash: string;
  /** The S3 event's sequencer for the version (orders versions of one key). */
  sequencer?: string;
}

export interface Ledger {
  get(reviewId: string): Promise<LedgerEntry | undefined>;
  getSlot(slotId: string): Promise<RecordSlot | undefined>;
  /** Makes `slot.holder` the slot's holder if the slot is held by `from` (or, with no `from`, held by nobody); false otherwise. */
  takeSlot(slot: RecordSlot, from?: string): Promise<boolean>;
  /** takeSlot(slot) (no `from`) for each slot, in order, in few calls: the results in the same order. */
  takeSlots(slots: RecordSlot[]): Promise<boolean[]>;
  reserveStart(key: RecordKey): Promise<ReserveResult>;
  /** False when the record was no longer starting (already started, or being delivered: see ingest's startLoop). */
  markStarted(reviewId: string, loop: { humanLoopName: string; executionArn?: string }): Promise<boolean>;
  claimDelivery(key: RecordKey, outcome: Outcome): Promise<ClaimResult>;
  /** claimDelivery for each record, in order, in few calls: the results in the same order. */
  claimDeliveries(claims: { key: RecordKey; outcome: Outcome }[]): Promise<ClaimResult[]>;
  markDelivered(reviewId: string): Promise<void>;
  /** markDelivered for each reviewId, in few calls. */
  markDeliveredMany(reviewIds: string[]): Promise<void>;
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

/** A slot's attributes besides its key, each written (or removed when absent) by takeSlot. */
const SLOT_FIELDS = ['holder', 'recordIndex', 'recordId', 'source', 'contentHash', 'sequencer'] as const satisfies readonly Exclude<keyof RecordSlot, 'slotId'>[];

/** TransactWriteItems' limit of actions per call. */
const TRANSACTION_MAX_ITEMS = 100;

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

  async getSlot(slotId: string): Promise<RecordSlot | undefined> {
    const { Item } = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: { reviewId: slotId }, ConsistentRead: true }));
    if (!Item) return undefined;
    const { reviewId: _key, updatedAt: _updated, expiresAt: _expires, ...slot } = Item;
    return { ...slot, slotId } as RecordSlot;
  }

  async takeSlot(slot: RecordSlot, from?: string): Promise<boolean> {
    return this.#conditionalUpdate(this.#takeSlotInput(slot, from));
  }

  async takeSlots(slots: RecordSlot[]): Promise<boolean[]> {
    return this.#conditionalUpdates(slots.map((slot) => this.#takeSlotInput(slot)));
  }

  #takeSlotInput(slot: RecordSlot, from?: string): Omit<UpdateCommandInput, 'TableName'> {
    const now = this.clock.now();
    const { slotId, ...fields } = slot;
    // Every attribute by placeholder: `source` is one of DynamoDB's reserved words.
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':now': now, ':expires': this.#expiresAt(now) };
    const sets = ['updatedAt = :now', 'expiresAt = :expires'];
    const removes: string[] = [];
    for (const name of SLOT_FIELDS) {
      names[`#${name}`] = name;
      const value = fields[name];
      if (value === undefined) removes.push(`#${name}`);
      else {
        values[`:${name}`] = value;
        sets.push(`#${name} = :${name}`);
      }
    }
    if (from !== undefined) values[':from'] = from;
    return {
      Key: { reviewId: slotId },
      UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
      ConditionExpression: from === undefined ? 'attribute_not_exists(reviewId)' : '#holder = :from',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    };
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

  async markStarted(reviewId: string, loop: { humanLoopName: string; executionArn?: string }): Promise<boolean> {
    const now = this.clock.now();
    return this.#conditionalUpdate({
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
    return this.#claimResult(key, await this.#conditionalUpdate(this.#claimInput(key, outcome)));
  }

  async claimDeliveries(claims: { key: RecordKey; outcome: Outcome }[]): Promise<ClaimResult[]> {
    const claimed = await this.#conditionalUpdates(claims.map(({ key, outcome }) => this.#claimInput(key, outcome)));
    const results: ClaimResult[] = [];
    // Only a claim that did not hold reads the entry, to tell why.
    for (const [index, { key }] of claims.entries()) results.push(await this.#claimResult(key, claimed[index]));
    return results;
  }

  #claimInput(key: RecordKey, outcome: Outcome): Omit<UpdateCommandInput, 'TableName'> {
    const now = this.clock.now();
    return {
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
    };
  }

  async #claimResult(key: RecordKey, claimed: boolean): Promise<ClaimResult> {
    if (claimed) return 'claimed';
    const current = await this.get(key.reviewId);
    if (!current) return 'busy';
    if (current.recordIndex !== key.recordIndex) return 'duplicate-id';
    return current.state === 'delivered' ? 'delivered' : 'busy';
  }

  async markDelivered(reviewId: string): Promise<void> {
    await this.#conditionalUpdate(this.#deliveredInput(reviewId));
  }

  async markDeliveredMany(reviewIds: string[]): Promise<void> {
    await this.#conditionalUpdates(reviewIds.map((reviewId) => this.#deliveredInput(reviewId)));
  }

  #deliveredInput(reviewId: string): Omit<UpdateCommandInput, 'TableName'> {
    const now = this.clock.now();
    // Only an entry that exists: a bare item without workflow and recordIndex would read as a duplicate id later.
    return {
      Key: { reviewId },
      UpdateExpression: 'SET #state = :delivered, updatedAt = :now, expiresAt = :expires REMOVE claimedAt, taskToken',
      ConditionExpression: 'attribute_exists(reviewId)',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':delivered': 'delivered', ':now': now, ':expires': this.#expiresAt(now) },
    };
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

  /**
   * The same conditional updates as #conditionalUpdate one by one, as TransactWriteItems of up to 100 (one
   * call where there were 100; authorized as dynamodb:UpdateItem on the table). A transaction is all or
   * nothing, so one whose conditions did not all hold is cancelled: its CancellationReasons say which did not
   * (false), and the others are sent again without them. Anything else that cancels it (a conflict with a
   * concurrent write) sends those updates one by one. The SDK gives each transaction a ClientRequestToken,
   * so its own retry of one that went through is not taken for a failed condition. Each key at most once
   * per transaction (DynamoDB refuses two actions on one item): a repeated key waits for the next.
   */
  async #conditionalUpdates(inputs: Omit<UpdateCommandInput, 'TableName'>[]): Promise<boolean[]> {
    const results = new Array<boolean>(inputs.length).fill(false);
    let pending = inputs.map((_, index) => index);
    // A transaction that fails outright fails its own updates only: the other chunks are still sent (as the
    // single calls were), then the first error is thrown.
    let failure: { error: unknown } | undefined;
    while (pending.length > 0) {
      const chunk: number[] = [];
      const keys = new Set<string>();
      const later: number[] = [];
      for (const index of pending) {
        const key = String(inputs[index].Key?.reviewId);
        if (chunk.length < TRANSACTION_MAX_ITEMS && !keys.has(key)) {
          keys.add(key);
          chunk.push(index);
        } else later.push(index);
      }
      let retry: number[] = [];
      try {
        retry = await this.#transact(chunk, inputs, results);
      } catch (error) {
        failure ??= { error };
      }
      pending = [...retry, ...later].sort((a, b) => a - b);
    }
    if (failure) throw failure.error;
    return results;
  }

  /** One transaction of `chunk`; fills `results` and returns the indexes to send again. */
  async #transact(chunk: number[], inputs: Omit<UpdateCommandInput, 'TableName'>[], results: boolean[]): Promise<number[]> {
    if (chunk.length === 1) {
      results[chunk[0]] = await this.#conditionalUpdate(inputs[chunk[0]]);
      return [];
    }
    try {
      await this.documents.send(new TransactWriteCommand({ TransactItems: chunk.map((index) => ({ Update: transactionUpdate(inputs[index], this.tableName) })) }));
      for (const index of chunk) results[index] = true;
      return [];
    } catch (error) {
      if ((error as Error).name !== 'TransactionCanceledException') throw error;
      const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
      const failed = chunk.filter((_, position) => reasons[position]?.Code === 'ConditionalCheckFailed');
      if (failed.length === 0 || reasons.length !== chunk.length) {
        // Not (only) conditions: one by one, with the SDK's retries.
        for (const index of chunk) results[index] = await this.#conditionalUpdate(inputs[index]);
        return [];
      }
      for (const index of failed) results[index] = false;
      if (chunk.some((_, position) => reasons[position]?.Code !== 'ConditionalCheckFailed' && reasons[position]?.Code !== 'None')) {
        const others = chunk.filter((_, position) => reasons[position]?.Code !== 'ConditionalCheckFailed');
        for (const index of others) results[index] = await this.#conditionalUpdate(inputs[index]);
        return [];
      }
      return chunk.filter((_, position) => reasons[position]?.Code === 'None');
    }
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

/** An UpdateItem's input as a transaction's Update action (which takes no ReturnValues). */
function transactionUpdate(input: Omit<UpdateCommandInput, 'TableName'>, tableName: string) {
  const { Key, UpdateExpression, ConditionExpression, ExpressionAttributeNames, ExpressionAttributeValues } = input;
  if (!Key || UpdateExpression === undefined) throw new Error('a transaction update needs a key and an update expression');
  return { TableName: tableName, Key, UpdateExpression, ConditionExpression, ExpressionAttributeNames, ExpressionAttributeValues };
}

/** The same protocol in memory: for unit tests and the benchmark, held to DynamoDbLedger by a shared contract test. */
export class MemoryLedger implements Ledger {
  readonly entries = new Map<string, LedgerEntry>();
  readonly slots = new Map<string, RecordSlot>();
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

  async getSlot(slotId: string): Promise<RecordSlot | undefined> {
    const slot = this.slots.get(slotId);
    return slot && structuredClone(slot);
  }

  async takeSlot(slot: RecordSlot, from?: string): Promise<boolean> {
    const current = this.slots.get(slot.slotId);
    if (from === undefined ? current !== undefined : current?.holder !== from) return false;
    this.slots.set(slot.slotId, structuredClone(slot));
    return true;
  }

  async takeSlots(slots: RecordSlot[]): Promise<boolean[]> {
    const results: boolean[] = [];
    for (const slot of slots) results.push(await this.takeSlot(slot));
    return results;
  }

  async claimDeliveries(claims: { key: RecordKey; outcome: Outcome }[]): Promise<ClaimResult[]> {
    const results: ClaimResult[] = [];
    for (const { key, outcome } of claims) results.push(await this.claimDelivery(key, outcome));
    return results;
  }

  async markDeliveredMany(reviewIds: string[]): Promise<void> {
    for (const reviewId of reviewIds) await this.markDelivered(reviewId);
  }

  async markStarted(reviewId: string, loop: { humanLoopName: string; executionArn?: string }): Promise<boolean> {
    const current = this.entries.get(reviewId);
    if (current?.state !== 'starting') return false;
    this.#write({ ...current, ...loop, state: 'started' }, false);
    return true;
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

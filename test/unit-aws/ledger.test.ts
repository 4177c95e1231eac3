import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbLedger, type Ledger, type LedgerEntry, type LedgerOptions, MemoryLedger, type RecordKey, type RecordSlot } from '../../lib/ledger';
import { type Dynalite, FakeClock, startDynalite } from './helpers';

/**
 * One contract, two implementations: MemoryLedger (used by unit tests and the benchmark) must behave exactly
 * like DynamoDbLedger, which runs here against dynalite, a real DynamoDB emulator with conditional writes.
 */

const OPTIONS: LedgerOptions = { leaseMs: 60_000, retentionDays: 7 };
const DAY_SECONDS = 86_400;

interface Subject {
  ledger: Ledger;
  /** Sets the waiting execution's task token the way the tracking code stores it (no Ledger method does). */
  storeTaskToken(reviewId: string, token: string): Promise<void>;
}

interface Implementation {
  name: string;
  setUp(): Promise<void>;
  create(clock: FakeClock): Promise<Subject>;
  tearDown(): Promise<void>;
}

let tableNumber = 0;

function dynamoImplementation(): Implementation {
  let dynalite: Dynalite | undefined;
  return {
    name: 'DynamoDbLedger',
    async setUp() {
      dynalite = await startDynalite();
    },
    async create(clock) {
      if (!dynalite) throw new Error('dynalite is not running');
      const table = `ledger-${++tableNumber}`;
      await dynalite.createLedgerTable(table);
      const documents = DynamoDBDocumentClient.from(dynalite.client, { marshallOptions: { removeUndefinedValues: true } });
      return {
        ledger: new DynamoDbLedger(documents, table, OPTIONS, clock),
        async storeTaskToken(reviewId, token) {
          await documents.send(
            new UpdateCommand({ TableName: table, Key: { reviewId }, UpdateExpression: 'SET taskToken = :token', ExpressionAttributeValues: { ':token': token } }),
          );
        },
      };
    },
    async tearDown() {
      await dynalite?.close();
    },
  };
}

function memoryImplementation(): Implementation {
  return {
    name: 'MemoryLedger',
    async setUp() {},
    async create(clock) {
      const ledger = new MemoryLedger(OPTIONS, clock);
      return {
        ledger,
        async storeTaskToken(reviewId, token) {
          const entry = ledger.entries.get(reviewId);
          if (entry) ledger.entries.set(reviewId, { ...entry, taskToken: token });
        },
      };
    },
    async tearDown() {},
  };
}

const implementations = [memoryImplementation(), dynamoImplementation()];

function expiresAtFor(now: number): number {
  return Math.floor(now / 1000) + OPTIONS.retentionDays * DAY_SECONDS;
}

/** The entry without attributes that are absent (DynamoDB has no `undefined`). */
function defined(entry: LedgerEntry | undefined): Record<string, unknown> | undefined {
  if (!entry) return undefined;
  return Object.fromEntries(Object.entries(entry).filter(([, value]) => value !== undefined));
}

describe.each(implementations)('Ledger contract: $name', (implementation) => {
  let clock: FakeClock;
  let ledger: Ledger;
  let subject: Subject;
  const key: RecordKey = { reviewId: 'invoices-abcdefghijklmnopqrstuvwxyz', workflow: 'invoices', recordIndex: 3 };
  const sameIdOtherRecord: RecordKey = { ...key, recordIndex: 4 };

  beforeAll(async () => {
    await implementation.setUp();
  });

  afterAll(async () => {
    await implementation.tearDown();
  });

  beforeEach(async () => {
    clock = new FakeClock({ now: Date.UTC(2025, 2, 1, 8, 30, 15, 250) });
    subject = await implementation.create(clock);
    ledger = subject.ledger;
  });

  describe('get', () => {
    it('returns undefined for a reviewId it has never seen', async () => {
      // Act
      const entry = await ledger.get('never-seen');

      // Assess
      expect(entry).toBeUndefined();
    });

    it('returns a copy: changing it does not change the ledger', async () => {
      // Prepare
      await ledger.reserveStart(key);
      const copy = await ledger.get(key.reviewId);

      // Act
      if (copy) copy.state = 'delivered';

      // Assess
      expect((await ledger.get(key.reviewId))?.state).toBe('starting');
    });
  });

  describe('reserveStart', () => {
    it('reserves a record it has never seen and records it as starting', async () => {
      // Act
      const result = await ledger.reserveStart(key);

      // Assess
      expect(result).toBe('reserved');
      expect(defined(await ledger.get(key.reviewId))).toEqual({
        reviewId: key.reviewId,
        workflow: 'invoices',
        recordIndex: 3,
        state: 'starting',
        updatedAt: clock.now(),
        expiresAt: expiresAtFor(clock.now()),
      });
    });

    it('reserves again for the same record while it is still starting (a crashed or concurrent attempt)', async () => {
      // Prepare
      await ledger.reserveStart(key);
      clock.advance(5_000);

      // Act
      const result = await ledger.reserveStart(key);

      // Assess
      expect(result).toBe('reserved');
      const entry = await ledger.get(key.reviewId);
      expect(entry?.state).toBe('starting');
      expect(entry?.updatedAt).toBe(clock.now());
    });

    it('answers already once the loop was started, and leaves the entry as it is', async () => {
      // Prepare
      await ledger.reserveStart(key);
      await ledger.markStarted(key.reviewId, { humanLoopName: key.reviewId, executionArn: 'arn:aws:states:us-east-1:123456789012:execution:review-loop:x' });
      const before = await ledger.get(key.reviewId);
      clock.advance(1_000);

      // Act
      const result = await ledger.reserveStart(key);

      // Assess
      expect(result).toBe('already');
      expect(defined(await ledger.get(key.reviewId))).toEqual(defined(before));
    });

    it.each([
      ['being delivered', async (l: Ledger) => void (await l.claimDelivery(key, 'reviewed'))],
      [
        'delivered',
        async (l: Ledger) => {
          await l.claimDelivery(key, 'reviewed');
          await l.markDelivered(key.reviewId);
        },
      ],
    ])('answers already when the record is %s', async (_state, bringThere) => {
      // Prepare
      await bringThere(ledger);

      // Act
      const result = await ledger.reserveStart(key);

      // Assess
      expect(result).toBe('already');
    });

    it('answers duplicate-id for another record of the source with the same reviewId, and leaves the owner intact', async () => {
      // Prepare
      await ledger.reserveStart(key);
      const before = await ledger.get(key.reviewId);

      // Act
      const result = await ledger.reserveStart(sameIdOtherRecord);

      // Assess
      expect(result).toBe('duplicate-id');
      expect(defined(await ledger.get(key.reviewId))).toEqual(defined(before));
    });

    it('answers duplicate-id for another record even after the owner was started', async () => {
      // Prepare
      await ledger.reserveStart(key);
      await ledger.markStarted(key.reviewId, { humanLoopName: key.reviewId });

      // Act
      const result = await ledger.reserveStart(sameIdOtherRecord);

      // Assess
      expect(result).toBe('duplicate-id');
    });
  });

  describe('markStarted', () => {
    it('moves a starting record to started with its loop name and execution ARN', async () => {
      // Prepare
      await ledger.reserveStart(key);
      const reservedAt = clock.now();
      clock.advance(2_000);
      const executionArn = 'arn:aws:states:us-east-1:123456789012:execution:review-loop:invoices-abc';

      // Act
      await ledger.markStarted(key.reviewId, { humanLoopName: key.reviewId, executionArn });

      // Assess
      expect(defined(await ledger.get(key.reviewId))).toEqual({
        reviewId: key.reviewId,
        workflow: 'invoices',
        recordIndex: 3,
        state: 'started',
        humanLoopName: key.reviewId,
        executionArn,
        updatedAt: clock.now(),
        expiresAt: expiresAtFor(reservedAt),
      });
    });

    it('stores no execution ARN when none is given', async () => {
      // Prepare
      await ledger.reserveStart(key);

      // Act
      await ledger.markStarted(key.reviewId, { humanLoopName: key.reviewId });

      // Assess
      const entry = await ledger.get(key.reviewId);
      expect(entry?.state).toBe('started');
      expect(entry?.executionArn).toBeUndefined();
    });

    it('only moves forwards: a record already being delivered stays delivering', async () => {
      // Prepare
      await ledger.reserveStart(key);
      await ledger.claimDelivery(key, 'failed');
      const before = await ledger.get(key.reviewId);
      clock.advance(1_000);

      // Act
      await ledger.markStarted(key.reviewId, { humanLoopName: 'late' });

      // Assess
      expect(defined(await ledger.get(key.reviewId))).toEqual(defined(before));
    });

    it('only moves forwards: a delivered record stays delivered', async () => {
      // Prepare
      await ledger.claimDelivery(key, 'reviewed');
      await ledger.markDelivered(key.reviewId);
      const before = await ledger.get(key.reviewId);
      clock.advance(1_000);

      // Act
      await ledger.markStarted(key.reviewId, { humanLoopName: 'late' });

      // Assess
      expect(defined(await ledger.get(key.reviewId))).toEqual(defined(before));
    });

    it('does not overwrite the loop of a record that is already started', async () => {
      // Prepare
      await ledger.reserveStart(key);
      await ledger.markStarted(key.reviewId, { humanLoopName: 'first', executionArn: 'arn:first' });

      // Act
      await ledger.markStarted(key.reviewId, { humanLoopName: 'second', executionArn: 'arn:second' });

      // Assess
      const entry = await ledger.get(key.reviewId);
      expect(entry?.humanLoopName).toBe('first');
      expect(entry?.executionArn).toBe('arn:first');
    });

    it('creates nothing for a record that was never reserved, and does not throw', async () => {
      // Act
      await ledger.markStarted('never-reserved', { humanLoopName: 'never-reserved' });

      // Assess
      expect(await ledger.get('never-reserved')).toBeUndefined();
    });
  });

  describe('claimDelivery', () => {
    it('claims a record it has never seen (auto-accepted and invalid records are never started)', async () => {
      // Act
      const result = await ledger.claimDelivery(key, 'auto-accepted');

      // Assess
      expect(result).toBe('claimed');
      expect(defined(await ledger.get(key.reviewId))).toEqual({
        reviewId: key.reviewId,
        workflow: 'invoices',
        recordIndex: 3,
        state: 'delivering',
        outcome: 'auto-accepted',
        claimedAt: clock.now(),
        updatedAt: clock.now(),
        expiresAt: expiresAtFor(clock.now()),
      });
    });

    it('claims a starting record', async () => {
      // Prepare
      await ledger.reserveStart(key);

      // Act
      const result = await ledger.claimDelivery(key, 'failed');

      // Assess
      expect(result).toBe('claimed');
      expect((await ledger.get(key.reviewId))?.state).toBe('delivering');
    });

    it('claims a started record and keeps its loop', async () => {
      // Prepare
      await ledger.reserveStart(key);
      await ledger.markStarted(key.reviewId, { humanLoopName: key.reviewId, executionArn: 'arn:execution' });
      clock.advance(3 * DAY_SECONDS * 1000);

      // Act
      const result = await ledger.claimDelivery(key, 'reviewed');

      // Assess
      expect(result).toBe('claimed');
      expect(await ledger.get(key.reviewId)).toMatchObject({
        state: 'delivering',
        outcome: 'reviewed',
        humanLoopName: key.reviewId,
        executionArn: 'arn:execution',
        claimedAt: clock.now(),
        expiresAt: expiresAtFor(clock.now()),
      });
    });

    it('answers busy to a second claim while the first one holds the lease', async () => {
      // Prepare
      await ledger.claimDelivery(key, 'reviewed');
      const claimedAt = clock.now();
      clock.advance(OPTIONS.leaseMs - 1);

      // Act
      const result = await ledger.claimDelivery(key, 'reviewed');

      // Assess
      expect(result).toBe('busy');
      expect((await ledger.get(key.reviewId))?.claimedAt).toBe(claimedAt);
    });

    it('claims again once the lease has run out (the first sender died)', async () => {
      // Prepare
      await ledger.claimDelivery(key, 'reviewed');
      clock.advance(OPTIONS.leaseMs + 1);

      // Act
      const result = await ledger.claimDelivery(key, 'failed');

      // Assess
      expect(result).toBe('claimed');
      expect(await ledger.get(key.reviewId)).toMatchObject({ state: 'delivering', claimedAt: clock.now(), outcome: 'failed' });
    });

    it('answers busy again to a third claim within the renewed lease', async () => {
      // Prepare
      await ledger.claimDelivery(key, 'reviewed');
      clock.advance(OPTIONS.leaseMs + 1);
      await ledger.claimDelivery(key, 'reviewed');
      clock.advance(OPTIONS.leaseMs / 2);

      // Act
      const result = await ledger.claimDelivery(key, 'reviewed');

      // Assess
      expect(result).toBe('busy');
    });

    it('answers delivered after markDelivered, even long after any lease, and changes nothing', async () => {
      // Prepare
      await ledger.claimDelivery(key, 'reviewed');
      await ledger.markDelivered(key.reviewId);
      const before = await ledger.get(key.reviewId);
      clock.advance(10 * OPTIONS.leaseMs);

      // Act
      const result = await ledger.claimDelivery(key, 'failed');

      // Assess
      expect(result).toBe('delivered');
      expect(defined(await ledger.get(key.reviewId))).toEqual(defined(before));
    });

    it.each([
      ['starting', async (l: Ledger) => void (await l.reserveStart(key))],
      ['delivering', async (l: Ledger) => void (await l.claimDelivery(key, 'reviewed'))],
      [
        'delivered',
        async (l: Ledger) => {
          await l.claimDelivery(key, 'reviewed');
          await l.markDelivered(key.reviewId);
        },
      ],
    ])('answers duplicate-id to another record of the source while the owner is %s', async (_state, bringThere) => {
      // Prepare
      await bringThere(ledger);
      const before = await ledger.get(key.reviewId);
      clock.advance(10 * OPTIONS.leaseMs);

      // Act
      const result = await ledger.claimDelivery(sameIdOtherRecord, 'invalid');

      // Assess
      expect(result).toBe('duplicate-id');
      expect(defined(await ledger.get(key.reviewId))).toEqual(defined(before));
    });
  });

  describe('releaseClaim', () => {
    it('lets the next claim succeed at once, without waiting for the lease', async () => {
      // Prepare
      await ledger.claimDelivery(key, 'reviewed');
      clock.advance(1);
      await ledger.releaseClaim(key.reviewId);

      // Act
      const result = await ledger.claimDelivery(key, 'reviewed');

      // Assess
      expect(result).toBe('claimed');
      expect((await ledger.get(key.reviewId))?.claimedAt).toBe(clock.now());
    });

    it('keeps the record delivering until it is claimed again', async () => {
      // Prepare
      await ledger.claimDelivery(key, 'reviewed');

      // Act
      await ledger.releaseClaim(key.reviewId);

      // Assess
      expect((await ledger.get(key.reviewId))?.state).toBe('delivering');
    });

    it('does not reopen a delivered record', async () => {
      // Prepare
      await ledger.claimDelivery(key, 'reviewed');
      await ledger.markDelivered(key.reviewId);

      // Act
      await ledger.releaseClaim(key.reviewId);

      // Assess
      expect(await ledger.claimDelivery(key, 'reviewed')).toBe('delivered');
    });

    it('changes nothing for a started record and creates nothing for an unknown one', async () => {
      // Prepare
      await ledger.reserveStart(key);
      await ledger.markStarted(key.reviewId, { humanLoopName: key.reviewId });
      const before = await ledger.get(key.reviewId);

      // Act
      await ledger.releaseClaim(key.reviewId);
      await ledger.releaseClaim('unknown-review');

      // Assess
      expect(defined(await ledger.get(key.reviewId))).toEqual(defined(before));
      expect(await ledger.get('unknown-review')).toBeUndefined();
    });
  });

  describe('markDelivered', () => {
    it('marks the record delivered and removes its claim and task token', async () => {
      // Prepare
      await ledger.reserveStart(key);
      await ledger.markStarted(key.reviewId, { humanLoopName: key.reviewId });
      await subject.storeTaskToken(key.reviewId, 'AQCEAAAAKgAAAAMAAAAA-token');
      expect((await ledger.get(key.reviewId))?.taskToken).toBe('AQCEAAAAKgAAAAMAAAAA-token');
      await ledger.claimDelivery(key, 'reviewed');
      clock.advance(4_000);

      // Act
      await ledger.markDelivered(key.reviewId);

      // Assess
      const entry = await ledger.get(key.reviewId);
      expect(entry?.state).toBe('delivered');
      expect(entry).not.toHaveProperty('claimedAt');
      expect(entry).not.toHaveProperty('taskToken');
      expect(entry).toMatchObject({ outcome: 'reviewed', humanLoopName: key.reviewId, recordIndex: 3, workflow: 'invoices', updatedAt: clock.now() });
    });

    it('keeps the entry for retentionDays after delivery: expiresAt = now/1000 + retentionDays·86400', async () => {
      // Prepare
      await ledger.claimDelivery(key, 'auto-accepted');
      clock.advance(12 * 3_600_000 + 999);

      // Act
      await ledger.markDelivered(key.reviewId);

      // Assess
      expect((await ledger.get(key.reviewId))?.expiresAt).toBe(Math.floor(clock.now() / 1000) + 7 * 86_400);
    });

    // An orphan `delivered` item without workflow or recordIndex would answer `duplicate-id` to the real record.
    it('creates nothing for a reviewId the ledger has no entry for', async () => {
      // Act
      await ledger.markDelivered(key.reviewId);

      // Assess
      expect(await ledger.get(key.reviewId)).toBeUndefined();
      expect(await ledger.claimDelivery(key, 'reviewed')).toBe('claimed');
    });
  });

  describe('a record from trigger to delivery', () => {
    it('goes starting → started → delivering → delivered, and a duplicate trigger then does nothing', async () => {
      // Prepare
      const states: (string | undefined)[] = [];
      const observe = async (): Promise<void> => void states.push((await ledger.get(key.reviewId))?.state);

      // Act
      expect(await ledger.reserveStart(key)).toBe('reserved');
      await observe();
      await ledger.markStarted(key.reviewId, { humanLoopName: key.reviewId });
      await observe();
      expect(await ledger.claimDelivery(key, 'reviewed')).toBe('claimed');
      await observe();
      await ledger.markDelivered(key.reviewId);
      await observe();

      // Assess
      expect(states).toEqual(['starting', 'started', 'delivering', 'delivered']);
      expect(await ledger.reserveStart(key)).toBe('already');
      expect(await ledger.claimDelivery(key, 'reviewed')).toBe('delivered');
    });
  });

  describe('record slots (re-uploads)', () => {
    const source = { type: 's3' as const, bucket: 'in', key: 'claims/a.jsonl', versionId: 'v1', recordIndex: 3, line: 4 };
    const slot: RecordSlot = {
      slotId: 'slot#0123456789abcdef',
      holder: key.reviewId,
      recordIndex: 3,
      recordId: 'c-3',
      source,
      contentHash: 'a'.repeat(64),
      sequencer: '0055AED6DCD90281E5',
    };
    const successor: RecordSlot = { ...slot, holder: 'invoices-bbbbbbbbbbbbbbbbbbbbbbbbbb', source: { ...source, versionId: 'v2' }, contentHash: 'b'.repeat(64), sequencer: undefined, recordId: undefined };

    it('is taken once when free, and read back as written', async () => {
      expect(await ledger.getSlot(slot.slotId)).toBeUndefined();
      expect(await ledger.takeSlot(slot)).toBe(true);
      expect(await ledger.takeSlot({ ...slot, holder: successor.holder })).toBe(false);
      expect(await ledger.getSlot(slot.slotId)).toEqual(slot);
    });

    it('passes from its holder to the next, whose absent attributes are removed, and not from anyone else', async () => {
      await ledger.takeSlot(slot);
      expect(await ledger.takeSlot(successor, 'invoices-cccccccccccccccccccccccccc')).toBe(false);
      expect(await ledger.takeSlot(successor, slot.holder)).toBe(true);
      expect(defined(await ledger.getSlot(slot.slotId) as unknown as LedgerEntry)).toEqual(defined(successor as unknown as LedgerEntry));
      expect(await ledger.takeSlot(slot, slot.holder)).toBe(false);
    });

    it('is not a review: the review entries stay apart from it', async () => {
      await ledger.takeSlot(slot);
      expect(await ledger.get(key.reviewId)).toBeUndefined();
      expect(await ledger.reserveStart(key)).toBe('reserved');
      expect(await ledger.getSlot(slot.slotId)).toEqual(slot);
    });

    it('lets exactly one of 10 concurrent successors take it', async () => {
      await ledger.takeSlot(slot);
      const takes = await Promise.all(Array.from({ length: 10 }, (_, i) => ledger.takeSlot({ ...successor, holder: `invoices-${String(i).repeat(26)}` }, slot.holder)));
      expect(takes.filter(Boolean)).toHaveLength(1);
    });
  });

  describe('markStarted says whether it moved the record', () => {
    it('true from starting, false once it is being delivered', async () => {
      await ledger.reserveStart(key);
      expect(await ledger.markStarted(key.reviewId, { humanLoopName: key.reviewId })).toBe(true);
      const other: RecordKey = { ...key, reviewId: 'invoices-zzzzzzzzzzzzzzzzzzzzzzzzzz' };
      await ledger.reserveStart(other);
      await ledger.claimDelivery(other, 'failed');
      expect(await ledger.markStarted(other.reviewId, { humanLoopName: other.reviewId })).toBe(false);
    });
  });

  describe('concurrent callers', () => {
    it('gives exactly one of 20 concurrent claims for the same record, the others are busy', async () => {
      // Act
      const results = await Promise.all(Array.from({ length: 20 }, () => ledger.claimDelivery(key, 'reviewed')));

      // Assess
      expect(results.filter((result) => result === 'claimed')).toHaveLength(1);
      expect(results.filter((result) => result === 'busy')).toHaveLength(19);
    });

    it('gives exactly one of 20 concurrent claims for a started record', async () => {
      // Prepare
      await ledger.reserveStart(key);
      await ledger.markStarted(key.reviewId, { humanLoopName: key.reviewId });

      // Act
      const results = await Promise.all(Array.from({ length: 20 }, () => ledger.claimDelivery(key, 'reviewed')));

      // Assess
      expect(results.filter((result) => result === 'claimed')).toHaveLength(1);
      expect(results.filter((result) => result === 'busy')).toHaveLength(19);
    });

    it('lets exactly one of 10 records racing for the same reviewId reserve it; the others are duplicates', async () => {
      // Act
      const results = await Promise.all(Array.from({ length: 10 }, (_, recordIndex) => ledger.reserveStart({ ...key, recordIndex })));

      // Assess
      expect(results.filter((result) => result === 'reserved')).toHaveLength(1);
      expect(results.filter((result) => result === 'duplicate-id')).toHaveLength(9);
      const owner = results.indexOf('reserved');
      expect((await ledger.get(key.reviewId))?.recordIndex).toBe(owner);
    });
  });
  describe('the review loop: task tokens, status events, polls', () => {
    it('storeTaskToken parks the token of a started record and returns the entry', async () => {
      await ledger.reserveStart(key);
      await ledger.markStarted(key.reviewId, { humanLoopName: key.reviewId });

      const entry = await ledger.storeTaskToken(key.reviewId, 'token-1');

      expect(entry).toMatchObject({ reviewId: key.reviewId, state: 'started', taskToken: 'token-1' });
      expect((await ledger.get(key.reviewId))?.taskToken).toBe('token-1');
    });

    it('storeTaskToken parks nothing for an unknown or already delivered record', async () => {
      expect(await ledger.storeTaskToken(key.reviewId, 'token-1')).toBeUndefined();
      expect(await ledger.get(key.reviewId)).toBeUndefined();

      await ledger.claimDelivery(key, 'reviewed');
      await ledger.markDelivered(key.reviewId);
      expect(await ledger.storeTaskToken(key.reviewId, 'token-2')).toBeUndefined();
      expect((await ledger.get(key.reviewId))?.taskToken).toBeUndefined();
    });

    it('recordStatusEvent notes when and what, and returns the entry with its parked token; unknown loops are not ours', async () => {
      await ledger.reserveStart(key);
      await ledger.storeTaskToken(key.reviewId, 'token-1');
      clock.advance(7_000);

      const entry = await ledger.recordStatusEvent(key.reviewId, 'Completed');

      expect(entry).toMatchObject({ taskToken: 'token-1', lastEventAt: clock.now(), lastEventStatus: 'Completed' });
      expect(await ledger.recordStatusEvent('someone-else', 'Completed')).toBeUndefined();
      expect(await ledger.get('someone-else')).toBeUndefined();
    });

    it('markPollScheduled stamps the entry, and only an existing one', async () => {
      await ledger.reserveStart(key);

      await ledger.markPollScheduled(key.reviewId);
      await ledger.markPollScheduled('someone-else');

      expect((await ledger.get(key.reviewId))?.pollScheduledAt).toBe(clock.now());
      expect(await ledger.get('someone-else')).toBeUndefined();
    });

    it('markDelivered drops the parked token', async () => {
      await ledger.reserveStart(key);
      await ledger.storeTaskToken(key.reviewId, 'token-1');
      await ledger.claimDelivery(key, 'reviewed');

      await ledger.markDelivered(key.reviewId);

      expect((await ledger.get(key.reviewId))?.taskToken).toBeUndefined();
    });
  });

  describe('many records in few calls: claimDeliveries, markDeliveredMany, takeSlots', () => {
    const keyAt = (index: number): RecordKey => ({ reviewId: `invoices-${String(index).padStart(26, 'k')}`, workflow: 'invoices', recordIndex: index });

    it('claimDeliveries answers as claimDelivery would for each record, in order: claimed, delivered, busy, duplicate-id', async () => {
      // Prepare: one delivered, one held by another sender, one reviewId owned by another record.
      const [fresh, delivered, held, owned] = [keyAt(1), keyAt(2), keyAt(3), keyAt(4)];
      await ledger.claimDelivery(delivered, 'auto-accepted');
      await ledger.markDelivered(delivered.reviewId);
      await ledger.claimDelivery(held, 'auto-accepted');
      await ledger.reserveStart(owned);
      const started = await ledger.get(owned.reviewId);

      // Act
      const results = await ledger.claimDeliveries([
        { key: fresh, outcome: 'auto-accepted' },
        { key: delivered, outcome: 'auto-accepted' },
        { key: held, outcome: 'invalid' },
        { key: { ...owned, recordIndex: 99 }, outcome: 'invalid' },
      ]);

      // Assess
      expect(results).toEqual(['claimed', 'delivered', 'busy', 'duplicate-id']);
      expect(await ledger.get(fresh.reviewId)).toMatchObject({ state: 'delivering', outcome: 'auto-accepted', recordIndex: 1, claimedAt: clock.now() });
      expect((await ledger.get(delivered.reviewId))?.state).toBe('delivered');
      expect(await ledger.get(held.reviewId)).toMatchObject({ state: 'delivering', outcome: 'auto-accepted' });
      expect(await ledger.get(owned.reviewId)).toEqual(started);
    });

    it('claims and marks delivered more records than one transaction holds (250), and a second claim of each then says delivered', async () => {
      const keys = Array.from({ length: 250 }, (_, index) => keyAt(index));

      const claims = await ledger.claimDeliveries(keys.map((one) => ({ key: one, outcome: 'auto-accepted' as const })));
      await ledger.markDeliveredMany(keys.map((one) => one.reviewId));

      expect(claims).toEqual(keys.map(() => 'claimed'));
      expect(await ledger.claimDeliveries(keys.map((one) => ({ key: one, outcome: 'auto-accepted' as const })))).toEqual(keys.map(() => 'delivered'));
      const last = await ledger.get(keys[249].reviewId);
      expect(last).toMatchObject({ state: 'delivered', recordIndex: 249, outcome: 'auto-accepted', expiresAt: expiresAtFor(clock.now()) });
      expect(last?.claimedAt).toBeUndefined();
    });

    it('claimDeliveries of the same record twice in one call claims it once: the second is busy', async () => {
      expect(await ledger.claimDeliveries([{ key, outcome: 'auto-accepted' }, { key, outcome: 'auto-accepted' }])).toEqual(['claimed', 'busy']);
    });

    it('markDeliveredMany marks each claimed record delivered, drops claim and token, and creates nothing for an unknown reviewId', async () => {
      await ledger.reserveStart(key);
      await subject.storeTaskToken(key.reviewId, 'token-1');
      await ledger.claimDelivery(key, 'reviewed');
      await ledger.claimDelivery(keyAt(7), 'auto-accepted');

      await ledger.markDeliveredMany([key.reviewId, 'never-seen', keyAt(7).reviewId]);

      const entry = await ledger.get(key.reviewId);
      expect(entry).toMatchObject({ state: 'delivered', outcome: 'reviewed' });
      expect(entry?.taskToken).toBeUndefined();
      expect(entry?.claimedAt).toBeUndefined();
      expect((await ledger.get(keyAt(7).reviewId))?.state).toBe('delivered');
      expect(await ledger.get('never-seen')).toBeUndefined();
    });

    it('takeSlots takes the free slots and not the held ones, in order', async () => {
      const source = { type: 's3' as const, bucket: 'in', key: 'claims/a.jsonl', recordIndex: 0 };
      const slotAt = (index: number, holder: string): RecordSlot => ({ slotId: `slot#${index}`, holder, recordIndex: index, source: { ...source, recordIndex: index }, contentHash: 'c'.repeat(64) });
      await ledger.takeSlot(slotAt(1, 'old-holder'));
      const wanted = Array.from({ length: 120 }, (_, index) => slotAt(index, `new-${index}`));

      const taken = await ledger.takeSlots(wanted);

      expect(taken).toEqual(wanted.map((_, index) => index !== 1));
      expect((await ledger.getSlot('slot#1'))?.holder).toBe('old-holder');
      expect(await ledger.getSlot('slot#119')).toEqual(wanted[119]);
    });
  });
});

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import fc from 'fast-check';
import { reviewIdFor, type SourceIdentity, WORKFLOW_NAME_MAX_LENGTH } from '../../lib/naming';

/** A2I's documented constraints on a human loop name (written out here, not imported from lib). */
const A2I_PATTERN = /^[a-z0-9](-*[a-z0-9])*$/;
const A2I_MAX = 63;

const RUNS = { numRuns: 500 };

const nameCharacter = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-');
/** Any workflow name A2I accepts, of every length up to WORKFLOW_NAME_MAX_LENGTH. */
const workflowName = fc
  .integer({ min: 1, max: WORKFLOW_NAME_MAX_LENGTH })
  .chain((length) => fc.array(nameCharacter, { minLength: length, maxLength: length }))
  .map((characters) => characters.join(''))
  .filter((name) => A2I_PATTERN.test(name));

const text = fc.string({ unit: 'binary', maxLength: 80 });
const s3Source: fc.Arbitrary<SourceIdentity> = fc.record(
  {
    type: fc.constant('s3' as const),
    bucket: fc.stringMatching(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/),
    key: fc.string({ unit: 'binary', minLength: 1, maxLength: 200 }),
    versionId: fc.string({ minLength: 1, maxLength: 40 }),
    etag: fc.stringMatching(/^"[0-9a-f]{32}(-[0-9]{1,4})?"$/),
  },
  { requiredKeys: ['type', 'bucket', 'key'] },
);
const eventSource: fc.Arbitrary<SourceIdentity> = fc.record(
  { type: fc.constant('event' as const), eventSource: text, eventId: fc.uuid(), detailType: text },
  { requiredKeys: ['type', 'eventSource', 'eventId'] },
);
const source = fc.oneof(s3Source, eventSource);
const recordPosition = fc.record({ recordId: text, index: fc.nat() }, { requiredKeys: ['index'] });

describe('reviewIdFor', () => {
  it('WORKFLOW_NAME_MAX_LENGTH leaves room for a hash of at least 20 characters within 63', () => {
    // Assess
    expect(WORKFLOW_NAME_MAX_LENGTH).toBeGreaterThanOrEqual(16);
    expect(A2I_MAX - WORKFLOW_NAME_MAX_LENGTH - 1).toBeGreaterThanOrEqual(20);
  });

  it('always makes a valid A2I name: at most 63 characters, ^[a-z0-9](-*[a-z0-9])*$, starting with "<workflow>-"', () => {
    fc.assert(
      fc.property(workflowName, source, recordPosition, (workflow, identity, record) => {
        // Act
        const name = reviewIdFor(workflow, identity, record);

        // Assess
        expect(name.length).toBeLessThanOrEqual(A2I_MAX);
        expect(name).toMatch(A2I_PATTERN);
        expect(name.startsWith(`${workflow}-`)).toBe(true);
      }),
      RUNS,
    );
  });

  it('makes a valid name for the longest workflow names', () => {
    fc.assert(
      fc.property(
        fc.array(nameCharacter, { minLength: WORKFLOW_NAME_MAX_LENGTH, maxLength: WORKFLOW_NAME_MAX_LENGTH }).map((characters) => `a${characters.join('').slice(2)}z`),
        source,
        recordPosition,
        (workflow, identity, record) => {
          // Act
          const name = reviewIdFor(workflow, identity, record);

          // Assess
          expect(workflow).toHaveLength(WORKFLOW_NAME_MAX_LENGTH);
          expect(name.length).toBeLessThanOrEqual(A2I_MAX);
          expect(name).toMatch(A2I_PATTERN);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('is stable: equal inputs (built separately) give the same name', () => {
    fc.assert(
      fc.property(workflowName, source, recordPosition, (workflow, identity, record) => {
        // Act
        const first = reviewIdFor(workflow, identity, record);
        const second = reviewIdFor(`${workflow}`, structuredClone(identity), structuredClone(record));

        // Assess
        expect(second).toBe(first);
      }),
      RUNS,
    );
  });

  it('is stable across processes: another Node process computes the same names', () => {
    // Prepare
    const inputs = fc.sample(fc.tuple(workflowName, source, recordPosition), { numRuns: 40, seed: 20250101 });
    const names = inputs.map(([workflow, identity, record]) => reviewIdFor(workflow, identity, record));
    const root = join(__dirname, '..', '..');
    const script = [
      "const { reviewIdFor } = require('./lib/naming.ts');",
      "let input = ''; process.stdin.on('data', (chunk) => (input += chunk));",
      "process.stdin.on('end', () => process.stdout.write(JSON.stringify(JSON.parse(input).map(([w, s, r]) => reviewIdFor(w, s, r)))));",
    ].join('\n');

    // Act
    const output = execFileSync(process.execPath, ['-r', './bin/run-ts.js', '-e', script], { cwd: root, input: JSON.stringify(inputs), encoding: 'utf8' });

    // Assess
    expect(JSON.parse(output)).toEqual(names);
  });

  describe('a different source or record gives a different name', () => {
    const s3Only = s3Source as fc.Arbitrary<Extract<SourceIdentity, { type: 's3' }>>;
    const eventOnly = eventSource as fc.Arbitrary<Extract<SourceIdentity, { type: 'event' }>>;

    it.each(['bucket', 'key', 'versionId', 'etag'] as const)('when only the %s differs', (field) => {
      fc.assert(
        fc.property(workflowName, s3Only, recordPosition, fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }), (workflow, identity, record, other) => {
          // Prepare
          fc.pre(identity[field] !== other);
          const changed = { ...identity, [field]: other };

          // Act
          const before = reviewIdFor(workflow, identity, record);
          const after = reviewIdFor(workflow, changed, record);

          // Assess
          expect(after).not.toBe(before);
        }),
        RUNS,
      );
    });

    it.each(['eventSource', 'eventId'] as const)('when only the event %s differs', (field) => {
      fc.assert(
        fc.property(workflowName, eventOnly, recordPosition, text, (workflow, identity, record, other) => {
          // Prepare
          fc.pre(identity[field] !== other);

          // Act
          const before = reviewIdFor(workflow, identity, record);
          const after = reviewIdFor(workflow, { ...identity, [field]: other }, record);

          // Assess
          expect(after).not.toBe(before);
        }),
        RUNS,
      );
    });

    it('when only the recordId differs', () => {
      fc.assert(
        fc.property(workflowName, source, text, text, fc.nat(), (workflow, identity, recordId, otherId, index) => {
          // Prepare
          fc.pre(recordId !== otherId);

          // Act
          const before = reviewIdFor(workflow, identity, { recordId, index });
          const after = reviewIdFor(workflow, identity, { recordId: otherId, index });

          // Assess
          expect(after).not.toBe(before);
        }),
        RUNS,
      );
    });

    it('when only the index differs and the workflow has no recordId', () => {
      fc.assert(
        fc.property(workflowName, source, fc.nat(), fc.nat(), (workflow, identity, index, otherIndex) => {
          // Prepare
          fc.pre(index !== otherIndex);

          // Act
          const before = reviewIdFor(workflow, identity, { index });
          const after = reviewIdFor(workflow, identity, { index: otherIndex });

          // Assess
          expect(after).not.toBe(before);
        }),
        RUNS,
      );
    });

    it('when only the workflow differs', () => {
      fc.assert(
        fc.property(workflowName, workflowName, source, recordPosition, (workflow, otherWorkflow, identity, record) => {
          // Prepare
          fc.pre(workflow !== otherWorkflow);

          // Act
          const before = reviewIdFor(workflow, identity, record);
          const after = reviewIdFor(otherWorkflow, identity, record);

          // Assess
          expect(after).not.toBe(before);
        }),
        RUNS,
      );
    });

    it('between an S3 object and an event with the same strings', () => {
      fc.assert(
        fc.property(workflowName, text, text, recordPosition, (workflow, first, second, record) => {
          // Act
          const fromObject = reviewIdFor(workflow, { type: 's3', bucket: first, key: second }, record);
          const fromEvent = reviewIdFor(workflow, { type: 'event', eventSource: first, eventId: second }, record);

          // Assess
          expect(fromEvent).not.toBe(fromObject);
        }),
        RUNS,
      );
    });

    it('gives 5,000 records of one object 5,000 distinct names, with and without record ids', () => {
      // Prepare
      const identity: SourceIdentity = { type: 's3', bucket: 'model-output', key: 'big.jsonl', etag: '"0123456789abcdef0123456789abcdef"' };
      const positions = Array.from({ length: 5_000 }, (_, index) => index);

      // Act
      const byIndex = new Set(positions.map((index) => reviewIdFor('invoices', identity, { index })));
      const byId = new Set(positions.map((index) => reviewIdFor('invoices', identity, { recordId: `inv-${index}`, index: 0 })));

      // Assess
      expect(byIndex.size).toBe(5_000);
      expect(byId.size).toBe(5_000);
    });
  });

  describe('what does not change the name', () => {
    it('the position of a record that has a recordId (the id identifies it)', () => {
      fc.assert(
        fc.property(workflowName, source, text, fc.nat(), fc.nat(), (workflow, identity, recordId, index, otherIndex) => {
          // Act
          const before = reviewIdFor(workflow, identity, { recordId, index });
          const after = reviewIdFor(workflow, identity, { recordId, index: otherIndex });

          // Assess
          expect(after).toBe(before);
        }),
        RUNS,
      );
    });

    it("an event's detail-type (the event is identified by its source and id)", () => {
      fc.assert(
        fc.property(workflowName, eventSource, text, recordPosition, (workflow, identity, detailType, record) => {
          // Act
          const before = reviewIdFor(workflow, identity, record);
          const after = reviewIdFor(workflow, { ...identity, detailType } as SourceIdentity, record);

          // Assess
          expect(after).toBe(before);
        }),
        RUNS,
      );
    });
  });
});

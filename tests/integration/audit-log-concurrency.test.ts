// Many transactions writing to one audit chain at once (the platform chain during signups)
// must still form one unbroken chain in id order: audit_log_verify() finds nothing. Before
// the chain trigger drew the id under the chain's lock, this found broken links that were
// none (an entry with a smaller id chained after a larger one).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import type { TestDatabase } from '../support/database.ts';
import { createTestDatabase } from '../support/database.ts';

const WRITERS = 16;
const ENTRIES_EACH = 40;

describe('audit chain under concurrent writers', () => {
  let database: TestDatabase;
  before(async () => {
    database = await createTestDatabase();
  });
  after(async () => {
    await database?.drop();
  });

  it('stays one chain in id order, verified intact', async () => {
    const writers = await Promise.all(
      Array.from({ length: WRITERS }, async () => {
        const client = new pg.Client(database.ownerUrl);
        await client.connect();
        return client;
      }),
    );
    try {
      await Promise.all(
        writers.map(async (client, writer) => {
          for (let n = 0; n < ENTRIES_EACH; n += 1) {
            await client.query('BEGIN');
            await client.query(
              `INSERT INTO audit_log (actor_type, action, target_type, target_id) VALUES ('system', 'test.concurrent', 'writer', $1)`,
              [`${writer}/${n}`],
            );
            await client.query('COMMIT');
          }
        }),
      );
    } finally {
      await Promise.all(writers.map((client) => client.end()));
    }
    const [{ count }] = (await database.query<{ count: string }>(`SELECT count(*) FROM audit_log`)) as [
      { count: string },
    ];
    assert.equal(Number(count), WRITERS * ENTRIES_EACH);
    assert.deepEqual(await database.query(`SELECT * FROM audit_log_verify()`), []);
    // Each entry links to the one before it by id.
    const links = await database.query<{ ok: boolean }>(
      `SELECT bool_and(prev_hash IS NOT DISTINCT FROM lag) AS ok FROM (
         SELECT prev_hash, lag(hash) OVER (ORDER BY id) FROM audit_log WHERE tenant_id IS NULL) chained`,
    );
    assert.equal(links[0]?.ok, true);
  });
});

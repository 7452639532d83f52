import knexFactory, { type Knex } from 'knex';
import { arrayLiteral, runTogether, unnestInsert } from '../../src/db/statements.js';
import { testDatabaseUrl } from '../support/test-app.js';

describe('set-based statements', () => {
  let db: Knex;
  beforeAll(() => {
    db = knexFactory({ client: 'pg', connection: testDatabaseUrl(), pool: { min: 1, max: 1 } });
  });
  afterAll(() => db.destroy());

  test('when strings with quotes, backslashes, braces, commas, spaces and the word NULL are written as an array, then PostgreSQL reads them back unchanged', async () => {
    const values = ['plain', 'say "hi"', 'back\\slash', '{braces}', 'a,b', ' padded ', 'NULL', '', '王火炬', null, 'trailing\\'];
    const { rows } = await db.raw('select ?::text[] as a', [arrayLiteral(values)]);
    expect(rows[0].a).toEqual(values);
    expect((await db.raw('select ?::integer[] as a', [arrayLiteral([1, null, 30])])).rows[0].a).toEqual([1, null, 30]);
    expect(() => arrayLiteral([{}])).toThrow(TypeError);
  });

  test('when inserts into a table and one referencing it run together, then both land in one statement, the reference checked at its end', async () => {
    await db.transaction(async (trx) => {
      await trx.raw('create temporary table parents (id integer primary key) on commit drop');
      await trx.raw('create temporary table children (parent_id integer not null references parents (id), name text) on commit drop');
      // The child comes first: foreign keys are checked when the whole statement ends.
      await runTogether(trx, [
        unnestInsert('children', [['parent_id', 'integer', [1, 2, 2]], ['name', 'text', ['a', 'b', null]]]),
        unnestInsert('parents', [['id', 'integer', [1, 2]]]),
      ]);
      expect((await trx.raw('select parent_id, name from children order by parent_id, name')).rows).toEqual([
        { parent_id: 1, name: 'a' },
        { parent_id: 2, name: 'b' },
        { parent_id: 2, name: null },
      ]);
      await trx.raw('savepoint orphan');
      await expect(runTogether(trx, [unnestInsert('children', [['parent_id', 'integer', [9]], ['name', 'text', ['orphan']]])])).rejects.toMatchObject({ code: '23503' });
      await trx.raw('rollback to savepoint orphan');
      // No rows insert nothing.
      await runTogether(trx, [unnestInsert('parents', [['id', 'integer', []]])]);
      expect((await trx.raw('select count(*)::int as n from parents')).rows[0].n).toBe(2);
    });
  });
});

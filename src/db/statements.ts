/**
 * Set-based writes: a batch's rows as one statement per table, and a batch's statements as one
 * round trip.
 */
import type { Knex } from 'knex';
import type { Db } from './database.js';

/** A statement and its bindings (knex `?` placeholders). */
export interface Statement {
  sql: string;
  bindings: Knex.RawBinding[];
}

export type Column = [name: string, type: string, values: unknown[]];

/**
 * `insert into t (cols) select * from unnest(?::type[], …)`: the rows as column arrays, one
 * parameter per column, so a batch of any size stays within PostgreSQL's parameter limit. No rows
 * insert nothing.
 */
export function unnestInsert(table: string, columns: Column[]): Statement {
  const names = columns.map(([name]) => `"${name}"`).join(', ');
  const arrays = columns.map(([, type]) => `?::${type}[]`).join(', ');
  return { sql: `insert into ${table} (${names}) select * from unnest(${arrays})`, bindings: columns.map(([, , values]) => values) as Knex.RawBinding[] };
}

/**
 * Data-modifying statements run as one: `with w1 as (…), w2 as (…) last`. One round trip, not one
 * each. PostgreSQL runs every part to completion, and checks foreign keys when the whole statement
 * ends, so one part may reference rows another inserts. No two parts may touch the same row.
 */
export async function runTogether(trx: Db, statements: Statement[]): Promise<void> {
  const last = statements.at(-1);
  if (!last) return;
  const parts = statements.slice(0, -1).map((statement, i) => `w${i + 1} as (${statement.sql})`);
  const sql = parts.length ? `with ${parts.join(',\n')}\n${last.sql}` : last.sql;
  await trx.raw(sql, statements.flatMap((statement) => statement.bindings));
}

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

type Column = [name: string, type: string, values: unknown[]];

/**
 * `insert into t (cols) select * from unnest(?::type[], …)`: the rows as column arrays, one
 * parameter per column, so a batch of any size stays within PostgreSQL's parameter limit. No rows
 * insert nothing. The arrays are written out here, when the statement is made, not when it is sent
 * (as the driver would): a batch's statements are made while the one before is in the database.
 */
export function unnestInsert(table: string, columns: Column[]): Statement {
  const names = columns.map(([name]) => `"${name}"`).join(', ');
  const arrays = columns.map(([, type]) => `?::${type}[]`).join(', ');
  return { sql: `insert into ${table} (${names}) select * from unnest(${arrays})`, bindings: columns.map(([, , values]) => arrayLiteral(values)) };
}

/** PostgreSQL's text form of a one-dimensional array of strings, numbers and nulls. */
export function arrayLiteral(values: unknown[]): string {
  const elements = values.map((value) => {
    if (value === null || value === undefined) return 'NULL';
    if (typeof value === 'number') return String(value);
    if (typeof value !== 'string') throw new TypeError(`arrayLiteral takes strings, numbers and nulls, not ${typeof value}`);
    return `"${value.replace(/[\\"]/g, '\\$&')}"`;
  });
  return `{${elements.join(',')}}`;
}

/**
 * Data-modifying statements run as one: `with w1 as (…), w2 as (…) last`. One round trip, not one
 * each, and atomic even outside a transaction. PostgreSQL runs every part to completion, and checks
 * foreign keys when the whole statement ends, so one part may reference rows another inserts. No
 * two parts may touch the same row.
 */
export async function runTogether(conn: Db, statements: Statement[]): Promise<void> {
  const last = statements.at(-1);
  if (!last) return;
  const parts = statements.slice(0, -1).map((statement, i) => `w${i + 1} as (${statement.sql})`);
  const sql = parts.length ? `with ${parts.join(',\n')}\n${last.sql}` : last.sql;
  await conn.raw(sql, statements.flatMap((statement) => statement.bindings));
}

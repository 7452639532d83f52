import type { Knex } from 'knex';

/** SMS one-time codes (stored hashed) and the development outbox of text messages. */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('sms_codes', (t) => {
    t.bigIncrements('id');
    // Blind index of the mobile: codes are found by number without storing it.
    t.text('mobile_index').notNullable();
    t.text('purpose').notNullable();
    // HMAC-SHA256 of the code under a server secret, bound to the mobile and purpose.
    t.text('code_hash').notNullable();
    // The address that asked, for the daily cap per address.
    t.text('ip').notNullable();
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    // Single use. Only the newest code of a mobile and purpose counts: a resend replaces the last.
    t.timestamp('used_at', { useTz: true });
    t.index(['mobile_index', 'created_at']);
    t.index(['ip', 'created_at']);
    t.index(['created_at']);
  });
  await db.raw(
    `alter table sms_codes add constraint sms_codes_purpose_check
     check (purpose in ('register', 'reset', 'appeal', 'change_mobile', 'lookup'))`,
  );

  await db.schema.createTable('sms_outbox', (t) => {
    t.bigIncrements('id');
    t.text('mobile_encrypted').notNullable();
    t.text('mobile_index').notNullable();
    t.text('template').notNullable();
    t.text('text').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.index(['mobile_index', 'id']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('sms_outbox');
  await db.schema.dropTableIfExists('sms_codes');
}

import type { Db } from '../db/database.js';

export interface RegisterEntity {
  /** Normalised (validateUscc's form). */
  uscc: string;
  orgName: string;
  legalRepresentativeName: string;
}

/** SQL for the enterprise reference register: the local stand-in for the enterprise registry. */
export class ReferenceEntityRepository {
  constructor(private readonly db: Db) {}

  /** Adds units or updates them; loading the same register twice changes nothing. */
  async upsert(entities: readonly RegisterEntity[]): Promise<void> {
    if (entities.length === 0) return;
    await this.db('reference_register_entities')
      .insert(
        entities.map((entity) => ({
          uscc: entity.uscc,
          org_name: entity.orgName,
          legal_representative_name: entity.legalRepresentativeName,
          updated_at: this.db.fn.now(),
        })),
      )
      .onConflict('uscc')
      .merge(['org_name', 'legal_representative_name', 'updated_at']);
  }

  async find(uscc: string): Promise<RegisterEntity | undefined> {
    const row = await this.db('reference_register_entities').where({ uscc }).first('uscc', 'org_name', 'legal_representative_name');
    return row && { uscc: row.uscc, orgName: row.org_name, legalRepresentativeName: row.legal_representative_name };
  }
}

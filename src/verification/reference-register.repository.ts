import type { DocumentType } from '../accounts/identity-documents.js';
import type { Db } from '../db/database.js';
import type { PiiCrypto } from '../security/pii-crypto.js';

export interface RegisterPerson {
  name: string;
  documentType: DocumentType;
  /** Normalised (validateDocumentNumber's form); only its keyed blind index is stored. */
  documentNumber: string;
}

/**
 * SQL for the reference register: a local stand-in for the identity authority. The clear
 * document number never reaches the table; lookups go through the keyed blind index.
 */
export class ReferenceRegisterRepository {
  constructor(
    private readonly db: Db,
    private readonly crypt: PiiCrypto,
  ) {}

  /** Adds people or renames them; loading the same register twice changes nothing. */
  async upsert(people: readonly RegisterPerson[]): Promise<void> {
    if (people.length === 0) return;
    await this.db('reference_register_people')
      .insert(
        people.map((person) => ({
          document_type: person.documentType,
          document_number_index: this.crypt.blindIndex(person.documentNumber),
          name: person.name,
          updated_at: this.db.fn.now(),
        })),
      )
      .onConflict(['document_type', 'document_number_index'])
      .merge(['name', 'updated_at']);
  }

  /** The registered name for this document, if the register has it. */
  async findName(documentType: DocumentType, documentNumber: string): Promise<string | undefined> {
    const row = await this.db('reference_register_people')
      .where({ document_type: documentType, document_number_index: this.crypt.blindIndex(documentNumber) })
      .first('name');
    return row?.name as string | undefined;
  }
}

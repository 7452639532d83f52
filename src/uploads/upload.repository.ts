import type { Db } from '../db/database.js';
import type { PiiCrypto } from '../security/pii-crypto.js';
import type { ImageMediaType } from './image-sanitizer.js';

export type UploadPurpose =
  | 'identity_document_front'
  | 'identity_document_back'
  // A unit's manual review: 营业执照, 法定代表人证件, 加盖公章的授权书.
  | 'business_license'
  | 'legal_representative_document'
  | 'authorization_letter';

export interface StoredUpload {
  id: string;
  /** null for an appeal's images (src/flows/appeal). */
  ownerAccountId: string | null;
  purpose: UploadPurpose;
  mediaType: ImageMediaType;
  sizeBytes: number;
  sha256: string;
  createdAt: Date;
}

// The ciphertext is bound to its row: a copy pasted into another row fails authentication.
const encryptionContext = (id: string) => `upload:${id}`;

const toUpload = (row: Record<string, unknown>): StoredUpload => ({
  id: row.id as string,
  ownerAccountId: row.owner_account_id as string | null,
  purpose: row.purpose as UploadPurpose,
  mediaType: row.media_type as ImageMediaType,
  sizeBytes: Number(row.size_bytes),
  sha256: row.sha256 as string,
  createdAt: new Date(row.created_at as string),
});

const METADATA_COLUMNS = ['id', 'owner_account_id', 'purpose', 'media_type', 'size_bytes', 'sha256', 'created_at'];

/** SQL for uploads; the image bytes are encrypted and decrypted here, at the edge. */
export class UploadRepository {
  constructor(
    private readonly db: Db,
    private readonly crypt: PiiCrypto,
  ) {}

  async insert(
    upload: Omit<StoredUpload, 'createdAt'>,
    bytes: Buffer,
    trx: Db = this.db,
  ): Promise<StoredUpload> {
    const [row] = await trx('uploads')
      .insert({
        id: upload.id,
        owner_account_id: upload.ownerAccountId,
        purpose: upload.purpose,
        media_type: upload.mediaType,
        size_bytes: upload.sizeBytes,
        sha256: upload.sha256,
        ciphertext: this.crypt.encryptBytes(bytes, encryptionContext(upload.id)),
      })
      .returning(METADATA_COLUMNS);
    return toUpload(row);
  }

  async findById(id: string, trx: Db = this.db): Promise<StoredUpload | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    const row = await trx('uploads').where({ id }).first(METADATA_COLUMNS);
    return row ? toUpload(row) : undefined;
  }

  async readBytes(id: string): Promise<Buffer | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    const row = await this.db('uploads').where({ id }).first('ciphertext');
    return row ? this.crypt.decryptBytes(row.ciphertext as Buffer, encryptionContext(id)) : undefined;
  }
}

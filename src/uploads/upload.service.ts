import crypto from 'node:crypto';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { Db } from '../db/database.js';
import { DomainError } from '../errors.js';
import type { Logger } from '../logger.js';
import { ImageRefused, sanitizeImage, type CleanImage, type ImageMediaType } from './image-sanitizer.js';
import type { StoredUpload, UploadPurpose, UploadRepository } from './upload.repository.js';


/** The file names the form allows; the content is checked separately, by decoding it. */
const ALLOWED_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png']);
export type { StoredUpload, UploadPurpose };

export interface UploadInput {
  /** null: an appeal's images, filed by someone who cannot sign in. */
  ownerAccountId: string | null;
  purpose: UploadPurpose;
  /** The name the browser sent. Never decides anything: only its extension is logged when the content is refused. */
  filename?: string;
  /** The file, whole or as a stream (read up to the size limit, then abandoned). */
  bytes?: Buffer;
  stream?: Readable;
  /** The form field that carried the file: refusals name it, so the page marks the right input. */
  field?: string;
}

/** `1 MB` for the messages: the limit as people say it. */
export function formatSize(bytes: number): string {
  return bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MB` : `${Math.ceil(bytes / 1024)} KB`;
}

/** Reads a stream into memory, but never more than `max` bytes: past that it is destroyed. */
async function readAtMost(stream: Readable, max: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > max) {
      stream.destroy();
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * The content-checked store for identity-document images (SPEC §4): JPEG or PNG by content, at most
 * `maxBytes`, metadata stripped, encrypted at rest in the database. Refusals are DomainErrors with
 * a message for the field (413 too large, 415 not an image, 400 damaged or missing).
 */
export class UploadService {
  constructor(
    private readonly repository: UploadRepository,
    private readonly logger: Logger,
    readonly maxBytes: number,
  ) {}

  /** Checks and cleans an image without storing it (so a form with two files stores both or neither). */
  async check(input: Omit<UploadInput, 'ownerAccountId' | 'purpose'>): Promise<CleanImage> {
    const field = input.field ?? 'file';
    const bytes = input.bytes ?? (input.stream ? await readAtMost(input.stream, this.maxBytes) : Buffer.alloc(0));
    if (!bytes || bytes.length > this.maxBytes) {
      throw new DomainError('upload.error.too_large', 413, { [field]: 'upload.error.too_large' }, { size: formatSize(this.maxBytes) });
    }
    if (bytes.length === 0) throw new DomainError('upload.error.required', 400, { [field]: 'upload.error.required' });
    // Name and content must both say jpg/jpeg/png: a PNG named .pdf is refused like a PDF (SPEC §4).
    if (input.filename !== undefined && !ALLOWED_EXTENSIONS.has(path.extname(input.filename).toLowerCase())) {
      this.logger.info({ field, reason: 'extension', declaredExtension: path.extname(input.filename).toLowerCase().slice(0, 10), size: bytes.length }, 'upload refused');
      throw new DomainError('upload.error.type', 415, { [field]: 'upload.error.type' });
    }
    try {
      return await sanitizeImage(bytes);
    } catch (error) {
      if (!(error instanceof ImageRefused)) throw error;
      // Which wrong files people send (PDFs? HEIC?) tells support what to explain; the name itself may hold a person's name.
      const declaredExtension = path.extname(input.filename ?? '').toLowerCase().slice(0, 10);
      this.logger.info({ field, reason: error.reason, declaredExtension, size: bytes.length }, 'upload refused');
      if (error.reason === 'type') throw new DomainError('upload.error.type', 415, { [field]: 'upload.error.type' });
      throw new DomainError('upload.error.unreadable', 400, { [field]: 'upload.error.unreadable' });
    }
  }

  /** Stores an image that `check` accepted. */
  async save(ownerAccountId: string | null, purpose: UploadPurpose, image: CleanImage, trx?: Db): Promise<StoredUpload> {
    return this.repository.insert(
      {
        id: crypto.randomUUID(),
        ownerAccountId,
        purpose,
        mediaType: image.mediaType,
        sizeBytes: image.bytes.length,
        sha256: crypto.createHash('sha256').update(image.bytes).digest('hex'),
      },
      image.bytes,
      trx,
    );
  }

  /** Checks, cleans and stores one image. */
  async store(input: UploadInput, trx?: Db): Promise<StoredUpload> {
    return this.save(input.ownerAccountId, input.purpose, await this.check(input), trx);
  }

  async find(id: string, trx?: Db): Promise<StoredUpload | undefined> {
    return this.repository.findById(id, trx);
  }

  /** The clean image, decrypted: for the review console only. */
  async read(id: string): Promise<{ mediaType: ImageMediaType; bytes: Buffer } | undefined> {
    const upload = await this.repository.findById(id);
    const bytes = upload && (await this.repository.readBytes(id));
    return upload && bytes ? { mediaType: upload.mediaType, bytes } : undefined;
  }
}

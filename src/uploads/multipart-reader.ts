import busboy from 'busboy';
import type { Context } from 'koa';
import { DomainError } from '../errors.js';
import { formatSize } from './upload.service.js';

export interface MultipartFile {
  filename: string;
  bytes: Buffer;
}

export interface MultipartForm {
  /** Text fields (the CSRF token); anything over the field size limit is dropped. */
  fields: Record<string, string>;
  /** The expected file fields that came with content; empty file inputs are absent. */
  files: Partial<Record<string, MultipartFile>>;
}

export interface MultipartOptions {
  fileFields: readonly string[];
  maxFileBytes: number;
  /** Text fields read (default 8); a long form (an appeal) names its own. */
  maxTextFields?: number;
  /**
   * The whole request's cap (default: every file at its limit, plus the text around them). A form
   * that must come back with what was typed even when a photo is too large reads further,
   * discarding the file's bytes past its limit.
   */
  maxRequestBytes?: number;
}

/** A form whose over-large files were cut off rather than refused: the fields are all there. */
export interface MultipartParts extends MultipartForm {
  /** The file fields whose content went over the limit (and was discarded). */
  oversized: string[];
}

/** Room for boundaries, part headers and the small text fields around the files. */
const FORM_OVERHEAD_BYTES = 64 * 1024;
const MAX_TEXT_FIELDS = 8;
const MAX_TEXT_FIELD_BYTES = 4 * 1024;

/**
 * Reads a multipart/form-data request with busboy, holding at most `maxFileBytes` of each expected
 * file in memory. A file over the limit is cut off there: busboy stops handing its bytes over and
 * the rest is discarded as it streams past (the browser then sees our 413 page rather than a reset
 * connection). The whole request is capped too: a declared length over the cap is refused before
 * a byte is read, and a chunked body that grows past it is abandoned on the spot.
 */
export async function readMultipartForm(ctx: Context, options: MultipartOptions): Promise<MultipartForm> {
  const { fields, files, oversized } = await readMultipartParts(ctx, options);
  if (oversized.length > 0) {
    const size = { size: formatSize(options.maxFileBytes) };
    throw new DomainError('upload.error.too_large', 413, Object.fromEntries(oversized.map((name) => [name, 'upload.error.too_large' as const])), size);
  }
  return { fields, files };
}

/** As readMultipartForm, but a file over its limit is named in `oversized` instead of refusing the form. */
export function readMultipartParts(ctx: Context, options: MultipartOptions): Promise<MultipartParts> {
  const { fileFields, maxFileBytes } = options;
  const maxTextFields = options.maxTextFields ?? MAX_TEXT_FIELDS;
  const requestCap = options.maxRequestBytes ?? fileFields.length * maxFileBytes + FORM_OVERHEAD_BYTES;
  const size = { size: formatSize(maxFileBytes) };
  const tooBig = () => {
    // We stop reading: the connection cannot carry another request after this one.
    ctx.set('Connection', 'close');
    return new DomainError('upload.error.request_too_large', 413, {}, size);
  };

  if (!ctx.is('multipart/form-data')) return Promise.reject(new DomainError('upload.error.not_multipart', 415));
  if (Number(ctx.get('content-length')) > requestCap) return Promise.reject(tooBig());

  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: ctx.req.headers,
      limits: {
        fileSize: maxFileBytes,
        files: fileFields.length,
        fields: maxTextFields,
        fieldSize: MAX_TEXT_FIELD_BYTES,
        parts: fileFields.length + maxTextFields,
        headerPairs: 16,
      },
    });
  } catch {
    // No boundary in the Content-Type: not a form a browser sent.
    return Promise.reject(new DomainError('upload.error.not_multipart', 415));
  }

  return new Promise((resolve, reject) => {
    const fields: Record<string, string> = {};
    const files: Partial<Record<string, MultipartFile>> = {};
    const oversized = new Set<string>();
    const fileStreams: Promise<void>[] = [];
    let received = 0;
    let settled = false;
    const fail = (error: DomainError) => {
      if (settled) return;
      settled = true;
      ctx.req.unpipe(parser);
      reject(error);
    };

    ctx.req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > requestCap) fail(tooBig());
    });

    parser.on('file', (name, stream, info) => {
      if (!fileFields.includes(name) || name in files || oversized.has(name)) {
        stream.resume();
        return;
      }
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () => {
        oversized.add(name);
        chunks.length = 0; // the part already held is of no use: free it now
      });
      fileStreams.push(
        new Promise((done) =>
          stream.on('close', () => {
            const bytes = Buffer.concat(chunks);
            if (!oversized.has(name) && bytes.length > 0) files[name] = { filename: info.filename ?? '', bytes };
            done();
          }),
        ),
      );
    });
    parser.on('field', (name, value, info) => {
      if (!info.valueTruncated && !info.nameTruncated) fields[name] = value;
    });
    parser.on('error', () => fail(new DomainError('upload.error.not_multipart', 400)));
    parser.on('close', () => {
      Promise.all(fileStreams).then(() => {
        if (settled) return;
        settled = true;
        resolve({ fields, files, oversized: [...oversized] });
      }, reject);
    });
    ctx.req.pipe(parser);
  });
}

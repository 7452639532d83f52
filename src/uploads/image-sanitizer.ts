import type Sharp from 'sharp';

/**
 * sharp (libvips) is loaded at the first upload, not at start-up: it adds about 11 MB to the
 * server's memory (measured: RSS after import, on top of knex, pg and oidc-provider), and most
 * processes never sanitize an image.
 */
let sharpModule: Promise<typeof Sharp> | undefined;
const loadSharp = () => (sharpModule ??= import('sharp').then((module) => module.default));

export type ImageMediaType = 'image/jpeg' | 'image/png';

/** Why an image was refused: the bytes are another kind of file, or claim to be an image but don't decode. */
export class ImageRefused extends Error {
  constructor(readonly reason: 'type' | 'unreadable') {
    super(`image refused: ${reason}`);
  }
}

export interface CleanImage {
  mediaType: ImageMediaType;
  bytes: Buffer;
}

const JPEG_MAGIC = Buffer.from([0xff, 0xd8, 0xff]);
const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * A 1 MB PNG of one colour can claim 20000 × 20000 pixels and take gigabytes to decode. A phone
 * photo of a document is well under this (a 24-megapixel camera gives 6000 × 4000).
 */
const MAX_PIXELS = 25_000_000;

/** The type the first bytes say, whatever the file name or Content-Type claimed. */
function sniffImageType(bytes: Buffer): ImageMediaType | undefined {
  if (bytes.subarray(0, JPEG_MAGIC.length).equals(JPEG_MAGIC)) return 'image/jpeg';
  if (bytes.subarray(0, PNG_MAGIC.length).equals(PNG_MAGIC)) return 'image/png';
  return undefined;
}

/**
 * Accepts JPEG and PNG only, decided by content: the magic bytes, then a full decode. The image is
 * re-encoded, which drops every metadata segment and chunk (EXIF with GPS, XMP, IPTC, comments,
 * PNG text chunks, ICC profiles) — sharp keeps none unless asked. The EXIF orientation is applied
 * first, so a photo taken sideways still shows upright once its EXIF is gone.
 */
export async function sanitizeImage(bytes: Buffer): Promise<CleanImage> {
  const mediaType = sniffImageType(bytes);
  if (!mediaType) throw new ImageRefused('type');
  // failOn 'warning' (sharp's default, spelled out): a truncated or corrupt image is refused, not patched.
  const input = { failOn: 'warning', limitInputPixels: MAX_PIXELS } as const;
  const sharp = await loadSharp();
  try {
    const { format } = await sharp(bytes, input).metadata();
    // The magic bytes and the decoder must agree, or a polyglot could pass as what it isn't.
    if ((mediaType === 'image/jpeg') !== (format === 'jpeg') || (mediaType === 'image/png') !== (format === 'png')) {
      throw new ImageRefused('type');
    }
    const pipeline = sharp(bytes, input).rotate();
    const encoded = mediaType === 'image/jpeg' ? pipeline.jpeg({ quality: 90 }) : pipeline.png({ compressionLevel: 9 });
    return { mediaType, bytes: await encoded.toBuffer() };
  } catch (error) {
    if (error instanceof ImageRefused) throw error;
    throw new ImageRefused('unreadable');
  }
}

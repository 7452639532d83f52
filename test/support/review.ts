/**
 * Helpers for the review-console tests: operators with their TOTP secret, unique identity
 * documents, and images built byte by byte (with metadata that must not survive an upload).
 */
import crypto from 'node:crypto';
import zlib from 'node:zlib';
import { generate } from 'otplib';
import sharp from 'sharp';
import { isValidResidentId } from '../../src/accounts/identity-documents.js';
import type { OperatorRole } from '../../src/review/operator.repository.js';
import { createNaturalAccount, type CreatedAccount } from './accounts.js';
import { STRONG_PASSWORD, unique, type TestApp } from './test-app.js';
import { hiddenInput, UserAgent } from './user-agent.js';

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/** A random resident ID card number with a correct check character (tests must not share documents). */
export function uniqueResidentId(): string {
  const birth = new Date(Date.UTC(1950 + crypto.randomInt(0, 50), crypto.randomInt(0, 12), 1 + crypto.randomInt(0, 28)));
  const first17 = `110105${birth.toISOString().slice(0, 10).replaceAll('-', '')}${String(crypto.randomInt(0, 1000)).padStart(3, '0')}`;
  const sum = [...first17].reduce((total, digit, i) => total + Number(digit) * WEIGHTS[i]!, 0);
  const number = first17 + '10X98765432'[sum % 11];
  if (!isValidResidentId(number)) throw new Error(`generated an invalid id ${number}`);
  return number;
}

/** A natural person with an identity document on file: what a manual-verification case needs. */
export function createApplicant(app: TestApp): Promise<CreatedAccount & { documentNumber: string }> {
  const documentNumber = uniqueResidentId();
  return createNaturalAccount(app, { documentNumber, name: '李四' }).then((created) => ({ ...created, documentNumber }));
}

export interface TestOperator {
  id: string;
  username: string;
  password: string;
  totpSecret: string;
}

export async function createOperator(app: TestApp, role: OperatorRole = 'reviewer'): Promise<TestOperator> {
  const username = unique('op');
  const { operator, totpSecret } = await app.context.operators.create({ username, password: STRONG_PASSWORD, role }, { type: 'cli' });
  return { id: operator.id, username, password: STRONG_PASSWORD, totpSecret };
}

/** The code an authenticator app shows now (or `offsetSeconds` away from now). */
export function totpCode(secret: string, offsetSeconds = 0): Promise<string> {
  return generate({ secret, epoch: Math.floor(Date.now() / 1000) + offsetSeconds });
}

/** Opens the console's sign-in page and posts it; returns the page the agent ends on. */
export async function consoleSignIn(app: TestApp, agent: UserAgent, operator: TestOperator, fields: Record<string, string> = {}) {
  const page = await agent.follow(`${app.url}/console/sign-in`);
  const csrf = hiddenInput(page.body, 'csrf') ?? '';
  return agent.submit(`${app.url}/console/sign-in`, {
    csrf,
    username: operator.username,
    password: operator.password,
    totp: await totpCode(operator.totpSecret),
    ...fields,
  });
}

/** A small real JPEG or PNG: a gradient, so re-encoding has something to encode. */
export async function plainImage(format: 'jpeg' | 'png', width = 96, height = 64): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i += 1) {
    pixels[i * 3] = (i % width) * 2;
    pixels[i * 3 + 1] = Math.floor(i / width) * 3;
    pixels[i * 3 + 2] = 128;
  }
  const image = sharp(pixels, { raw: { width, height, channels: 3 } });
  return format === 'jpeg' ? image.jpeg().toBuffer() : image.png().toBuffer();
}

function segment(marker: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt16BE(0xff00 | marker, 0);
  header.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([header, payload]);
}

/** A little-endian TIFF with IFD0 (ImageDescription) and a GPS IFD (latitude 39°54'27" N). */
function exifWithGps(description: string): Buffer {
  const text = Buffer.from(`${description}\0`, 'latin1');
  const ifd0 = 8;
  const gpsIfd = ifd0 + 2 + 2 * 12 + 4;
  const textAt = gpsIfd + 2 + 2 * 12 + 4;
  const rationalsAt = textAt + text.length + (text.length % 2);
  const tiff = Buffer.alloc(rationalsAt + 24);
  tiff.write('II', 0, 'latin1');
  tiff.writeUInt16LE(42, 2);
  tiff.writeUInt32LE(ifd0, 4);
  const entry = (at: number, tag: number, type: number, count: number, value: number) => {
    tiff.writeUInt16LE(tag, at);
    tiff.writeUInt16LE(type, at + 2);
    tiff.writeUInt32LE(count, at + 4);
    tiff.writeUInt32LE(value, at + 8);
  };
  tiff.writeUInt16LE(2, ifd0);
  entry(ifd0 + 2, 0x010e, 2, text.length, textAt); // ImageDescription
  entry(ifd0 + 14, 0x8825, 4, 1, gpsIfd); // GPSInfo
  tiff.writeUInt16LE(2, gpsIfd);
  entry(gpsIfd + 2, 0x0001, 2, 2, 0x4e); // GPSLatitudeRef 'N'
  entry(gpsIfd + 14, 0x0002, 5, 3, rationalsAt); // GPSLatitude
  text.copy(tiff, textAt);
  [39, 1, 54, 1, 27, 1].forEach((value, i) => tiff.writeUInt32LE(value, rationalsAt + i * 4));
  return Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
}

/**
 * A JPEG carrying `marker` in an EXIF segment with GPS coordinates, in an XMP segment and in a
 * comment: everything an upload must shed.
 */
export async function jpegWithMetadata(marker: string): Promise<Buffer> {
  const jpeg = await plainImage('jpeg');
  // Keep SOI and the JFIF APP0 first, as decoders expect; the metadata goes right after.
  const afterApp0 = jpeg[3] === 0xe0 ? 4 + jpeg.readUInt16BE(4) : 2;
  const xmp = Buffer.from(`http://ns.adobe.com/xap/1.0/\0<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description>${marker}</rdf:Description></x:xmpmeta>`, 'latin1');
  return Buffer.concat([
    jpeg.subarray(0, afterApp0),
    segment(0xe1, exifWithGps(marker)),
    segment(0xe1, xmp),
    segment(0xfe, Buffer.from(marker, 'latin1')),
    jpeg.subarray(afterApp0),
  ]);
}

/** A PNG carrying `marker` in a tEXt chunk right after IHDR. */
export async function pngWithText(marker: string): Promise<Buffer> {
  const png = await plainImage('png');
  const ihdrEnd = 8 + 4 + 4 + 13 + 4;
  const type = Buffer.from('tEXt', 'latin1');
  const data = Buffer.from(`Comment\0${marker}`, 'latin1');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(Buffer.concat([type, data])));
  return Buffer.concat([png.subarray(0, ihdrEnd), length, type, data, crc, png.subarray(ihdrEnd)]);
}

/** Stores two clean images for `accountId` and opens a case, as the upload route does. */
export async function openCase(app: TestApp, accountId: string) {
  const { uploads, reviews } = app.context;
  const front = await uploads.store({ ownerAccountId: accountId, purpose: 'identity_document_front', bytes: await plainImage('jpeg') });
  const back = await uploads.store({ ownerAccountId: accountId, purpose: 'identity_document_back', bytes: await plainImage('png') });
  return reviews.openNaturalVerificationCase({ accountId, frontUploadId: front.id, backUploadId: back.id }, { type: 'account', id: accountId });
}

/**
 * The manual-verification upload (SPEC §4): content-checked, size-limited before storage, metadata
 * stripped, encrypted at rest. Driven through POST /verification/upload mounted on a minimal app
 * with the real middleware (the portal session that will name the account is another branch's:
 * here a test header names it).
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import Koa from 'koa';
import sharp from 'sharp';
import { errorHandler, localeSelection } from '../../src/http/middleware.js';
import { browserCsrf } from '../../src/security/browser-csrf.js';
import { CsrfTokens } from '../../src/security/csrf.js';
import { verificationUploadRoutes } from '../../src/uploads/verification-upload.routes.js';
import { createNaturalAccount } from '../support/accounts.js';
import { createApplicant, jpegWithMetadata, plainImage, pngWithText } from '../support/review.js';
import { startTestApp, unique, type TestApp } from '../support/test-app.js';

const MB = 1024 * 1024;

describe('manual verification uploads', () => {
  let app: TestApp;
  let server: http.Server;
  let base = '';

  beforeAll(async () => {
    app = await startTestApp();
    const tokens = new CsrfTokens(crypto.randomBytes(32));
    const koa = new Koa();
    const csrfPage = new Router().get('/csrf', (ctx) => {
      ctx.body = { token: ctx.state.csrfToken };
    });
    const { db, uploads, reviews, rateLimiter, logger } = app.context;
    const upload = verificationUploadRoutes(
      { db, uploads, reviews, rateLimiter, csrf: tokens },
      { accountIdOf: (ctx) => ctx.get('x-test-account') || undefined, doneUrl: '/my' },
    );
    koa
      .use(localeSelection(false))
      .use(browserCsrf(tokens, false))
      .use(errorHandler(logger, { supportPhone: '010-88659000' }))
      .use(csrfPage.routes())
      .use(upload.routes());
    server = http.createServer(koa.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    await app?.close();
  });

  /** A browser's CSRF cookie and the token its forms carry. */
  async function csrf() {
    const response = await fetch(`${base}/csrf`);
    const cookie = response.headers.getSetCookie()[0]!.split(';')[0]!;
    return { cookie, token: ((await response.json()) as { token: string }).token };
  }

  type Part = { bytes: Buffer; filename: string; type?: string };

  async function post(accountId: string, files: { front?: Part; back?: Part }, options: { csrf?: boolean; accept?: string } = {}) {
    const { cookie, token } = await csrf();
    const form = new FormData();
    if (options.csrf !== false) form.set('csrf', token);
    for (const [field, part] of Object.entries(files)) {
      if (part) form.set(field, new Blob([part.bytes], { type: part.type ?? 'image/jpeg' }), part.filename);
    }
    const response = await fetch(`${base}/verification/upload`, {
      method: 'POST',
      body: form,
      redirect: 'manual',
      headers: { cookie, 'x-test-account': accountId, accept: options.accept ?? 'application/json', 'accept-language': 'zh-CN' },
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) as { error: string; fields: Record<string, string>; case_id: string } };
  }

  const uploadsOf = (accountId: string) => app.context.db('uploads').where({ owner_account_id: accountId }).select();
  const jpeg = async (filename = 'front.jpg'): Promise<Part> => ({ bytes: await plainImage('jpeg'), filename });
  const png = async (filename = 'back.png'): Promise<Part> => ({ bytes: await plainImage('png'), filename, type: 'image/png' });

  test('when a JPEG front and a PNG back are uploaded, then both are stored, a case is opened and the account is pending review', async () => {
    const applicant = await createApplicant(app);
    const response = await post(applicant.account.id, { front: await jpeg(), back: await png() });
    expect(response.status).toBe(201);
    const caseId = response.json().case_id;
    const stored = await uploadsOf(applicant.account.id);
    expect(stored.map((u) => [u.purpose, u.media_type]).sort()).toEqual([
      ['identity_document_back', 'image/png'],
      ['identity_document_front', 'image/jpeg'],
    ]);
    const reviewCase = await app.context.db('review_cases').where({ id: caseId }).first();
    expect(reviewCase).toMatchObject({ status: 'pending', account_id: applicant.account.id, kind: 'natural_verification' });
    expect(reviewCase.snapshot).toEqual({ name: '李四', identityType: 'mainland', documentType: 'resident_id', documentNumberMasked: expect.stringMatching(/^110\*+\w{4}$/) });
    expect((await app.context.accounts.findById(applicant.account.id))!.realNameStatus).toBe('pending_review');
  });

  test('when a browser posts the form, then it is sent on to the page given (303)', async () => {
    const applicant = await createApplicant(app);
    const response = await post(applicant.account.id, { front: await jpeg(), back: await jpeg('back.jpeg') }, { accept: 'text/html' });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/my');
  });

  test('when the front image is 2 MB, then the answer is 413 with a message on the front field, and nothing is stored', async () => {
    const applicant = await createApplicant(app);
    const big = Buffer.concat([await plainImage('jpeg'), crypto.randomBytes(2 * MB)]);
    const response = await post(applicant.account.id, { front: { bytes: big, filename: 'front.jpg' }, back: await png() });
    expect(response.status).toBe(413);
    expect(response.json().fields).toEqual({ front: '图片不能超过 1 MB，请压缩后重新上传' });
    expect(await uploadsOf(applicant.account.id)).toEqual([]);
    expect(await app.context.db('review_cases').where({ account_id: applicant.account.id })).toEqual([]);
    expect((await app.context.accounts.findById(applicant.account.id))!.realNameStatus).toBe('unverified');
  });

  test('when the request itself is far over the limit, then 413 comes back without the body being read, and nothing is stored', async () => {
    const applicant = await createApplicant(app);
    const huge = crypto.randomBytes(5 * MB);
    const response = await post(applicant.account.id, { front: { bytes: huge, filename: 'a.jpg' }, back: { bytes: huge, filename: 'b.jpg' } });
    expect(response.status).toBe(413);
    expect(response.json().error).toBe('upload.error.request_too_large');
    expect(await uploadsOf(applicant.account.id)).toEqual([]);
  });

  test('when a text file is renamed .jpg and sent as image/jpeg, then it is refused with 415 and a message on its field', async () => {
    const applicant = await createApplicant(app);
    const text = { bytes: Buffer.from('这不是图片 / not an image at all\n'.repeat(20)), filename: 'front.jpg', type: 'image/jpeg' };
    const response = await post(applicant.account.id, { front: text, back: await png() });
    expect(response.status).toBe(415);
    expect(response.json().fields).toEqual({ front: '只能上传 jpg、jpeg 或 png 格式的图片' });
    expect(await uploadsOf(applicant.account.id)).toEqual([]);
  });

  test('when a PDF is uploaded (even named .png), then it is refused with 415', async () => {
    const applicant = await createApplicant(app);
    const pdf = { bytes: Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n'), filename: 'back.png', type: 'image/png' };
    const response = await post(applicant.account.id, { front: await jpeg(), back: pdf });
    expect(response.status).toBe(415);
    expect(Object.keys(response.json().fields)).toEqual(['back']);
    expect(await uploadsOf(applicant.account.id)).toEqual([]);
  });

  test('when a PNG is named .pdf, then it is refused with 415 like a PDF and nothing is stored: the name must say jpg/jpeg/png too', async () => {
    const applicant = await createApplicant(app);
    const response = await post(applicant.account.id, { front: await jpeg(), back: { ...(await png('scan.pdf')), type: 'application/pdf' } });
    expect(response.status).toBe(415);
    expect(response.json().fields).toEqual({ back: '只能上传 jpg、jpeg 或 png 格式的图片' });
    expect(await uploadsOf(applicant.account.id)).toEqual([]);
  });

  test('when a PNG is named .jpg, then it is accepted and stored as the PNG it is', async () => {
    const applicant = await createApplicant(app);
    const response = await post(applicant.account.id, { front: await jpeg(), back: await png('photo.JPG') });
    expect(response.status).toBe(201);
    const back = (await uploadsOf(applicant.account.id)).find((u) => u.purpose === 'identity_document_back');
    expect(back.media_type).toBe('image/png');
  });

  test('when a file starts like a JPEG but does not decode, then it is refused with 400 and the "damaged" message', async () => {
    const applicant = await createApplicant(app);
    const fake = { bytes: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), crypto.randomBytes(4000)]), filename: 'front.jpg' };
    const response = await post(applicant.account.id, { front: fake, back: await png() });
    expect(response.status).toBe(400);
    expect(response.json().fields).toEqual({ front: '图片已损坏或无法识别，请重新拍摄后上传' });
  });

  test('when both files are wrong, then both fields get their message at once', async () => {
    const applicant = await createApplicant(app);
    const text = { bytes: Buffer.from('plain text'), filename: 'a.jpg' };
    const response = await post(applicant.account.id, { front: text, back: undefined });
    expect(response.status).toBe(415);
    expect(response.json().fields).toEqual({ front: '只能上传 jpg、jpeg 或 png 格式的图片', back: '请选择要上传的图片' });
  });

  test('when a JPEG carries EXIF with GPS, XMP and a comment, then the stored image has none of them and still decodes', async () => {
    const applicant = await createApplicant(app);
    const marker = `GPS-SECRET-${unique('m')}`;
    const original = await jpegWithMetadata(marker);
    // The fixture really carries what must go: sharp reads the EXIF, and the marker is in the bytes.
    expect((await sharp(original).metadata()).exif?.toString('latin1')).toContain(marker);
    expect(original.toString('latin1')).toContain('http://ns.adobe.com/xap/1.0/');

    const response = await post(applicant.account.id, { front: { bytes: original, filename: 'IMG_0001.JPG' }, back: await png() });
    expect(response.status).toBe(201);
    const front = (await uploadsOf(applicant.account.id)).find((u) => u.purpose === 'identity_document_front');
    const stored = (await app.context.uploads.read(front.id))!;
    const latin1 = stored.bytes.toString('latin1');
    expect(latin1).not.toContain(marker);
    expect(latin1).not.toContain('Exif\0\0');
    expect(latin1).not.toContain('http://ns.adobe.com/xap/1.0/');
    const metadata = await sharp(stored.bytes).metadata();
    expect(metadata).toMatchObject({ format: 'jpeg', width: 96, height: 64 });
    expect(metadata.exif).toBeUndefined();
    expect(metadata.xmp).toBeUndefined();
    expect(metadata.comments ?? []).toEqual([]);
  });

  test('when a PNG carries a text chunk, then the stored PNG has no text chunk', async () => {
    const account = await createApplicant(app);
    const marker = `PNG-SECRET-${unique('m')}`;
    const original = await pngWithText(marker);
    expect(original.toString('latin1')).toContain(marker);
    const stored = await app.context.uploads.store({ ownerAccountId: account.account.id, purpose: 'identity_document_back', bytes: original });
    const bytes = (await app.context.uploads.read(stored.id))!.bytes;
    expect(bytes.toString('latin1')).not.toContain(marker);
    expect(bytes.toString('latin1')).not.toMatch(/tEXt|iTXt|zTXt|eXIf/);
    expect((await sharp(bytes).metadata()).format).toBe('png');
  });

  test('when an image is stored, then the database column holds ciphertext (no JPEG magic, no image bytes) bound to its row', async () => {
    const applicant = await createApplicant(app);
    const stored = await app.context.uploads.store({ ownerAccountId: applicant.account.id, purpose: 'identity_document_front', bytes: await plainImage('jpeg') });
    const row = await app.context.db('uploads').where({ id: stored.id }).first();
    const clear = (await app.context.uploads.read(stored.id))!.bytes;
    expect(clear.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    expect(row.ciphertext.subarray(0, 3)).not.toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    expect(row.ciphertext.includes(clear.subarray(0, 64))).toBe(false);
    expect(row.sha256).toBe(crypto.createHash('sha256').update(clear).digest('hex'));
    // Copied into another upload's row, the ciphertext no longer decrypts.
    const other = await app.context.uploads.store({ ownerAccountId: applicant.account.id, purpose: 'identity_document_back', bytes: await plainImage('png') });
    await app.context.db('uploads').where({ id: other.id }).update({ ciphertext: row.ciphertext });
    await expect(app.context.uploads.read(other.id)).rejects.toThrow(/authentication/);
  });

  test('when the stream given to store() runs past the limit, then it is refused with 413 and not stored', async () => {
    const applicant = await createApplicant(app);
    const { Readable } = await import('node:stream');
    const stream = Readable.from([await plainImage('jpeg'), crypto.randomBytes(MB)]);
    await expect(
      app.context.uploads.store({ ownerAccountId: applicant.account.id, purpose: 'identity_document_front', stream, field: 'front' }),
    ).rejects.toMatchObject({ status: 413, fields: { front: 'upload.error.too_large' } });
    expect(await uploadsOf(applicant.account.id)).toEqual([]);
  });

  test('when the form has no CSRF token, then it is refused with 403 and nothing is stored', async () => {
    const applicant = await createApplicant(app);
    const response = await post(applicant.account.id, { front: await jpeg(), back: await png() }, { csrf: false });
    expect(response.status).toBe(403);
    expect(await uploadsOf(applicant.account.id)).toEqual([]);
  });

  test('when the body is not multipart, then the answer is 415 with a message, not a 500', async () => {
    const applicant = await createApplicant(app);
    const response = await fetch(`${base}/verification/upload`, {
      method: 'POST',
      headers: { 'x-test-account': applicant.account.id, 'content-type': 'application/json', accept: 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(415);
    expect(((await response.json()) as { error: string }).error).toBe('upload.error.not_multipart');
  });

  test('when nobody is signed in, then the answer is 401', async () => {
    const response = await post('', { front: await jpeg(), back: await png() });
    expect(response.status).toBe(401);
  });

  test('when the account already has a case pending, then a second upload is refused with 409 and stores nothing more', async () => {
    const applicant = await createApplicant(app);
    expect((await post(applicant.account.id, { front: await jpeg(), back: await png() })).status).toBe(201);
    const again = await post(applicant.account.id, { front: await jpeg(), back: await png() });
    expect(again.status).toBe(409);
    expect(again.json().error).toBe('review.error.pending');
    expect(await uploadsOf(applicant.account.id)).toHaveLength(2);
  });

  test('when the account is already real-name verified, then the upload is refused with 409', async () => {
    const verified = await createNaturalAccount(app, { realNameVerified: true });
    const response = await post(verified.account.id, { front: await jpeg(), back: await png() });
    expect(response.status).toBe(409);
    expect(response.json().error).toBe('review.error.already_verified');
  });
});

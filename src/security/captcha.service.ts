import crypto from 'node:crypto';
import type SvgCaptcha from 'svg-captcha';
import type { Db } from '../db/database.js';

export interface CaptchaChallenge {
  id: string;
  /** An SVG image as a data: URL, so pages need no extra request and no outside host. */
  imageDataUrl: string;
}

const TTL_SECONDS = 5 * 60;

/**
 * svg-captcha (with opentype.js and its font) is loaded at the first captcha, not at start-up: the
 * login page shows one only after failures, and it adds about 4 MB to the server's memory.
 */
let svgCaptchaModule: Promise<typeof SvgCaptcha> | undefined;
const loadSvgCaptcha = () => (svgCaptchaModule ??= import('svg-captcha').then((module) => module.default));

function answerHash(id: string, answer: string): string {
  return crypto.createHash('sha256').update(`${id}:${answer.trim().toLowerCase()}`).digest('hex');
}

/**
 * Image captchas shared by every flow (login after failures, password recovery, legacy lookup).
 * A challenge is stored server-side and dies at its first verification, right or wrong.
 */
export class CaptchaService {
  constructor(
    private readonly db: Db,
    /** Outside production only: an answer every challenge accepts, for automated browser tests. */
    private readonly testAnswer?: string,
  ) {}

  async create(purpose: string): Promise<CaptchaChallenge> {
    const svgCaptcha = await loadSvgCaptcha();
    const { text, data } = svgCaptcha.create({
      size: 4,
      noise: 2,
      ignoreChars: '0oO1iIlL',
      color: false,
      background: '#f4f6f9',
      width: 120,
      height: 44,
    });
    const id = crypto.randomUUID();
    await this.db('captchas').insert({
      id,
      purpose,
      answer_hash: answerHash(id, text),
      expires_at: new Date(Date.now() + TTL_SECONDS * 1000),
    });
    return { id, imageDataUrl: `data:image/svg+xml;base64,${Buffer.from(data).toString('base64')}` };
  }

  async verify(id: string | undefined, purpose: string, answer: string | undefined): Promise<boolean> {
    if (!id || !answer || !/^[0-9a-f-]{36}$/.test(id)) return false;
    const [row] = await this.db('captchas')
      .where({ id, purpose })
      .andWhere('expires_at', '>', this.db.fn.now())
      .delete()
      .returning('answer_hash');
    if (!row) return false;
    if (this.testAnswer !== undefined && answer.trim() === this.testAnswer) return true;
    return crypto.timingSafeEqual(Buffer.from(row.answer_hash, 'hex'), Buffer.from(answerHash(id, answer), 'hex'));
  }

  async purgeExpired(): Promise<number> {
    return this.db('captchas').where('expires_at', '<=', this.db.fn.now()).delete();
  }
}

/**
 * otplib is loaded at its first use (an operator created, or signing in to the review console), not
 * at start-up: few processes ever serve the console, and it adds about 2 MB to the server's memory.
 */
let otplib: Promise<typeof import('otplib')> | undefined;
const loadOtplib = () => (otplib ??= import('otplib'));

/** What authenticator apps list the entry under. */
const ISSUER = '科技部统一身份认证审核控制台';
/** One 30-second step either side: phones whose clocks drift a little still work. */
const TOLERANCE_SECONDS = 30;

/** A fresh 160-bit secret (RFC 4226's recommended length), base32 as authenticator apps take it. */
export async function newTotpSecret(): Promise<string> {
  const { generateSecret } = await loadOtplib();
  return generateSecret({ length: 20 });
}

/** The otpauth:// URI an authenticator app imports (typed in, or shown as a QR code by any tool). */
export async function totpUri(username: string, secret: string): Promise<string> {
  const { generateURI } = await loadOtplib();
  return generateURI({ issuer: ISSUER, label: username, secret });
}

/**
 * The time step `code` belongs to, or undefined when it is no code of this secret near `now`. The
 * caller refuses steps it accepted before (RFC 6238 §5.2), so a code seen over a shoulder or in a
 * proxy log cannot be replayed within its window.
 */
export async function verifyTotp(secret: string, code: string, now: Date): Promise<number | undefined> {
  if (!/^\d{6}$/.test(code)) return undefined;
  const { verify } = await loadOtplib();
  const result = await verify({ secret, token: code, epoch: Math.floor(now.getTime() / 1000), epochTolerance: TOLERANCE_SECONDS });
  return result.valid && 'timeStep' in result ? result.timeStep : undefined;
}

import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Paths that may carry secrets or personal data anywhere they are logged. The request logger also
 * drops query strings of OIDC redirects, which carry codes and states.
 */
const redactedPaths = [
  'password',
  '*.password',
  '*.password_confirmation',
  '*.captcha',
  '*.code',
  '*.mobile',
  '*.document_number',
  '*.client_secret',
  '*.access_token',
  '*.refresh_token',
  '*.id_token',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'res.headers.location',
];

export function createLogger(level: string): Logger {
  return pino({ level, redact: { paths: redactedPaths, censor: '[redacted]' } });
}

import { pino, stdSerializers, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Fields that may carry secrets or personal data, redacted at the top level and one level down
 * (pino's paths have no recursive wildcard). The request logger also drops query strings of OIDC
 * redirects, which carry codes and states.
 */
const secretFields = [
  'password',
  'password_confirmation',
  'captcha',
  'code',
  'mobile',
  'document_number',
  'documentNumber',
  'client_secret',
  'access_token',
  'refresh_token',
  'id_token',
];

const redactedPaths = [
  ...secretFields.flatMap((field) => [field, `*.${field}`]),
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'res.headers.location',
];

/**
 * An error as logged. Its `code` (e.g. PostgreSQL's 23505) is a diagnosis, not a secret: logged as
 * errorCode, out of reach of the `*.code` redaction meant for one-time codes. A database error's
 * `detail` is dropped: it quotes the values that clashed ("Key (login_name_key)=(139…) already
 * exists"), a mobile or a document number as often as not; the constraint names the rule.
 */
export function serializeError(error: Error & { code?: unknown }) {
  const { code, detail: _detail, ...rest } = stdSerializers.err(error) as ReturnType<typeof stdSerializers.err> & { code?: unknown; detail?: unknown };
  return code === undefined ? rest : { ...rest, errorCode: code };
}

/** Logs to stdout, or to `destination` (tests capture it to check what is redacted). */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    redact: { paths: redactedPaths, censor: '[redacted]' },
    serializers: { err: serializeError },
  };
  return destination ? pino(options, destination) : pino(options);
}

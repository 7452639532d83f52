import { parseArgs } from 'node:util';
import type { AppContext } from '../services.js';
import { createDatabase, EmbeddedDatabaseBusyError, type Database } from '../db/database.js';
import { migrateLatest } from '../db/migrate.js';
import { ValidationError } from '../errors.js';
import { isValidMainlandMobile, normalizeMobile } from '../accounts/identity-documents.js';
import { matchLocale, translator } from '../i18n/index.js';
import { createLogger, serializeError } from '../logger.js';
import { ClientsFileError, loadClientsFile } from '../oidc/clients.js';
import { loadSettings, SettingsError, type Settings } from '../settings.js';
import { loadReferenceRegister } from '../verification/reference-register.file.js';
import { loadEnterpriseRegister } from '../verification/enterprise-register.file.js';
import { torchImport, torchReport, torchServices } from './torch.command.js';
import { UsageError } from './usage-error.js';

const USAGE = `Usage: npm run cli -- <command> [options]

  db migrate                       apply pending database migrations; load the reference register
                                   (IDENTITY_AUTHORITY=reference)
  keys rotate [--now]              make a new signing key: published at once, signing after
                                   KEY_ACTIVATION_DELAY (--now: at once); the old one stays published
  keys list                        list signing keys (kid, created, retired)
  clients check [FILE]             validate a clients file (default: CLIENTS_FILE or config/clients.json)
  account create --kind natural|legal --login NAME --mobile MOBILE
                 (--password PASSWORD | --password-stdin)
                 natural: --name NAME [--document-number ID]
                 legal:   --org-name NAME --uscc CODE
                 [--email EMAIL] [--verified]
  sms outbox [--mobile M] [--limit N]
                                   the development outbox's text messages (default the last 20),
                                   newest last: time, mobile, text
  operator create --username NAME --role reviewer|admin (--password PASSWORD | --password-stdin)
                                   a review-console operator; prints the TOTP secret once
  torch import FILE [--dry-run] [--batch N]
                                   import the Torch Center export (.jsonl, or CSV with a header):
                                   --dry-run changes nothing and prints the report; N records a batch
                                   (default 2000); a second run skips what is decided
  torch report [--json] [--run ID] the migration's outcomes: a summary (of the latest run, or of
                                   run ID) with the conflicts, or with --json one JSON object per
                                   legacy account and line

Settings come from the environment, as for the server (DATABASE_URL, DATA_DIR, PII_KEY, ...).`;


/** Maps the account service's field names to the flags the operator typed. */
const FLAG_FOR_FIELD: Record<string, string> = {
  loginName: '--login',
  password: '--password',
  mobile: '--mobile',
  email: '--email',
  name: '--name',
  documentNumber: '--document-number',
  documentType: '--document-number',
  orgName: '--org-name',
  uscc: '--uscc',
  registrationNumber: '--uscc',
  username: '--username',
};

async function withDatabase<T>(settings: Settings, work: (database: Database) => Promise<T>): Promise<T> {
  const database = await createDatabase(settings.database);
  try {
    await migrateLatest(database.db);
    return await work(database);
  } finally {
    await database.close();
  }
}

/**
 * The services a command uses, over the migrated database: no relying parties, warnings only.
 * Loaded when a command needs them: the torch commands make do with less (torchServices).
 */
async function withServices<T>(settings: Settings, work: (services: AppContext) => Promise<T>): Promise<T> {
  const { createServices } = await import('../services.js');
  return withDatabase(settings, ({ db }) => work(createServices(settings, createLogger('warn'), db, { metadata: [], relyingParties: new Map() })));
}

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  return text.replace(/\r?\n$/, '');
}

async function accountCreate(settings: Settings, argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      kind: { type: 'string' },
      login: { type: 'string' },
      password: { type: 'string' },
      'password-stdin': { type: 'boolean' },
      mobile: { type: 'string' },
      email: { type: 'string' },
      name: { type: 'string' },
      'document-number': { type: 'string' },
      'org-name': { type: 'string' },
      uscc: { type: 'string' },
      verified: { type: 'boolean' },
    },
    strict: true,
  });
  const kind = values.kind;
  if (kind !== 'natural' && kind !== 'legal') throw new UsageError('--kind must be natural or legal');
  const required: Array<keyof typeof values> = ['login', 'mobile', ...(kind === 'natural' ? (['name'] as const) : (['org-name', 'uscc'] as const))];
  const missing = required.filter((flag) => !values[flag]);
  if (missing.length) throw new UsageError(`missing ${missing.map((f) => `--${f}`).join(', ')}`);
  const password = values['password-stdin'] ? await readStdin() : values.password;
  if (!password) throw new UsageError('give --password or --password-stdin');

  await withServices(settings, async (services) => {
    const account = await services.accountService.create(
      {
        kind,
        loginName: values.login!,
        password,
        mobile: values.mobile!,
        email: values.email,
        name: values.name,
        documentNumber: values['document-number'],
        orgName: values['org-name'],
        uscc: values.uscc,
        realNameVerified: values.verified ?? false,
        mobileVerified: values.verified ?? false,
      },
      { type: 'cli', id: process.env.USER ?? 'operator' },
    );
    console.log(
      `created ${account.kind} account ${account.loginName} (sub ${account.id})` +
        (account.realNameStatus === 'verified' ? ', real-name verified' : ''),
    );
  });
}

async function smsOutbox(settings: Settings, argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { mobile: { type: 'string' }, limit: { type: 'string' } }, strict: true });
  const mobile = values.mobile === undefined ? undefined : normalizeMobile(values.mobile);
  if (mobile !== undefined && !isValidMainlandMobile(mobile)) throw new UsageError('--mobile must be an 11-digit mainland mobile number');
  const limit = values.limit === undefined ? 20 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError('--limit must be a whole number from 1 to 1000');
  await withServices(settings, async (services) => {
    // Newest last, like a log: the code just requested is on the last line.
    const messages = (await services.smsOutbox.recent({ mobile, limit })).reverse();
    for (const message of messages) console.log(`${message.createdAt.toISOString()}  ${message.mobile}  ${message.text}`);
  });
}

// Review console
async function operatorCreate(settings: Settings, argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { username: { type: 'string' }, role: { type: 'string' }, password: { type: 'string' }, 'password-stdin': { type: 'boolean' } },
    strict: true,
  });
  if (!values.username) throw new UsageError('missing --username');
  const role = values.role;
  if (role !== 'reviewer' && role !== 'admin') throw new UsageError('--role must be reviewer or admin');
  const password = values['password-stdin'] ? await readStdin() : values.password;
  if (!password) throw new UsageError('give --password or --password-stdin');

  await withServices(settings, async (services) => {
    const { operator, totpSecret, otpauthUri } = await services.operators.create(
      { username: values.username!, password, role },
      { type: 'cli', id: process.env.USER ?? 'operator' },
    );
    console.log(`created ${operator.role} operator ${operator.username} (id ${operator.id})`);
    console.log('Add this to the operator\'s authenticator app now: it is shown only this once.');
    console.log(`  otpauth URI:     ${otpauthUri}`);
    console.log(`  secret (base32): ${totpSecret}`);
  });
}

async function run(argv: string[]): Promise<void> {
  const [group, action, ...rest] = argv;
  const command = `${group ?? ''} ${action ?? ''}`.trim();
  if (!group || group === 'help' || group === '--help' || group === '-h') {
    console.log(USAGE);
    return;
  }
  if (command === 'clients check') {
    // Reads the file only: no database, no other settings needed.
    const file = rest[0] ?? process.env.CLIENTS_FILE ?? 'config/clients.json';
    const registry = loadClientsFile(file, process.env, process.env.NODE_ENV === 'production');
    console.log(`${file}: ${registry.metadata.length} client(s) OK: ${[...registry.relyingParties.keys()].join(', ')}`);
    return;
  }
  const settings = loadSettings();
  switch (command) {
    case 'db migrate':
      await withServices(settings, async (services) => {
        const registered = await loadReferenceRegister(settings, services.referenceRegister);
        if (registered) console.log(`reference register: ${registered} people`);
        const units = await loadEnterpriseRegister(settings, services.referenceEntities);
        if (units) console.log(`enterprise reference register: ${units} units`);
      }).then(() => console.log('database is up to date'));
      return;
    case 'keys rotate':
      await withServices(settings, async (services) => {
        const { values } = parseArgs({ args: rest, options: { now: { type: 'boolean' } }, strict: true });
        const delay = values.now ? 0 : settings.keys.activationDelaySeconds;
        const { newKid, retiredKids, activatesAt } = await services.signingKeys.rotate(delay);
        await services.audit.record({
          event: 'keys.rotated',
          outcome: 'success',
          actor: { type: 'cli', id: process.env.USER ?? 'operator' },
          subject: { type: 'signing_key', id: newKid },
          details: { retired: retiredKids, activatesAt: activatesAt.toISOString() },
        });
        console.log(`new signing key ${newKid}, signing from ${activatesAt.toISOString()}`);
        console.log(`retired ${retiredKids.join(', ') || 'none'} from then on (still published for verification)`);
        console.log(`Running instances pick the new key up within KEY_RELOAD_INTERVAL (${settings.keys.reloadIntervalSeconds} s).`);
      });
      return;
    case 'keys list':
      await withServices(settings, async (services) => {
        for (const key of await services.signingKeys.list()) {
          const now = Date.now();
          const state =
            key.activatesAt.getTime() > now ? `pending until ${key.activatesAt.toISOString()}`
            : key.retiredAt && key.retiredAt.getTime() <= now ? `retired ${key.retiredAt.toISOString()}`
            : key.retiredAt ? `signing until ${key.retiredAt.toISOString()}`
            : 'signing';
          console.log(`${key.kid}  created ${key.createdAt.toISOString()}  ${state}`);
        }
      });
      return;
    case 'account create':
      await accountCreate(settings, rest);
      return;
    case 'sms outbox':
      await smsOutbox(settings, rest);
      return;
    case 'operator create':
      await operatorCreate(settings, rest);
      return;
    case 'torch import':
      await withDatabase(settings, ({ db }) => torchImport(torchServices(settings, db), rest));
      return;
    case 'torch report':
      await withDatabase(settings, ({ db }) => torchReport(torchServices(settings, db), rest));
      return;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

run(process.argv.slice(2)).catch((error: unknown) => {
  const t = translator(matchLocale(process.env.LANG) ?? 'zh-CN');
  if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    console.error(`error: ${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (error instanceof ValidationError) {
    for (const [field, key] of Object.entries(error.fields)) console.error(`${FLAG_FOR_FIELD[field] ?? field}: ${t(key!)}`);
    process.exit(1);
  }
  if (error instanceof EmbeddedDatabaseBusyError) {
    console.error(`${error.message}\nThe embedded database serves one process at a time: stop the server (npm start) first.`);
    process.exit(1);
  }
  if (error instanceof SettingsError || error instanceof ClientsFileError) {
    console.error(`error: ${error.message}`);
    process.exit(1);
  }
  // Not the error object itself: a database error's detail quotes the values that clashed.
  console.error(serializeError(error as Error));
  process.exit(1);
});

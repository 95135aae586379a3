import { UsageError } from '../errors.js';

export type CredentialSource = 'flag' | 'env' | 'env-file';

export interface Sourced {
  value: string;
  source: CredentialSource;
}

export interface Credentials {
  accountSid?: Sourced;
  /** Every --auth-token given, in order (token rotation); else the one from env or env file. */
  authTokens: Sourced[];
  apiKey?: Sourced;
  apiSecret?: Sourced;
  /** Path of the env file that was read, if any. */
  envFile?: string;
}

export interface CredentialFlags {
  accountSid?: string;
  authToken?: string[];
  apiKey?: string;
  apiSecret?: string;
}

const ACCOUNT_SID = /^AC[0-9a-fA-F]{32}$/;
const API_KEY = /^SK[0-9a-fA-F]{32}$/;

/** Order: flags, then the process environment, then the env file. */
export function resolveCredentials(
  flags: CredentialFlags,
  env: Record<string, string | undefined>,
  envFile: Record<string, string>,
  envFilePath?: string,
): Credentials {
  const pick = (flag: string | undefined, name: string): Sourced | undefined => {
    if (flag) return { value: flag, source: 'flag' };
    if (env[name]) return { value: env[name]!, source: 'env' };
    if (envFile[name]) return { value: envFile[name]!, source: 'env-file' };
    return undefined;
  };
  const flagTokens = (flags.authToken ?? []).filter(Boolean);
  const authTokens: Sourced[] = flagTokens.length
    ? flagTokens.map((value) => ({ value, source: 'flag' as const }))
    : [pick(undefined, 'TWILIO_AUTH_TOKEN')].filter((t): t is Sourced => !!t);
  return {
    accountSid: pick(flags.accountSid, 'TWILIO_ACCOUNT_SID'),
    authTokens,
    apiKey: pick(flags.apiKey, 'TWILIO_API_KEY'),
    apiSecret: pick(flags.apiSecret, 'TWILIO_API_SECRET'),
    envFile: envFilePath,
  };
}

const where = (s: Sourced | undefined, flag: string, variable: string) =>
  s?.source === 'flag' ? flag : s?.source === 'env-file' ? `${variable} in the env file` : variable;

export function checkAccountSid(creds: Credentials): string {
  const sid = creds.accountSid;
  if (!sid) {
    throw new UsageError('no Twilio account SID: set TWILIO_ACCOUNT_SID (or pass --account-sid AC…)');
  }
  if (!ACCOUNT_SID.test(sid.value)) {
    throw new UsageError(
      `${where(sid, '--account-sid', 'TWILIO_ACCOUNT_SID')} is not an account SID (AC followed by 32 hex digits): copy it from the Twilio Console`,
    );
  }
  return sid.value;
}

export interface RestAuth {
  accountSid: string;
  username: string;
  password: string;
  /** What authenticates REST calls, for doctor and errors: never the secret. */
  method: 'api-key' | 'auth-token';
}

/** What authenticates REST calls: an API key and secret when given, else the auth token. */
export function restAuth(creds: Credentials): RestAuth {
  const accountSid = checkAccountSid(creds);
  if (creds.apiKey || creds.apiSecret) {
    if (!creds.apiKey) throw new UsageError('TWILIO_API_SECRET is set but TWILIO_API_KEY is not: set both (or neither to use the auth token)');
    if (!creds.apiSecret) throw new UsageError('TWILIO_API_KEY is set but TWILIO_API_SECRET is not: set both (or neither to use the auth token)');
    if (!API_KEY.test(creds.apiKey.value)) {
      throw new UsageError(`${where(creds.apiKey, '--api-key', 'TWILIO_API_KEY')} is not an API key SID (SK followed by 32 hex digits)`);
    }
    return { accountSid, username: creds.apiKey.value, password: creds.apiSecret.value, method: 'api-key' };
  }
  const token = creds.authTokens[0];
  if (!token) {
    throw new UsageError('no Twilio credentials for the API: set TWILIO_AUTH_TOKEN, or TWILIO_API_KEY and TWILIO_API_SECRET');
  }
  return { accountSid, username: accountSid, password: token.value, method: 'auth-token' };
}

/** The auth token(s) that sign webhooks. API keys cannot sign: say so when only they are set. */
export function signingTokens(creds: Credentials): string[] {
  if (creds.authTokens.length === 0) {
    const hint = creds.apiKey ? ' (an API key cannot sign webhooks: Twilio signs them with the auth token)' : '';
    throw new UsageError(`signatures need the auth token: set TWILIO_AUTH_TOKEN or pass --auth-token${hint}`);
  }
  return creds.authTokens.map((t) => t.value);
}

/**
 * A dotenv subset: KEY=VALUE lines, `export ` prefixes, # comments, single or double quotes
 * (double quotes understand \n). Enough for the .env files Twilio's quick starts write.
 */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2]!;
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.lastIndexOf(quote) > 0) {
      value = value.slice(1, value.lastIndexOf(quote));
      if (quote === '"') value = value.replace(/\\n/g, '\n').replace(/\\"/g, '"');
    } else {
      const hash = value.search(/\s#/);
      if (hash >= 0) value = value.slice(0, hash);
      value = value.trim();
    }
    out[m[1]!] = value;
  }
  return out;
}

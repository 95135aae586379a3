import { UsageError } from '../errors.js';
import type { TwilioCliConfig, TwilioCliProfile } from './profiles.js';

/**
 * Where a value came from: a flag, the environment, the env file, a twilio-cli profile (named by
 * --profile / TWHOOK_PROFILE, or twilio-cli's active one), or, for the edge, Twilio's default for
 * the region.
 */
export type CredentialSource = 'flag' | 'env' | 'env-file' | 'profile' | 'default';

export interface Sourced {
  value: string;
  source: CredentialSource;
}

/** The twilio-cli profile values came from. */
export interface ProfileUse {
  name: string;
  /** Its config.json. */
  file: string;
  /** How it was chosen: --profile, TWHOOK_PROFILE (environment or env file), or twilio-cli's active profile. */
  chosenBy: 'flag' | 'env' | 'env-file' | 'active';
  /** Its API key and secret are in the system keychain (older twilio-cli), not in the file. */
  keychain: boolean;
}

/** What twhook saw of twilio-cli's config.json, for doctor and for errors: names only, never secrets. */
export interface TwilioCliSummary {
  path: string;
  exists: boolean;
  names: string[];
  active?: string;
  error?: string;
}

export interface Credentials {
  accountSid?: Sourced;
  /** Every --auth-token given, in order (token rotation); else the one from env or env file. */
  authTokens: Sourced[];
  apiKey?: Sourced;
  apiSecret?: Sourced;
  /** Twilio region (ie1, au1…) and edge (dublin, sydney…), as given: see restTarget() for what is used. */
  region?: Sourced;
  edge?: Sourced;
  /** Path of the env file that was read, if any. */
  envFile?: string;
  /** The twilio-cli profile in use, if any. */
  profile?: ProfileUse;
  /** twilio-cli's config.json, when it was looked at. */
  twilioCli?: TwilioCliSummary;
}

export interface CredentialFlags {
  accountSid?: string;
  authToken?: string[];
  apiKey?: string;
  apiSecret?: string;
  profile?: string;
  region?: string;
  apiEdge?: string;
}

const ACCOUNT_SID = /^AC[0-9a-fA-F]{32}$/;
const API_KEY = /^SK[0-9a-fA-F]{32}$/;

type Env = Record<string, string | undefined>;

function profileError(name: string, how: string, config: TwilioCliConfig | undefined): UsageError {
  if (!config) {
    return new UsageError(
      `${how} "${name}": twilio-cli's config folder is unknown (HOME is not set): set TWILIO_CONFIG_DIR`,
    );
  }
  if (config.error) return new UsageError(`${how} "${name}": ${config.error}`);
  if (!config.exists) {
    return new UsageError(
      `${how} "${name}": there is no twilio-cli config file at ${config.path}: run \`twilio login\`, or set TWILIO_CONFIG_DIR to where it is`,
    );
  }
  const names = config.profiles.map((p) => p.name);
  const list = names.length
    ? `profiles in ${config.path}: ${names.join(', ')}`
    : `${config.path} has no profiles: run \`twilio login\``;
  return new UsageError(`${how} "${name}": no such twilio-cli profile; ${list}`);
}

function summary(config: TwilioCliConfig): TwilioCliSummary {
  return {
    path: config.path,
    exists: config.exists,
    names: config.profiles.map((p) => p.name),
    ...(config.active ? { active: config.active.name } : {}),
    ...(config.error ? { error: config.error } : {}),
  };
}

/**
 * Order: flags, then the profile named by --profile (or TWHOOK_PROFILE), then the process
 * environment, then the env file, then twilio-cli's active profile as a last resort: the active
 * profile is used only when no account SID was found anywhere else, so values of two accounts are
 * never mixed. An API key and its secret come as a pair from a profile. `twilioCli` reads
 * twilio-cli's config.json; it is called only when a profile may be needed.
 */
export function resolveCredentials(
  flags: CredentialFlags,
  env: Env,
  envFile: Record<string, string>,
  envFilePath?: string,
  twilioCli?: () => TwilioCliConfig | undefined,
): Credentials {
  const fromEnv = (name: string): Sourced | undefined => {
    if (env[name]) return { value: env[name]!, source: 'env' };
    if (envFile[name]) return { value: envFile[name]!, source: 'env-file' };
    return undefined;
  };
  const fromFlag = (flag: string | undefined): Sourced | undefined =>
    flag ? { value: flag, source: 'flag' } : undefined;
  const fromProfile = (value: string | undefined): Sourced | undefined =>
    value ? { value, source: 'profile' } : undefined;

  // The profile named by --profile or TWHOOK_PROFILE: it must exist.
  const named = fromFlag(flags.profile?.trim()) ?? fromEnv('TWHOOK_PROFILE');
  let config: TwilioCliConfig | undefined;
  let loaded = false;
  const load = () => {
    if (!loaded) config = twilioCli?.();
    loaded = true;
    return config;
  };
  let profile: TwilioCliProfile | undefined;
  let use: ProfileUse | undefined;
  if (named) {
    const how =
      named.source === 'flag'
        ? '--profile'
        : named.source === 'env'
          ? 'TWHOOK_PROFILE'
          : `TWHOOK_PROFILE in ${envFilePath ?? 'the env file'}`;
    const cfg = load();
    profile = cfg && !cfg.error ? cfg.profiles.find((p) => p.name === named.value.trim()) : undefined;
    if (!profile || !cfg) throw profileError(named.value, how, cfg);
    use = {
      name: profile.name,
      file: cfg.path,
      chosenBy: named.source === 'flag' ? 'flag' : named.source === 'env' ? 'env' : 'env-file',
      keychain: profile.keychain,
    };
  }

  let accountSid = fromFlag(flags.accountSid) ?? fromProfile(profile?.accountSid) ?? fromEnv('TWILIO_ACCOUNT_SID');
  // The last resort: twilio-cli's active profile, only for an account found nowhere else.
  let active: TwilioCliProfile | undefined;
  if (!profile && !accountSid) {
    const cfg = load();
    if (cfg?.active && !cfg.error) {
      active = cfg.active;
      accountSid = fromProfile(active.accountSid);
      use = { name: active.name, file: cfg.path, chosenBy: 'active', keychain: active.keychain };
    }
  }

  const flagTokens = (flags.authToken ?? []).filter(Boolean);
  const authTokens: Sourced[] = flagTokens.length
    ? flagTokens.map((value) => ({ value, source: 'flag' as const }))
    : [fromEnv('TWILIO_AUTH_TOKEN')].filter((t): t is Sourced => !!t);

  // The key and its secret: per value across flags, environment and env file (a key on the command
  // line with its secret in the environment is common), but a profile's pair is taken whole.
  let apiKey: Sourced | undefined;
  let apiSecret: Sourced | undefined;
  const loose = () => {
    apiKey = fromFlag(flags.apiKey) ?? fromEnv('TWILIO_API_KEY');
    apiSecret = fromFlag(flags.apiSecret) ?? fromEnv('TWILIO_API_SECRET');
  };
  if (flags.apiKey || flags.apiSecret) loose();
  else if (profile && !profile.keychain) {
    apiKey = fromProfile(profile.apiKey);
    apiSecret = fromProfile(profile.apiSecret);
  } else {
    loose();
    if (!apiKey && !apiSecret && active && !active.keychain) {
      apiKey = fromProfile(active.apiKey);
      apiSecret = fromProfile(active.apiSecret);
    }
  }

  const fileEdge = config && use ? config.edge : undefined;
  const region =
    fromFlag(flags.region) ?? fromProfile(profile?.region) ?? fromEnv('TWILIO_REGION') ?? fromProfile(active?.region);
  const edge =
    fromFlag(flags.apiEdge) ??
    fromProfile(profile?.edge ?? (profile ? fileEdge : undefined)) ??
    fromEnv('TWILIO_EDGE') ??
    fromProfile(active?.edge ?? (active ? fileEdge : undefined));

  return {
    accountSid,
    authTokens,
    apiKey,
    apiSecret,
    ...(region ? { region } : {}),
    ...(edge ? { edge } : {}),
    envFile: envFilePath,
    ...(use ? { profile: use } : {}),
    ...(config ? { twilioCli: summary(config) } : {}),
  };
}

/** Every API secret in twilio-cli's config.json, for the redactor. */
export function profileSecrets(config: TwilioCliConfig | undefined): string[] {
  return (config?.profiles ?? []).map((p) => p.apiSecret).filter((s): s is string => !!s);
}

/** Names where a value came from, for messages: `--account-sid`, `TWILIO_API_KEY in /x/.env`, `profile "work" (…)`. */
export function describeSource(
  s: Sourced | undefined,
  flag: string,
  variable: string,
  creds: Pick<Credentials, 'envFile' | 'profile'>,
): string {
  if (s?.source === 'flag') return flag;
  if (s?.source === 'env-file') return `${variable} in ${creds.envFile ?? 'the env file'}`;
  if (s?.source === 'profile') return profileLabel(creds.profile);
  if (s?.source === 'default') return 'the default';
  return variable;
}

/** `twilio-cli profile "work" (~/.twilio-cli/config.json)`, saying when it is the active one. */
export function profileLabel(profile: ProfileUse | undefined): string {
  if (!profile) return 'a twilio-cli profile';
  const how = profile.chosenBy === 'active' ? "twilio-cli's active profile" : 'twilio-cli profile';
  return `${how} "${profile.name}" (${profile.file})`;
}

const where = (s: Sourced | undefined, flag: string, variable: string, creds?: Credentials) =>
  describeSource(s, flag, variable, creds ?? {});

/** What to do when no account SID was found: mentions twilio-cli's profiles when there are some. */
function noAccountHint(creds: Credentials): string {
  const cli = creds.twilioCli;
  if (cli?.error) return cli.error;
  if (cli?.exists && cli.names.length && !cli.active) {
    return `no Twilio account SID: twilio-cli's ${cli.path} has profiles (${cli.names.join(', ')}) but none is active: pass --profile NAME, or set TWILIO_ACCOUNT_SID`;
  }
  return "no Twilio account SID: set TWILIO_ACCOUNT_SID (or pass --account-sid AC…), or run `twilio login` (twhook uses twilio-cli's active profile)";
}

export function checkAccountSid(creds: Credentials): string {
  const sid = creds.accountSid;
  if (!sid) throw new UsageError(noAccountHint(creds));
  if (!ACCOUNT_SID.test(sid.value)) {
    throw new UsageError(
      `${where(sid, '--account-sid', 'TWILIO_ACCOUNT_SID', creds)} is not an account SID (AC followed by 32 hex digits): copy it from the Twilio Console`,
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
    const key = where(creds.apiKey, '--api-key', 'TWILIO_API_KEY', creds);
    const secret = where(creds.apiSecret, '--api-secret', 'TWILIO_API_SECRET', creds);
    if (!creds.apiKey)
      throw new UsageError(`${secret} is set but TWILIO_API_KEY is not: set both (or neither to use the auth token)`);
    if (!creds.apiSecret)
      throw new UsageError(`${key} is set but TWILIO_API_SECRET is not: set both (or neither to use the auth token)`);
    if (!API_KEY.test(creds.apiKey.value))
      throw new UsageError(`${key} is not an API key SID (SK followed by 32 hex digits)`);
    return { accountSid, username: creds.apiKey.value, password: creds.apiSecret.value, method: 'api-key' };
  }
  const token = creds.authTokens[0];
  if (!token) {
    if (creds.profile?.keychain) throw new UsageError(keychainMessage(creds.profile));
    throw new UsageError(
      'no Twilio credentials for the API: set TWILIO_AUTH_TOKEN, or TWILIO_API_KEY and TWILIO_API_SECRET',
    );
  }
  return { accountSid, username: accountSid, password: token.value, method: 'auth-token' };
}

/** Said when a profile's API key and secret are in the system keychain, not in config.json. */
export function keychainMessage(profile: ProfileUse): string {
  return (
    `${profileLabel(profile)} has no API key and secret in the file: older twilio-cli versions keep them in the ` +
    'system keychain, which twhook does not read; run `twilio login` again with twilio-cli 3 or later to store ' +
    'them in config.json, or set TWILIO_API_KEY and TWILIO_API_SECRET (or TWILIO_AUTH_TOKEN)'
  );
}

/** Why there is no auth token to sign or check webhooks with, and the fix. `needs`: who needs it. */
export function noAuthTokenMessage(creds: Credentials, needs = 'signatures need'): string {
  if (creds.profile && creds.accountSid?.source === 'profile') {
    return (
      `${needs} the auth token, which twilio-cli profiles do not keep (Twilio signs webhooks with the auth ` +
      `token, not with the API key of profile "${creds.profile.name}"): set TWILIO_AUTH_TOKEN or pass --auth-token ` +
      '(the Auth Token in the Twilio Console)'
    );
  }
  const hint = creds.apiKey ? ' (an API key cannot sign webhooks: Twilio signs them with the auth token)' : '';
  return `${needs} the auth token: set TWILIO_AUTH_TOKEN or pass --auth-token${hint}`;
}

/** The auth token(s) that sign webhooks. API keys cannot sign: say so when only they are set. */
export function signingTokens(creds: Credentials): string[] {
  if (creds.authTokens.length === 0) throw new UsageError(noAuthTokenMessage(creds));
  return creds.authTokens.map((t) => t.value);
}

/**
 * Twilio's edge for a region given without one, as twilio-go and twilio-java pick it: the
 * api.REGION.twilio.com hosts the SDK builds from a region alone stopped working on 28 April 2026;
 * api.EDGE.REGION.twilio.com is the form that reaches the region.
 */
export const REGION_EDGES: Readonly<Record<string, string>> = {
  au1: 'sydney',
  br1: 'sao-paulo',
  de1: 'frankfurt',
  ie1: 'dublin',
  jp1: 'tokyo',
  jp2: 'osaka',
  sg1: 'singapore',
  us1: 'ashburn',
  us2: 'umatilla',
};

/** Where REST calls go: the region and edge in use (each with where it came from) and the API host. */
export interface RestTarget {
  region?: Sourced;
  edge?: Sourced;
  /** The host of the core API, e.g. api.twilio.com or api.dublin.ie1.twilio.com. */
  host: string;
}

const LOCATION_ID = /^[a-z0-9][a-z0-9-]*$/;

/** A Twilio host with the SDK's rule: product.[edge.][region.]twilio.com, region us1 for an edge alone. */
export function twilioHost(product: string, region?: string, edge?: string): string {
  const r = region || (edge ? 'us1' : undefined);
  return [product, edge, r, 'twilio.com'].filter(Boolean).join('.');
}

/** Checks the region and edge, and adds Twilio's edge for a region given alone. */
export function restTarget(creds: Credentials): RestTarget {
  const norm = (s: Sourced | undefined, flag: string, variable: string, what: string, example: string) => {
    if (!s) return undefined;
    const value = s.value.trim().toLowerCase();
    if (!LOCATION_ID.test(value)) {
      throw new UsageError(
        `${where(s, flag, variable, creds)} is not a Twilio ${what} ("${s.value}"): use an ID such as ${example}`,
      );
    }
    return { ...s, value };
  };
  const region = norm(creds.region, '--region', 'TWILIO_REGION', 'region', 'ie1 or au1');
  let edge = norm(creds.edge, '--api-edge', 'TWILIO_EDGE', 'edge', 'dublin or sydney');
  if (!edge && region && REGION_EDGES[region.value]) edge = { value: REGION_EDGES[region.value]!, source: 'default' };
  return {
    ...(region ? { region } : {}),
    ...(edge ? { edge } : {}),
    host: twilioHost('api', region?.value, edge?.value),
  };
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

/**
 * twilio-cli's profiles, read (never written) from its config.json, so that `twilio login` users
 * need nothing else. The shape is twilio-cli-core's src/services/config.js:
 *
 * ```json
 * { "edge": "…",                                   // optional, applies to every profile
 *   "profiles": { "<id>": { "accountSid": "AC…", "apiKey": "SK…", "apiSecret": "…",
 *                           "region": "ie1", "edge": "dublin" } },            // twilio-cli 3+
 *   "projects": [ { "id": "<id>", "accountSid": "AC…", "region": "…" } ],    // twilio-cli 2
 *   "activeProject": "<id>" }
 * ```
 *
 * `projects` entries (and `profiles` entries without a key) keep their API key and secret in the
 * system keychain, which twhook does not read: they give the account SID and region only.
 * The active profile is the one twilio-cli itself would use: `activeProject` when it names a
 * profile (`profiles` first, then `projects`), else the first of `projects`, else none.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TwilioCliProfile {
  name: string;
  accountSid?: string;
  apiKey?: string;
  apiSecret?: string;
  region?: string;
  edge?: string;
  /** Its API key and secret are not in the file (twilio-cli keeps them in the system keychain). */
  keychain: boolean;
}

export interface TwilioCliConfig {
  /** The config.json path (whether or not it exists). */
  path: string;
  exists: boolean;
  /** `profiles` then the `projects` not shadowed by a profile of the same name. */
  profiles: TwilioCliProfile[];
  /** The profile twilio-cli would use without -p. */
  active?: TwilioCliProfile;
  /** The top-level `edge` (twilio-cli's `config:set --edge`). */
  edge?: string;
  /** Why the file cannot be used (malformed, unreadable): one sentence naming the file. */
  error?: string;
}

/**
 * twilio-cli's config folder: TWILIO_CONFIG_DIR, else ~/.twilio-cli. Only the given environment
 * is consulted (no os.homedir() fallback): a run without HOME, like the in-process tests, never
 * reads the real user's profiles.
 */
export function twilioCliConfigDir(env: Record<string, string | undefined>): string | undefined {
  if (env.TWILIO_CONFIG_DIR) return env.TWILIO_CONFIG_DIR;
  const home = env.HOME || env.USERPROFILE;
  return home ? join(home, '.twilio-cli') : undefined;
}

const clean = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() ? value.trim() : undefined;

/** Line and column of a JSON.parse failure, from its position: never the text around it (it may hold a secret). */
function whereInJson(text: string, err: unknown): string {
  const message = String((err as Error)?.message ?? '');
  const m = /position (\d+)/.exec(message);
  const at = m ? Number(m[1]) : /end of JSON input/i.test(message) ? text.length : undefined;
  if (at === undefined) return '';
  const before = text.slice(0, at);
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return ` at line ${line}, column ${column}`;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  !!value && typeof value === 'object' && !Array.isArray(value);

/** Parses config.json text; throws an Error whose message says what is wrong (never the file's content). */
export function parseTwilioCliConfig(text: string, path: string): Omit<TwilioCliConfig, 'exists' | 'error'> {
  let raw: unknown;
  try {
    raw = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new Error(`is not valid JSON${whereInJson(text, err)}`, { cause: err });
  }
  if (!isObject(raw)) throw new Error('is not a JSON object');
  const profiles: TwilioCliProfile[] = [];
  if (raw.profiles !== undefined && raw.profiles !== null) {
    if (!isObject(raw.profiles)) throw new Error('has "profiles" that is not an object of profiles');
    for (const [id, value] of Object.entries(raw.profiles)) {
      if (!isObject(value)) throw new Error(`has profile "${id}" that is not an object`);
      const apiKey = clean(value.apiKey);
      const apiSecret = clean(value.apiSecret);
      profiles.push({
        name: id.trim(),
        accountSid: clean(value.accountSid),
        apiKey,
        apiSecret,
        region: clean(value.region),
        edge: clean(value.edge),
        keychain: !apiKey || !apiSecret,
      });
    }
  }
  if (raw.projects !== undefined && raw.projects !== null) {
    if (!Array.isArray(raw.projects)) throw new Error('has "projects" that is not a list');
    for (const [i, value] of raw.projects.entries()) {
      if (!isObject(value) || !clean(value.id)) throw new Error(`has projects[${i}] without an "id"`);
      const name = clean(value.id)!;
      if (profiles.some((p) => p.name === name)) continue;
      profiles.push({ name, accountSid: clean(value.accountSid), region: clean(value.region), keychain: true });
    }
  }
  const byName = (name: string | undefined) => (name === undefined ? undefined : profiles.find((p) => p.name === name));
  const firstProject = Array.isArray(raw.projects) && isObject(raw.projects[0]) ? clean(raw.projects[0].id) : undefined;
  const active = byName(clean(raw.activeProject)) ?? byName(firstProject);
  return { path, profiles, active, edge: clean(raw.edge) };
}

/** Reads twilio-cli's config.json. Never throws: a file that cannot be used comes back with `error`. */
export function readTwilioCliConfig(env: Record<string, string | undefined>): TwilioCliConfig | undefined {
  const dir = twilioCliConfigDir(env);
  if (!dir) return undefined;
  const path = join(dir, 'config.json');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { path, exists: false, profiles: [] };
    return {
      path,
      exists: true,
      profiles: [],
      error: `twilio-cli's config file ${path} cannot be read (${code ?? 'error'})`,
    };
  }
  try {
    return { ...parseTwilioCliConfig(text, path), exists: true };
  } catch (err) {
    return {
      path,
      exists: true,
      profiles: [],
      error: `twilio-cli's config file ${path} ${(err as Error).message}: fix or remove it (twhook only reads it)`,
    };
  }
}

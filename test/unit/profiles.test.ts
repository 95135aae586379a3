import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { UsageError } from '../../src/errors.js';
import {
  checkAccountSid,
  resolveCredentials,
  restAuth,
  restTarget,
  signingTokens,
  twilioHost,
  type Credentials,
} from '../../src/twilio/credentials.js';
import { parseTwilioCliConfig, readTwilioCliConfig, twilioCliConfigDir } from '../../src/twilio/profiles.js';
import { tempDir } from '../support/run-cli.js';

const WORK_SID = 'AC' + '1'.repeat(32);
const HOME_SID = 'AC' + '2'.repeat(32);
const ENV_SID = 'AC' + '3'.repeat(32);
const FILE_SID = 'AC' + '4'.repeat(32);
const FLAG_SID = 'AC' + '5'.repeat(32);
const LEGACY_SID = 'AC' + '6'.repeat(32);
const WORK_KEY = 'SK' + 'a'.repeat(32);
const HOME_KEY = 'SK' + 'b'.repeat(32);
const ENV_KEY = 'SK' + 'c'.repeat(32);
const WORK_SECRET = 'work-profile-secret-0123456789ab';
const HOME_SECRET = 'home-profile-secret-0123456789ab';

/** twilio-cli 3+ shape: two profiles, "work" (IE1) active, plus an older `projects` entry. */
const CONFIG = {
  edge: undefined,
  email: {},
  prompts: {},
  profiles: {
    work: { accountSid: WORK_SID, apiKey: WORK_KEY, apiSecret: WORK_SECRET, region: 'ie1' },
    home: { accountSid: HOME_SID, apiKey: HOME_KEY, apiSecret: HOME_SECRET },
  },
  projects: [{ id: 'legacy', accountSid: LEGACY_SID, region: 'au1' }],
  activeProject: 'work',
};

function configDir(content: unknown = CONFIG): string {
  const dir = tempDir('twilio-cli-');
  writeFileSync(join(dir, 'config.json'), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return dir;
}

/** Resolves with twilio-cli's config read from `dir` (via TWILIO_CONFIG_DIR, as twilio-cli does). */
function resolveWith(
  dir: string,
  flags: Parameters<typeof resolveCredentials>[0] = {},
  env: Record<string, string> = {},
  file: Record<string, string> = {},
) {
  const fullEnv = { TWILIO_CONFIG_DIR: dir, ...env };
  return resolveCredentials(flags, fullEnv, file, Object.keys(file).length ? '/proj/.env' : undefined, () =>
    readTwilioCliConfig({ ...file, ...fullEnv }),
  );
}

const usageError = (fn: () => unknown): UsageError => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return err as UsageError;
  }
  throw new Error('expected a UsageError');
};

describe("twilio-cli's config.json (twilio-cli-core src/services/config.js)", () => {
  it('reads `profiles`, the older `projects` list and `activeProject`', () => {
    const config = parseTwilioCliConfig(JSON.stringify(CONFIG), '/x/config.json');
    expect(config.profiles.map((p) => [p.name, p.keychain])).toEqual([
      ['work', false],
      ['home', false],
      ['legacy', true],
    ]);
    expect(config.active?.name).toBe('work');
    expect(config.profiles[2]).toEqual({ name: 'legacy', accountSid: LEGACY_SID, region: 'au1', keychain: true });
  });

  it('picks the active profile the way twilio-cli does', () => {
    const active = (raw: unknown) => parseTwilioCliConfig(JSON.stringify(raw), 'c.json').active?.name;
    // activeProject naming a project of the older list.
    expect(active({ ...CONFIG, activeProject: 'legacy' })).toBe('legacy');
    // Unknown or no activeProject: the first of `projects`, else none (profiles are not guessed).
    expect(active({ ...CONFIG, activeProject: 'gone' })).toBe('legacy');
    expect(active({ profiles: CONFIG.profiles })).toBeUndefined();
    expect(active({ profiles: CONFIG.profiles, activeProject: ' home ' })).toBe('home');
    // A profile shadows a project of the same name (twilio-cli looks in `profiles` first).
    const shadow = parseTwilioCliConfig(
      JSON.stringify({
        profiles: { legacy: CONFIG.profiles.work },
        projects: [{ id: 'legacy', accountSid: LEGACY_SID }],
      }),
      'c',
    );
    expect(shadow.profiles).toHaveLength(1);
    expect(shadow.active).toMatchObject({ name: 'legacy', accountSid: WORK_SID, keychain: false });
  });

  it('treats a profile without its key or secret in the file as kept in the keychain', () => {
    const config = parseTwilioCliConfig(
      JSON.stringify({ profiles: { half: { accountSid: WORK_SID, apiKey: WORK_KEY } } }),
      'c',
    );
    expect(config.profiles[0]!.keychain).toBe(true);
  });

  it('says what is malformed, with line and column, never the text around it', () => {
    const text = `{\n  "profiles": {\n    "work": { "apiSecret": "${WORK_SECRET}" "region": "ie1" }\n  }\n}`;
    let message = '';
    try {
      parseTwilioCliConfig(text, 'c');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^is not valid JSON at line 3, column \d+$/);
    expect(message).not.toContain(WORK_SECRET);
    expect(() => parseTwilioCliConfig('[]', 'c')).toThrow('is not a JSON object');
    expect(() => parseTwilioCliConfig('{"profiles": []}', 'c')).toThrow('"profiles" that is not an object');
    expect(() => parseTwilioCliConfig('{"profiles": {"a": 1}}', 'c')).toThrow('profile "a" that is not an object');
    expect(() => parseTwilioCliConfig('{"projects": {}}', 'c')).toThrow('"projects" that is not a list');
    expect(parseTwilioCliConfig('\uFEFF{}', 'c').profiles).toEqual([]);
  });

  it('finds the folder from TWILIO_CONFIG_DIR, else HOME (or USERPROFILE), never the real home', () => {
    expect(twilioCliConfigDir({ TWILIO_CONFIG_DIR: '/cfg', HOME: '/home/u' })).toBe('/cfg');
    expect(twilioCliConfigDir({ HOME: '/home/u' })).toBe(join('/home/u', '.twilio-cli'));
    expect(twilioCliConfigDir({ USERPROFILE: 'C:/Users/u' })).toBe(join('C:/Users/u', '.twilio-cli'));
    expect(twilioCliConfigDir({})).toBeUndefined();
    expect(readTwilioCliConfig({})).toBeUndefined();
  });

  it('reports a missing file as absent, and an unreadable or malformed one as an error naming it', () => {
    const empty = tempDir();
    expect(readTwilioCliConfig({ TWILIO_CONFIG_DIR: empty })).toEqual({
      path: join(empty, 'config.json'),
      exists: false,
      profiles: [],
    });
    const bad = configDir('{ "profiles": ');
    expect(readTwilioCliConfig({ TWILIO_CONFIG_DIR: bad })!.error).toBe(
      `twilio-cli's config file ${join(bad, 'config.json')} is not valid JSON at line 1, column 15: fix or remove it (twhook only reads it)`,
    );
    const dir = tempDir();
    mkdirSync(join(dir, 'config.json'));
    expect(readTwilioCliConfig({ TWILIO_CONFIG_DIR: dir })!.error).toBe(
      `twilio-cli's config file ${join(dir, 'config.json')} cannot be read (EISDIR)`,
    );
    if (process.getuid?.() !== 0) {
      const locked = configDir();
      chmodSync(join(locked, 'config.json'), 0o000);
      expect(readTwilioCliConfig({ TWILIO_CONFIG_DIR: locked })!.error).toContain('cannot be read (EACCES)');
    }
  });
});

describe('credential order: flags, --profile, environment, env file, then the active profile', () => {
  const dir = configDir();

  it('the active profile, as a last resort, gives everything when nothing else is set', () => {
    const c = resolveWith(dir);
    expect(c.accountSid).toEqual({ value: WORK_SID, source: 'profile' });
    expect(c.apiKey).toEqual({ value: WORK_KEY, source: 'profile' });
    expect(c.apiSecret).toEqual({ value: WORK_SECRET, source: 'profile' });
    expect(c.region).toEqual({ value: 'ie1', source: 'profile' });
    expect(c.profile).toEqual({ name: 'work', file: join(dir, 'config.json'), chosenBy: 'active', keychain: false });
    expect(restAuth(c)).toEqual({ accountSid: WORK_SID, username: WORK_KEY, password: WORK_SECRET, method: 'api-key' });
  });

  it('--profile NAME beats the environment, the env file and the active profile', () => {
    const c = resolveWith(
      dir,
      { profile: 'home' },
      { TWILIO_ACCOUNT_SID: ENV_SID, TWILIO_API_KEY: ENV_KEY, TWILIO_API_SECRET: 'env-secret' },
      { TWILIO_ACCOUNT_SID: FILE_SID },
    );
    expect(c.accountSid).toEqual({ value: HOME_SID, source: 'profile' });
    expect(c.apiKey!.value).toBe(HOME_KEY);
    expect(c.apiSecret!.value).toBe(HOME_SECRET);
    expect(c.region).toBeUndefined(); // "home" has none; not the active profile's ie1
    expect(c.profile).toMatchObject({ name: 'home', chosenBy: 'flag' });
  });

  it('flags beat --profile (a subaccount SID with the profile key, as twilio-cli --account-sid does)', () => {
    const c = resolveWith(dir, { profile: 'work', accountSid: FLAG_SID, region: 'au1' });
    expect(c.accountSid).toEqual({ value: FLAG_SID, source: 'flag' });
    expect(c.apiKey!.value).toBe(WORK_KEY);
    expect(c.region).toEqual({ value: 'au1', source: 'flag' });
    // A key given by flag replaces the profile's whole pair, never half of it.
    const key = resolveWith(dir, { profile: 'work', apiKey: ENV_KEY }, { TWILIO_API_SECRET: 'env-secret' });
    expect([key.apiKey, key.apiSecret]).toEqual([
      { value: ENV_KEY, source: 'flag' },
      { value: 'env-secret', source: 'env' },
    ]);
  });

  it('TWHOOK_PROFILE names the profile from the environment or the env file; --profile beats it', () => {
    expect(resolveWith(dir, {}, { TWHOOK_PROFILE: 'home' }).profile).toMatchObject({ name: 'home', chosenBy: 'env' });
    expect(resolveWith(dir, {}, {}, { TWHOOK_PROFILE: 'home' }).profile).toMatchObject({
      name: 'home',
      chosenBy: 'env-file',
    });
    expect(resolveWith(dir, { profile: 'work' }, { TWHOOK_PROFILE: 'home' }).profile!.name).toBe('work');
  });

  it('the environment beats the env file and the active profile, which is then not used at all', () => {
    const c = resolveWith(
      dir,
      {},
      { TWILIO_ACCOUNT_SID: ENV_SID, TWILIO_AUTH_TOKEN: 'env-token' },
      { TWILIO_ACCOUNT_SID: FILE_SID },
    );
    expect(c.accountSid).toEqual({ value: ENV_SID, source: 'env' });
    // No key or region of another account slips in from the active profile.
    expect(c.apiKey).toBeUndefined();
    expect(c.region).toBeUndefined();
    expect(c.profile).toBeUndefined();
    expect(restAuth(c).method).toBe('auth-token');
  });

  it('the env file beats the active profile', () => {
    const c = resolveWith(dir, {}, {}, { TWILIO_ACCOUNT_SID: FILE_SID, TWILIO_AUTH_TOKEN: 'file-token' });
    expect(c.accountSid).toEqual({ value: FILE_SID, source: 'env-file' });
    expect(c.profile).toBeUndefined();
    expect(c.apiKey).toBeUndefined();
  });

  it('with the active profile in use, the environment still sets the auth token, region and edge', () => {
    const c = resolveWith(dir, {}, { TWILIO_AUTH_TOKEN: 'env-token', TWILIO_REGION: 'au1', TWILIO_EDGE: 'sydney' });
    expect(c.profile!.name).toBe('work');
    expect(c.authTokens).toEqual([{ value: 'env-token', source: 'env' }]);
    expect(c.region).toEqual({ value: 'au1', source: 'env' });
    expect(c.edge).toEqual({ value: 'sydney', source: 'env' });
    expect(signingTokens(c)).toEqual(['env-token']);
  });

  it('reads config.json only when a profile may be needed', () => {
    const loader = vi.fn(() => undefined);
    resolveCredentials({}, { TWILIO_ACCOUNT_SID: ENV_SID }, {}, undefined, loader);
    expect(loader).not.toHaveBeenCalled();
    resolveCredentials({}, {}, {}, undefined, loader);
    expect(loader).toHaveBeenCalledTimes(1);
  });

  it("takes the edge from the profile, else config.json's top-level edge", () => {
    const withEdge = configDir({
      edge: 'frankfurt',
      profiles: { work: { ...CONFIG.profiles.work, edge: 'dublin' }, home: CONFIG.profiles.home },
      activeProject: 'home',
    });
    expect(resolveWith(withEdge, { profile: 'work' }).edge).toEqual({ value: 'dublin', source: 'profile' });
    expect(resolveWith(withEdge).edge).toEqual({ value: 'frankfurt', source: 'profile' });
    expect(resolveWith(withEdge, {}, { TWILIO_EDGE: 'sydney' }).edge!.value).toBe('sydney');
  });
});

describe('profile errors: exit 2, with the fix', () => {
  const dir = configDir();

  it('a missing profile lists the profiles that exist', () => {
    expect(usageError(() => resolveWith(dir, { profile: 'wrok' })).message).toBe(
      `--profile "wrok": no such twilio-cli profile; profiles in ${join(dir, 'config.json')}: work, home, legacy`,
    );
    expect(usageError(() => resolveWith(dir, {}, { TWHOOK_PROFILE: 'nope' })).message).toMatch(
      /^TWHOOK_PROFILE "nope": no such twilio-cli profile/,
    );
    const none = tempDir();
    expect(usageError(() => resolveWith(none, { profile: 'work' })).message).toBe(
      `--profile "work": there is no twilio-cli config file at ${join(none, 'config.json')}: run \`twilio login\`, or set TWILIO_CONFIG_DIR to where it is`,
    );
    expect(
      usageError(() => resolveCredentials({ profile: 'work' }, {}, {}, undefined, () => undefined)).message,
    ).toContain('set TWILIO_CONFIG_DIR');
  });

  it('a malformed config.json names the file: at once with --profile, when the account is needed otherwise', () => {
    const bad = configDir(`{"profiles": {"work": {"apiSecret": "${WORK_SECRET}",}}}`);
    const named = usageError(() => resolveWith(bad, { profile: 'work' })).message;
    expect(named).toContain(
      `--profile "work": twilio-cli's config file ${join(bad, 'config.json')} is not valid JSON at line 1`,
    );
    expect(named).not.toContain(WORK_SECRET);
    // Without --profile: no error while the account comes from elsewhere, or is not needed...
    expect(resolveWith(bad, {}, { TWILIO_ACCOUNT_SID: ENV_SID }).accountSid!.value).toBe(ENV_SID);
    const c = resolveWith(bad, {}, { TWILIO_AUTH_TOKEN: 'env-token' });
    expect(signingTokens(c)).toEqual(['env-token']);
    // ...and the file named when it is.
    expect(usageError(() => checkAccountSid(c)).message).toMatch(
      /^twilio-cli's config file .*config\.json is not valid JSON at line 1/,
    );
  });

  it("says when a profile's secret is in the system keychain, not in the file", () => {
    const c = resolveWith(dir, { profile: 'legacy' });
    expect(c.accountSid).toEqual({ value: LEGACY_SID, source: 'profile' });
    expect(c.region!.value).toBe('au1');
    expect(c.apiKey).toBeUndefined();
    expect(usageError(() => restAuth(c)).message).toBe(
      `twilio-cli profile "legacy" (${join(dir, 'config.json')}) has no API key and secret in the file: older twilio-cli ` +
        'versions keep them in the system keychain, which twhook does not read; run `twilio login` again with ' +
        'twilio-cli 3 or later to store them in config.json, or set TWILIO_API_KEY and TWILIO_API_SECRET (or TWILIO_AUTH_TOKEN)',
    );
    // The auth token still works with that profile's account.
    expect(restAuth(resolveWith(dir, { profile: 'legacy' }, { TWILIO_AUTH_TOKEN: 'tok' })).method).toBe('auth-token');
  });

  it('signing with only a profile: the error says profiles keep no auth token, and the fix', () => {
    expect(usageError(() => signingTokens(resolveWith(dir))).message).toBe(
      'signatures need the auth token, which twilio-cli profiles do not keep (Twilio signs webhooks with the auth token, ' +
        'not with the API key of profile "work"): set TWILIO_AUTH_TOKEN or pass --auth-token (the Auth Token in the Twilio Console)',
    );
  });

  it('names the profile when its account SID or key is malformed', () => {
    const odd = configDir({
      profiles: { odd: { accountSid: 'ACnope', apiKey: 'SKnope', apiSecret: 'x'.repeat(12) } },
      activeProject: 'odd',
    });
    const file = join(odd, 'config.json');
    expect(usageError(() => checkAccountSid(resolveWith(odd))).message).toBe(
      `twilio-cli's active profile "odd" (${file}) is not an account SID (AC followed by 32 hex digits): copy it from the Twilio Console`,
    );
    const key = resolveWith(odd, {}, {}, {});
    const fixed: Credentials = { ...key, accountSid: { value: WORK_SID, source: 'flag' } };
    expect(usageError(() => restAuth(fixed)).message).toBe(
      `twilio-cli's active profile "odd" (${file}) is not an API key SID (SK followed by 32 hex digits)`,
    );
  });

  it('says when profiles exist but none is active', () => {
    const idle = configDir({ profiles: CONFIG.profiles });
    expect(usageError(() => checkAccountSid(resolveWith(idle))).message).toBe(
      `no Twilio account SID: twilio-cli's ${join(idle, 'config.json')} has profiles (work, home) but none is active: pass --profile NAME, or set TWILIO_ACCOUNT_SID`,
    );
  });
});

describe('regions and edges', () => {
  const target = (flags: Parameters<typeof resolveCredentials>[0], env: Record<string, string> = {}) =>
    restTarget(resolveCredentials(flags, env, {}));

  it('builds the host like the SDK: product.edge.region.twilio.com', () => {
    expect(twilioHost('api')).toBe('api.twilio.com');
    expect(twilioHost('api', 'ie1', 'dublin')).toBe('api.dublin.ie1.twilio.com');
    expect(twilioHost('events', 'au1', 'sydney')).toBe('events.sydney.au1.twilio.com');
    expect(twilioHost('api', undefined, 'sydney')).toBe('api.sydney.us1.twilio.com');
  });

  it("adds Twilio's edge for a region given alone (api.ie1.twilio.com no longer answers)", () => {
    expect(target({}, { TWILIO_REGION: 'ie1' })).toEqual({
      region: { value: 'ie1', source: 'env' },
      edge: { value: 'dublin', source: 'default' },
      host: 'api.dublin.ie1.twilio.com',
    });
    expect(target({ region: 'AU1' }).host).toBe('api.sydney.au1.twilio.com');
    expect(target({ region: 'ie1', apiEdge: 'frankfurt' }).host).toBe('api.frankfurt.ie1.twilio.com');
    expect(target({}, { TWILIO_EDGE: 'sydney' })).toEqual({
      edge: { value: 'sydney', source: 'env' },
      host: 'api.sydney.us1.twilio.com',
    });
    expect(target({})).toEqual({ host: 'api.twilio.com' });
    // A region twhook has no edge for goes to the SDK as given.
    expect(target({ region: 'xx9' }).host).toBe('api.xx9.twilio.com');
  });

  it('flags beat the environment; a malformed value is a usage error naming where it came from', () => {
    expect(target({ region: 'au1' }, { TWILIO_REGION: 'ie1' }).region).toEqual({ value: 'au1', source: 'flag' });
    expect(usageError(() => target({}, { TWILIO_REGION: 'ie1.evil.com/' })).message).toBe(
      'TWILIO_REGION is not a Twilio region ("ie1.evil.com/"): use an ID such as ie1 or au1',
    );
    expect(usageError(() => target({ apiEdge: 'dub lin' })).message).toBe(
      '--api-edge is not a Twilio edge ("dub lin"): use an ID such as dublin or sydney',
    );
  });
});

describe('a profile in use', () => {
  it('is what twhook reports, never its secret', () => {
    const dir = configDir();
    const c = resolveWith(dir);
    const shown = JSON.stringify({ ...c, apiSecret: undefined, twilioCli: c.twilioCli });
    expect(c.twilioCli).toEqual({
      path: join(dir, 'config.json'),
      exists: true,
      names: ['work', 'home', 'legacy'],
      active: 'work',
    });
    expect(shown).not.toContain(HOME_SECRET);
  });
});

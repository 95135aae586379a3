/**
 * `twhook doctor`: which credentials were found and where, whether Twilio's API answers with
 * them, whether ngrok can start, and the Node version. Exit 1 when something needed is missing.
 */
import { versions } from 'node:process';
import type { Command } from 'commander';
import type { Wire } from './registry.js';
import type { Ctx } from '../ctx.js';
import { TwhookError } from '../errors.js';
import {
  checkAccountSid,
  describeSource,
  keychainMessage,
  noAuthTokenMessage,
  profileSecrets,
  restAuth,
  restTarget,
  type Credentials,
  type RestTarget,
  type Sourced,
} from '../twilio/credentials.js';
import { readTwilioCliConfig } from '../twilio/profiles.js';
import { maskSid } from '../redact.js';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface DoctorCheck {
  name: string;
  status: CheckStatus;
  /** One line; masked values only. */
  detail: string;
  /** Where the value came from: flag, env, env-file, profile, default. */
  source?: string;
}

export interface DoctorReport {
  ok: boolean;
  checks: DoctorCheck[];
  /** Where REST calls go: the API host, and the region and edge with where each came from. */
  api?: { host: string; url?: string; region?: Sourced; edge?: Sourced };
  /** The twilio-cli profile in use: its name, file and how it was chosen (never its secret). */
  profile?: { name: string; file: string; chosenBy: string };
}

export interface DoctorOptions {
  /** For tests; default: this process's Node version. */
  nodeVersion?: string;
}

const MIN_NODE_MAJOR = 20;

function where(s: Sourced, variable: string, flag: string, creds: Credentials): string {
  return describeSource(s, flag, variable, creds);
}

function credentialChecks(creds: Credentials): DoctorCheck[] {
  const checks: DoctorCheck[] = [];
  const sid = creds.accountSid;
  if (!sid) {
    let detail = 'not set: set TWILIO_ACCOUNT_SID (or pass --account-sid AC…, or --profile NAME)';
    try {
      checkAccountSid(creds);
    } catch (err) {
      detail = `not set: ${(err as Error).message.replace(/^no Twilio account SID: /, '')}`;
    }
    checks.push({ name: 'account SID', status: 'fail', detail });
  } else if (!/^AC[0-9a-fA-F]{32}$/.test(sid.value)) {
    checks.push({
      name: 'account SID',
      status: 'fail',
      source: sid.source,
      detail: `${where(sid, 'TWILIO_ACCOUNT_SID', '--account-sid', creds)} is not an account SID (AC followed by 32 hex digits)`,
    });
  } else {
    checks.push({
      name: 'account SID',
      status: 'ok',
      source: sid.source,
      detail: `${maskSid(sid.value)} from ${where(sid, 'TWILIO_ACCOUNT_SID', '--account-sid', creds)}`,
    });
  }

  const token = creds.authTokens[0];
  const hasKey = !!(creds.apiKey || creds.apiSecret);
  if (token) {
    const count = creds.authTokens.length > 1 ? ` (${creds.authTokens.length} tokens)` : '';
    checks.push({
      name: 'auth token',
      status: 'ok',
      source: token.source,
      detail: `set${count}, from ${where(token, 'TWILIO_AUTH_TOKEN', '--auth-token', creds)}`,
    });
  } else {
    checks.push({
      name: 'auth token',
      status: hasKey ? 'warn' : 'fail',
      detail: hasKey
        ? `not set: REST calls use the API key, but ${noAuthTokenMessage(creds, 'signing and verifying webhooks need')}`
        : creds.profile?.keychain
          ? `not set, and ${keychainMessage(creds.profile)}`
          : 'not set: set TWILIO_AUTH_TOKEN (or TWILIO_API_KEY and TWILIO_API_SECRET for REST calls)',
    });
  }

  if (!hasKey) {
    checks.push({ name: 'API key', status: 'skip', detail: 'not set (optional: REST calls use the auth token)' });
  } else {
    const key = creds.apiKey;
    const secret = creds.apiSecret;
    if (!key || !secret) {
      checks.push({
        name: 'API key',
        status: 'fail',
        detail: `${key ? 'TWILIO_API_SECRET' : 'TWILIO_API_KEY'} is missing: set both (or neither to use the auth token)`,
      });
    } else if (!/^SK[0-9a-fA-F]{32}$/.test(key.value)) {
      checks.push({
        name: 'API key',
        status: 'fail',
        source: key.source,
        detail: `${where(key, 'TWILIO_API_KEY', '--api-key', creds)} is not an API key SID (SK followed by 32 hex digits)`,
      });
    } else {
      const secretFrom =
        secret.source === key.source && secret.source === 'profile'
          ? 'the same profile'
          : where(secret, 'TWILIO_API_SECRET', '--api-secret', creds);
      checks.push({
        name: 'API key',
        status: 'ok',
        source: key.source,
        detail: `${maskSid(key.value)} from ${where(key, 'TWILIO_API_KEY', '--api-key', creds)}, secret set from ${secretFrom}; REST calls use it`,
      });
    }
  }
  return checks;
}

const CHOSEN_BY: Record<string, string> = {
  flag: '--profile',
  env: 'TWHOOK_PROFILE',
  'env-file': 'TWHOOK_PROFILE in the env file',
  active: "twilio-cli's active profile",
};

/**
 * Which twilio-cli profile was used, or why none was. Reads config.json for the report when the
 * credentials did not.
 */
function profileCheck(ctx: Ctx, creds: Credentials): DoctorCheck {
  const name = 'twilio-cli';
  if (creds.profile) {
    const p = creds.profile;
    const chosen = p.chosenBy === 'active' ? 'the active profile' : `chosen by ${CHOSEN_BY[p.chosenBy]}`;
    if (p.keychain) {
      const why =
        'no API key and secret in the file (older twilio-cli versions keep them in the system keychain, which twhook does not read)';
      return {
        name,
        status: 'warn',
        source: 'profile',
        detail: `profile "${p.name}" (${chosen}) in ${p.file}: ${why}`,
      };
    }
    return { name, status: 'ok', source: 'profile', detail: `profile "${p.name}" (${chosen}) in ${p.file}` };
  }
  const config = readTwilioCliConfig(ctx.env);
  for (const secret of profileSecrets(config)) ctx.out.redactor.add(secret);
  if (!config) return { name, status: 'skip', detail: 'not looked for (HOME is not set)' };
  if (config.error) return { name, status: 'warn', detail: config.error };
  if (!config.exists)
    return { name, status: 'skip', detail: `no profiles (optional: \`twilio login\` saves them in ${config.path})` };
  if (config.active) {
    return {
      name,
      status: 'skip',
      detail: `active profile "${config.active.name}" in ${config.path} not used: the account SID is set (--profile uses a profile)`,
    };
  }
  return {
    name,
    status: 'skip',
    detail: `${config.profiles.length} profile(s) in ${config.path}, none active: pass --profile NAME to use one`,
  };
}

/** The region and edge in use, each with where it came from. */
function locationChecks(creds: Credentials): { checks: DoctorCheck[]; target?: RestTarget } {
  let target: RestTarget;
  try {
    target = restTarget(creds);
  } catch (err) {
    return { checks: [{ name: 'region', status: 'fail', detail: (err as Error).message }] };
  }
  const { region, edge } = target;
  const checks: DoctorCheck[] = [];
  checks.push(
    region
      ? {
          name: 'region',
          status: 'ok',
          source: region.source,
          detail: `${region.value} from ${where(region, 'TWILIO_REGION', '--region', creds)}`,
        }
      : {
          name: 'region',
          status: 'skip',
          detail: 'not set: US1 (an account in IE1 or AU1 needs --region or TWILIO_REGION)',
        },
  );
  if (!edge) checks.push({ name: 'edge', status: 'skip', detail: 'not set' });
  else if (edge.source === 'default')
    checks.push({
      name: 'edge',
      status: 'ok',
      source: 'default',
      detail: `${edge.value}: Twilio's edge for ${region?.value}`,
    });
  else
    checks.push({
      name: 'edge',
      status: 'ok',
      source: edge.source,
      detail: `${edge.value} from ${where(edge, 'TWILIO_EDGE', '--api-edge', creds)}`,
    });
  return { checks, target };
}

async function apiCheck(ctx: Ctx, creds: Credentials, target: RestTarget | undefined): Promise<DoctorCheck> {
  const apiUrl = ctx.apiUrl;
  const host = target?.host ?? 'api.twilio.com';
  // The Twilio host asked for, and the server standing in for it with --api-url.
  const label = apiUrl
    ? `${host} via ${apiUrl.value} (from ${where(apiUrl, 'TWHOOK_API_URL', '--api-url', creds)})`
    : host;
  const source = apiUrl ? { source: apiUrl.source } : {};
  if (!target)
    return { name: 'Twilio API', status: 'skip', ...source, detail: 'not tried: the region or edge is not valid' };
  try {
    restAuth(creds);
  } catch (err) {
    return {
      name: 'Twilio API',
      status: 'skip',
      ...source,
      detail: `not tried${apiUrl ? ` (${label})` : ''}: ${(err as Error).message}`,
    };
  }
  try {
    const twilio = await ctx.twilio();
    const account = await twilio.fetchAccount();
    const active = account.status === 'active';
    const what = `account "${account.friendlyName}" is ${account.status}${account.type ? ` (${account.type})` : ''}`;
    return {
      name: 'Twilio API',
      status: active ? 'ok' : 'fail',
      ...source,
      detail: active
        ? `${label} answered: ${what}`
        : `${label} answered: ${what}; REST calls will fail until it is active`,
    };
  } catch (err) {
    if (err instanceof TwhookError)
      return {
        name: 'Twilio API',
        status: 'fail',
        ...source,
        detail: apiUrl ? `${label}: ${err.message}` : err.message,
      };
    throw err;
  }
}

export async function runDoctor(ctx: Ctx, options: DoctorOptions = {}): Promise<number> {
  const creds = ctx.credentials();
  const checks = credentialChecks(creds);
  checks.push(profileCheck(ctx, creds));
  const location = locationChecks(creds);
  checks.push(...location.checks);
  checks.push(await apiCheck(ctx, creds, location.target));

  checks.push(
    ctx.env.NGROK_AUTHTOKEN
      ? { name: 'ngrok', status: 'ok', detail: 'NGROK_AUTHTOKEN set' }
      : {
          name: 'ngrok',
          status: 'warn',
          detail: 'NGROK_AUTHTOKEN not set: `twhook dev` needs it unless you pass --public-url',
        },
  );

  const nodeVersion = options.nodeVersion ?? versions.node;
  const major = Number(nodeVersion.split('.')[0]);
  checks.push(
    major >= MIN_NODE_MAJOR
      ? { name: 'Node.js', status: 'ok', detail: `v${nodeVersion}` }
      : { name: 'Node.js', status: 'fail', detail: `v${nodeVersion}: twhook needs Node ${MIN_NODE_MAJOR} or later` },
  );

  const ok = checks.every((c) => c.status !== 'fail');
  const apiUrl = ctx.apiUrl?.value;
  const report: DoctorReport = {
    ok,
    checks,
    ...(location.target
      ? {
          api: {
            host: location.target.host,
            ...(apiUrl ? { url: apiUrl } : {}),
            ...(location.target.region ? { region: location.target.region } : {}),
            ...(location.target.edge ? { edge: location.target.edge } : {}),
          },
        }
      : {}),
    ...(creds.profile
      ? { profile: { name: creds.profile.name, file: creds.profile.file, chosenBy: creds.profile.chosenBy } }
      : {}),
  };
  ctx.out.result(report, () => {
    const c = ctx.out.c;
    const mark: Record<CheckStatus, string> = {
      ok: c.green('✓'),
      warn: c.yellow('!'),
      fail: c.red('✗'),
      skip: c.dim('-'),
    };
    const width = Math.max(...checks.map((check) => check.name.length));
    for (const check of checks) ctx.out.print(`${mark[check.status]} ${check.name.padEnd(width)}  ${check.detail}`);
    if (creds.envFile) ctx.out.note(c.dim(`env file: ${creds.envFile}`));
    const failed = checks.filter((x) => x.status === 'fail').length;
    if (!ok) ctx.out.note(`\n${failed} ${failed === 1 ? 'problem' : 'problems'} to fix (✗ above)`);
  });
  return ok ? 0 : 1;
}

export function register(cmd: Command, wire: Wire): void {
  cmd
    .description('check credentials, the Twilio API, ngrok and Node; exit 1 if something needed is missing')
    .addHelpText(
      'after',
      `
Shows where each value came from (a flag, the environment, the env file, a twilio-cli profile),
the region and edge REST calls use, and the API host that answered. Secrets are never shown:
an account as AC…1234, a token or secret only as "set".

Examples:
  $ twhook doctor
  $ twhook doctor --profile work
  $ TWILIO_REGION=ie1 twhook doctor
  $ twhook doctor --json | jq .api
`,
    )
    .action(wire(async (ctx) => runDoctor(ctx)));
}

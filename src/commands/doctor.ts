/**
 * `twhook doctor`: which credentials were found and where, whether Twilio's API answers with
 * them, whether ngrok can start, and the Node version. Exit 1 when something needed is missing.
 */
import { versions } from 'node:process';
import type { Command } from 'commander';
import type { Wire } from './registry.js';
import type { Ctx } from '../ctx.js';
import { TwhookError } from '../errors.js';
import { restAuth, type Credentials, type Sourced } from '../twilio/credentials.js';
import { maskSid } from '../redact.js';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface DoctorCheck {
  name: string;
  status: CheckStatus;
  /** One line; masked values only. */
  detail: string;
  /** Where the value came from: flag, env, env-file. */
  source?: string;
}

export interface DoctorReport {
  ok: boolean;
  checks: DoctorCheck[];
}

export interface DoctorOptions {
  /** For tests; default: this process's Node version. */
  nodeVersion?: string;
}

const MIN_NODE_MAJOR = 20;

function where(s: Sourced, variable: string, flag: string, creds: Credentials): string {
  if (s.source === 'flag') return flag;
  if (s.source === 'env-file') return `${variable} in ${creds.envFile ?? 'the env file'}`;
  return variable;
}

function credentialChecks(creds: Credentials): DoctorCheck[] {
  const checks: DoctorCheck[] = [];
  const sid = creds.accountSid;
  if (!sid) {
    checks.push({ name: 'account SID', status: 'fail', detail: 'not set: set TWILIO_ACCOUNT_SID (or pass --account-sid AC…)' });
  } else if (!/^AC[0-9a-fA-F]{32}$/.test(sid.value)) {
    checks.push({
      name: 'account SID',
      status: 'fail',
      source: sid.source,
      detail: `${where(sid, 'TWILIO_ACCOUNT_SID', '--account-sid', creds)} is not an account SID (AC followed by 32 hex digits)`,
    });
  } else {
    checks.push({ name: 'account SID', status: 'ok', source: sid.source, detail: `${maskSid(sid.value)} from ${where(sid, 'TWILIO_ACCOUNT_SID', '--account-sid', creds)}` });
  }

  const token = creds.authTokens[0];
  const hasKey = !!(creds.apiKey || creds.apiSecret);
  if (token) {
    const count = creds.authTokens.length > 1 ? ` (${creds.authTokens.length} tokens)` : '';
    checks.push({ name: 'auth token', status: 'ok', source: token.source, detail: `set${count}, from ${where(token, 'TWILIO_AUTH_TOKEN', '--auth-token', creds)}` });
  } else {
    checks.push({
      name: 'auth token',
      status: hasKey ? 'warn' : 'fail',
      detail: hasKey
        ? 'not set: REST calls use the API key, but signing and verifying webhooks need TWILIO_AUTH_TOKEN'
        : 'not set: set TWILIO_AUTH_TOKEN (or TWILIO_API_KEY and TWILIO_API_SECRET for REST calls)',
    });
  }

  if (!hasKey) {
    checks.push({ name: 'API key', status: 'skip', detail: 'not set (optional: REST calls use the auth token)' });
  } else {
    const key = creds.apiKey;
    const secret = creds.apiSecret;
    if (!key || !secret) {
      checks.push({ name: 'API key', status: 'fail', detail: `${key ? 'TWILIO_API_SECRET' : 'TWILIO_API_KEY'} is missing: set both (or neither to use the auth token)` });
    } else if (!/^SK[0-9a-fA-F]{32}$/.test(key.value)) {
      checks.push({ name: 'API key', status: 'fail', source: key.source, detail: `${where(key, 'TWILIO_API_KEY', '--api-key', creds)} is not an API key SID (SK followed by 32 hex digits)` });
    } else {
      checks.push({
        name: 'API key',
        status: 'ok',
        source: key.source,
        detail: `${maskSid(key.value)} from ${where(key, 'TWILIO_API_KEY', '--api-key', creds)}, secret set from ${where(secret, 'TWILIO_API_SECRET', '--api-secret', creds)}; REST calls use it`,
      });
    }
  }
  return checks;
}

async function apiCheck(ctx: Ctx, creds: Credentials): Promise<DoctorCheck> {
  const apiUrl = ctx.apiUrl;
  const target = apiUrl ? `${apiUrl.value} (from ${where(apiUrl, 'TWHOOK_API_URL', '--api-url', creds)})` : 'api.twilio.com';
  const source = apiUrl ? { source: apiUrl.source } : {};
  try {
    restAuth(creds);
  } catch (err) {
    return { name: 'Twilio API', status: 'skip', ...source, detail: `not tried${apiUrl ? ` (${target})` : ''}: ${(err as Error).message}` };
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
      detail: active ? `${target} answered: ${what}` : `${target} answered: ${what}; REST calls will fail until it is active`,
    };
  } catch (err) {
    if (err instanceof TwhookError) return { name: 'Twilio API', status: 'fail', ...source, detail: apiUrl ? `${target}: ${err.message}` : err.message };
    throw err;
  }
}

export async function runDoctor(ctx: Ctx, options: DoctorOptions = {}): Promise<number> {
  const creds = ctx.credentials();
  const checks = credentialChecks(creds);
  checks.push(await apiCheck(ctx, creds));

  checks.push(
    ctx.env.NGROK_AUTHTOKEN
      ? { name: 'ngrok', status: 'ok', detail: 'NGROK_AUTHTOKEN set' }
      : { name: 'ngrok', status: 'warn', detail: 'NGROK_AUTHTOKEN not set: `twhook dev` needs it unless you pass --public-url' },
  );

  const nodeVersion = options.nodeVersion ?? versions.node;
  const major = Number(nodeVersion.split('.')[0]);
  checks.push(
    major >= MIN_NODE_MAJOR
      ? { name: 'Node.js', status: 'ok', detail: `v${nodeVersion}` }
      : { name: 'Node.js', status: 'fail', detail: `v${nodeVersion}: twhook needs Node ${MIN_NODE_MAJOR} or later` },
  );

  const ok = checks.every((c) => c.status !== 'fail');
  const report: DoctorReport = { ok, checks };
  ctx.out.result(report, () => {
    const c = ctx.out.c;
    const mark: Record<CheckStatus, string> = { ok: c.green('✓'), warn: c.yellow('!'), fail: c.red('✗'), skip: c.dim('-') };
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
Secrets are never shown: an account as AC…1234, a token or secret only as "set".

Examples:
  $ twhook doctor
  $ twhook doctor --json | jq .ok
`,
    )
    .action(wire(async (ctx) => runDoctor(ctx)));
}

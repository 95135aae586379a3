/**
 * Secrets never leave: the command lines of the whole product, run with known fake secrets given
 * by flags, the environment and env files (auth token, API key secret, NGROK_AUTHTOKEN, Segment
 * write keys, basic-auth passwords in URLs, including one the API hands back on a number), then
 * stdout, stderr, --json, every capture, report and journal file written are scanned for each
 * secret, raw, URL-encoded and base64 (see scan.ts). The one file allowed to hold a basic-auth
 * password is the journal's 0600 journal-secrets.json, which a restore needs.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import type { Deps } from '../../src/ctx.js';
import { ngrokTunnelFactory, type NgrokForwardConfig } from '../../src/tunnel/ngrok.js';
import type { TunnelFactory } from '../../src/tunnel/types.js';
import type { Choice, Prompter } from '../../src/ui/prompter.js';
import { signRequest } from '../../src/webhooks/signature.js';
import { post, startApp, waitFor } from '../support/dev-session.js';
import { useEmulator } from '../support/emulator.js';
import { everythingServed } from '../support/inspector.js';
import { scriptedPrompter } from '../support/prompter.js';
import { runBin } from '../support/run-bin.js';
import { MemoryStream, runCli, tempDir, type RunResult } from '../support/run-cli.js';
import { closedPort, startTwilioApp } from '../support/twilio-app.js';
import { LeakScanner, type Secret } from './scan.js';
import { startIvrApp } from '../support/ivr-app.js';

type Json = Record<string, any>;

const ACCOUNT_SID = 'AC5ec1e75ec1e75ec1e75ec1e75ec1e75e';
const API_KEY = 'SK0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const AUTH_TOKEN = '7f3c9e1ab5d24f6e8a0c2b4d6f8e1a3c';
const WRONG_TOKEN = '0badc0de0badc0de0badc0de0badc0de';
const API_SECRET = 'aPiS3cReTfAkE0123456789zZyYxXwWv';
const WRONG_API_SECRET = 'WrongApiSecret000111222333444555';
const NGROK_AUTHTOKEN = '2Zq8fAkEnGrOkToKeN7d_3kLmNoPqRsTuVwXyZ12345';
const WRITE_KEY = 'SegFakeWriteKey0123456789Abcdef';
const INTERACTIVE_WRITE_KEY = 'PromptedWriteKey9876543210Zyx';
const BAD_WRITE_KEY = 'Bad!SegWriteKey/0123456789';
/** Basic-auth passwords: characters that URL encoding changes, so every encoding is looked for. */
const DEV_PASSWORD = 'Dev+Basic.P4ss-w0rd~';
const CONFIGURE_PASSWORD = 'Conf1gure:P@ss/w0rd';
const SEEDED_PASSWORD = 'Seeded-0ld/P@ss+99';
const SINK_PASSWORD = 'S1nkHook+P@ss_7788';
const SIGN_PASSWORD = 'S1gn3d+URL@Pass/42';
const SIM_PASSWORD = 'S1mCall+P@ss/8642';
/** twilio-cli profiles (config.json): the one in use, another one, a wrong one, one in a malformed file. */
const PROFILE_KEY = 'SK9f8e7d6c5b4a39281706f5e4d3c2b1a0';
const PROFILE_SECRET = 'Pr0f1leS3cretFromTwilioLogin0001';
const OTHER_PROFILE_SECRET = 'OtherProfileSecretNeverUsed00002';
const WRONG_PROFILE_SECRET = 'WrongProfileSecretRejected000003';
const MALFORMED_PROFILE_SECRET = 'MalformedConfigSecretNearError04';

const BASIC_PASSWORDS = ['dev basic-auth password', 'configure URL password', 'seeded URL password'];
const SECRETS: Secret[] = [
  { name: 'auth token', value: AUTH_TOKEN, user: ACCOUNT_SID },
  { name: 'wrong auth token', value: WRONG_TOKEN, user: ACCOUNT_SID },
  { name: 'API key secret', value: API_SECRET, user: API_KEY },
  { name: 'wrong API key secret', value: WRONG_API_SECRET, user: API_KEY },
  { name: 'NGROK_AUTHTOKEN', value: NGROK_AUTHTOKEN },
  { name: 'Segment write key', value: WRITE_KEY },
  { name: 'prompted Segment write key', value: INTERACTIVE_WRITE_KEY },
  { name: 'malformed Segment write key', value: BAD_WRITE_KEY },
  { name: 'dev basic-auth password', value: DEV_PASSWORD, user: 'twhookdev' },
  { name: 'configure URL password', value: CONFIGURE_PASSWORD, user: 'bot' },
  { name: 'seeded URL password', value: SEEDED_PASSWORD, user: 'legacy' },
  { name: 'sink URL password', value: SINK_PASSWORD, user: 'events' },
  { name: 'sign URL password', value: SIGN_PASSWORD, user: 'hook' },
  { name: 'simulated app URL password', value: SIM_PASSWORD, user: 'sim' },
  { name: 'twilio-cli profile API secret', value: PROFILE_SECRET, user: PROFILE_KEY },
  { name: 'other twilio-cli profile API secret', value: OTHER_PROFILE_SECRET, user: PROFILE_KEY },
  { name: 'wrong twilio-cli profile API secret', value: WRONG_PROFILE_SECRET, user: PROFILE_KEY },
  { name: 'API secret in a malformed config.json', value: MALFORMED_PROFILE_SECRET, user: PROFILE_KEY },
];

const SUPPORT = '+14155550100';
const SALES = '+14155550101';
const PUBLIC = 'https://dev.example.test';
const DELIVERED = 'com.twilio.messaging.message.delivered';
const FAILED = 'com.twilio.messaging.message.failed';
const FAST = { TWHOOK_RETRY_BASE_MS: '1', TWHOOK_RETRY_MAX_MS: '5' };
const enc = encodeURIComponent;
const CONFIGURE_SMS = `https://bot:${enc(CONFIGURE_PASSWORD)}@hooks.example.com/sms`;
const CONFIGURE_VOICE = `https://bot:${enc(CONFIGURE_PASSWORD)}@hooks.example.com/voice`;
const TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Got it</Message></Response>';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** An account in the emulator (a number whose SMS URL carries a password), a cwd and a config dir. */
async function world() {
  const emu = await useEmulator({
    accountSid: ACCOUNT_SID,
    authToken: AUTH_TOKEN,
    apiKeys: [{ sid: API_KEY, secret: API_SECRET }],
    numbers: [
      {
        phoneNumber: SUPPORT,
        friendlyName: 'Support line',
        smsUrl: `https://legacy:${enc(SEEDED_PASSWORD)}@old.example.com/sms`,
        voiceUrl: 'https://app.example.com/voice#rc=3&ct=2000',
        statusCallback: 'https://app.example.com/status',
      },
      { phoneNumber: SALES, friendlyName: 'Sales line', smsUrl: 'https://sales.example.com/sms' },
    ],
  });
  const cwd = tempDir('twhook-secrets-cwd-');
  const configDir = tempDir('twhook-secrets-config-');
  const scan = new LeakScanner(SECRETS);
  const inputs: string[] = [];
  const api = { TWHOOK_API_URL: emu.url, ...FAST };
  const byEnv = { ...api, TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_AUTH_TOKEN: AUTH_TOKEN, NGROK_AUTHTOKEN };
  const byFlags = ['--account-sid', ACCOUNT_SID, '--auth-token', AUTH_TOKEN];

  /** An env file the test writes: an input, never scanned (it holds secrets by design). */
  const envFile = (name: string, vars: Record<string, string>, dir = cwd) => {
    const path = join(dir, name);
    writeFileSync(
      path,
      Object.entries(vars)
        .map(([k, v]) => `${k}=${v}`)
        .join('\n') + '\n',
    );
    inputs.push(path);
    return path;
  };
  // The default ./.env: the account, its auth token and the ngrok authtoken.
  envFile('.env', { TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_AUTH_TOKEN: AUTH_TOKEN, NGROK_AUTHTOKEN });
  // An explicit --env-file elsewhere: REST through the API key.
  const apiKeyEnv = envFile(
    'api-key.env',
    { TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_API_KEY: API_KEY, TWILIO_API_SECRET: API_SECRET },
    tempDir('twhook-secrets-env-'),
  );

  let runs = 0;
  const run = async (
    label: string,
    argv: string[],
    options: {
      env?: Record<string, string>;
      tty?: boolean;
      prompter?: Prompter;
      code?: number;
      tunnelFactory?: TunnelFactory;
    } = {},
  ): Promise<RunResult> => {
    // A later time for each run: backups are ordered by time, as they are outside tests.
    const now = new Date(Date.UTC(2026, 10, 27, 10, 0, ++runs));
    const r = await runCli(argv, {
      now,
      cwd,
      configDir,
      env: options.env ?? api,
      tty: options.tty,
      prompter: options.prompter,
      tunnelFactory: options.tunnelFactory,
    });
    scan.run(label, r);
    expect(r.code, `${label}: ${r.stderr}`).toBe(options.code ?? 0);
    return r;
  };

  /** Scans the cwd (captures, reports) and the config dir (journal), then expects no leak. */
  const finish = (options: { journalSecrets?: boolean } = {}) => {
    const files = scan.dir(cwd, { skip: inputs });
    const config = scan.dir(configDir, { allow: { 'journal-secrets.json': BASIC_PASSWORDS } });
    const secretsFile = join(configDir, 'journal-secrets.json');
    if (options.journalSecrets) {
      expect(config).toContain('journal.json');
      expect(existsSync(secretsFile), 'journal-secrets.json holds the passwords a restore needs').toBe(true);
    }
    if (existsSync(secretsFile)) expect(statSync(secretsFile).mode & 0o777).toBe(0o600);
    if (existsSync(join(configDir, 'journal.json')))
      expect(statSync(join(configDir, 'journal.json')).mode & 0o777).toBe(0o600);
    expect(scan.leaks).toEqual([]);
    return { files, config };
  };

  return { emu, cwd, configDir, scan, api, byEnv, byFlags, apiKeyEnv, envFile, run, finish };
}

/** A CLI run in-process that the test talks to while it runs (dev), stopped through ctx.signal. */
function startRun(
  argv: string[],
  options: {
    cwd: string;
    configDir: string;
    env: Record<string, string>;
    tty?: boolean;
    tunnelFactory?: TunnelFactory;
  },
) {
  const stdout = new MemoryStream();
  const stderr = new MemoryStream();
  const controller = new AbortController();
  const tty = options.tty ?? false;
  const deps: Deps = {
    io: { stdin: new PassThrough(), stdout, stderr, isStdinTTY: tty, isStdoutTTY: tty, isStderrTTY: tty },
    env: options.env,
    cwd: options.cwd,
    clock: { now: () => new Date('2026-11-27T10:00:00.000Z') },
    signal: controller.signal,
    configDir: options.configDir,
    tunnelFactory: options.tunnelFactory,
  };
  const exit = main(argv, deps);
  cleanups.push(async () => {
    controller.abort();
    await exit.catch(() => undefined);
  });
  const json = () =>
    stdout
      .text()
      .split('\n')
      .filter((l) => l.trim().startsWith('{'))
      .map((l) => JSON.parse(l) as Json);
  return { stdout, stderr, exit, json, stop: () => controller.abort() };
}

/** ngrok's agent library, faked: it records the authtoken it was given, or fails as ngrok does, echoing it. */
function fakeNgrok(mode: 'ok' | 'reject') {
  const seen: NgrokForwardConfig[] = [];
  const factory = ngrokTunnelFactory({
    load: async () => ({
      async forward(config) {
        seen.push(config);
        if (mode === 'reject') {
          throw new Error(
            `failed to start tunnel: The authtoken you specified does not look like a proper ngrok tunnel authtoken.\nYour authtoken: ${config.authtoken}\nERR_NGROK_105`,
          );
        }
        return { url: () => 'https://fake-5ec1e7.ngrok-free.app', close: async () => undefined };
      },
    }),
  });
  return { factory, seen };
}

/**
 * A scripted prompter that also scans what a real one would draw on the terminal (messages,
 * defaults, choice names and descriptions): prompts are written without the output redactor.
 */
function recordingPrompter(
  answers: unknown[],
  scan: LeakScanner,
  label: string,
): Prompter & { asked: { kind: string; message: string }[] } {
  const inner = scriptedPrompter(answers);
  const shown = (kind: string, opts: object, choices?: Choice<unknown>[]) =>
    scan.text(
      `${label} [prompt: ${kind}]`,
      JSON.stringify(
        { ...opts, choices: choices?.map((c) => ({ name: c.name, description: c.description })) },
        (key, value) => (typeof value === 'function' || key === 'value' || key === 'source' ? undefined : value),
      ),
    );
  return {
    asked: inner.asked,
    input: (opts) => (shown('input', opts), inner.input(opts)),
    confirm: (opts) => (shown('confirm', opts), inner.confirm(opts)),
    password: (opts) => (shown('password', opts), inner.password!(opts)),
    select: (opts) => (shown('select', opts, opts.choices as Choice<unknown>[]), inner.select(opts)),
    checkbox: (opts) => (shown('checkbox', opts, opts.choices as Choice<unknown>[]), inner.checkbox(opts)),
    async search(opts) {
      shown('search', opts, (await opts.source(undefined)) as Choice<unknown>[]);
      return inner.search(opts);
    },
  };
}

const inboundSms = {
  MessageSid: 'SM0123456789abcdef0123456789abcdef',
  AccountSid: ACCOUNT_SID,
  From: '+15551230000',
  To: SUPPORT,
  Body: 'Hello there',
  NumMedia: '0',
};
const basicHeader = (user: string, password: string) =>
  'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');

describe('no secret reaches output, captures or journals', () => {
  it('numbers, doctor, configure (dry run, --json, failures) and restore, with flags, env and env files', async () => {
    const w = await world();
    const { run, byEnv, byFlags, apiKeyEnv, emu } = w;

    // numbers: the default ./.env, flags, an explicit env file (API key), the process env on a TTY.
    const list = await run('numbers list (.env)', ['numbers', 'list']);
    expect(list.stdout).toContain(SUPPORT);
    expect(list.stdout).toContain('legacy:');
    const listJson = await run('numbers list --json (flags)', ['numbers', 'list', '--json', ...byFlags]);
    expect((listJson.json()[0] as Json).numbers).toHaveLength(2);
    await run('numbers show --json (--env-file, API key)', [
      'numbers',
      'show',
      SUPPORT,
      '--json',
      '--env-file',
      apiKeyEnv,
    ]);
    await run('numbers show (env, TTY)', ['numbers', 'show', SUPPORT], { env: { ...byEnv, NO_COLOR: '1' }, tty: true });

    // doctor: text with ./.env (ngrok authtoken from the file), --json with everything in the env.
    await run('doctor (.env)', ['doctor']);
    const doctor = await run('doctor --json (env, API key)', ['doctor', '--json'], {
      env: { ...byEnv, TWILIO_API_KEY: API_KEY, TWILIO_API_SECRET: API_SECRET },
    });
    expect(JSON.stringify(doctor.json())).toContain('ngrok');

    // configure: URLs carrying a basic-auth password.
    const support = [...emu.state.api2010.numbers.values()].find((n) => n.phone_number === SUPPORT)!;
    // Interactive, on a terminal: pick the number (its SMS URL has a password), the webhook, a new URL.
    const pick = (prefix: string) => (choices: Choice<unknown>[]) =>
      choices.find((c) => c.name.startsWith(prefix))!.value;
    const seeded = `https://legacy:${enc(SEEDED_PASSWORD)}@old.example.com/sms`;
    const keep = recordingPrompter(
      [pick(SUPPORT), false, () => ['smsUrl'], 'https://legacy:***@old.example.com/sms', 'POST', 'ct=3000', true],
      w.scan,
      'configure, keeping the masked default (TTY, prompts)',
    );
    await run('configure, keeping the masked default (TTY, prompts)', ['configure'], {
      env: { ...byEnv, NO_COLOR: '1' },
      tty: true,
      prompter: keep,
    });
    expect(support.sms_url).toBe(`${seeded}#ct=3000`);
    const interactive = recordingPrompter(
      [pick(SUPPORT), false, () => ['smsUrl'], CONFIGURE_SMS.replace('/sms', '/interactive'), 'POST', '', true],
      w.scan,
      'configure (TTY, prompts)',
    );
    await run('configure (TTY, prompts)', ['configure'], {
      env: { ...byEnv, NO_COLOR: '1' },
      tty: true,
      prompter: interactive,
    });
    expect(interactive.asked.map((a) => a.kind)).toEqual([
      'search',
      'confirm',
      'checkbox',
      'input',
      'select',
      'input',
      'confirm',
    ]);
    expect(support.sms_url).toBe(CONFIGURE_SMS.replace('/sms', '/interactive'));

    const dry = await run('configure --dry-run (flags)', [
      'configure',
      SUPPORT,
      '--sms-url',
      CONFIGURE_SMS,
      '--dry-run',
      ...byFlags,
    ]);
    expect(dry.stdout + dry.stderr).toMatch(/Dry run|dry run/);
    const applied = await run('configure --yes --json (.env)', [
      'configure',
      SUPPORT,
      '--sms-url',
      CONFIGURE_SMS,
      '--voice-url',
      CONFIGURE_VOICE,
      '--ct',
      '2000',
      '--yes',
      '--json',
    ]);
    expect(applied.json()).toHaveLength(1);
    expect(support.sms_url).toBe(`${CONFIGURE_SMS}#ct=2000`);
    await run('configure --yes (API key flags)', [
      'configure',
      SALES,
      '--sms-url',
      CONFIGURE_SMS,
      '--yes',
      '--account-sid',
      ACCOUNT_SID,
      '--api-key',
      API_KEY,
      '--api-secret',
      API_SECRET,
    ]);
    // Failure paths: each a one-line error, none repeating the URL's password.
    await run(
      'configure loopback URL',
      ['configure', SUPPORT, '--sms-url', `http://bot:${enc(CONFIGURE_PASSWORD)}@127.0.0.1:3000/sms`, '--yes'],
      { code: 2 },
    );
    await run(
      'configure unknown number',
      ['configure', '+15559999999', '--sms-url', CONFIGURE_SMS, '--yes', '--json'],
      { code: 2 },
    );
    await run(
      'configure malformed URL',
      ['configure', SUPPORT, '--sms-url', `https://bot:${enc(CONFIGURE_PASSWORD)}@exa mple.com/sms`, '--yes'],
      { code: 2 },
    );
    await run(
      'configure ftp URL',
      ['configure', SUPPORT, '--sms-url', `ftp://bot:${enc(CONFIGURE_PASSWORD)}@example.com/sms`, '--yes'],
      { code: 2 },
    );
    emu.fault({ method: 'POST', path: '**/IncomingPhoneNumbers/*.json', status: 400, times: 1 });
    await run(
      'configure refused by the API --json',
      ['configure', SALES, '--voice-url', CONFIGURE_VOICE, '--yes', '--json'],
      { code: 3 },
    );

    // restore: the list, a dry run, one number, the rest, as text and --json.
    const backups = await run('restore --list', ['restore', '--list']);
    expect(backups.stdout).toContain(SUPPORT);
    const backupsJson = await run('restore --list --json', ['restore', '--list', '--json']);
    expect((backupsJson.json()[0] as Json).backups.length).toBeGreaterThanOrEqual(2);
    await run('restore --dry-run --json', ['restore', SUPPORT, '--dry-run', '--json']);
    const confirmRestore = recordingPrompter([true], w.scan, 'restore (TTY, prompt)');
    await run('restore one number (TTY, prompt)', ['restore', SALES], {
      env: { ...byEnv, NO_COLOR: '1' },
      tty: true,
      prompter: confirmRestore,
    });
    expect(confirmRestore.asked).toHaveLength(1);
    await run('restore the newest batch', ['restore', '--yes']);
    expect(support.sms_url).toBe(CONFIGURE_SMS.replace('/sms', '/interactive'));
    const back = await run('restore a number --yes --json (env)', ['restore', SUPPORT, '--yes', '--json'], {
      env: byEnv,
    });
    expect((back.json()[0] as Json).restored.length, back.stdout + back.stderr).toBeGreaterThanOrEqual(1);
    expect(support.sms_url).toBe(`${seeded}#ct=3000`);
    await run('restore the first change', ['restore', SUPPORT, '--yes']);
    expect(support.sms_url).toBe(seeded);
    await run('restore --list after', ['restore', '--list', '--json']);

    const { config } = w.finish({ journalSecrets: true });
    expect(config).toEqual(expect.arrayContaining(['journal.json', 'journal-secrets.json']));
    const held = readFileSync(join(w.configDir, 'journal-secrets.json'), 'utf8');
    expect(held.includes(enc(SEEDED_PASSWORD)) || held.includes(SEEDED_PASSWORD)).toBe(true);
  });

  it('dev: --public-url and --basic-auth with --json, --events, a TTY live view, a fake ngrok; then verify and replay the capture', async () => {
    const w = await world();
    const { cwd, configDir, byEnv, byFlags, api, emu, scan } = w;
    const app = await startApp((_req, res) => {
      res.setHeader('Content-Type', 'text/xml');
      res.end(TWIML);
    });
    const support = [...emu.state.api2010.numbers.values()].find((n) => n.phone_number === SUPPORT)!;
    const seededSms = support.sms_url;

    // 1. --json, --verbose, basic auth, Event Streams, a capture; credentials from the env.
    const dev = startRun(
      [
        'dev',
        String(app.port),
        '--public-url',
        PUBLIC,
        '--number',
        SUPPORT,
        '--basic-auth',
        `twhookdev:${DEV_PASSWORD}`,
        '--events',
        DELIVERED,
        '--capture',
        'cap.jsonl',
        '--verbose',
        '--json',
      ],
      { cwd, configDir, env: byEnv },
    );
    const ready = await waitFor('ready', () => dev.json().find((e) => e.type === 'ready'));
    expect(ready.basicAuth).toBe(true);
    expect(support.sms_url).toContain('twhookdev:');
    expect(emu.state.events.sinks.size).toBe(1);
    const withCredentials = `https://twhookdev:${enc(DEV_PASSWORD)}@dev.example.test/sms`;
    const signedWith = signRequest({ authToken: AUTH_TOKEN, url: withCredentials, params: inboundSms });
    const signedWithout = signRequest({ authToken: AUTH_TOKEN, url: `${PUBLIC}/sms`, params: inboundSms });
    const host = { Host: 'dev.example.test' };
    const good = basicHeader('twhookdev', DEV_PASSWORD);
    expect(
      (
        await post(`${ready.proxyUrl}/sms`, signedWith.body, {
          ...host,
          Authorization: good,
          'X-Twilio-Signature': signedWith.signature,
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await post(`${ready.proxyUrl}/sms`, signedWithout.body, {
          ...host,
          Authorization: good,
          'X-Twilio-Signature': signedWithout.signature,
        })
      ).status,
    ).toBe(200);
    expect(
      (await post(`${ready.proxyUrl}/sms`, signedWith.body, { ...host, 'X-Twilio-Signature': signedWith.signature }))
        .status,
    ).toBe(401);
    expect(
      (
        await post(`${ready.proxyUrl}/sms`, signedWith.body, {
          ...host,
          Authorization: basicHeader('twhookdev', 'not-the-password'),
          'X-Twilio-Signature': signedWith.signature,
        })
      ).status,
    ).toBe(401);
    await post(`${ready.proxyUrl}/status`, `MessageSid=SM1&MessageStatus=delivered&AccountSid=${ACCOUNT_SID}`, {
      ...host,
      Authorization: good,
    });
    await waitFor('five requests', () => dev.json().filter((e) => e.type === 'request').length === 5);
    // The web inspector: the page, its assets, the API, the downloads, a replay and a curl command
    // of every request (signed on the server, with the basic-auth credentials).
    expect(ready.inspector.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const served = await everythingServed(ready.inspector.url);
    expect(served.filter((s) => s.label.includes('/replay'))).toHaveLength(5);
    for (const { label, text } of served) scan.text(`dev --basic-auth: ${label}`, text);
    dev.stop();
    expect(await dev.exit, dev.stderr.text()).toBe(0);
    scan.run('dev --json --basic-auth --events', { stdout: dev.stdout.text(), stderr: dev.stderr.text() });
    expect(support.sms_url).toBe(seededSms);
    expect(emu.state.events.sinks.size).toBe(0);
    const capture = join(cwd, 'cap.jsonl');
    // The five requests, and the inspector's five replays (sent through the session, as Twilio would).
    expect(readFileSync(capture, 'utf8').trim().split('\n')).toHaveLength(10);

    // 2. The TTY live view with --verbose (headers and bodies shown); credentials by flags.
    const live = startRun(
      [
        'dev',
        app.url,
        '--public-url',
        PUBLIC,
        '--number',
        SUPPORT,
        '--basic-auth',
        `twhookdev:${DEV_PASSWORD}`,
        '--verbose',
        '--capture',
        'live.jsonl',
        ...byFlags,
      ],
      {
        cwd,
        configDir,
        env: { ...api, NO_COLOR: '1' },
        tty: true,
      },
    );
    const proxyUrl = await waitFor('the banner', () => /→ (http:\/\/127\.0\.0\.1:\d+) →/.exec(live.stderr.text())?.[1]);
    await post(`${proxyUrl}/sms`, signedWith.body, {
      ...host,
      Authorization: good,
      'X-Twilio-Signature': signedWith.signature,
    });
    await post(`${proxyUrl}/sms`, signedWith.body, host);
    await waitFor('two requests in the live view', () => (live.stdout.text().match(/#2/) ? true : undefined));
    live.stop();
    expect(await live.exit, live.stderr.text()).toBe(0);
    scan.run('dev live view --verbose', { stdout: live.stdout.text(), stderr: live.stderr.text() });

    // 3. ngrok (faked at its library): the authtoken from ./.env reaches ngrok and nothing else.
    const ngrok = fakeNgrok('ok');
    const tunneled = startRun(['dev', String(app.port), '--number', SUPPORT, '--json'], {
      cwd,
      configDir,
      env: api,
      tunnelFactory: ngrok.factory,
    });
    const tunnelReady = await waitFor('ready (ngrok)', () => tunneled.json().find((e) => e.type === 'ready'));
    expect(ngrok.seen[0]!.authtoken).toBe(NGROK_AUTHTOKEN);
    const viaNgrok = signRequest({
      authToken: AUTH_TOKEN,
      url: 'https://fake-5ec1e7.ngrok-free.app/sms',
      params: inboundSms,
    });
    await post(`${tunnelReady.proxyUrl}/sms`, viaNgrok.body, {
      Host: 'fake-5ec1e7.ngrok-free.app',
      'X-Twilio-Signature': viaNgrok.signature,
    });
    await waitFor('a request (ngrok)', () => tunneled.json().some((e) => e.type === 'request'));
    tunneled.stop();
    expect(await tunneled.exit, tunneled.stderr.text()).toBe(0);
    scan.run('dev via ngrok --json', { stdout: tunneled.stdout.text(), stderr: tunneled.stderr.text() });

    // 4. ngrok refusing the authtoken with a message that repeats it (as ngrok's does), text and --json, --debug.
    const rejecting = fakeNgrok('reject');
    const refused = await w.run(
      'dev, ngrok refuses the authtoken --debug',
      ['dev', '3000', '--number', SUPPORT, '--debug'],
      { env: byEnv, tunnelFactory: rejecting.factory, code: 3 },
    );
    expect(refused.stderr).toMatch(/ngrok/i);
    await w.run('dev, ngrok refuses the authtoken --json', ['dev', '3000', '--json'], {
      env: byEnv,
      tunnelFactory: rejecting.factory,
      code: 3,
    });
    expect(rejecting.seen.every((c) => c.authtoken === NGROK_AUTHTOKEN)).toBe(true);

    // verify the captures: text (flag token), --json with a JUnit report (env), rebased.
    await w.run(
      'verify capture (flag token)',
      ['verify', 'cap.jsonl', 'live.jsonl', '--auth-token', AUTH_TOKEN, '--allow-unsigned'],
      { code: 1 },
    );
    await w.run(
      'verify capture --json --junit (env)',
      ['verify', capture, '--json', '--junit', 'report.xml', '--allow-unsigned'],
      { env: byEnv, code: 1 },
    );
    expect(existsSync(join(cwd, 'report.xml'))).toBe(true);
    await w.run(
      'verify capture --public-url-base',
      ['verify', capture, '--public-url-base', PUBLIC, '--allow-unsigned', '--json'],
      { env: byEnv, code: 1 },
    );

    // verify with the session's --basic-auth: the capture keeps only the credentialed URL's shape
    // (password masked), verify puts the password back; text, --json with JUnit, a refused value.
    const capturedLines = readFileSync(capture, 'utf8').trim().split('\n');
    expect(capturedLines.every((l) => l.includes('"credentialedUrl":"https://twhookdev:***@dev.example.test/'))).toBe(
      true,
    );
    const verified = await w.run(
      'verify --basic-auth --json --junit (env)',
      [
        'verify',
        'cap.jsonl',
        'live.jsonl',
        '--basic-auth',
        `twhookdev:${DEV_PASSWORD}`,
        '--json',
        '--junit',
        'basic.xml',
        '--allow-unsigned',
      ],
      { env: byEnv, code: 0 },
    );
    expect(verified.stdout).toContain('"basicAuth":"with-credentials"');
    await w.run('verify --basic-auth, text (flag token)', [
      'verify',
      'cap.jsonl',
      '--basic-auth',
      `twhookdev:${DEV_PASSWORD}`,
      '--allow-unsigned',
      ...byFlags,
    ]);
    await w.run(
      'verify --basic-auth with a refused character',
      ['verify', 'cap.jsonl', '--basic-auth', `twhookdev:${DEV_PASSWORD}&x`],
      { env: byEnv, code: 2 },
    );
    await w.run(
      'verify --basic-auth with --endpoint',
      ['verify', '--endpoint', 'http://127.0.0.1:9/sms', '--basic-auth', `twhookdev:${DEV_PASSWORD}`],
      { env: byEnv, code: 2 },
    );

    // replay the capture to a signature-checking app: re-signed (env), --keep-signature (flags), --json.
    const checking = await startTwilioApp({ authToken: AUTH_TOKEN });
    cleanups.push(() => checking.close());
    const behindProxy = await startTwilioApp({ authToken: AUTH_TOKEN, trustProxy: true });
    cleanups.push(() => behindProxy.close());
    await w.run('replay --json (env)', ['replay', capture, '--to', checking.url, '--json'], { env: byEnv, code: 0 });
    const careless = await startTwilioApp({ authToken: AUTH_TOKEN, skipValidation: true });
    cleanups.push(() => careless.close());
    await w.run(
      'replay --keep-signature --verbose (flags)',
      ['replay', capture, '--to', careless.url, '--keep-signature', '--verbose', ...byFlags],
      { code: 0 },
    );
    const credentialedApp = `http://twhookdev:${enc(DEV_PASSWORD)}@127.0.0.1:${careless.port}`;
    await w.run(
      'replay to a URL with a password --json (env)',
      ['replay', capture, '--to', credentialedApp, '--json'],
      { env: byEnv, code: 0 },
    );
    await w.run(
      'replay --sign-for a URL with a password --verbose',
      [
        'replay',
        capture,
        '--to',
        credentialedApp,
        '--sign-for',
        `https://twhookdev:${enc(DEV_PASSWORD)}@dev.example.test`,
        '--verbose',
      ],
      { code: 0 },
    );
    await w.run(
      'replay to a closed port with a password',
      ['replay', capture, '--to', `http://twhookdev:${enc(DEV_PASSWORD)}@127.0.0.1:${await closedPort()}`],
      { code: 3 },
    );
    await w.run(
      'replay --to without a scheme, with a password',
      ['replay', capture, '--to', `twhookdev:${enc(DEV_PASSWORD)}@127.0.0.1:3000`],
      { code: 2 },
    );
    await w.run('replay --filter --sign-for (.env)', [
      'replay',
      capture,
      join(cwd, 'live.jsonl'),
      '--to',
      behindProxy.url,
      '--sign-for',
      PUBLIC,
      '--filter',
      'path=/sms',
      '--new-idempotency',
    ]);
    expect(checking.seen.length).toBeGreaterThan(0);

    // twhook inspect over the capture: signatures checked and replays signed with the token (env).
    const inspecting = startRun(
      ['inspect', 'cap.jsonl', '--to', careless.url, '--basic-auth', `twhookdev:${DEV_PASSWORD}`, '--json'],
      {
        cwd,
        configDir,
        env: byEnv,
      },
    );
    const inspectReady = await waitFor('inspect ready', () => inspecting.json().find((e) => e.type === 'ready'));
    for (const { label, text } of await everythingServed(inspectReady.url)) scan.text(`inspect: ${label}`, text);
    inspecting.stop();
    expect(await inspecting.exit, inspecting.stderr.text()).toBe(0);
    scan.run('inspect --json', { stdout: inspecting.stdout.text(), stderr: inspecting.stderr.text() });

    await w.run('restore --list --json after dev', ['restore', '--list', '--json']);
    const { files, config } = w.finish();
    expect(files).toEqual(expect.arrayContaining(['cap.jsonl', 'live.jsonl', 'report.xml']));
    expect(config).toContain('journal.json');
  });

  it('verify (one request, an endpoint probe), sign and trigger with basic-auth URLs', async () => {
    const w = await world();
    const { run, byEnv, apiKeyEnv, cwd } = w;
    const signUrl = `https://hook:${enc(SIGN_PASSWORD)}@hooks.example.com/sms?x=1`;

    const signed = await run('sign (flag token, URL password)', [
      'sign',
      '--url',
      signUrl,
      '--param',
      'Body=Hello',
      '--param',
      'From=+15551230000',
      '--auth-token',
      AUTH_TOKEN,
    ]);
    const signature = signed.stdout.trim().split('\n')[0]!;
    expect(signature).toMatch(/^[A-Za-z0-9+/]+=*$/);
    await run('sign --json (env)', ['sign', '--url', signUrl, '--body', 'Body=Hello&From=%2B15551230000', '--json'], {
      env: byEnv,
    });
    await run('sign json body (.env)', [
      'sign',
      '--url',
      'https://hooks.example.com/events',
      '--body',
      '{"a":1}',
      '--content-type',
      'json',
    ]);
    await run('sign without a token (API key env file)', ['sign', '--url', signUrl, '--env-file', apiKeyEnv], {
      code: 2,
    });

    await run('verify one request (flag)', [
      'verify',
      '--url',
      signUrl,
      '--signature',
      signature,
      '--body',
      'Body=Hello&From=%2B15551230000',
      '--auth-token',
      AUTH_TOKEN,
    ]);
    await run('verify one request --json, wrong token first (rotation)', [
      'verify',
      '--url',
      signUrl,
      '--signature',
      signature,
      '--body',
      'Body=Hello&From=%2B15551230000',
      '--auth-token',
      WRONG_TOKEN,
      '--auth-token',
      AUTH_TOKEN,
      '--json',
    ]);
    await run(
      'verify one forged request (env)',
      ['verify', '--url', signUrl, '--signature', signature, '--body', 'Body=Changed', '--json'],
      { env: byEnv, code: 1 },
    );
    writeFileSync(join(cwd, 'body.txt'), 'Body=Hello&From=%2B15551230000');
    await run(
      'verify --body-file (.env)',
      [
        'verify',
        '--url',
        signUrl.replace(`hook:${enc(SIGN_PASSWORD)}@`, ''),
        '--signature',
        signature,
        '--body-file',
        'body.txt',
      ],
      { code: 1 },
    );

    const checking = await startTwilioApp({ authToken: AUTH_TOKEN });
    const careless = await startTwilioApp({ authToken: AUTH_TOKEN, skipValidation: true });
    cleanups.push(
      () => checking.close(),
      () => careless.close(),
    );
    await run('verify --endpoint --json (flag)', [
      'verify',
      '--endpoint',
      `${checking.url}/sms`,
      '--auth-token',
      AUTH_TOKEN,
      '--json',
    ]);
    await run(
      'verify --endpoint event-streams (env)',
      ['verify', '--endpoint', `${checking.url}/events`, '--kind', 'event-streams'],
      { env: byEnv },
    );
    await run(
      'verify --endpoint that accepts forgeries (.env)',
      ['verify', '--endpoint', `${careless.url}/voice`, '--kind', 'voice'],
      { code: 1 },
    );

    await run('trigger --list', ['trigger', '--list']);
    await run('trigger sms (env)', ['trigger', 'sms', '--to', `${checking.url}/sms`, '--body', 'hello'], {
      env: byEnv,
    });
    const credentialed = `http://hook:${enc(SIGN_PASSWORD)}@127.0.0.1:${careless.port}/sms`;
    await run('trigger sms to a URL with a password --json (flags)', [
      'trigger',
      'sms',
      '--to',
      credentialed,
      '--json',
      '--auth-token',
      AUTH_TOKEN,
    ]);
    await run('trigger --dry-run --json to a URL with a password (.env)', [
      'trigger',
      'message-status',
      '--to',
      credentialed.replace('/sms', '/status'),
      '--dry-run',
      '--json',
      '--seed',
      '7',
    ]);
    await run('trigger --dry-run text (.env)', [
      'trigger',
      'call',
      '--to',
      credentialed.replace('/sms', '/voice'),
      '--dry-run',
      '--sign-for',
      `https://hook:${enc(SIGN_PASSWORD)}@hooks.example.com/voice`,
    ]);
    await run('trigger event-streams (flag)', [
      'trigger',
      'event-streams',
      '--to',
      `${checking.url}/events`,
      '--auth-token',
      AUTH_TOKEN,
    ]);
    await run(
      'trigger --to without a scheme, with a password',
      ['trigger', 'sms', '--to', `hook:${enc(SIGN_PASSWORD)}@127.0.0.1:3000/sms`],
      { code: 2 },
    );
    await run(
      'trigger to a closed port (env)',
      ['trigger', 'sms', '--to', `http://hook:${enc(SIGN_PASSWORD)}@127.0.0.1:${await closedPort()}/sms`],
      { env: byEnv, code: 3 },
    );
    expect(checking.seen.filter((s) => s.valid).length).toBeGreaterThanOrEqual(3);

    w.finish();
  });

  it('sinks (webhook with a password, Segment write key by flag and prompt), subscriptions, event-types', async () => {
    const w = await world();
    const { run, byEnv, byFlags, apiKeyEnv, emu } = w;
    const destination = `https://events:${enc(SINK_PASSWORD)}@hooks.example.com/events`;

    const webhook = (
      await run('sinks create webhook --subscribe --json', [
        'sinks',
        'create',
        '--type',
        'webhook',
        '--destination',
        destination,
        '--subscribe',
        DELIVERED,
        '--json',
      ])
    ).json()[0] as Json;
    const webhookSid = webhook.sink.sid as string;
    await run('sinks create webhook text (flags)', [
      'sinks',
      'create',
      '--type',
      'webhook',
      '--destination',
      destination.replace('/events', '/batched'),
      '--batch',
      ...byFlags,
    ]);
    const segment = (
      await run(
        'sinks create segment --json (env)',
        ['sinks', 'create', '--type', 'segment', '--write-key', WRITE_KEY, '--json'],
        { env: byEnv },
      )
    ).json()[0] as Json;
    const segmentSid = segment.sink.sid as string;
    await run('sinks create segment text (API key env file)', [
      'sinks',
      'create',
      '--type',
      'segment',
      '--write-key',
      WRITE_KEY,
      '--env-file',
      apiKeyEnv,
    ]);
    await run(
      'sinks create segment, malformed key',
      ['sinks', 'create', '--type', 'segment', '--write-key', BAD_WRITE_KEY],
      { code: 2 },
    );
    await run(
      'sinks create segment, key on a webhook',
      ['sinks', 'create', '--type', 'webhook', '--destination', destination, '--write-key', WRITE_KEY],
      { code: 2 },
    );
    const prompter = recordingPrompter(
      ['segment', INTERACTIVE_WRITE_KEY, (c: { value: unknown }[]) => c[0]!.value, true],
      w.scan,
      'sinks create (TTY, prompts)',
    );
    await run('sinks create, prompted write key (TTY)', ['sinks', 'create'], {
      tty: true,
      prompter,
      env: { ...byEnv, NO_COLOR: '1' },
    });
    expect([...emu.state.events.sinks.values()].some((s) => s.configuration.write_key === INTERACTIVE_WRITE_KEY)).toBe(
      true,
    );

    await run('sinks list', ['sinks', 'list']);
    await run('sinks list --json', ['sinks', 'list', '--json']);
    await run('sinks list (TTY)', ['sinks', 'list'], { tty: true, env: { ...byEnv, NO_COLOR: '1' } });
    await run('sinks show webhook', ['sinks', 'show', webhookSid]);
    await run('sinks show webhook --json', ['sinks', 'show', webhookSid, '--json']);
    await run('sinks show segment --json', ['sinks', 'show', segmentSid, '--json']);
    await run('sinks show segment (TTY)', ['sinks', 'show', segmentSid], {
      tty: true,
      env: { ...byEnv, NO_COLOR: '1' },
    });
    await run('sinks test webhook --json', ['sinks', 'test', webhookSid, '--json']);

    const sub = (
      await run('subscriptions create --json', [
        'subscriptions',
        'create',
        '--sink',
        webhookSid,
        '--type',
        FAILED,
        '--json',
      ])
    ).json()[0] as Json;
    const subSid = (sub.subscription?.sid ?? sub.sid) as string;
    expect(subSid).toMatch(/^DF/);
    await run('subscriptions list', ['subscriptions', 'list']);
    await run('subscriptions list --sink --json', ['subscriptions', 'list', '--sink', webhookSid, '--json']);
    await run('subscriptions show', ['subscriptions', 'show', subSid]);
    await run('subscriptions add-types --json', ['subscriptions', 'add-types', subSid, DELIVERED, '--json']);
    await run('subscriptions remove-types', ['subscriptions', 'remove-types', subSid, DELIVERED]);
    await run('subscriptions delete', ['subscriptions', 'delete', subSid, '--yes']);
    await run('event-types list --filter', ['event-types', 'list', '--filter', 'messaging']);
    await run('event-types list --json', ['event-types', 'list', '--json']);

    await run('sinks delete segment --with-subscriptions --json', [
      'sinks',
      'delete',
      segmentSid,
      '--with-subscriptions',
      '--yes',
      '--json',
    ]);
    const confirmDelete = recordingPrompter([true], w.scan, 'sinks delete (TTY, prompt)');
    await run('sinks delete webhook (TTY, prompt)', ['sinks', 'delete', webhookSid], {
      env: { ...byEnv, NO_COLOR: '1' },
      tty: true,
      prompter: confirmDelete,
    });
    expect(confirmDelete.asked).toHaveLength(1);
    await run('sinks show deleted', ['sinks', 'show', webhookSid], { code: 3 });
    w.finish();
  });

  it('call, text and test: transcripts, --json, captures, saved specs and JUnit reports', async () => {
    const w = await world();
    const { run, byEnv, byFlags, cwd } = w;
    const app = await startIvrApp({ authToken: AUTH_TOKEN });
    // This one requires the URL's credentials (HTTP Basic after a 401 challenge, as Twilio sends
    // them) and does not check signatures.
    const open = await startIvrApp({ basicAuth: { user: 'sim', password: SIM_PASSWORD } });
    cleanups.push(
      () => app.close(),
      () => open.close(),
    );
    const withPassword = `http://sim:${enc(SIM_PASSWORD)}@127.0.0.1:${open.port}`;
    await run('call (.env token)', ['call', String(app.port), '--press', '1', '--dial-status', 'busy']);
    await run('call --json to a URL with a password (flags)', [
      'call',
      `${withPassword}/voice`,
      '--press',
      '1',
      '--json',
      ...byFlags,
    ]);
    await run(
      'call --save with a password (env)',
      ['call', `${withPassword}/voice`, '--press', '1', '--save', 'menu.yaml'],
      { env: byEnv },
    );
    await run(
      'call to a failing app with a fallback (env)',
      ['call', `${withPassword}/broken`, '--fallback', '/voice', '--json'],
      { env: byEnv, code: 1 },
    );
    await run('text --json --save (.env)', [
      'text',
      `${withPassword}/sms`,
      'hi',
      '1',
      '--json',
      '--save',
      'bot.yaml',
      '--new-conversation',
    ]);
    await run('test --junit (flags)', [
      'test',
      'menu.yaml',
      'bot.yaml',
      '--app',
      String(app.port),
      '--junit',
      'report.xml',
      ...byFlags,
    ]);
    await run('test --json, a failing spec (env)', ['test', 'menu.yaml', '--app', `${withPassword}/speech`, '--json'], {
      env: byEnv,
      code: 1,
    });
    expect(app.seen.filter((s) => s.valid).length).toBeGreaterThanOrEqual(6);
    expect(open.seen.length).toBeGreaterThanOrEqual(6);
    expect(open.seen.filter((s) => s.authorized).length).toBeGreaterThanOrEqual(6);
    const { files } = w.finish();
    expect(files).toEqual(expect.arrayContaining(['menu.yaml', 'bot.yaml', 'report.xml']));
    expect(readFileSync(join(cwd, 'menu.yaml'), 'utf8')).not.toContain('sim:');
  });

  it('demo with every secret in the environment and a .env', async () => {
    const w = await world();
    const r = await w.run('demo (env + .env)', ['demo'], {
      env: { ...w.byEnv, TWILIO_API_KEY: API_KEY, TWILIO_API_SECRET: API_SECRET },
    });
    const capture = /capture stays at (\S+\.jsonl)/.exec(r.stderr)?.[1];
    expect(capture && existsSync(capture)).toBe(true);
    w.scan.file(capture!, 'demo capture');
    const json = await w.run('demo --json', ['demo', '--json'], { env: w.byEnv });
    expect(json.json().some((e) => (e as Json).type === 'ready')).toBe(true);
    w.finish();
  }, 60_000);

  it('error paths: bad credentials (401), an unreachable API, bad flags', async () => {
    const w = await world();
    const { run, api } = w;
    const wrongToken = { ...api, TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_AUTH_TOKEN: WRONG_TOKEN, NGROK_AUTHTOKEN };
    const wrongKey = {
      ...api,
      TWILIO_ACCOUNT_SID: ACCOUNT_SID,
      TWILIO_API_KEY: API_KEY,
      TWILIO_API_SECRET: WRONG_API_SECRET,
    };

    const denied = await run(
      'numbers list, wrong token (flag)',
      ['numbers', 'list', '--account-sid', ACCOUNT_SID, '--auth-token', WRONG_TOKEN],
      { code: 3 },
    );
    expect(denied.stderr).toMatch(/20003|401/);
    const deniedJson = await run('numbers list --json, wrong token (env)', ['numbers', 'list', '--json'], {
      env: wrongToken,
      code: 3,
    });
    expect((deniedJson.json()[0] as Json).error.status).toBe(401);
    await run('numbers list --debug, wrong API secret (env)', ['numbers', 'list', '--debug'], {
      env: wrongKey,
      code: 3,
    });
    await run('doctor, wrong token', ['doctor'], { env: wrongToken, code: 1 });
    await run('doctor --json, wrong API secret', ['doctor', '--json'], { env: wrongKey, code: 1 });
    await run('configure, wrong token --json', ['configure', SUPPORT, '--sms-url', CONFIGURE_SMS, '--yes', '--json'], {
      env: wrongToken,
      code: 3,
    });
    await run('sinks list, wrong API secret', ['sinks', 'list'], { env: wrongKey, code: 3 });
    await run('sinks create segment, wrong token', ['sinks', 'create', '--type', 'segment', '--write-key', WRITE_KEY], {
      env: wrongToken,
      code: 3,
    });
    await run(
      'dev, wrong token',
      ['dev', '3000', '--public-url', PUBLIC, '--number', SUPPORT, '--basic-auth', `twhookdev:${DEV_PASSWORD}`],
      { env: wrongToken, code: 3 },
    );
    await run('restore, nothing to do (wrong token)', ['restore', '--yes'], { env: wrongToken });

    const nowhere = `http://127.0.0.1:${await closedPort()}`;
    const unreachable = { ...api, TWHOOK_API_URL: nowhere };
    await run('numbers list, unreachable (.env)', ['numbers', 'list'], { env: unreachable, code: 3 });
    await run(
      'numbers show --json, unreachable (flags)',
      ['numbers', 'show', SUPPORT, '--json', '--api-url', nowhere, ...w.byFlags],
      { env: FAST, code: 3 },
    );
    await run('configure, unreachable', ['configure', SUPPORT, '--sms-url', CONFIGURE_SMS, '--yes'], {
      env: unreachable,
      code: 3,
    });
    await run(
      'sinks create segment, unreachable --json',
      ['sinks', 'create', '--type', 'segment', '--write-key', WRITE_KEY, '--json'],
      { env: unreachable, code: 3 },
    );
    await run('doctor, unreachable', ['doctor'], { env: unreachable, code: 1 });
    await run('dev, unreachable', ['dev', '3000', '--public-url', PUBLIC, '--number', SUPPORT, '--json'], {
      env: unreachable,
      code: 3,
    });

    await run(
      'unknown option with secrets on the line',
      ['numbers', 'list', '--auth-token', AUTH_TOKEN, '--api-secret', API_SECRET, '--bogus'],
      { code: 2 },
    );
    await run('malformed account SID', ['numbers', 'list', '--account-sid', 'AC123', '--auth-token', AUTH_TOKEN], {
      code: 2,
    });
    await run(
      'API key without its SID',
      ['numbers', 'list', '--api-secret', API_SECRET, '--account-sid', ACCOUNT_SID],
      { code: 2 },
    );
    await run(
      '--basic-auth without a user',
      ['dev', '3000', '--public-url', PUBLIC, '--basic-auth', `:${DEV_PASSWORD}`],
      { env: w.byEnv, code: 2 },
    );
    await run(
      '--public-url with credentials',
      ['dev', '3000', '--public-url', `https://twhookdev:${enc(DEV_PASSWORD)}@dev.example.test`],
      { env: w.byEnv, code: 2 },
    );
    w.finish();
  });

  it('twilio-cli profiles: the active one, --profile, a wrong secret, a malformed config.json', async () => {
    const w = await world();
    const { api } = w;
    w.emu.state.apiKeys.set(PROFILE_KEY, PROFILE_SECRET);
    const cli = tempDir('twhook-secrets-twilio-cli-');
    const profile = (apiSecret: string) => ({ accountSid: ACCOUNT_SID, apiKey: PROFILE_KEY, apiSecret });
    const config = {
      profiles: {
        work: profile(PROFILE_SECRET),
        other: profile(OTHER_PROFILE_SECRET),
        wrong: profile(WRONG_PROFILE_SECRET),
      },
      activeProject: 'work',
    };
    writeFileSync(join(cli, 'config.json'), JSON.stringify(config));
    // No .env here: the account comes from twilio-cli's active profile.
    const cwd = tempDir('twhook-secrets-profile-cwd-');
    const env = { ...api, TWILIO_CONFIG_DIR: cli };
    const runIn = (label: string, argv: string[], options: { env?: Record<string, string>; code?: number } = {}) => {
      const r = runCli(argv, { cwd, configDir: w.configDir, env: options.env ?? env });
      return r.then((result) => {
        w.scan.run(label, result);
        expect(result.code, `${label}: ${result.stderr}`).toBe(options.code ?? 0);
        return result;
      });
    };
    await runIn('numbers list (active profile)', ['numbers', 'list']);
    await runIn('numbers list --json --debug (active profile)', ['numbers', 'list', '--json', '--debug']);
    await runIn('doctor (active profile)', ['doctor']);
    await runIn('doctor --json --profile other', ['doctor', '--json', '--profile', 'other'], { code: 1 });
    await runIn(
      'configure --json (active profile)',
      ['configure', SUPPORT, '--sms-url', CONFIGURE_SMS, '--yes', '--json'],
      { code: 0 },
    );
    await runIn('sinks list (TWHOOK_PROFILE)', ['sinks', 'list', '--json'], {
      env: { ...env, TWHOOK_PROFILE: 'work' },
    });
    await runIn('numbers list --debug, a wrong profile secret', ['numbers', 'list', '--debug', '--profile', 'wrong'], {
      code: 3,
    });
    await runIn('doctor --json, a wrong profile secret', ['doctor', '--json', '--profile', 'wrong'], { code: 1 });
    await runIn('sign with only a profile', ['sign', '--url', 'https://hooks.example.com/sms', '--param', 'Body=hi'], {
      code: 2,
    });
    await runIn('--profile that does not exist', ['numbers', 'list', '--profile', 'nope', '--json'], { code: 2 });

    const broken = tempDir('twhook-secrets-twilio-cli-bad-');
    writeFileSync(
      join(broken, 'config.json'),
      `{"profiles": {"work": {"apiSecret": "${MALFORMED_PROFILE_SECRET}" "apiKey": "${PROFILE_KEY}"}}}`,
    );
    const bad = { ...api, TWILIO_CONFIG_DIR: broken };
    await runIn('numbers list --json, malformed config.json', ['numbers', 'list', '--json'], { env: bad, code: 2 });
    await runIn('--profile in a malformed config.json', ['numbers', 'list', '--profile', 'work'], {
      env: bad,
      code: 2,
    });
    await runIn('doctor, malformed config.json (account from env)', ['doctor', '--json'], {
      env: { ...bad, TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_AUTH_TOKEN: AUTH_TOKEN },
    });
    // The twilio-cli files are inputs (they hold the secrets by design), and stay as they were.
    expect(JSON.parse(readFileSync(join(cli, 'config.json'), 'utf8'))).toEqual(config);
    w.scan.dir(cwd);
    w.finish();
  });

  it('the built bin: env file, env and flags; journal secrets kept in the 0600 file', async () => {
    const w = await world();
    const configDir = tempDir('twhook-secrets-bin-config-');
    const cwd = tempDir('twhook-secrets-bin-cwd-');
    const envPath = join(cwd, 'twilio.env');
    writeFileSync(
      envPath,
      `TWILIO_ACCOUNT_SID=${ACCOUNT_SID}\nTWILIO_AUTH_TOKEN=${AUTH_TOKEN}\nNGROK_AUTHTOKEN=${NGROK_AUTHTOKEN}\n`,
    );
    const base = { TWHOOK_API_URL: w.emu.url, TWHOOK_CONFIG_DIR: configDir, ...FAST };
    const bin = async (label: string, args: string[], env: Record<string, string>, code: number) => {
      const r = await runBin(args, { cwd, env: { ...base, ...env } });
      w.scan.run(`bin: ${label}`, r);
      expect(r.code, `${label}: ${r.stderr}`).toBe(code);
      return r;
    };
    await bin('numbers list --json --env-file', ['numbers', 'list', '--json', '--env-file', envPath], {}, 0);
    await bin(
      'numbers list with the SDK logging at debug',
      ['numbers', 'list', '--env-file', envPath],
      { TWILIO_LOG_LEVEL: 'debug' },
      0,
    );
    await bin(
      'doctor (env)',
      ['doctor'],
      {
        TWILIO_ACCOUNT_SID: ACCOUNT_SID,
        TWILIO_API_KEY: API_KEY,
        TWILIO_API_SECRET: API_SECRET,
        TWILIO_AUTH_TOKEN: AUTH_TOKEN,
        NGROK_AUTHTOKEN,
      },
      0,
    );
    await bin(
      'configure --json (flags)',
      [
        'configure',
        SUPPORT,
        '--sms-url',
        CONFIGURE_SMS,
        '--yes',
        '--json',
        '--account-sid',
        ACCOUNT_SID,
        '--auth-token',
        AUTH_TOKEN,
      ],
      {},
      0,
    );
    await bin('restore --list --json', ['restore', '--list', '--json', '--env-file', envPath], {}, 0);
    await bin(
      'numbers list, wrong token',
      ['numbers', 'list', '--account-sid', ACCOUNT_SID, '--auth-token', WRONG_TOKEN],
      {},
      3,
    );
    await bin(
      'sign (flag)',
      [
        'sign',
        '--url',
        `https://hook:${enc(SIGN_PASSWORD)}@hooks.example.com/sms`,
        '--param',
        'Body=hi',
        '--auth-token',
        AUTH_TOKEN,
      ],
      {},
      0,
    );
    await bin(
      'sinks create segment --json',
      ['sinks', 'create', '--type', 'segment', '--write-key', WRITE_KEY, '--json', '--env-file', envPath],
      {},
      0,
    );
    await bin('restore --yes (env file)', ['restore', '--yes', '--env-file', envPath], {}, 0);

    w.scan.dir(cwd, { skip: [envPath] });
    w.scan.dir(configDir, { allow: { 'journal-secrets.json': BASIC_PASSWORDS } });
    const secretsFile = join(configDir, 'journal-secrets.json');
    expect(existsSync(secretsFile)).toBe(true);
    expect(statSync(secretsFile).mode & 0o777).toBe(0o600);
    w.finish();
  }, 60_000);
});

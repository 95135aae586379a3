import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { manyNumbers, useEmulator } from '../support/emulator.js';
import { runCli, tempDir } from '../support/run-cli.js';

const FAST = { TWHOOK_RETRY_BASE_MS: '1', TWHOOK_RETRY_MAX_MS: '5' };

describe('twhook numbers list', () => {
  it('prints one TSV line per number when piped, all pages', async () => {
    const emu = await useEmulator({ numbers: manyNumbers(5) });
    const r = await runCli(['numbers', 'list'], { env: { ...emu.env, ...FAST, TWHOOK_PAGE_SIZE: '2' } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.map((l) => l.split('\t')[0])).toEqual(manyNumbers(5).map((n) => n.phoneNumber));
    expect(lines[0]!.split('\t')).toHaveLength(17);
    expect(lines[0]!.split('\t').slice(-2)).toEqual(['', 'false']);
    expect(emu.requests.filter((req) => req.path.endsWith('IncomingPhoneNumbers.json'))).toHaveLength(3);
  });

  it('a --filter with a name instead of digits: the empty result says what --filter matches', async () => {
    const emu = await useEmulator();
    const r = await runCli(['numbers', 'list', '--filter', 'Support'], { env: emu.env });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^no incoming numbers matching "Support" on account AC…\w{4} \(--filter matches digits of the number, not its name: `twhook numbers list` shows them all\)\n$/,
    );
  });

  it('shows webhooks, methods and parsed overrides on a terminal', async () => {
    const emu = await useEmulator();
    const r = await runCli(['numbers', 'list'], { env: { ...emu.env, NO_COLOR: '1' }, tty: true });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('+14155550100  Support line  PN…');
    expect(r.stdout).toMatch(/voice\s+GET\s+https:\/\/app\.example\.com\/voice#rc=3&ct=2000\s+\(ct=2000 rc=3\)/);
    expect(r.stdout).toMatch(/status callback\s+POST\s+https:\/\/app\.example\.com\/status/);
    expect(r.stdout).toContain('no webhooks set');
    expect(r.stderr).toContain('3 numbers on account AC…');
  });

  it('--json: one object with every number and its overrides', async () => {
    const emu = await useEmulator();
    const [support] = emu.state.api2010.numbers.values();
    support!.sms_fallback_url = 'https://app.example.com/fallback#ct=oops';
    const r = await runCli(['numbers', 'list', '--json'], { env: emu.env });
    expect(r.code).toBe(0);
    const [out] = r.json() as [{ numbers: Record<string, any>[] }];
    expect(out.numbers).toHaveLength(3);
    expect(out.numbers[0]).toMatchObject({
      phoneNumber: '+14155550100',
      sid: support!.sid,
      voiceMethod: 'GET',
      overrides: { voiceUrl: { retryCount: 3, connectTimeout: 2000 }, smsFallbackUrl: { fragment: 'ct=oops' } },
    });
    expect(out.numbers[0]!.overrides.smsFallbackUrl.error).toContain('ct');
    expect(out.numbers[1]!.overrides).toEqual({});
  });

  it('401: exit 3, one line naming the variables, no secret', async () => {
    const emu = await useEmulator();
    const env = { ...emu.env, TWILIO_AUTH_TOKEN: 'bad-token-abcdef0123456789' };
    const r = await runCli(['numbers', 'list'], { env });
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(
      `error: Twilio rejected the credentials at api.twilio.com via ${emu.url} (20003): Authenticate — check TWILIO_ACCOUNT_SID and ` +
        'TWILIO_AUTH_TOKEN; accounts outside US1 need their region: --region ie1 or au1 (or TWILIO_REGION); https://www.twilio.com/docs/errors/20003\n',
    );
    expect(r.stdout + r.stderr).not.toContain('bad-token-abcdef0123456789');
    const json = await runCli(['numbers', 'list', '--json'], { env });
    expect(json.json()).toEqual([
      {
        error: expect.objectContaining({
          type: 'remote',
          exitCode: 3,
          code: 20003,
          status: 401,
          moreInfo: 'https://www.twilio.com/docs/errors/20003',
        }),
      },
    ]);
  });

  it('500 then success: retried, exit 0', async () => {
    const emu = await useEmulator();
    emu.fault({ method: 'GET', path: '**/IncomingPhoneNumbers.json', status: 500 });
    const r = await runCli(['numbers', 'list'], { env: { ...emu.env, ...FAST } });
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(3);
    expect(emu.requests.filter((q) => q.path.endsWith('IncomingPhoneNumbers.json')).map((q) => q.status)).toEqual([
      500, 200,
    ]);
  });

  it('connection refused: exit 3 naming the server', async () => {
    const emu = await useEmulator();
    const env = emu.env;
    await emu.close();
    const r = await runCli(['numbers', 'list'], { env });
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(
      `error: cannot reach ${emu.url} (the --api-url / TWHOOK_API_URL server): the connection was refused: is it running?\n`,
    );
  });

  it('missing credentials: exit 2 naming the variable, before any request', async () => {
    const r = await runCli(['numbers', 'list'], { env: { TWHOOK_API_URL: 'http://127.0.0.1:9' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "error: no Twilio account SID: set TWILIO_ACCOUNT_SID (or pass --account-sid AC…), or run `twilio login` (twhook uses twilio-cli's active profile)\n",
    );
  });

  it('takes --api-url after the command name', async () => {
    const emu = await useEmulator();
    const r = await runCli([
      'numbers',
      'list',
      '--api-url',
      emu.url,
      '--account-sid',
      emu.accountSid,
      '--auth-token',
      emu.authToken,
      '--json',
    ]);
    expect(r.code).toBe(0);
    expect((r.json()[0] as { numbers: unknown[] }).numbers).toHaveLength(3);
  });
});

describe('Messaging Services', () => {
  it('says when a service ignores the SMS URL (list --json, TSV, show)', async () => {
    const emu = await useEmulator();
    const [support, sales] = emu.state.api2010.numbers.values();
    emu.state.messaging.addService({
      friendlyName: 'Alerts',
      inboundRequestUrl: 'https://svc.example/in',
      phoneNumberSids: [support!.sid],
    });
    emu.state.messaging.addService({
      friendlyName: 'Passthrough',
      useInboundWebhookOnNumber: true,
      phoneNumberSids: [sales!.sid],
    });
    const json = await runCli(['numbers', 'list', '--json'], { env: emu.env });
    const [out] = json.json() as [{ numbers: { messagingService: unknown }[] }];
    expect(out.numbers.map((n) => n.messagingService)).toEqual([
      {
        sid: expect.stringMatching(/^MG/),
        friendlyName: 'Alerts',
        inboundRequestUrl: 'https://svc.example/in',
        smsUrlIgnored: true,
      },
      { sid: expect.stringMatching(/^MG/), friendlyName: 'Passthrough', inboundRequestUrl: null, smsUrlIgnored: false },
      null,
    ]);
    const tsv = await runCli(['numbers', 'list'], { env: emu.env });
    expect(
      tsv.stdout
        .trim()
        .split('\n')
        .map((l) => l.split('\t').at(-1)),
    ).toEqual(['true', 'false', 'false']);
    const show = await runCli(['numbers', 'show', '+14155550100'], { env: { ...emu.env, NO_COLOR: '1' }, tty: true });
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(
      /service\s+Alerts MG[0-9a-f]{32} answers incoming messages itself \(https:\/\/svc\.example\/in\): the SMS URL above is ignored/,
    );
    expect(show.stderr).toContain('warning: +14155550100 is in Messaging Service "Alerts"');
  });

  it('warns, and still lists, when the services cannot be read', async () => {
    const emu = await useEmulator();
    emu.fault({
      path: '/v1/Services',
      status: 403,
      body: { code: 20403, message: 'Forbidden', more_info: 'https://www.twilio.com/docs/errors/20403', status: 403 },
    });
    const r = await runCli(['numbers', 'list', '--json'], { env: emu.env });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('warning: could not read Messaging Services');
    expect(r.stderr).toContain('20403');
    const [out] = r.json() as [{ numbers: Record<string, unknown>[] }];
    expect(out.numbers).toHaveLength(3);
    expect(out.numbers[0]).not.toHaveProperty('messagingService');
  });
});

describe('twhook numbers show', () => {
  it('resolves +E.164, a PN SID and partial digits', async () => {
    const emu = await useEmulator();
    const [support] = emu.state.api2010.numbers.values();
    for (const arg of ['+14155550100', support!.sid, '0100', '(415) 555-0100']) {
      const r = await runCli(['numbers', 'show', arg, '--json'], { env: emu.env });
      expect(r.code, arg).toBe(0);
      expect((r.json()[0] as { number: { sid: string } }).number.sid).toBe(support!.sid);
    }
    const human = await runCli(['numbers', 'show', '+14155550100'], { env: { ...emu.env, NO_COLOR: '1' }, tty: true });
    expect(human.stdout).toContain(support!.sid);
    // As configure takes it: the friendly name, whole or in part, any case.
    for (const arg of ['Support line', 'support']) {
      const r = await runCli(['numbers', 'show', arg, '--json'], { env: emu.env });
      expect(r.code, r.stderr).toBe(0);
      expect((r.json()[0] as { number: { sid: string } }).number.sid).toBe(support!.sid);
    }
    const ambiguous = await runCli(['numbers', 'show', 'line'], { env: emu.env });
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain('"line" matches 2 numbers by name');
    expect(human.stdout).toMatch(/sms\s+POST\s+https:\/\/app\.example\.com\/sms/);
  });

  it('lists the matches when several numbers match', async () => {
    const emu = await useEmulator();
    const r = await runCli(['numbers', 'show', '555010'], { env: emu.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'error: "555010" matches 2 numbers: +14155550100 (Support line), +14155550101 (Sales line); pass the full +E.164 number or the PN SID\n',
    );
  });

  it('exit 2 naming the account when nothing matches', async () => {
    const emu = await useEmulator();
    const last4 = emu.accountSid.slice(-4);
    const none = await runCli(['numbers', 'show', '+15550009999'], { env: emu.env });
    expect(none.code).toBe(2);
    expect(none.stderr).toBe(
      `error: no number +15550009999 on account AC…${last4}: \`twhook numbers list\` shows the account's numbers\n`,
    );
    const sid = await runCli(['numbers', 'show', 'PN' + 'f'.repeat(32)], { env: emu.env });
    expect(sid.code).toBe(2);
    expect(sid.stderr).toContain(`no number PN${'f'.repeat(32)} on account AC…${last4}`);
    const bad = await runCli(['numbers', 'show', 'hello'], { env: emu.env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('no number named "hello"');
    expect(emu.requests.filter((q) => q.path.includes('hello'))).toEqual([]);
  });
});

describe('twhook doctor', () => {
  it('reports sources masked, the account status, ngrok and Node; exit 0', async () => {
    const emu = await useEmulator({ friendlyName: 'Dev project' });
    const cwd = tempDir();
    writeFileSync(join(cwd, '.env'), `TWILIO_AUTH_TOKEN=${emu.authToken}\n`);
    const env = {
      TWILIO_ACCOUNT_SID: emu.accountSid,
      TWHOOK_API_URL: emu.url,
      NGROK_AUTHTOKEN: 'ngrok-secret-value-1234',
    };
    const r = await runCli(['doctor'], { env, cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`✓ account SID  AC…${emu.accountSid.slice(-4)} from TWILIO_ACCOUNT_SID`);
    expect(r.stdout).toContain(`✓ auth token   set, from TWILIO_AUTH_TOKEN in ${join(cwd, '.env')}`);
    expect(r.stdout).toContain(
      `✓ Twilio API   api.twilio.com via ${emu.url} (from TWHOOK_API_URL) answered: account "Dev project" is active (Full)`,
    );
    expect(r.stdout).toContain(
      '- region       not set: US1 (an account in IE1 or AU1 needs --region or TWILIO_REGION)',
    );
    expect(r.stdout).toContain('✓ ngrok        NGROK_AUTHTOKEN set');
    expect(r.stdout).toMatch(/✓ Node\.js\s+v\d+/);
    for (const secret of [emu.authToken, 'ngrok-secret-value-1234', emu.accountSid])
      expect(r.stdout + r.stderr).not.toContain(secret);
  });

  it('says where the API URL came from: --api-url, TWHOOK_API_URL, or the env file', async () => {
    const emu = await useEmulator();
    const cwd = tempDir();
    const creds = { TWILIO_ACCOUNT_SID: emu.accountSid, TWILIO_AUTH_TOKEN: emu.authToken };
    const flag = await runCli(['doctor', '--api-url', emu.url, '--json'], { env: creds, cwd });
    const api = (r: { json: () => unknown[] }) =>
      (r.json()[0] as { checks: { name: string; detail: string; source?: string }[] }).checks.find(
        (c) => c.name === 'Twilio API',
      )!;
    expect(api(flag)).toMatchObject({
      source: 'flag',
      detail: expect.stringMatching(new RegExp(`^api\\.twilio\\.com via ${emu.url} \\(from --api-url\\) answered`)),
    });
    const byEnv = await runCli(['doctor', '--json'], { env: { ...creds, TWHOOK_API_URL: emu.url }, cwd });
    expect(api(byEnv)).toMatchObject({
      source: 'env',
      detail: expect.stringContaining(`${emu.url} (from TWHOOK_API_URL) answered`),
    });
    writeFileSync(join(cwd, '.env'), `TWHOOK_API_URL=${emu.url}\n`);
    const byFile = await runCli(['doctor', '--json'], { env: creds, cwd });
    expect(api(byFile)).toMatchObject({
      source: 'env-file',
      detail: expect.stringContaining(`${emu.url} (from TWHOOK_API_URL in ${join(cwd, '.env')}) answered`),
    });
    const down = await runCli(['doctor'], { env: { ...creds, TWHOOK_API_URL: 'http://127.0.0.1:9' }, cwd: tempDir() });
    expect(down.stdout).toContain('✗ Twilio API   api.twilio.com via http://127.0.0.1:9 (from TWHOOK_API_URL): ');
  });

  it('exit 1 with --json when the API refuses the credentials', async () => {
    const emu = await useEmulator();
    const r = await runCli(['doctor', '--json'], { env: { ...emu.env, TWILIO_AUTH_TOKEN: 'not-the-token-0000' } });
    expect(r.code).toBe(1);
    const [report] = r.json() as [{ ok: boolean; checks: { name: string; status: string; detail: string }[] }];
    expect(report.ok).toBe(false);
    const api = report.checks.find((c) => c.name === 'Twilio API')!;
    expect(api.status).toBe('fail');
    expect(api.detail).toContain(`Twilio rejected the credentials at api.twilio.com via ${emu.url} (20003)`);
    expect(report.checks.find((c) => c.name === 'ngrok')!.status).toBe('warn');
    expect(r.stdout).not.toContain('not-the-token-0000');
  });

  it('exit 1 naming what to set when nothing is configured, without calling the API', async () => {
    const r = await runCli(['doctor'], { env: {} });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('✗ account SID  not set: set TWILIO_ACCOUNT_SID');
    expect(r.stdout).toContain('✗ auth token   not set');
    expect(r.stdout).toContain('- Twilio API   not tried: no Twilio account SID');
    expect(r.stderr).toContain('\n2 problems to fix (✗ above)');
  });

  it('counts one failed check as "1 problem", not "1 problem(s)"', async () => {
    const r = await runCli(['doctor'], { env: { TWILIO_ACCOUNT_SID: 'AC' + 'a'.repeat(32) } });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('✗ auth token   not set');
    expect(r.stderr.trim().split('\n').at(-1)).toBe('1 problem to fix (✗ above)');
  });

  it('flags a malformed API key and an old Node', async () => {
    const { runDoctor } = await import('../../src/commands/doctor.js');
    const { makeCtx } = await import('../../src/ctx.js');
    const { MemoryStream } = await import('../support/run-cli.js');
    const stdout = new MemoryStream();
    const ctx = makeCtx(
      {
        io: {
          stdin: process.stdin,
          stdout,
          stderr: new MemoryStream(),
          isStdinTTY: false,
          isStdoutTTY: false,
          isStderrTTY: false,
        },
        env: {
          TWILIO_ACCOUNT_SID: 'AC' + '1'.repeat(32),
          TWILIO_API_KEY: 'SKshort',
          TWILIO_API_SECRET: 'sec-ret-value',
        },
        cwd: tempDir(),
        clock: { now: () => new Date(0) },
        signal: new AbortController().signal,
        configDir: tempDir(),
      },
      { json: true },
    );
    expect(await runDoctor(ctx, { nodeVersion: '18.19.0' })).toBe(1);
    const report = JSON.parse(stdout.text()) as { checks: { name: string; status: string; detail: string }[] };
    const byName = Object.fromEntries(report.checks.map((c) => [c.name, c]));
    expect(byName['API key']).toMatchObject({
      status: 'fail',
      detail: 'TWILIO_API_KEY is not an API key SID (SK followed by 32 hex digits)',
    });
    expect(byName['auth token']!.status).toBe('warn');
    expect(byName['Node.js']).toMatchObject({ status: 'fail', detail: 'v18.19.0: twhook needs Node 20 or later' });
    expect(stdout.text()).not.toContain('sec-ret-value');
  });
});

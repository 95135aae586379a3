import { readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { TwilioFactory } from '../../src/ctx.js';
import { RemoteError, UsageError } from '../../src/errors.js';
import { Journal, newBatchId, type NumberEntry } from '../../src/state/journal.js';
import { applyNumberChange } from '../../src/state/number-change.js';
import { prepareNumbersForSession, restoreEntries } from '../../src/state/restore.js';
import { createTwilioPort } from '../../src/twilio/client.js';
import type { TwilioPort } from '../../src/twilio/port.js';
import type { Prompter } from '../../src/ui/prompter.js';
import { useEmulator } from '../support/emulator.js';
import { ENTER, scriptedPrompter } from '../support/prompter.js';
import { runCli, tempDir } from '../support/run-cli.js';

const FAST = { TWHOOK_RETRY_BASE_MS: '1', TWHOOK_RETRY_MAX_MS: '5' };
const SUPPORT = '+14155550100';
const SALES = '+14155550101';

type Emu = Awaited<ReturnType<typeof useEmulator>>;

function numberOf(emu: Emu, phone: string) {
  return [...emu.state.api2010.numbers.values()].find((n) => n.phone_number === phone)!;
}

function updates(emu: Emu) {
  return emu.requests.filter((r) => r.method === 'POST' && /IncomingPhoneNumbers\/PN/.test(r.path));
}

async function setup(options: Parameters<typeof useEmulator>[0] = {}) {
  const emu = await useEmulator(options);
  const configDir = tempDir('twhook-config-');
  const env = { ...emu.env, ...FAST, NO_COLOR: '1' };
  const run = (argv: string[], extra: Parameters<typeof runCli>[1] = {}) => runCli(argv, { env, configDir, ...extra });
  return { emu, configDir, env, run, journal: new Journal(configDir) };
}

async function realPort(emu: Emu): Promise<TwilioPort> {
  const { resolveCredentials } = await import('../../src/twilio/credentials.js');
  return createTwilioPort({ credentials: resolveCredentials({}, emu.env, {}), apiUrl: emu.url, env: FAST });
}

describe('twhook configure', () => {
  it('sets URLs with overrides, backs up the previous values first, and restore puts them back', async () => {
    const { emu, run, journal } = await setup();
    const r = await run([
      'configure',
      SUPPORT,
      '--sms-url',
      'https://new.example.com/sms',
      '--ct',
      '1500',
      '--rc',
      '2',
      '--rp',
      '5xx,ct',
      '--yes',
    ]);
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(0);
    // Piped: TSV rows of number, field, before, after.
    expect(r.stdout.trim().split('\n')).toEqual([
      `${SUPPORT}\tsms-url\thttps://app.example.com/sms\thttps://new.example.com/sms#ct=1500&rc=2&rp=5xx,ct`,
    ]);
    expect(numberOf(emu, SUPPORT).sms_url).toBe('https://new.example.com/sms#ct=1500&rc=2&rp=5xx,ct');
    const [entry] = journal.entries() as NumberEntry[];
    expect(entry).toMatchObject({
      state: 'applied',
      origin: 'configure',
      phoneNumber: SUPPORT,
      before: { smsUrl: 'https://app.example.com/sms' },
    });
    expect(r.stderr).toContain(`backup ${entry!.id}`);
    expect(r.stderr).toContain(`undo with: twhook restore ${SUPPORT}`);

    const back = await run(['restore', SUPPORT, '--yes']);
    expect(back.code).toBe(0);
    expect(back.stdout).toContain(
      'sms-url\thttps://new.example.com/sms#ct=1500&rc=2&rp=5xx,ct\thttps://app.example.com/sms',
    );
    expect(numberOf(emu, SUPPORT).sms_url).toBe('https://app.example.com/sms');
    expect(journal.unrestored()).toEqual([]);
    const again = await run(['restore', SUPPORT, '--yes']);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('already restored');
  });

  it('--dry-run changes nothing and writes no backup; --json reports before and after', async () => {
    const { emu, run, journal } = await setup();
    const r = await run([
      'configure',
      SUPPORT,
      '--voice-url',
      'https://v.example.com/voice',
      '--voice-method',
      'post',
      '--dry-run',
      '--json',
    ]);
    expect(r.code).toBe(0);
    expect(r.json()).toEqual([
      {
        dryRun: true,
        applied: false,
        warnings: [],
        numbers: [
          {
            sid: numberOf(emu, SUPPORT).sid,
            phoneNumber: SUPPORT,
            friendlyName: 'Support line',
            status: 'planned',
            changes: [
              {
                field: 'voiceUrl',
                before: 'https://app.example.com/voice#rc=3&ct=2000',
                after: 'https://v.example.com/voice',
              },
              { field: 'voiceMethod', before: 'GET', after: 'POST' },
            ],
          },
        ],
      },
    ]);
    expect(updates(emu)).toHaveLength(0);
    expect(journal.entries()).toEqual([]);

    const applied = await run(['configure', SUPPORT, '--voice-url', 'https://v.example.com/voice', '--json', '--yes']);
    const [out] = applied.json() as [{ applied: boolean; numbers: { status: string; backupId: string }[] }];
    expect(out.applied).toBe(true);
    expect(out.numbers[0]!.status).toBe('changed');
    expect(out.numbers[0]!.backupId).toBe(journal.entries()[0]!.id);
  });

  it('refuses bad input with exit 2 before any API call', async () => {
    const { emu, run } = await setup();
    const cases: [string[], string][] = [
      [['--sms-url', 'not a url'], '--sms-url'],
      [['--sms-url', 'http://localhost:3000/sms'], 'twhook dev'],
      [['--voice-url', 'https://127.0.0.2/v'], 'twhook dev'],
      [['--voice-url', 'http://[::1]:8080/v'], 'twhook dev'],
      [['--status-callback', 'http://0.0.0.0/s'], 'twhook dev'],
      [['--sms-url', 'ftp://x.example.com/'], 'not http or https'],
      [['--sms-method', 'PUT'], '--sms-method must be GET or POST'],
      [['--sms-url', 'https://x.example.com/', '--ct', '99'], 'ct="99"'],
      [['--sms-url', 'https://x.example.com/', '--e', 'mars'], 'e="mars"'],
      [['--sms-url', 'https://x.example.com/#zz=1'], 'unknown connection override'],
      [['--ct', '1000'], '--overrides-only'],
      [
        ['--sms-url', '', '--ct', '2000'],
        "--sms-url '' clears the URL, so the override options (ct=2000) have no URL to go on: give a URL, or drop the override options",
      ],
      [['--overrides-only'], 'needs at least one override option'],
      [['--overrides-only', '--ct', '1000', '--sms-url', 'https://x.example.com/'], 'drop --sms-url'],
      [[], 'nothing to change'],
    ];
    for (const [flags, message] of cases) {
      const r = await run(['configure', SUPPORT, ...flags, '--yes']);
      expect(r.code, flags.join(' ')).toBe(2);
      expect(r.stderr, flags.join(' ')).toContain(message);
      expect(r.stderr.trim().split('\n'), flags.join(' ')).toHaveLength(1);
    }
    expect(emu.requests).toHaveLength(0);
  });

  it('needs --yes off a terminal, asks on one', async () => {
    const { emu, run } = await setup();
    const args = ['configure', SALES, '--sms-url', 'https://n.example.com/sms'];
    const piped = await run(args);
    expect(piped.code).toBe(2);
    expect(piped.stderr).toContain('pass --yes to apply without confirmation');
    expect(updates(emu)).toHaveLength(0);

    const no = scriptedPrompter([false]);
    const declined = await run(args, { tty: true, prompter: no });
    expect(declined.code).toBe(0);
    expect(declined.stderr).toContain('nothing changed');
    expect(no.asked).toEqual([{ kind: 'confirm', message: 'Apply this change?', choices: undefined, default: true }]);
    expect(updates(emu)).toHaveLength(0);

    const yes = scriptedPrompter([true]);
    const accepted = await run(args, { tty: true, prompter: yes });
    expect(accepted.code).toBe(0);
    expect(accepted.stdout).toMatch(/NUMBER\s+FIELD\s+BEFORE\s+AFTER/);
    expect(numberOf(emu, SALES).sms_url).toBe('https://n.example.com/sms');
  });

  it('--overrides-only rewrites only the fragments of the URLs already set', async () => {
    const { emu, run } = await setup();
    const r = await run(['configure', SUPPORT, '--overrides-only', '--tt', '9000', '--sni', 'n', '--yes']);
    expect(r.code).toBe(0);
    const n = numberOf(emu, SUPPORT);
    expect(n.sms_url).toBe('https://app.example.com/sms#tt=9000&sni=n');
    expect(n.voice_url).toBe('https://app.example.com/voice#ct=2000&tt=9000&rc=3&sni=n');
    expect(n.status_callback).toBe('https://app.example.com/status#tt=9000&sni=n');
    expect(n.sms_fallback_url).toBe('');
    const again = await run(['configure', SUPPORT, '--overrides-only', '--tt', '9000', '--sni', 'n', '--yes']);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('already set that way');
  });

  it('warns on plain http and on overrides that cannot take effect', async () => {
    const { run } = await setup();
    const r = await run([
      'configure',
      SALES,
      SUPPORT,
      '--voice-url',
      'http://v.example.com/voice',
      '--ct',
      '6000',
      '--rt',
      '12000',
      '--tt',
      '5000',
      '--yes',
    ]);
    expect(r.code).toBe(0);
    // One line per warning, naming every number it concerns.
    expect(r.stderr).toContain(`warning: ${SALES}, ${SUPPORT} voice-url is plain http`);
    expect(r.stderr.match(/plain http/g)).toHaveLength(1);
    expect(r.stderr).toContain('tt=5000 is below ct=6000');
    expect(r.stderr).toContain('15 s ceiling');
  });

  it('warns, without blocking, on rc=0 with rp or several edges, sni on http, and retries one attempt leaves no time for', async () => {
    const { emu, run } = await setup();
    const r = await run([
      'configure',
      SALES,
      '--sms-url',
      'http://s.example.com/sms',
      '--rc',
      '0',
      '--rp',
      '5xx',
      '--e',
      'dublin,tokyo',
      '--sni',
      'n',
      '--yes',
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`warning: ${SALES} sms-url: rc=0 makes no retries, so rp=5xx never applies`);
    expect(r.stderr).toContain(
      `warning: ${SALES} sms-url: rc=0 makes no retries, so Twilio never rotates to the other edges of e=dublin,tokyo`,
    );
    expect(r.stderr).toContain(`warning: ${SALES} sms-url: sni=n has no effect on an http:// URL`);
    expect(numberOf(emu, SALES).sms_url).toBe('http://s.example.com/sms#rc=0&rp=5xx&e=dublin,tokyo&sni=n');
    const tight = await run([
      'configure',
      SALES,
      '--sms-url',
      'https://s.example.com/sms',
      '--ct',
      '9000',
      '--rt',
      '9000',
      '--tt',
      '10000',
      '--rc',
      '3',
      '--yes',
    ]);
    expect(tight.code).toBe(0);
    expect(tight.stderr).toContain(
      'ct+rt=18000 ms is not below tt=10000: one attempt can use the whole total time, so the rc=3 retries may never run',
    );
  });

  it('names the account for an unknown number and lists partial matches', async () => {
    const { emu, run } = await setup();
    const unknown = await run(['configure', '+15559999999', '--sms-url', 'https://x.example.com/', '--yes']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(
      `error: no number +15559999999 on account AC…${emu.accountSid.slice(-4)}: \`twhook numbers list\` shows the account's numbers\n`,
    );
    const two = await run(['configure', '41555501', '--sms-url', 'https://x.example.com/', '--yes']);
    expect(two.code).toBe(2);
    expect(two.stderr).toContain('matches 2 numbers');
    expect(two.stderr).toContain(`${SUPPORT} (Support line), ${SALES} (Sales line)`);
    const byName = await run(['configure', 'london', '--sms-url', 'https://x.example.com/', '--yes']);
    expect(byName.code).toBe(0);
    expect(numberOf(emu, '+442071838750').sms_url).toBe('https://x.example.com/');
    const bySid = await run(['configure', 'PN' + '0'.repeat(32), '--sms-url', 'https://x.example.com/', '--yes']);
    expect(bySid.code).toBe(2);
    expect(bySid.stderr).toContain('no number PN000');
    expect(updates(emu)).toHaveLength(1);
  });

  it("warns when a Messaging Service replaces the number's SMS URL, naming the service", async () => {
    const emu = await useEmulator();
    const support = numberOf(emu, SUPPORT);
    const sales = numberOf(emu, SALES);
    emu.state.messaging.addService({
      friendlyName: 'Alerts',
      inboundRequestUrl: 'https://svc.example.com/in',
      phoneNumberSids: [support.sid],
    });
    emu.state.messaging.addService({
      friendlyName: 'Defers',
      useInboundWebhookOnNumber: true,
      phoneNumberSids: [sales.sid],
    });
    const configDir = tempDir();
    const env = { ...emu.env, ...FAST };
    const r = await runCli(['configure', SUPPORT, SALES, '--sms-url', 'https://n.example.com/sms', '--yes'], {
      env,
      configDir,
    });
    expect(r.code).toBe(0);
    const svc = [...emu.state.messaging.services.values()][0]!;
    expect(r.stderr).toContain(
      `warning: ${SUPPORT} is in Messaging Service "Alerts" (${svc.sid}), which answers incoming messages with its inbound request URL https://svc.example.com/in: the number's SMS URL is ignored`,
    );
    expect(r.stderr).not.toContain(`${SALES} is in Messaging Service`);
    const json = await runCli(['configure', SUPPORT, '--sms-url', 'https://m.example.com/sms', '--yes', '--json'], {
      env,
      configDir,
    });
    expect((json.json()[0] as { warnings: string[] }).warnings[0]).toContain('"Alerts"');
    // Voice changes need no Messaging Services lookup.
    emu.clearRequests();
    await runCli(['configure', SUPPORT, '--voice-url', 'https://n.example.com/v', '--yes'], { env, configDir });
    expect(emu.requests.some((q) => q.path.startsWith('/v1/Services'))).toBe(false);
  });

  it('API failure on one number: exit 3 and nothing half-written in the journal', async () => {
    const { emu, run, journal } = await setup();
    emu.fault({
      method: 'POST',
      path: '**/IncomingPhoneNumbers/*.json',
      status: 400,
      body: {
        code: 21402,
        message: 'Url is not valid',
        more_info: 'https://www.twilio.com/docs/errors/21402',
        status: 400,
      },
    });
    const r = await run(['configure', SUPPORT, '--sms-url', 'https://n.example.com/sms', '--yes', '--json']);
    expect(r.code).toBe(3);
    const [err] = r.json() as [{ error: Record<string, unknown> }];
    expect(err.error).toMatchObject({ type: 'remote', code: 21402, status: 400, failedNumber: SUPPORT, changed: [] });
    expect(String(err.error.message)).toContain('nothing was changed');
    expect(journal.entries()).toEqual([]);
    expect(numberOf(emu, SUPPORT).sms_url).toBe('https://app.example.com/sms');
  });

  it('several numbers, a failure midway: says which changed, which failed and which were not tried', async () => {
    const { emu, run } = await setup();
    emu.fault({ method: 'POST', path: `**/IncomingPhoneNumbers/${numberOf(emu, SALES).sid}.json`, status: 400 });
    const r = await run([
      'configure',
      SUPPORT,
      SALES,
      '+442071838750',
      '--voice-url',
      'https://n.example.com/voice',
      '--yes',
    ]);
    expect(r.code).toBe(3);
    expect(r.stderr.split('\n').at(-2)).toMatch(
      new RegExp(
        `^error: configuring \\${SALES} failed: .*; changed before the failure: \\${SUPPORT} \\(undo with \`twhook restore\`\\); not tried: \\+442071838750$`,
      ),
    );
    emu.fault({ method: 'POST', path: `**/IncomingPhoneNumbers/${numberOf(emu, SALES).sid}.json`, status: 400 });
    const json = await run([
      'configure',
      SALES,
      '+442071838750',
      '--sms-url',
      'https://n.example.com/sms',
      '--yes',
      '--json',
    ]);
    expect((json.json()[0] as { error: unknown }).error).toMatchObject({
      failedNumber: SALES,
      changed: [],
      notTried: ['+442071838750'],
    });
    expect(String((json.json()[0] as { error: { message: string } }).error.message)).toContain(
      '; no number was changed; not tried: +442071838750',
    );
  });

  it('several numbers, a failure midway: stops, says which changed, and restore undoes them', async () => {
    const { emu, run, journal } = await setup();
    const london = numberOf(emu, '+442071838750');
    emu.fault({ method: 'POST', path: `**/IncomingPhoneNumbers/${london.sid}.json`, status: 400 });
    const r = await run([
      'configure',
      SUPPORT,
      SALES,
      '+442071838750',
      '--voice-url',
      'https://n.example.com/voice',
      '--yes',
    ]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`configuring +442071838750 failed`);
    expect(r.stderr).toContain(`changed before the failure: ${SUPPORT}, ${SALES} (undo with \`twhook restore\`)`);
    expect(journal.entries().map((e) => [(e as NumberEntry).phoneNumber, e.state])).toEqual([
      [SUPPORT, 'applied'],
      [SALES, 'applied'],
    ]);
    const back = await run(['restore', '--yes']);
    expect(back.code).toBe(0);
    expect(numberOf(emu, SUPPORT).voice_url).toBe('https://app.example.com/voice#rc=3&ct=2000');
    expect(numberOf(emu, SALES).voice_url).toBe('');
    expect(journal.unrestored()).toEqual([]);
  });

  it('never shows or journals a basic-auth password, and restores it exactly', async () => {
    const secretUrl = 'https://twilio:hunter2-secret@hooks.example.com/sms';
    const { emu, run, journal, configDir } = await setup({ numbers: [{ phoneNumber: SUPPORT, smsUrl: secretUrl }] });
    const r = await run([
      'configure',
      SUPPORT,
      '--sms-url',
      'https://bot:other-secret@n.example.com/sms',
      '--yes',
      '--json',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).not.toMatch(/hunter2-secret|other-secret/);
    expect(r.stdout).toContain('https://twilio:***@hooks.example.com/sms');
    expect(readFileSync(journal.path, 'utf8')).not.toMatch(/hunter2-secret|other-secret/);
    const list = await run(['restore', '--list', '--json']);
    expect(list.stdout).not.toMatch(/hunter2-secret|other-secret/);
    const back = await run(['restore', '--yes']);
    expect(back.code).toBe(0);
    expect(back.stdout + back.stderr).not.toMatch(/hunter2-secret|other-secret/);
    expect(numberOf(emu, SUPPORT).sms_url).toBe(secretUrl);
    void configDir;
  });

  it('refuses to put back a URL whose password is missing from journal-secrets.json, instead of sending the reference to Twilio', async () => {
    const secretUrl = 'https://twilio:hunter2-secret@hooks.example.com/sms';
    const { emu, run, journal } = await setup({ numbers: [{ phoneNumber: SUPPORT, smsUrl: secretUrl }] });
    expect((await run(['configure', SUPPORT, '--sms-url', 'https://new.example.com/sms', '--yes'])).code).toBe(0);
    rmSync(journal.secretsPath);
    const back = await run(['restore', SUPPORT, '--yes']);
    expect(back.code).not.toBe(0);
    expect(back.stderr).toContain('journal-secrets.json');
    expect(numberOf(emu, SUPPORT).sms_url).toBe('https://new.example.com/sms');
    // Still open: putting the secrets file back lets a later restore finish.
    expect(journal.unrestored()).toHaveLength(1);
  });
});

/** A port whose number updates stop forever at a chosen point: the process "crashes" there. */
function crashingFactory(emu: Emu, when: 'before-api' | 'after-api', reached: () => void): TwilioFactory {
  return async () => {
    const port = await realPort(emu);
    return {
      ...port,
      accountSid: port.accountSid,
      numbers: {
        ...port.numbers,
        list: port.numbers.list,
        fetch: port.numbers.fetch,
        update: async (sid, fields) => {
          if (when === 'after-api') await port.numbers.update(sid, fields);
          reached();
          return new Promise<never>(() => {});
        },
      },
    };
  };
}

describe('faults between the journal write and the API call, and after it', () => {
  for (const when of ['before-api', 'after-api'] as const) {
    it(`${when}: the journal holds the original values and restore puts them back`, async () => {
      const { emu, run, journal } = await setup();
      let signal!: () => void;
      const reached = new Promise<void>((resolve) => (signal = resolve));
      // Left running: from here on nothing of that process runs again, as after a kill -9.
      void run(
        [
          'configure',
          SUPPORT,
          '--sms-url',
          'https://n.example.com/sms',
          '--voice-url',
          'https://n.example.com/voice',
          '--yes',
        ],
        {
          twilioFactory: crashingFactory(emu, when, () => signal()),
        },
      );
      await reached;
      const [entry] = journal.entries() as NumberEntry[];
      expect(entry).toMatchObject({
        state: 'pending',
        before: { smsUrl: 'https://app.example.com/sms', voiceUrl: 'https://app.example.com/voice#rc=3&ct=2000' },
      });
      expect(numberOf(emu, SUPPORT).sms_url).toBe(
        when === 'after-api' ? 'https://n.example.com/sms' : 'https://app.example.com/sms',
      );

      const list = await run(['restore', '--list']);
      expect(list.stdout).toContain('pending (unfinished)');
      const back = await run(['restore', SUPPORT, '--yes']);
      expect(back.code).toBe(0);
      const n = numberOf(emu, SUPPORT);
      expect([n.sms_url, n.voice_url]).toEqual([
        'https://app.example.com/sms',
        'https://app.example.com/voice#rc=3&ct=2000',
      ]);
      expect(journal.unrestored()).toEqual([]);
      expect(back.stderr).toContain(when === 'after-api' ? 'restored' : 'already had its previous values');
    });
  }

  it('an error after the change was made: the number is checked and the change kept restorable', async () => {
    const { emu, journal } = await setup();
    const port = await realPort(emu);
    const flaky: TwilioPort = {
      ...port,
      accountSid: port.accountSid,
      numbers: {
        ...port.numbers,
        update: async (sid, fields) => {
          await port.numbers.update(sid, fields);
          throw new RemoteError('cannot reach 127.0.0.1: the connection was closed before an answer', {
            code: 'ECONNRESET',
            service: 'network',
          });
        },
      },
    };
    const number = await port.numbers.fetch(numberOf(emu, SALES).sid);
    await expect(
      applyNumberChange({
        port: flaky,
        journal,
        number,
        update: { smsUrl: 'https://n.example.com/s' },
        origin: 'configure',
        batch: newBatchId(),
      }),
    ).rejects.toThrow('ECONNRESET'.length ? /closed before an answer/ : /x/);
    const [entry] = journal.entries();
    expect(entry).toMatchObject({
      state: 'applied',
      after: { smsUrl: 'https://n.example.com/s' },
      before: { smsUrl: 'https://sales.example.com/sms' },
    });
    const report = await restoreEntries(port, journal, journal.unrestored());
    expect(report.failed).toEqual([]);
    expect(numberOf(emu, SALES).sms_url).toBe('https://sales.example.com/sms');
  });

  it('a gateway timeout (504) on the update keeps the backup open: Twilio may still apply the change after answering', async () => {
    const { emu, journal } = await setup();
    const port = await realPort(emu);
    emu.fault({ method: 'POST', path: '**/IncomingPhoneNumbers/*.json', status: 504, times: Infinity });
    const number = await port.numbers.fetch(numberOf(emu, SALES).sid);
    await expect(
      applyNumberChange({
        port,
        journal,
        number,
        update: { smsUrl: 'https://n.example.com/s' },
        origin: 'configure',
        batch: newBatchId(),
      }),
    ).rejects.toThrow(/504/);
    emu.clearFaults();
    expect(journal.unrestored()).toMatchObject([
      { state: 'pending', timedOut: true, before: { smsUrl: 'https://sales.example.com/sms' } },
    ]);
    // The backend finishes the request after the gateway gave up.
    numberOf(emu, SALES).sms_url = 'https://n.example.com/s';
    const report = await restoreEntries(port, journal, journal.unrestored());
    expect(report.failed).toEqual([]);
    expect(numberOf(emu, SALES).sms_url).toBe('https://sales.example.com/sms');
  });
});

describe('restoreEntries when the journal cannot be written', () => {
  it('still attempts every number, and reports the one whose restore it could not record', async () => {
    const { emu, configDir } = await setup();
    const port = await realPort(emu);
    let failures = 1;
    class FullDiskJournal extends Journal {
      override markRestored(ids: string[], note?: string): void {
        if (failures-- > 0)
          throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        super.markRestored(ids, note);
      }
    }
    const journal = new FullDiskJournal(configDir);
    const batch = newBatchId();
    for (const phone of [SUPPORT, SALES]) {
      const number = await port.numbers.fetch(numberOf(emu, phone).sid);
      await applyNumberChange({
        port,
        journal,
        number,
        update: { smsUrl: 'https://n.example.com/s' },
        origin: 'configure',
        batch,
      });
    }
    const report = await restoreEntries(port, journal, journal.unrestored());
    expect(numberOf(emu, SUPPORT).sms_url).toBe('https://app.example.com/sms');
    expect(numberOf(emu, SALES).sms_url).toBe('https://sales.example.com/sms');
    expect(report.failed).toHaveLength(1);
    expect(report.failed[0]!.error).toMatch(/could not record.*ENOSPC/);
    expect(report.restored).toHaveLength(1);
    // The unrecorded one stays open; the next restore finds it already done and closes it.
    expect(journal.unrestored()).toHaveLength(1);
    const again = await restoreEntries(port, journal, journal.unrestored());
    expect(again.failed).toEqual([]);
    expect(journal.unrestored()).toEqual([]);
  });
});

describe('twhook restore', () => {
  it("--list shows each number's history with what each change set; --id restores one and any newer", async () => {
    let t = 0;
    const { emu, run } = await setup();
    const clock = { now: () => new Date(Date.UTC(2026, 10, 27, 10, 0, t++)) };
    await run(['configure', SUPPORT, '--sms-url', 'https://one.example.com/sms', '--yes'], { clock });
    await run(['configure', SUPPORT, '--sms-url', 'https://two.example.com/sms', '--yes'], { clock });
    await run(['configure', SALES, '--voice-url', 'https://v.example.com/v', '--yes'], { clock });
    const list = await run(['restore', '--list', SUPPORT]);
    const lines = list.stdout
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    expect(lines.map((l) => [l[0], l[3], l[4], l[5]])).toEqual([
      [SUPPORT, 'configure', 'applied', 'sms-url: https://one.example.com/sms -> https://two.example.com/sms'],
      [SUPPORT, 'configure', 'applied', 'sms-url: https://app.example.com/sms -> https://one.example.com/sms'],
    ]);
    const json = (await run(['restore', '--list', '--json'])).json()[0] as {
      backups: { id: string; phoneNumber: string }[];
    };
    expect(json.backups).toHaveLength(3);
    const oldest = lines[1]![1]!;

    const back = await run(['restore', '--id', oldest, '--yes']);
    expect(back.code).toBe(0);
    expect(numberOf(emu, SUPPORT).sms_url).toBe('https://app.example.com/sms');
    // Restoring the older backup took the newer one of the same number with it; the other number is untouched.
    expect(numberOf(emu, SALES).voice_url).toBe('https://v.example.com/v');
    const after = await run(['restore', '--list', SUPPORT]);
    expect(after.stdout.match(/\trestored\t/g)).toHaveLength(2);
  });

  it('with no number undoes the last command; off a terminal it needs --yes; nothing left is not an error', async () => {
    const { emu, run } = await setup();
    await run(['configure', SUPPORT, SALES, '--status-callback', 'https://s.example.com/s', '--yes']);
    const piped = await run(['restore']);
    expect(piped.code).toBe(2);
    expect(piped.stderr).toContain('pass --yes');
    const asked = scriptedPrompter([true]);
    const r = await run(['restore'], { tty: true, prompter: asked });
    expect(r.code).toBe(0);
    expect(asked.asked[0]!.message).toBe('Restore 2 numbers?');
    expect(numberOf(emu, SUPPORT).status_callback).toBe('https://app.example.com/status');
    expect(numberOf(emu, SALES).status_callback).toBe('');
    const none = await run(['restore', '--json']);
    expect(none.code).toBe(0);
    expect(none.json()).toEqual([
      {
        restored: [],
        failed: [],
        note: 'nothing to restore: every backup is already restored (`twhook restore --list` shows them)',
      },
    ]);
  });

  it('reports a number it cannot restore (exit 3) and keeps that backup', async () => {
    const { emu, run, journal } = await setup();
    await run(['configure', SUPPORT, SALES, '--sms-url', 'https://n.example.com/sms', '--yes']);
    emu.fault({ method: 'POST', path: `**/IncomingPhoneNumbers/${numberOf(emu, SALES).sid}.json`, status: 400 });
    const r = await run(['restore', '--yes', '--json']);
    expect(r.code).toBe(3);
    const [out] = r.json() as [
      { restored: { phoneNumber: string }[]; failed: { phoneNumber: string; error: string }[] },
    ];
    expect(out.restored.map((x) => x.phoneNumber)).toEqual([SUPPORT]);
    expect(out.failed.map((x) => x.phoneNumber)).toEqual([SALES]);
    expect(r.stderr).toContain(`could not restore ${SALES}`);
    expect(journal.unrestored().map((e) => (e as NumberEntry).phoneNumber)).toEqual([SALES]);
    emu.clearFaults();
    expect((await run(['restore', '--yes'])).code).toBe(0);
    expect(numberOf(emu, SALES).sms_url).toBe('https://sales.example.com/sms');
  });

  it('refuses a number a running dev session holds', async () => {
    const { emu, journal, run } = await setup();
    const n = numberOf(emu, SUPPORT);
    journal.begin({
      kind: 'number',
      accountSid: emu.accountSid,
      numberSid: n.sid,
      phoneNumber: SUPPORT,
      before: { smsUrl: n.sms_url },
      after: { smsUrl: 'https://abc.ngrok.app/sms' },
      origin: 'dev',
      batch: newBatchId(),
      session: 's1',
      owner: { pid: process.ppid, host: hostname() },
    });
    const r = await run(['restore', SUPPORT, '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`held by a running twhook dev session`);
    expect(r.stderr).toContain(`pid ${process.ppid}`);
  });

  it('with --force, restores a number held by a session on another machine (which never ends here)', async () => {
    const { emu, journal, run } = await setup();
    const n = numberOf(emu, SUPPORT);
    const original = n.sms_url;
    journal.begin({
      kind: 'number',
      accountSid: emu.accountSid,
      numberSid: n.sid,
      phoneNumber: SUPPORT,
      before: { smsUrl: original },
      after: { smsUrl: 'https://abc.ngrok.app/sms' },
      origin: 'dev',
      batch: newBatchId(),
      session: 's1',
      owner: { pid: 4242, host: 'laptop-that-changed-its-name' },
    });
    n.sms_url = 'https://abc.ngrok.app/sms';
    const refused = await run(['restore', SUPPORT, '--yes']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('pid 4242 on laptop-that-changed-its-name');
    expect(refused.stderr).toContain('--force');
    expect(n.sms_url).toBe('https://abc.ngrok.app/sms');
    const forced = await run(['restore', SUPPORT, '--yes', '--force']);
    expect(forced.code).toBe(0);
    expect(n.sms_url).toBe(original);
    expect(journal.unrestored()).toEqual([]);
  });

  it('deletes Event Streams resources a session created, subscriptions first', async () => {
    const { emu, journal, run } = await setup();
    const sink = emu.state.events.addSink({
      sinkType: 'webhook',
      description: 'twhook dev abc',
      configuration: { destination: 'https://x.example.com/e', method: 'POST', batch_events: false },
    });
    const batch = newBatchId();
    const e = journal.begin({
      kind: 'event-sink',
      accountSid: emu.accountSid,
      origin: 'dev',
      batch,
      description: 'twhook dev abc',
      marker: 'abc',
    });
    journal.markApplied(e.id, { sid: sink.sid });
    // Created by a process that died before it learnt the SID: found by its marker... and gone already.
    journal.begin({
      kind: 'event-subscription',
      accountSid: emu.accountSid,
      origin: 'dev',
      batch,
      marker: 'no-such-marker',
    });
    const r = await run(['restore', '--yes', '--json']);
    expect(r.code).toBe(0);
    const [out] = r.json() as [{ restored: { kind: string; status: string }[] }];
    expect(out.restored.map((x) => [x.kind, x.status])).toEqual([
      ['event-subscription', 'unchanged'],
      ['event-sink', 'restored'],
    ]);
    expect(emu.state.events.sinks.has(sink.sid)).toBe(false);
  });
});

describe('dev sessions and the journal', () => {
  it('a new session restores what an ended one left, only where its URLs are still there, and refuses a live one', async () => {
    const { emu, journal } = await setup();
    const port = await realPort(emu);
    const n = await port.numbers.fetch(numberOf(emu, SUPPORT).sid);
    // An ended session (its pid is gone) left the SMS and voice URLs on its tunnel.
    await applyNumberChange({
      port,
      journal,
      number: n,
      update: { smsUrl: 'https://old.ngrok.app/sms', voiceUrl: 'https://old.ngrok.app/voice' },
      origin: 'dev',
      batch: newBatchId(),
      session: 'old',
      owner: { pid: 4194305, host: hostname() },
    });
    // Meanwhile someone set the voice URL by hand: that must be kept.
    numberOf(emu, SUPPORT).voice_url = 'https://by-hand.example.com/voice';
    const report = await prepareNumbersForSession(port, journal, [n]);
    expect(report.failed).toEqual([]);
    expect(numberOf(emu, SUPPORT).sms_url).toBe('https://app.example.com/sms');
    expect(numberOf(emu, SUPPORT).voice_url).toBe('https://by-hand.example.com/voice');
    expect(journal.unrestored()).toEqual([]);

    const fresh = await port.numbers.fetch(n.sid);
    await applyNumberChange({
      port,
      journal,
      number: fresh,
      update: { smsUrl: 'https://live.ngrok.app/sms' },
      origin: 'dev',
      batch: newBatchId(),
      session: 'live',
      owner: { pid: process.ppid, host: hostname() },
    });
    await expect(prepareNumbersForSession(port, journal, [n])).rejects.toThrow(UsageError);
    await expect(prepareNumbersForSession(port, journal, [n])).rejects.toThrow(
      `${SUPPORT} (twhook dev, pid ${process.ppid}`,
    );

    // A configure during the live session records the value from before the session, not the tunnel URL.
    const during = await port.numbers.fetch(n.sid);
    const { entry } = await applyNumberChange({
      port,
      journal,
      number: during,
      update: { smsUrl: 'https://prod.example.com/sms' },
      origin: 'configure',
      batch: newBatchId(),
    });
    expect((entry as NumberEntry).before.smsUrl).toBe('https://app.example.com/sms');
    // The session's own restore at its end keeps that lasting change (dev entries restore only what
    // still holds their URLs).
    const end = await restoreEntries(port, journal, journal.unrestored({ session: 'live' }));
    expect(end.failed).toEqual([]);
    expect(end.results[0]).toMatchObject({
      status: 'unchanged',
      kept: [
        {
          field: 'smsUrl',
          set: 'https://live.ngrok.app/sms',
          current: 'https://prod.example.com/sms',
          backup: 'https://app.example.com/sms',
        },
      ],
    });
    expect(numberOf(emu, SUPPORT).sms_url).toBe('https://prod.example.com/sms');
    // And restoring the configure puts back the value from before the dev session, not its tunnel URL.
    await restoreEntries(port, journal, [entry]);
    expect(numberOf(emu, SUPPORT).sms_url).toBe('https://app.example.com/sms');
  });

  it('a URL configured during a session keeps the method from before the session, so restoring the configure too gives back the original exactly', async () => {
    const { emu, journal } = await setup();
    numberOf(emu, SUPPORT).sms_method = 'GET';
    const port = await realPort(emu);
    const n = await port.numbers.fetch(numberOf(emu, SUPPORT).sid);
    await applyNumberChange({
      port,
      journal,
      number: n,
      update: { smsUrl: 'https://live.ngrok.app/sms', smsMethod: 'POST' },
      origin: 'dev',
      batch: newBatchId(),
      session: 'live',
      owner: { pid: process.pid, host: hostname() },
    });
    const during = await port.numbers.fetch(n.sid);
    const { entry } = await applyNumberChange({
      port,
      journal,
      number: during,
      update: { smsUrl: 'https://prod.example.com/sms' },
      origin: 'configure',
      batch: newBatchId(),
    });
    await restoreEntries(port, journal, journal.unrestored({ session: 'live' }));
    expect(numberOf(emu, SUPPORT).sms_url).toBe('https://prod.example.com/sms');
    expect(numberOf(emu, SUPPORT).sms_method).toBe('GET');
    await restoreEntries(port, journal, [entry]);
    expect(numberOf(emu, SUPPORT).sms_url).toBe('https://app.example.com/sms');
    expect(numberOf(emu, SUPPORT).sms_method).toBe('GET');
  });
});

describe('interactive configure', () => {
  it('picks numbers by search, the webhooks, URLs and overrides with validation as you type', async () => {
    const { emu, run, journal } = await setup();
    const validators: ((v: string) => true | string)[] = [];
    const scripted = scriptedPrompter([
      (choices: { name: string; value: unknown }[]) => choices.find((c) => c.name.includes('Sales line'))!.value,
      false,
      ['smsUrl', 'voiceUrl'],
      'https://int.example.com/sms',
      ENTER,
      'https://int.example.com/voice',
      'GET',
      'ct=1500&rc=2',
      true,
    ]);
    const prompter: Prompter = {
      ...scripted,
      input: (opts) => {
        if (opts.validate) validators.push(opts.validate);
        return scripted.input(opts);
      },
    };
    const r = await run(['configure'], { tty: true, prompter });
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(0);
    expect(scripted.asked.map((a) => [a.kind, a.message])).toEqual([
      ['search', 'Number to configure (type digits or a name)'],
      ['confirm', 'Configure another number too?'],
      ['checkbox', 'Webhooks to set'],
      ['input', 'SMS URL (incoming messages) (Enter keeps it; none clears it)'],
      ['select', 'HTTP method of the SMS URL'],
      ['input', 'Voice URL (incoming calls) (empty or none: not set)'],
      ['select', 'HTTP method of the Voice URL'],
      ['input', "Connection overrides for these URLs (like ct=2000&rc=2&rp=5xx,ct; none: Twilio's defaults)"],
      ['confirm', 'Apply this change?'],
    ]);
    expect(scripted.asked[0]!.choices).toEqual([
      `${SUPPORT}  Support line`,
      `${SALES}  Sales line`,
      '+442071838750  London',
    ]);
    const sales = numberOf(emu, SALES);
    expect(sales.sms_url).toBe('https://int.example.com/sms#ct=1500&rc=2');
    expect(sales.voice_url).toBe('https://int.example.com/voice#ct=1500&rc=2');
    expect(sales.voice_method).toBe('GET');
    // The SMS method was left on its default (POST, as the number had): not part of the change.
    expect(Object.keys((journal.entries()[0] as NumberEntry).after)).toEqual(['smsUrl', 'voiceUrl', 'voiceMethod']);
    expect(journal.entries()).toHaveLength(1);
    // Validation as you type: the URL prompts and the overrides prompt.
    expect(validators[0]!('http://localhost:3000/sms')).toContain('twhook dev');
    expect(validators[0]!('nope')).toContain('not an absolute URL');
    expect(validators[0]!('https://ok.example.com/')).toBe(true);
    expect(validators[2]!('ct=50')).toContain('ct="50"');
    expect(validators[2]!('rc=9')).toContain('from 0 to 5');
    expect(validators[2]!('')).toBe(true);
  });

  it('Enter at every prompt proposes no change: the URL, its overrides and its method round-trip', async () => {
    const { emu, run } = await setup();
    const support = (choices: { name: string; value: unknown }[]) =>
      choices.find((c) => c.name.includes('Support line'))!.value;
    const scripted = scriptedPrompter([support, false, ['smsUrl', 'voiceUrl'], ENTER, ENTER, ENTER, ENTER, ENTER]);
    const r = await run(['configure'], { tty: true, prompter: scripted });
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${SUPPORT}: already set that way, nothing to change`);
    expect(r.stdout).toBe('');
    // The prompts started at what the number has.
    expect(scripted.asked.slice(3).map((a) => [a.kind, a.default])).toEqual([
      ['input', 'https://app.example.com/sms'],
      ['select', 'POST'],
      ['input', 'https://app.example.com/voice'],
      ['select', 'GET'],
      ['input', undefined],
    ]);
    expect(scripted.asked.at(-1)!.message).toContain("Enter keeps each URL's own");
    expect(updates(emu)).toHaveLength(0);
    expect(numberOf(emu, SUPPORT).voice_url).toBe('https://app.example.com/voice#rc=3&ct=2000');
  });

  it('one URL: the overrides prompt starts at its fragment, kept byte for byte; none clears the URL', async () => {
    const { emu, run } = await setup();
    const support = (choices: { name: string; value: unknown }[]) =>
      choices.find((c) => c.name.includes('Support line'))!.value;
    const keep = scriptedPrompter([support, false, ['voiceUrl'], ENTER, ENTER, ENTER]);
    const kept = await run(['configure'], { tty: true, prompter: keep });
    expect(kept.code).toBe(0);
    expect(keep.asked.at(-1)).toMatchObject({ kind: 'input', default: 'rc=3&ct=2000' });
    expect(kept.stderr).toContain('already set that way');

    const clear = scriptedPrompter([support, false, ['statusCallback'], 'none', true]);
    const cleared = await run(['configure'], { tty: true, prompter: clear });
    expect(cleared.code).toBe(0);
    expect(numberOf(emu, SUPPORT).status_callback).toBe('');
  });

  it('searches by digits and by name', async () => {
    const { run } = await setup();
    let source: ((term: string | undefined) => unknown) | undefined;
    const scripted = scriptedPrompter([
      (choices: { value: unknown }[]) => choices[0]!.value,
      false,
      ['smsUrl'],
      'https://a.example.com/',
      ENTER,
      '',
      false,
    ]);
    const prompter: Prompter = {
      ...scripted,
      search: (opts) => {
        source = opts.source as never;
        return scripted.search(opts);
      },
    };
    const r = await run(['configure'], { tty: true, prompter });
    expect(r.code).toBe(0);
    const names = async (term: string) => ((await source!(term)) as { name: string }[]).map((c) => c.name);
    expect(await names('lond')).toEqual(['+442071838750  London']);
    expect(await names('0101')).toEqual([`${SALES}  Sales line`]);
    expect(await names('4155550')).toEqual([`${SUPPORT}  Support line`, `${SALES}  Sales line`]);
    expect(await names('')).toHaveLength(3);
  });

  it('off a terminal, no number is a usage error', async () => {
    const { emu, run } = await setup();
    const r = await run(['configure', '--sms-url', 'https://a.example.com/']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('name the numbers to configure');
    expect(emu.requests).toHaveLength(0);
  });
});

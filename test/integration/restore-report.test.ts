/**
 * `twhook restore` never silently undoes a newer change, reports in the same words and JSON
 * names as `configure` and `restore --list`, and treats "nothing to restore" the same way
 * whether a number is given or not.
 */
import { describe, expect, it } from 'vitest';
import { Journal, newBatchId } from '../../src/state/journal.js';
import { useEmulator } from '../support/emulator.js';
import { scriptedPrompter } from '../support/prompter.js';
import { runCli, tempDir } from '../support/run-cli.js';

const FAST = { TWHOOK_RETRY_BASE_MS: '1', TWHOOK_RETRY_MAX_MS: '5' };
const SUPPORT = '+14155550100';
const SALES = '+14155550101';

type Emu = Awaited<ReturnType<typeof useEmulator>>;

function numberOf(emu: Emu, phone: string) {
  return [...emu.state.api2010.numbers.values()].find((n) => n.phone_number === phone)!;
}

async function setup() {
  const emu = await useEmulator();
  const configDir = tempDir('twhook-config-');
  const env = { ...emu.env, ...FAST, NO_COLOR: '1' };
  const run = (argv: string[], extra: Parameters<typeof runCli>[1] = {}) => runCli(argv, { env, configDir, ...extra });
  return { emu, run, journal: new Journal(configDir) };
}

describe('restore and a field changed since twhook set it', () => {
  it('leaves it, reports what twhook set, what is there now and what the backup holds; --dry-run shows it; --force restores it', async () => {
    const { emu, run, journal } = await setup();
    const configured = await run([
      'configure',
      SUPPORT,
      '--sms-url',
      'https://twhook-set.example.com/sms',
      '--voice-url',
      'https://twhook-set.example.com/voice',
      '--yes',
    ]);
    expect(configured.code).toBe(0);
    // A change made since, through the API or the Console.
    numberOf(emu, SUPPORT).sms_url = 'https://console.example.com/sms';

    const dry = await run(['restore', SUPPORT, '--dry-run']);
    expect(dry.code).toBe(0);
    const said =
      'sms-url changed since twhook set it, so it is left as it is: twhook set https://twhook-set.example.com/sms, it is now https://console.example.com/sms, the backup holds https://app.example.com/sms';
    expect(dry.stderr).toContain(`warning: ${SUPPORT} ${said}`);
    expect(dry.stderr).toContain(`twhook restore ${SUPPORT} --force`);
    // The plan restores only the voice URL.
    expect(dry.stdout.trim().split('\n')).toEqual([
      `${SUPPORT}\tvoice-url\thttps://twhook-set.example.com/voice\thttps://app.example.com/voice#rc=3&ct=2000`,
    ]);
    const dryJson = (await run(['restore', SUPPORT, '--dry-run', '--json'])).json()[0] as {
      plan: { kept: unknown[] }[];
    };
    expect(dryJson.plan[0]!.kept).toEqual([
      {
        field: 'smsUrl',
        set: 'https://twhook-set.example.com/sms',
        current: 'https://console.example.com/sms',
        backup: 'https://app.example.com/sms',
      },
    ]);

    const r = await run(['restore', '--yes']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(said);
    expect(numberOf(emu, SUPPORT).sms_url).toBe('https://console.example.com/sms');
    expect(numberOf(emu, SUPPORT).voice_url).toBe('https://app.example.com/voice#rc=3&ct=2000');
    // Kept open, so the backup's value can still be put back.
    expect(journal.unrestored()).toHaveLength(1);

    const forced = await run(['restore', SUPPORT, '--force', '--yes']);
    expect(forced.code).toBe(0);
    expect(forced.stderr).not.toContain('left as it is');
    expect(numberOf(emu, SUPPORT).sms_url).toBe('https://app.example.com/sms');
    expect(journal.unrestored()).toEqual([]);
  });
});

describe('restore reports', () => {
  it('--list hides fields a change left as they were', async () => {
    const { emu, run, journal } = await setup();
    const n = numberOf(emu, SUPPORT);
    journal.begin({
      kind: 'number',
      accountSid: emu.accountSid,
      numberSid: n.sid,
      phoneNumber: SUPPORT,
      before: { smsUrl: 'https://app.example.com/sms', smsMethod: 'POST' },
      after: { smsUrl: 'https://abc.ngrok.app/sms', smsMethod: 'POST' },
      origin: 'dev',
      batch: newBatchId(),
      session: 's1',
    });
    const list = await run(['restore', '--list']);
    expect(list.stdout.split('\t').at(-1)!.trim()).toBe(
      'sms-url: https://app.example.com/sms -> https://abc.ngrok.app/sms',
    );
  });

  it('one JSON naming in configure, restore and restore --list: camelCase fields, before and after', async () => {
    const { run } = await setup();
    const configured = (
      await run(['configure', SUPPORT, '--sms-url', 'https://new.example.com/sms', '--yes', '--json'])
    ).json()[0] as {
      numbers: { changes: unknown[] }[];
    };
    expect(configured.numbers[0]!.changes).toEqual([
      { field: 'smsUrl', before: 'https://app.example.com/sms', after: 'https://new.example.com/sms' },
    ]);
    const listed = (await run(['restore', '--list', '--json'])).json()[0] as {
      backups: { before: unknown; after: unknown }[];
    };
    expect(listed.backups[0]).toMatchObject({
      before: { smsUrl: 'https://app.example.com/sms' },
      after: { smsUrl: 'https://new.example.com/sms' },
    });
    const dry = (await run(['restore', '--dry-run', '--json'])).json()[0] as { plan: { changes: unknown[] }[] };
    expect(dry.plan[0]!.changes).toEqual([
      { field: 'smsUrl', before: 'https://new.example.com/sms', after: 'https://app.example.com/sms' },
    ]);
    const restored = (await run(['restore', '--yes', '--json'])).json()[0] as { restored: { changes: unknown[] }[] };
    expect(restored.restored[0]!.changes).toEqual(dry.plan[0]!.changes);
  });

  it('nothing to restore: exit 0 with a note, with or without a number', async () => {
    const { run } = await setup();
    const none = await run(['restore']);
    expect([none.code, none.stderr]).toEqual([
      0,
      'nothing to restore: no backups yet (`twhook configure` and `twhook dev` make one before every change)\n',
    ]);
    const noneOfNumber = await run(['restore', SUPPORT]);
    expect(noneOfNumber.code).toBe(0);
    expect(noneOfNumber.stderr).toContain(`nothing to restore: no backup of ${SUPPORT}`);
    await run(['configure', SUPPORT, '--sms-url', 'https://new.example.com/sms', '--yes']);
    expect((await run(['restore', SUPPORT, '--yes'])).code).toBe(0);
    const again = await run(['restore', SUPPORT, '--yes']);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain(`nothing to restore: every backup of ${SUPPORT} is already restored`);
    const json = await run(['restore', SUPPORT, '--json']);
    expect(json.json()).toEqual([{ restored: [], failed: [], note: expect.stringContaining('nothing to restore') }]);
    const all = await run(['restore']);
    expect(all.code).toBe(0);
    expect(all.stderr).toContain('nothing to restore: every backup is already restored');
  });

  it('--dry-run and the real run describe a deleted resource the same way', async () => {
    const { emu, run, journal } = await setup();
    const sink = emu.state.events.addSink({
      sinkType: 'webhook',
      description: 'twhook dev abc',
      configuration: { destination: 'https://x.example.com/e', method: 'POST', batch_events: false },
    });
    const gone = emu.state.events.addSink({
      sinkType: 'webhook',
      description: 'twhook dev def',
      configuration: { destination: 'https://y.example.com/e', method: 'POST', batch_events: false },
    });
    const batch = newBatchId();
    for (const s of [sink, gone]) {
      const e = journal.begin({
        kind: 'event-sink',
        accountSid: emu.accountSid,
        origin: 'dev',
        batch,
        description: s.description,
      });
      journal.markApplied(e.id, { sid: s.sid });
    }
    emu.state.events.sinks.delete(gone.sid);
    const rows = [
      `sink ${gone.sid}\tresource\t(already deleted)\t(deleted)`,
      `sink ${sink.sid}\tresource\texists\t(deleted)`,
    ].sort();
    const dry = await run(['restore', '--dry-run']);
    expect(dry.stdout.trim().split('\n').sort()).toEqual(rows);
    const real = await run(['restore', '--yes']);
    expect(real.stdout.trim().split('\n').sort()).toEqual(rows);
    expect(real.stderr).toContain(`✓ sink ${sink.sid} deleted`);
    expect(real.stderr).toContain(`✓ sink ${gone.sid} already deleted`);
    expect(emu.state.events.sinks.has(sink.sid)).toBe(false);
  });

  it('asks with the right plurals', async () => {
    const { run } = await setup();
    await run(['configure', SUPPORT, SALES, '--status-callback', 'https://s.example.com/s', '--yes']);
    const asked = scriptedPrompter([false]);
    await run(['restore'], { tty: true, prompter: asked });
    expect(asked.asked[0]!.message).toBe('Restore 2 numbers?');
  });
});

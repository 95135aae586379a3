/**
 * `twhook call`, `twhook text` and `twhook test` in process, against the simulator's test app on
 * loopback (test/support/ivr-app.ts): the options, the inputs in command-line order, prompts only
 * on a terminal, exit codes, capture, --save round trips, cookies across runs, --number through
 * the emulator, JUnit.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SimEvent } from '../../src/simulate/events.js';
import { useEmulator } from '../support/emulator.js';
import { startIvrApp, type IvrApp } from '../support/ivr-app.js';
import { scriptedPrompter } from '../support/prompter.js';
import { runCli, tempDir } from '../support/run-cli.js';
import { closedPort } from '../support/twilio-app.js';

const TOKEN = '12345678901234567890123456789012';
const ACCOUNT = 'AC0123456789abcdef0123456789abcdef';
const SIGNED = { TWILIO_AUTH_TOKEN: TOKEN, TWILIO_ACCOUNT_SID: ACCOUNT };

const apps: IvrApp[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});
async function useIvrApp(options: { authToken?: string } = {}): Promise<IvrApp> {
  const app = await startIvrApp(options);
  apps.push(app);
  return app;
}

const events = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as SimEvent);
const says = (list: SimEvent[]) => list.flatMap((e) => (e.type === 'say' ? [e.text] : []));

describe('twhook call', () => {
  it('plays the menu with inputs in command-line order, signed; --json is one event a line', async () => {
    const app = await useIvrApp({ authToken: TOKEN });
    const run = await runCli(
      ['call', String(app.port), '--press', '1', '--dial-status', 'busy', '--json', '--no-capture'],
      { env: SIGNED },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const list = events(run.stdout);
    for (const e of list) expect(typeof e.t).toBe('number');
    expect(says(list)[0]).toMatch(/^Welcome to Acme\. Press 1 for sales/);
    expect(list.find((e) => e.type === 'gather')).toMatchObject({ numDigits: 1, result: { digits: '1' } });
    expect(list.find((e) => e.type === 'dial')).toMatchObject({ to: ['+15551230000'], outcome: 'busy' });
    expect(says(list)).toContain('Sales is busy. Please call again.');
    expect(list[list.length - 1]).toMatchObject({ type: 'end', status: 'completed' });
    expect(app.seen.map((s) => s.path)).toEqual(['/voice', '/menu', '/dial-done']);
    expect(app.seen.every((s) => s.valid)).toBe(true);
    expect(app.seen[0]!.params).toMatchObject({ From: '+15558675310', To: '+15017122661', AccountSid: ACCOUNT });
  });

  it('the terminal transcript: what the caller hears, requests between', async () => {
    const app = await useIvrApp();
    const run = await runCli(['call', String(app.port), '--press', '1', '--dial-status', 'busy', '--no-capture'], {
      env: SIGNED,
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^ +0:00 say {6}"Welcome to Acme\./m);
    expect(run.stdout).toMatch(/gather {3}\(dtmf, 1 digit, 4 s\) → pressed 1/);
    expect(run.stdout).toMatch(/→ POST localhost:\d+\/menu {2}200 text\/html/);
    expect(run.stdout).toMatch(/dial {5}\+15551230000 → busy/);
    // NO_COLOR is not needed off a terminal: no escape codes.
    expect(run.stdout).not.toMatch(/\u001b\[/);
    expect(run.stderr).toMatch(/calling localhost:\d+\/voice from \+15558675310 to \+15017122661/);
  });

  it('colour on a terminal, none with NO_COLOR', async () => {
    const app = await useIvrApp();
    const coloured = await runCli(['call', String(app.port), '--press', '9', '--hangup-after', '20', '--no-capture'], {
      env: SIGNED,
      tty: true,
      prompter: scriptedPrompter([]),
    });
    expect(coloured.stdout).toMatch(/\u001b\[/);
    const plain = await runCli(['call', String(app.port), '--press', '9', '--hangup-after', '20', '--no-capture'], {
      env: { ...SIGNED, NO_COLOR: '1' },
      tty: true,
      prompter: scriptedPrompter([]),
    });
    expect(plain.stdout).not.toMatch(/\u001b\[/);
    expect(plain.stdout).toMatch(/say {6}"Welcome to Acme/);
  });

  it('an input that does not fit what the call asks for is exit 2, naming both', async () => {
    const app = await useIvrApp();
    const run = await runCli(['call', String(app.port), '--dial-status', 'busy', '--press', '1', '--no-capture'], {
      env: SIGNED,
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--dial-status "busy" came next, but the call asked for a <Gather> \(dtmf, 1 digit\)/);
  });

  it('--dial-seconds right after --dial-status sets that dial; given twice alone is refused', async () => {
    const app = await useIvrApp();
    const run = await runCli(
      [
        'call',
        String(app.port),
        '--press',
        '1',
        '--dial-status',
        'completed',
        '--dial-seconds',
        '42',
        '--json',
        '--no-capture',
      ],
      { env: SIGNED },
    );
    expect(events(run.stdout).find((e) => e.type === 'dial')).toMatchObject({ outcome: 'completed', duration: 42 });
    expect(app.seen.find((s) => s.path === '/dial-done')?.params.DialCallDuration).toBe('42');
    const twice = await runCli(['call', String(app.port), '--dial-seconds', '4', '--dial-seconds', '5'], {
      env: SIGNED,
    });
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/--dial-seconds is given twice/);
  });

  it('--speak answers a speech Gather; --record-seconds a Record', async () => {
    const app = await useIvrApp();
    const speech = await runCli(
      ['call', String(app.port), '--press', '4', '--speak', 'billing please', '--json', '--no-capture'],
      { env: SIGNED },
    );
    expect(speech.code).toBe(0);
    expect(says(events(speech.stdout))).toContain('You said: billing please.');
    const record = await runCli(
      ['call', String(app.port), '--press', '2', '--record-seconds', '12', '--json', '--no-capture'],
      { env: SIGNED },
    );
    expect(events(record.stdout).find((e) => e.type === 'record')).toMatchObject({ result: { duration: 12 } });
    expect(says(events(record.stdout))).toContain('Thanks, we got 12 seconds.');
  });

  it('never prompts when stdin is not a terminal: the Gather times out', async () => {
    const app = await useIvrApp();
    const prompter = scriptedPrompter([]);
    const run = await runCli(['call', String(app.port), '--no-capture'], { env: SIGNED, prompter });
    expect(prompter.asked).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/no input \(timed out\)/);
    expect(run.stdout).toMatch(/We did not get your choice/);
  });

  it('never prompts with --json, even on a terminal', async () => {
    const app = await useIvrApp();
    const prompter = scriptedPrompter([]);
    const run = await runCli(['call', String(app.port), '--json', '--no-capture'], {
      env: SIGNED,
      prompter,
      tty: true,
    });
    expect(prompter.asked).toEqual([]);
    expect(run.code).toBe(0);
  });

  it('on a terminal, an unscripted Gather asks; Enter alone is no input', async () => {
    const app = await useIvrApp();
    const prompter = scriptedPrompter(['0', '']);
    const run = await runCli(['call', String(app.port), '--no-capture'], { env: SIGNED, prompter, tty: true });
    expect(run.code).toBe(0);
    expect(prompter.asked.map((a) => a.message)).toEqual([
      'press keys (Enter alone: no input)',
      'press keys (Enter alone: no input)',
    ]);
    // 0 is not an option: the app redirects to the menu, which asks again.
    expect(app.seen.map((s) => s.path)).toEqual(['/voice', '/menu', '/voice']);
    expect(run.stdout).toMatch(/We did not get your choice/);
  });

  it('--hangup-after: the caller hangs up then', async () => {
    const app = await useIvrApp();
    const run = await runCli(['call', String(app.port), '--hangup-after', '1', '--json', '--no-capture'], {
      env: SIGNED,
    });
    expect(run.code).toBe(0);
    expect(events(run.stdout).pop()).toMatchObject({ type: 'end', reason: 'caller-hangup' });
  });

  it('--realtime waits through the clock (the simulated lengths); without it, nothing waits', async () => {
    const app = await useIvrApp();
    const slept: number[] = [];
    const now = new Date('2026-11-27T10:00:00.000Z');
    const clock = { now: () => now, sleep: async (ms: number) => void slept.push(ms) };
    const real = await runCli(['call', `${app.url}/pause`, '--realtime', '--no-capture'], { env: SIGNED, clock });
    expect(real.code).toBe(0);
    expect(slept).toEqual([800, 3000, 2000, 400]);
    slept.length = 0;
    const simulated = await runCli(['call', `${app.url}/pause`, '--no-capture'], { env: SIGNED, clock });
    expect(simulated.code).toBe(0);
    expect(slept).toEqual([]);
  });

  it('Ctrl-C mid-call: the request under way is dropped, the call ends (end aborted), exit 130', async () => {
    const app = await useIvrApp();
    const controller = new AbortController();
    const cwd = tempDir();
    const running = runCli(['call', `${app.url}/hang`, '--json', '--capture', 'c.jsonl'], {
      env: SIGNED,
      signal: controller.signal,
      cwd,
    });
    await vi.waitFor(() => expect(app.seen).toHaveLength(1));
    controller.abort();
    const run = await running;
    expect(run.code).toBe(130);
    const list = events(run.stdout);
    expect(list.at(-1)).toMatchObject({ type: 'end', status: 'canceled', reason: 'aborted' });
    expect(list.filter((e) => e.type === 'error')).toEqual([]);
    await vi.waitFor(() => expect(app.seen[0]!.gone).toBe(true));
    // The capture holds the request that was under way, with no answer.
    const records = readFileSync(join(cwd, 'c.jsonl'), 'utf8').trim().split('\n');
    expect(records).toHaveLength(1);
    expect(JSON.parse(records[0]!).response).toBeUndefined();
  });

  it('exit 3 when nothing listens at <app>', async () => {
    const port = await closedPort();
    const run = await runCli(['call', String(port), '--no-capture'], { env: SIGNED });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/nothing listens at localhost:\d+: start your app/);
  });

  it('exit 1 when the app causes a Twilio error (a 500) or loops; a fallback is requested', async () => {
    const app = await useIvrApp();
    const broken = await runCli(['call', `${app.url}/broken`, '--fallback', '/fallback', '--json', '--no-capture'], {
      env: SIGNED,
    });
    expect(broken.code).toBe(1);
    const list = events(broken.stdout);
    expect(list.find((e) => e.type === 'error')).toMatchObject({ code: 11200 });
    expect(says(list)).toContain('Something went wrong: error 11200.');
    const loop = await runCli(['call', `${app.url}/loop`, '--max-requests', '5', '--json', '--no-capture'], {
      env: SIGNED,
    });
    expect(loop.code).toBe(1);
    expect(app.seen.filter((s) => s.path === '/loop').length).toBeLessThanOrEqual(5);
  });

  it('without an auth token: unsigned, with one warning', async () => {
    const app = await useIvrApp();
    const run = await runCli(['call', String(app.port), '--press', '1', '--no-capture'], { env: {} });
    expect(run.code).toBe(0);
    expect(run.stderr.match(/warning:/g)).toHaveLength(1);
    expect(run.stderr).toMatch(/requests go unsigned/);
    expect(app.seen.some((s) => s.headers['x-twilio-signature'])).toBe(false);
  });

  it('usage errors: no app, both app and --number, bad --press, --status-events without a callback', async () => {
    for (const [args, message] of [
      [['call'], /where to\?/],
      [['call', '3000', '--number', '+14155550100'], /give <app> or --number, not both/],
      [['call', '3000', '--press', '1a'], /--press takes keypad keys/],
      [['call', '3000', '--status-events', 'answered'], /--status-events needs --status-callback/],
      [['call', '3000', '--dial-status', 'maybe'], /--dial-status is completed, busy/],
      [['call', '3000', '--save', 'x.txt'], /--save writes a YAML spec/],
    ] as const) {
      const run = await runCli([...args], { env: SIGNED });
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(message);
    }
  });

  it('captures to the same file as dev by default, and verify passes on it', async () => {
    const app = await useIvrApp({ authToken: TOKEN });
    const cwd = tempDir();
    const run = await runCli(['call', String(app.port), '--press', '1'], { env: SIGNED, cwd });
    expect(run.code).toBe(0);
    const capture = join(cwd, '.twhook', 'captures', '2026-11-27.jsonl');
    expect(existsSync(capture)).toBe(true);
    expect(existsSync(join(cwd, '.twhook', '.gitignore'))).toBe(true);
    const lines = readFileSync(capture, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(app.seen.length);
    const verify = await runCli(['verify', capture], { env: SIGNED, cwd });
    expect(verify.code).toBe(0);
  });

  it('--status-callback with --status-events sends the callbacks', async () => {
    const app = await useIvrApp();
    const run = await runCli(
      [
        'call',
        String(app.port),
        '--press',
        '1',
        '--status-callback',
        '/status',
        '--status-events',
        'initiated,answered,completed',
        '--json',
        '--no-capture',
      ],
      { env: SIGNED },
    );
    expect(run.code).toBe(0);
    const callbacks = events(run.stdout).filter((e) => e.type === 'callback');
    expect(callbacks.map((c) => (c as { params: Record<string, string> }).params.CallStatus)).toEqual([
      'initiated',
      'in-progress',
      'completed',
    ]);
    expect(app.seen.filter((s) => s.path === '/status')).toHaveLength(3);
  });

  it('--public-url signs for the URL the app believes it serves; --capture FILE', async () => {
    const app = await startIvrApp({ authToken: TOKEN, publicUrl: 'https://ivr.example.com' });
    apps.push(app);
    const cwd = tempDir();
    const run = await runCli(
      ['call', String(app.port), '--press', '1', '--public-url', 'https://ivr.example.com', '--capture', 'calls.jsonl'],
      { env: SIGNED, cwd },
    );
    expect(run.code).toBe(0);
    expect(app.seen.length).toBeGreaterThan(1);
    expect(app.seen.every((s) => s.valid)).toBe(true);
    expect(readFileSync(join(cwd, 'calls.jsonl'), 'utf8').trim().split('\n')).toHaveLength(app.seen.length);
    expect(existsSync(join(cwd, '.twhook'))).toBe(false);
  });

  it("--number uses the number's configured voice URL from the account (the emulator)", async () => {
    const app = await useIvrApp();
    const emu = await useEmulator({
      numbers: [{ phoneNumber: '+14155550100', voiceUrl: `${app.url}/voice`, statusCallback: `${app.url}/status` }],
    });
    const run = await runCli(['call', '--number', '+14155550100', '--press', '1', '--json', '--no-capture'], {
      env: emu.env,
    });
    expect(run.code).toBe(0);
    expect(app.seen[0]).toMatchObject({ path: '/voice', params: { To: '+14155550100' } });
    expect(app.seen.some((s) => s.path === '/status')).toBe(true);
    const none = await runCli(['call', '--number', '+14155550199'], { env: emu.env });
    expect(none.code).toBe(2);
  });

  it('--save writes a spec that twhook test passes on the same app', async () => {
    const app = await useIvrApp();
    const cwd = tempDir();
    mkdirSync(join(cwd, 'specs'));
    const saved = await runCli(
      ['call', String(app.port), '--press', '1', '--dial-status', 'busy', '--save', 'specs/menu.yaml', '--no-capture'],
      { env: SIGNED, cwd },
    );
    expect(saved.code).toBe(0);
    const yaml = readFileSync(join(cwd, 'specs', 'menu.yaml'), 'utf8');
    expect(yaml).toMatch(/^name: menu$/m);
    expect(yaml).toContain('  - press: "1"\n');
    expect(yaml).toContain('  - expect: { say: Sales is busy. Please call again. }\n');
    const test = await runCli(['test', 'specs'], { env: SIGNED, cwd });
    expect(test.stdout).toMatch(/✓ menu specs\/menu\.yaml:2/);
    expect(test.code).toBe(0);
  });

  it("the transcript marks the called party's leg (a whisper) and a Dial's recording; a spec can expect either", async () => {
    const app = await useIvrApp();
    const cwd = tempDir();
    const run = await runCli(
      ['call', `${app.url}/dial-whisper`, '--dial-status', 'completed', '--press', '1', '--no-capture'],
      { env: SIGNED, cwd },
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/0:\d\d callee› say\s+"Call from Acme support\. Press 1 to accept\."/);
    expect(run.stdout).toMatch(/→ POST 127\.0\.0\.1:\d+\/whisper\s+200 .* \(callee\)/);
    expect(run.stdout).toMatch(/^\s+0:\d\d say\s+"Please hold\."/m);
    const recorded = await runCli(['call', `${app.url}/dial-record`, '--no-capture'], { env: SIGNED, cwd });
    expect(recorded.stdout).toMatch(/dial\s+\+15551230000 → completed \(10 s\), recorded 10 s/);
    writeFileSync(
      join(cwd, 'whisper.yaml'),
      [
        'name: whisper',
        `call: { app: "${app.url}/dial-whisper" }`,
        'steps:',
        '  - dial: completed',
        '  - expect: { say: { text: /accept/, leg: callee } }',
        '  - press: "1"',
        '  - expect: { dial: { outcome: completed } }',
        '  - expect: { say: /lasted/ }',
        '',
      ].join('\n'),
    );
    const test = await runCli(['test', 'whisper.yaml'], { env: SIGNED, cwd });
    expect(test.stdout).toMatch(/✓ whisper/);
    expect(test.code).toBe(0);
  });

  it('--dequeue-after: the caller waits in the queue (waitUrl again and again) until the agent comes; --save keeps it', async () => {
    const app = await useIvrApp();
    const cwd = tempDir();
    const run = await runCli(
      ['call', String(app.port), '--press', '6', '--dequeue-after', '40', '--save', 'queue.yaml', '--no-capture'],
      { env: SIGNED, cwd },
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/enqueue\s+support → bridged after 40 s \(10 s\)/);
    // Round one: "Waited 0 seconds…", the Gather times out (5 s), hold music (30 s); round two at 39 s.
    expect(app.seen.filter((s) => s.path === '/hold-gather').map((s) => s.params.QueueTime)).toEqual(['0', '39']);
    const yaml = readFileSync(join(cwd, 'queue.yaml'), 'utf8');
    expect(yaml).toContain('  - dequeue: 40\n');
    const before = app.seen.length;
    const test = await runCli(['test', 'queue.yaml'], { env: SIGNED, cwd });
    expect(test.code).toBe(0);
    expect(app.seen.slice(before).map((s) => s.path)).toEqual(app.seen.slice(0, before).map((s) => s.path));
  });
});

describe('twhook text', () => {
  it('sends messages in order; cookies carry over to the next run; --new-conversation forgets them', async () => {
    const app = await useIvrApp();
    const configDir = tempDir();
    const replies = (stdout: string) => events(stdout).flatMap((e) => (e.type === 'message' ? [e.body] : []));
    const first = await runCli(['text', String(app.port), 'hi', '--json', '--no-capture'], { env: SIGNED, configDir });
    expect(first.code).toBe(0);
    expect(replies(first.stdout)).toEqual(['Hi! Reply 1 for order status, 2 for opening hours.']);
    const second = await runCli(['text', String(app.port), '1', '--json', '--no-capture'], { env: SIGNED, configDir });
    expect(replies(second.stdout)).toEqual(['Your order has shipped.']);
    const fresh = await runCli(['text', String(app.port), '1', '--new-conversation', '--json', '--no-capture'], {
      env: SIGNED,
      configDir,
    });
    expect(replies(fresh.stdout)).toEqual(['Hi! Reply 1 for order status, 2 for opening hours.']);
  });

  it("--number uses the number's configured SMS URL; every word is a message", async () => {
    const app = await useIvrApp();
    const emu = await useEmulator({ numbers: [{ phoneNumber: '+14155550100', smsUrl: `${app.url}/sms` }] });
    const run = await runCli(
      ['text', '--number', '+14155550100', 'hi', '2', '--json', '--no-capture', '--new-conversation'],
      { env: emu.env },
    );
    expect(run.code).toBe(0);
    expect(app.seen.map((s) => [s.path, s.params.To, s.params.Body])).toEqual([
      ['/sms', '+14155550100', 'hi'],
      ['/sms', '+14155550100', '2'],
    ]);
  });

  it('--media goes on the next message', async () => {
    const app = await useIvrApp();
    const run = await runCli(
      ['text', String(app.port), 'hi', '--media', 'https://example.com/owl.png', 'look', '--json', '--no-capture'],
      { env: SIGNED },
    );
    expect(run.code).toBe(0);
    const sms = app.seen.filter((s) => s.path === '/sms');
    expect(sms.map((s) => [s.params.Body, s.params.NumMedia, s.params.MediaUrl0])).toEqual([
      ['hi', '0', undefined],
      ['look', '1', 'https://example.com/owl.png'],
    ]);
  });

  it('no message off a terminal is a usage error; on a terminal a chat starts', async () => {
    const app = await useIvrApp();
    const none = await runCli(['text', String(app.port)], { env: SIGNED });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/what does the texter send\?/);
    const prompter = scriptedPrompter(['hello', '']);
    const chat = await runCli(['text', String(app.port), '--no-capture'], { env: SIGNED, tty: true, prompter });
    expect(chat.code).toBe(0);
    expect(prompter.asked).toHaveLength(2);
    expect(app.seen.filter((s) => s.path === '/sms').map((s) => s.params.Body)).toEqual(['hello']);
  });

  it('--save round trip: sends, replies, and a message with no reply', async () => {
    const app = await useIvrApp();
    const cwd = tempDir();
    const saved = await runCli(
      ['text', String(app.port), 'hi', '2', '--save', 'bot.yaml', '--new-conversation', '--no-capture'],
      { env: SIGNED, cwd },
    );
    expect(saved.code).toBe(0);
    const silent = await runCli(['text', `${app.url}/sms-silent`, 'anyone?', '--save', 'silent.yaml', '--no-capture'], {
      env: SIGNED,
      cwd,
    });
    expect(silent.code).toBe(0);
    expect(readFileSync(join(cwd, 'silent.yaml'), 'utf8')).toMatch(/- send: anyone\?\n {2}- expect: noReply\n/);
    const test = await runCli(['test', 'bot.yaml', 'silent.yaml', '--json'], { env: SIGNED, cwd });
    expect(test.json()).toEqual([
      expect.objectContaining({ type: 'spec', name: 'bot', ok: true }),
      expect.objectContaining({ type: 'spec', name: 'silent', ok: true }),
      { type: 'summary', passed: 2, failed: 0, skipped: 0, total: 2 },
    ]);
    expect(test.code).toBe(0);
  });
});

describe('twhook test', () => {
  const SPECS = (port: number) => `name: sales line is busy
call: { app: http://127.0.0.1:${port}/voice }
steps:
  - expect: { say: "Welcome" }
  - expect: { gather: { numDigits: 1 } }
  - press: "1"
  - expect: { dial: "+15551230000" }
  - dial: busy
  - expect: { say: /busy/i }
  - expect: hangup
---
name: wrong promise
call: { app: http://127.0.0.1:${port}/voice }
steps:
  - press: "1"
  - dial: completed
  - expect: { say: /busy/i }
---
name: order status by text
text: { app: http://127.0.0.1:${port}/sms }
steps:
  - send: "hi"
  - expect: { reply: /reply 1/i }
  - send: "1"
  - expect: { reply: "shipped" }
`;

  it('passes and fails specs; a failure names the step (file:line), what was expected and what happened', async () => {
    const app = await useIvrApp();
    const cwd = tempDir();
    writeFileSync(join(cwd, 'ivr.yaml'), SPECS(app.port));
    const run = await runCli(['test', 'ivr.yaml', '--jobs', '2'], { env: SIGNED, cwd });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/✓ sales line is busy ivr\.yaml:1/);
    expect(run.stdout).toMatch(/✗ wrong promise ivr\.yaml:12/);
    expect(run.stdout).toMatch(/step ivr\.yaml:17 {2}expect say \/busy\/i/);
    // Only what happened after the dial input counts.
    expect(run.stdout).toMatch(/expected say \/busy\/i: got say "Your call lasted 10 seconds\. Goodbye\."/);
    expect(run.stdout).toMatch(/around it:/);
    expect(run.stdout).toMatch(/✓ order status by text ivr\.yaml:19/);
    expect(run.stdout).toMatch(/2 passed, 1 failed \(3 specs\)/);
  });

  it('--json: one line per spec, the failure with its place and the events around it, then a summary', async () => {
    const app = await useIvrApp();
    const cwd = tempDir();
    writeFileSync(join(cwd, 'ivr.yaml'), SPECS(app.port));
    const run = await runCli(['test', 'ivr.yaml', '--json'], { env: SIGNED, cwd });
    const lines = run.json() as Array<Record<string, unknown>>;
    expect(lines.map((l) => l.type)).toEqual(['spec', 'spec', 'spec', 'summary']);
    expect(lines[1]).toMatchObject({
      name: 'wrong promise',
      ok: false,
      failure: { file: 'ivr.yaml', line: 17, step: 'say /busy/i' },
    });
    const around = (lines[1]!.failure as { events: SimEvent[] }).events;
    expect(around.some((e) => e.type === 'dial')).toBe(true);
    expect(lines[3]).toEqual({ type: 'summary', passed: 2, failed: 1, skipped: 0, total: 3 });
  });

  it('an invalid spec is exit 2 with file:line, before any request', async () => {
    const app = await useIvrApp();
    const cwd = tempDir();
    writeFileSync(join(cwd, 'a.yaml'), SPECS(app.port));
    writeFileSync(
      join(cwd, 'b.yaml'),
      'name: bad\ncall: { app: 3000 }\nsteps:\n  - press: "1"\n  - expect: { sing: la }\n',
    );
    const run = await runCli(['test', '.'], { env: SIGNED, cwd });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error: b\.yaml:5: expect: sing\? It takes say/m);
    expect(app.seen).toHaveLength(0);
  });

  it("--app replaces each spec's app; --bail stops after the first failure; --junit writes the report", async () => {
    const app = await useIvrApp();
    const cwd = tempDir();
    writeFileSync(join(cwd, 'ivr.yaml'), SPECS(1));
    const junit = join(cwd, 'report.xml');
    const run = await runCli(['test', 'ivr.yaml', '--app', app.url, '--bail', '--junit', junit], { env: SIGNED, cwd });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/1 passed, 1 failed, 1 not run \(3 specs\)/);
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toMatch(/<testsuites name="twhook test" tests="3" failures="1" errors="0" skipped="1">/);
    expect(xml).toMatch(
      /<testcase classname="ivr\.yaml" name="wrong promise" time="[\d.]+"><failure message="ivr\.yaml:17: expected say \/busy\/i/,
    );
  });

  it('an app error the spec does not expect fails it; expected, it passes', async () => {
    const app = await useIvrApp();
    const cwd = tempDir();
    writeFileSync(
      join(cwd, 'errors.yaml'),
      `name: unexpected\ncall: { app: ${app.url}/broken }\nsteps:\n  - expect: { say: /application error/i }\n---\nname: expected\ncall: { app: ${app.url}/broken }\nsteps:\n  - expect: { error: { code: 11200 } }\n  - expect: { end: completed }\n`,
    );
    const run = await runCli(['test', 'errors.yaml', '--json'], { env: SIGNED, cwd });
    const [unexpected, expected] = run.json() as Array<{ ok: boolean; failure?: { message: string } }>;
    expect(unexpected!.ok).toBe(false);
    expect(unexpected!.failure!.message).toMatch(/the app caused Twilio error 11200/);
    expect(expected!.ok).toBe(true);
    expect(run.code).toBe(1);
  });

  it("exit 3 when nothing listens at a spec's app", async () => {
    const port = await closedPort();
    const cwd = tempDir();
    writeFileSync(join(cwd, 'a.yaml'), `name: a\ncall: { app: ${port} }\nsteps: [hangup]\n`);
    const run = await runCli(['test', 'a.yaml'], { env: SIGNED, cwd });
    expect(run.code).toBe(3);
  });
});

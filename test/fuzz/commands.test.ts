/**
 * Every command with random options: argv built from the real commander tree (each command's
 * own option names, with values that fit, miss or are garbage) and token soups of all of them.
 * Each run goes through main() in-process with a temp config folder, a temp working folder and
 * no network: REST calls go to the emulator or to a closed loopback port, any other address is
 * sent to that closed port (the guard below), tunnels are fakes.
 *
 * Each run must end, within its abort (a Ctrl-C after ABORT_MS, for commands that run until
 * stopped) plus a grace period, in exit 0, 1 (a check that failed), 2 (one-line usage error),
 * 3 (Twilio or the network) or 130 (stopped), with no stack trace and no "unexpected failure",
 * and leave the config folder's state files whole.
 */
import { createServer, type Server } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command, Option } from 'commander';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram, COMMANDS, type Wire } from '../../src/cli.js';
import { commandTree, type CompletionNode } from '../../src/commands/completion.js';
import { startEmulator, type Emulator } from '../../src/emulator/server.js';
import type { Tunnel, TunnelFactory } from '../../src/tunnel/types.js';
import { RemoteError } from '../../src/errors.js';
import { signRequest } from '../../src/webhooks/signature.js';
import { runCli, tempDir, type RunResult } from '../support/run-cli.js';
import { SEEDED_NUMBERS } from '../support/emulator.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261127);
/** Commands that run until stopped get a Ctrl-C this long after they start. */
const ABORT_MS = 1_200;
/** After the Ctrl-C, the run must be over within this. */
const GRACE_MS = 10_000;
/** Runs per property; FUZZ_RUNS=5000 for a longer hunt. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 400);

// ---------------------------------------------------------------------------------------------
// No network: every connection to anything but loopback goes to a closed loopback port instead.

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
let closedPort = 0;
let redirected = 0;
const originalConnect = net.Socket.prototype.connect;

function guardNetwork(): void {
  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    // net.connect passes [options, cb] as one normalized array; socket.connect(options, cb) does not.
    const holder = Array.isArray(args[0]) ? (args[0] as unknown[]) : args;
    const options = holder[0];
    if (options && typeof options === 'object' && !('path' in options && (options as { path?: string }).path)) {
      const o = options as { host?: string; port?: number };
      if (o.host !== undefined && !LOOPBACK.has(o.host)) {
        redirected++;
        holder[0] = { ...o, host: '127.0.0.1', port: closedPort, lookup: undefined };
      }
    }
    return (originalConnect as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof net.Socket.prototype.connect;
}

// ---------------------------------------------------------------------------------------------
// The commander tree, with what each option and argument takes.

interface OptionInfo {
  flags: string[];
  takesValue: boolean;
  long?: string;
}
interface CommandInfo {
  path: string[];
  options: OptionInfo[];
  args: { name: string; required: boolean; variadic: boolean }[];
  hasSubcommands: boolean;
}

async function walkCommands(): Promise<{ commands: CommandInfo[]; globals: OptionInfo[] }> {
  const sink = { write: () => true } as never;
  const program = buildProgram(
    {
      io: { stdin: sink, stdout: sink, stderr: sink, isStdinTTY: false, isStdoutTTY: false, isStderrTTY: false },
      env: {},
      cwd: '.',
      clock: { now: () => new Date(0) },
      signal: new AbortController().signal,
    },
    { exitCode: 0 },
  );
  const noop: Wire = () => async () => {};
  for (const entry of COMMANDS) (await entry.load()).register(program.command(entry.name), noop);
  const info = (o: Option): OptionInfo => ({
    flags: [o.long, o.short].filter((f): f is string => !!f),
    takesValue: o.required || o.optional,
    long: o.long,
  });
  const commands: CommandInfo[] = [];
  const walk = (c: Command, path: string[]) => {
    if (path.length) {
      commands.push({
        path,
        options: c.options.map(info),
        args: c.registeredArguments.map((a) => ({ name: a.name(), required: a.required, variadic: a.variadic })),
        hasSubcommands: c.commands.length > 0,
      });
    }
    for (const child of c.commands) walk(child, [...path, child.name()]);
  };
  walk(program, []);
  return { commands, globals: program.options.map(info) };
}

// ---------------------------------------------------------------------------------------------
// Loopback fixtures: the emulator, an app that answers TwiML, a fake tunnel.

let emulator: Emulator;
let app: Server;
let appUrl = '';
let configDir = '';
const HEX = '0123456789abcdef'.repeat(2);

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

const fakeTunnels =
  (mode: 'up' | 'refused'): TunnelFactory =>
  async (): Promise<Tunnel> => {
    if (mode === 'refused')
      throw new RemoteError('ngrok refused the authtoken (fuzz)', { code: 'ERR_NGROK_105', service: 'ngrok' });
    return { url: 'https://fuzz.ngrok.test', provider: 'ngrok', close: async () => {}, onLost: () => {} };
  };

/** Files a run may name: a good capture, garbage, a HAR, an empty file, a folder. */
function workingFolder(): string {
  const cwd = tempDir('twhook-fuzz-cwd-');
  const url = `${appUrl}/sms`;
  const signed = signRequest({
    authToken: emulator.authToken,
    url,
    params: { From: '+15551230000', To: '+14155550100', Body: 'hi', MessageSid: 'SM' + HEX },
  });
  const record = {
    v: 1,
    id: 'req_1',
    receivedAt: '2026-11-27T10:00:00.000Z',
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signed.signature },
    body: signed.body,
    response: { status: 200, body: '<Response/>' },
  };
  writeFileSync(
    join(cwd, 'cap.jsonl'),
    `${JSON.stringify(record)}\n${JSON.stringify({ ...record, id: 'req_2', headers: { 'x-twilio-signature': 'forged' } })}\n`,
  );
  writeFileSync(join(cwd, 'bad.jsonl'), '{"v":1,"url":\nnot json\n\u0000\u00ff\n');
  writeFileSync(
    join(cwd, 'x.har'),
    JSON.stringify({
      log: {
        entries: [
          {
            request: {
              method: 'POST',
              url,
              headers: [{ name: 'X-Twilio-Signature', value: signed.signature }],
              postData: { text: signed.body },
            },
            response: { status: 200 },
          },
        ],
      },
    }),
  );
  writeFileSync(join(cwd, 'empty.txt'), '');
  writeFileSync(join(cwd, 'body.txt'), signed.body);
  mkdirSync(join(cwd, 'dir'));
  return cwd;
}

// ---------------------------------------------------------------------------------------------
// Values.

/** A random string that cannot name a file outside the working folder or a device. */
const safeText = (unit?: 'grapheme') =>
  fc.string({ maxLength: 24, ...(unit ? { unit } : {}) }).map((s) =>
    s
      .replace(/\.\./g, '.')
      .replace(/^[/~\\]+/, 'x')
      .replace(/\0/g, ''),
  );

function valuePool(): fc.Arbitrary<string> {
  const closed = `http://127.0.0.1:${closedPort}`;
  const fixed = [
    '',
    ' ',
    '0',
    '1',
    '-1',
    '2',
    '3000',
    '65536',
    '1.5',
    'NaN',
    '0x10',
    '1e3',
    '99999999999999999999',
    String(closedPort),
    new URL(appUrl).port,
    new URL(emulator.url).port,
    appUrl,
    `${appUrl}/sms`,
    `${appUrl}/voice?x=1`,
    closed,
    `${closed}/sms`,
    emulator.url,
    'https://abc.ngrok.app/sms',
    'https://abc.ngrok.app/sms#ct=1000&rc=2',
    'https://abc.ngrok.app/sms#rc=99',
    'https://u:p4ssw0rd!@abc.ngrok.app/x',
    'http://localhost',
    'http://[::1',
    'ftp://x',
    'not a url',
    '//x',
    'localhost:3000',
    'https://',
    '+14155550100',
    '+14155550101',
    '+442071838750',
    '0100',
    '(415) 555-0100',
    '+1',
    '+999999999999999999',
    'PN' + HEX,
    'PN' + HEX.slice(2),
    'PNxyz',
    'DG' + HEX,
    'DF' + HEX,
    'AC' + HEX,
    'SK' + HEX,
    'SM' + HEX,
    emulator.accountSid,
    'cap.jsonl',
    'bad.jsonl',
    'x.har',
    'empty.txt',
    'body.txt',
    'missing.jsonl',
    'dir',
    'out/junit.xml',
    'cap.jsonl,x.har',
    '-',
    'GET',
    'POST',
    'get',
    'PUT',
    'com.twilio.messaging.message.delivered',
    'com.twilio.messaging.message.failed@3',
    'com.twilio.x@0',
    'a,b',
    'nope',
    'Body=Hello',
    'From=+15551230000',
    'kind=status',
    'path=/sms',
    'method=GET',
    'status=5xx',
    'status=6',
    '=x',
    'x',
    'y',
    'n',
    '5xx,ct',
    'all',
    'ashburn',
    'dublin-ix,roaming',
    'bogus',
    '1000',
    '100',
    '15000',
    '10001',
    '1mb',
    '512kb',
    '0b',
    '1gb',
    'bash',
    'zsh',
    'fish',
    'tcsh',
    'sms',
    'mms',
    'call',
    'call-status',
    'message-status',
    'gather',
    'recording',
    'debugger',
    'event-streams',
    'no-such-kind',
    'webhook',
    'kinesis',
    'segment',
    'arn:aws:kinesis:us-east-1:123456789012:stream/x',
    'arn:aws:iam::123456789012:role/x',
    'completed',
    'busy',
    'failed',
    'delivered',
    '30003',
    'user:pass',
    'user:',
    ':pass',
    '/sms',
    '/voice',
    'sms',
    '/a b',
    '/x#y',
    'json',
    'form',
    'text/xml',
  ];
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...fixed) },
    { weight: 2, arbitrary: safeText() },
    { weight: 1, arbitrary: safeText('grapheme') },
  );
}

/** Values that fit an option or argument (by its name), so runs get past parsing. */
let sinkSid = 'DG' + HEX;
let subscriptionSid = 'DF' + HEX;
function fitting(name: string, command: string[] = []): fc.Arbitrary<string> {
  const one = (...values: string[]) => fc.constantFrom(...values);
  const phone = one('+14155550100', '+14155550101', '+442071838750', '0100', 'PN' + HEX);
  const types = one(
    'com.twilio.messaging.message.delivered',
    'com.twilio.messaging.message.failed@3',
    'com.twilio.voice.status-callback.call.completed',
    'com.twilio.messaging.message.sent,com.twilio.messaging.message.queued',
  );
  const webhook = one(
    'https://abc.ngrok.app/sms',
    'https://abc.ngrok.app/voice#ct=1000&rc=2',
    'http://abc.ngrok.app/x?y=1',
    'https://u:pw123456@abc.ngrok.app/s',
  );
  switch (name) {
    case '--sms-url':
    case '--voice-url':
    case '--sms-fallback-url':
    case '--voice-fallback-url':
    case '--status-callback':
    case '--destination':
    case '--media':
      return webhook;
    case '--sms-method':
    case '--voice-method':
    case '--sms-fallback-method':
    case '--voice-fallback-method':
    case '--status-callback-method':
    case '--method':
      return one('GET', 'POST', 'post');
    case '--connect-timeout':
    case '--ct':
      return fc.integer({ min: 50, max: 12000 }).map(String);
    case '--read-timeout':
    case '--rt':
    case '--total-timeout':
    case '--tt':
      return fc.integer({ min: 50, max: 16000 }).map(String);
    case '--retry-count':
    case '--rc':
      return fc.integer({ min: 0, max: 6 }).map(String);
    case '--retry-policy':
    case '--rp':
      return one('5xx', 'ct,rt', 'all', '4xx,5xx');
    case '--edge':
    case '--e':
      return one('ashburn', 'dublin,frankfurt', 'roaming', 'tokyo-ix');
    case '--sni':
      return one('y', 'n');
    case '--number':
    case '--from':
    case '--to-number':
    case '<number>':
    case '<numbers>':
      return phone;
    case '--sms':
    case '--voice':
    case '--voice-status':
    case '--sms-fallback':
    case '--voice-fallback':
    case '--events-path':
      return one('/sms', '/voice', 'status', '/events');
    case '--public-url':
    case '--public-url-base':
    case '--sign-for':
      return one('https://fuzz.ngrok.test', 'https://abc.ngrok.app/base', appUrl);
    case '--listen':
      return fc.integer({ min: 20000, max: 60000 }).map(String);
    case '--ngrok-domain':
      return one('fuzz.ngrok.app');
    case '--capture':
      return one('out.jsonl', 'dir');
    case '--basic-auth':
      return one('twilio:pw123456', 'a:b');
    case '--body-limit':
      return one('1mb', '100', '64kb');
    case '--events':
    case '--subscribe':
    case '<types>':
      return types;
    case '--type':
      return one('webhook', 'kinesis', 'segment', 'com.twilio.messaging.message.delivered');
    case '--junit':
      return one('out/junit.xml');
    case '--url':
    case '--endpoint':
    case '--to':
      return one(`${appUrl}/sms`, `${appUrl}/voice`, `${appUrl}/fail`, `http://127.0.0.1:${closedPort}/sms`);
    case '--signature':
      return one('abc=', 'bm90IGEgc2lnbmF0dXJl');
    case '--body':
      return one('From=%2B15551230000&Body=hi', '{"a":1}', 'hello');
    case '--body-file':
      return one('body.txt', 'empty.txt', 'missing.txt');
    case '--content-type':
      return one('form', 'json');
    case '--kind':
    case '<event>':
      return one(
        'sms',
        'mms',
        'call',
        'call-status',
        'message-status',
        'gather',
        'recording',
        'debugger',
        'event-streams',
      );
    case '--param':
      return one('Body=Hello', 'From=+15551230000', 'X=');
    case '--id':
    case '--test-id':
      return one('req_1', 'req_2', 'nope');
    case '--last':
    case '--concurrency':
    case '--duration':
    case '--seed':
      return fc.integer({ min: 0, max: 60 }).map(String);
    case '--filter':
      return one('kind=sms', 'path=/sms', 'status=2xx', 'method=POST', 'messaging', '0100');
    case '--rate':
      return one('50', '0.5', '1000');
    case '--timeout':
      return one('1', '2', '15');
    case '--digits':
      return one('1', '123#');
    case '--speech':
      return one('hello there');
    case '--final-status':
      return one('completed', 'busy', 'failed', 'delivered', 'undelivered');
    case '--error-code':
      return one('30003', '11200');
    case '--level':
      return one('error', 'warning');
    case '--arn':
      return one('arn:aws:kinesis:us-east-1:123456789012:stream/fuzz');
    case '--role-arn':
      return one('arn:aws:iam::123456789012:role/fuzz');
    case '--external-id':
      return one('ext-123');
    case '--write-key':
      return one('segment-write-key-1234');
    case '--description':
      return one('fuzz sink', '');
    case '--sink':
      return fc.constant(sinkSid);
    case '<sid>':
      return fc.oneof(
        { weight: 5, arbitrary: fc.constant(command[0] === 'sinks' ? sinkSid : subscriptionSid) },
        { weight: 1, arbitrary: one(sinkSid, subscriptionSid, 'DG' + HEX, 'DF' + HEX) },
      );
    case '<app>':
      return one(String(new URL(appUrl).port), appUrl, `http://127.0.0.1:${closedPort}`);
    case '<captures>':
      return one('cap.jsonl', 'x.har', 'bad.jsonl', 'empty.txt', '-');
    case '<shell>':
      return one('bash', 'zsh', 'fish');
    case '--auth-token':
      return fc.constant(emulator.authToken);
    case '--account-sid':
      return fc.constant(emulator.accountSid);
    case '--api-url':
      return one(emulator.url, `http://127.0.0.1:${closedPort}`);
    case '--env-file':
      return one('empty.txt', 'missing.env');
    default:
      return valuePool();
  }
}

/** What a command needs to get going (its required options), added to most runs. */
function baseline(path: string[]): string[][] | undefined {
  const table: Record<string, string[][]> = {
    replay: [
      ['--to', appUrl],
      ['--to', appUrl, '--sign-for', 'https://abc.ngrok.app'],
    ],
    trigger: [
      ['--to', `${appUrl}/sms`],
      ['--to', `${appUrl}/voice`, '--dry-run'],
    ],
    sign: [['--url', 'https://abc.ngrok.app/sms']],
    'sinks create': [
      ['--type', 'webhook', '--destination', 'https://abc.ngrok.app/events'],
      [
        '--type',
        'kinesis',
        '--arn',
        'arn:aws:kinesis:us-east-1:123456789012:stream/fuzz',
        '--role-arn',
        'arn:aws:iam::123456789012:role/fuzz',
        '--external-id',
        'ext-1',
      ],
      ['--type', 'segment', '--write-key', 'segment-write-key-1234'],
    ],
    'subscriptions create': [['--sink', sinkSid, '--type', 'com.twilio.messaging.message.delivered']],
    configure: [
      ['--yes', '+14155550101'],
      ['--dry-run', '+14155550100'],
    ],
    verify: [
      ['cap.jsonl'],
      ['--url', `${appUrl}/sms`, '--signature', 'abc=', '--body', 'A=1'],
      ['--endpoint', `${appUrl}/sms`],
    ],
    dev: [
      ['--public-url', 'https://fuzz.example.test'],
      ['--number', '+14155550100'],
      ['--public-url', 'https://fuzz.example.test', '--number', '+14155550101'],
    ],
    restore: [['--yes'], ['--list']],
    'sinks delete': [['--yes']],
    'subscriptions delete': [['--yes']],
  };
  return table[path.join(' ')];
}

/** --exec runs a shell command: only harmless ones. */
const SAFE_EXEC = ['node -e 0', 'exit 3', 'node -e "setTimeout(() => {}, 600000)"'];
function defuse(argv: string[], pick: number): string[] {
  return argv.map((token, i) => {
    if (argv[i - 1] === '--exec') return SAFE_EXEC[pick % SAFE_EXEC.length]!;
    if (token.startsWith('--exec=')) return `--exec=${SAFE_EXEC[pick % SAFE_EXEC.length]}`;
    return token;
  });
}

// ---------------------------------------------------------------------------------------------
// One run and what it must end in.

interface Outcome {
  argv: string[];
  cwd: string;
  result?: RunResult;
  hung?: boolean;
  aborted: boolean;
}

async function runOnce(argv: string[], env: Record<string, string>, tunnel: 'up' | 'refused'): Promise<Outcome> {
  const controller = new AbortController();
  let aborted = false;
  const ctrlC = setTimeout(() => {
    aborted = true;
    controller.abort();
  }, ABORT_MS);
  let giveUp: NodeJS.Timeout | undefined;
  const hang = new Promise<'hung'>((resolve) => (giveUp = setTimeout(() => resolve('hung'), ABORT_MS + GRACE_MS)));
  const cwd = workingFolder();
  try {
    const result = await Promise.race([
      runCli(argv, {
        env,
        configDir,
        cwd,
        stdin: 'From=%2B1&Body=x',
        signal: controller.signal,
        tunnelFactory: fakeTunnels(tunnel),
      }),
      hang,
    ]);
    return result === 'hung' ? { argv, cwd, hung: true, aborted } : { argv, cwd, result, aborted };
  } finally {
    clearTimeout(ctrlC);
    clearTimeout(giveUp);
  }
}

/** FUZZ_STATS=1 prints how the runs ended, per command: to see that the fuzz gets past parsing. */
const stats = new Map<string, Map<string, number>>();
function count(outcome: Outcome): void {
  const known = tree.commands.map((c) => c.path.join(' ')).filter((p) => outcome.argv.join(' ').startsWith(p));
  const name = known.sort((a, b) => b.length - a.length)[0] ?? '(none)';
  const key = outcome.hung ? 'hung' : `${outcome.result!.code}${outcome.aborted ? ' after Ctrl-C' : ''}`;
  if (process.env.FUZZ_STATS === '2' && outcome.result?.code === 2)
    console.log(
      name,
      '|',
      outcome.result.stderr
        .split('\n')
        .find((l) => l.startsWith('error:'))
        ?.slice(0, 110),
      '|',
      JSON.stringify(outcome.argv).slice(0, 150),
    );
  const m = stats.get(name) ?? new Map<string, number>();
  m.set(key, (m.get(key) ?? 0) + 1);
  stats.set(name, m);
}

const STACK_LINE = /^\s+at .+(\(|:\d+)/m;

function check(outcome: Outcome): void {
  count(outcome);
  const shown = JSON.stringify(outcome.argv);
  expect(outcome.hung, `hung: ${shown}`).not.toBe(true);
  const r = outcome.result!;
  const context = `${shown} exit ${r.code}\n--- stderr\n${r.stderr.slice(-2000)}\n--- stdout\n${r.stdout.slice(0, 600)}`;
  expect([0, 1, 2, 3, 130], context).toContain(r.code);
  expect(r.stderr, context).not.toMatch(STACK_LINE);
  expect(r.stdout, context).not.toMatch(STACK_LINE);
  expect(r.stderr, context).not.toContain('unexpected failure');
  if (r.code === 2 || r.code === 3) {
    // One error line; a command that went through several items may instead end in exit 3
    // after a warning for each one that failed. A dev session is a live log: what went wrong
    // during it (a clean-up that failed) has its own lines before the one that ends it.
    const errors = r.stderr.split('\n').filter((l) => /^error: /.test(l));
    const session = ['dev', 'demo'].includes(outcome.argv.find((a) => !a.startsWith('-')) ?? '');
    if (!session) expect(errors.length, context).toBeLessThanOrEqual(1);
    expect(errors.length || (r.code === 3 && /^warning: /m.test(r.stderr)), context).toBeTruthy();
  }
  const wantsJson = asksForJson(outcome.argv);
  const help = outcome.argv.some((a) => ['-h', '--help', 'help', '-V', '--version'].includes(a));
  if (wantsJson && !help) {
    for (const line of r.stdout.split('\n').filter((l) => l.trim())) {
      expect(
        () => JSON.parse(line),
        `stdout line is not JSON with --json: ${line.slice(0, 200)}\n${context}`,
      ).not.toThrow();
    }
  }
  checkState(context);
  checkCaptures(outcome.cwd, context);
}

/** Captures a dev session wrote in the working folder: whole lines only. */
function checkCaptures(cwd: string, context: string): void {
  const written = [
    join(cwd, 'out.jsonl'),
    ...(existsSync(join(cwd, '.twhook', 'captures'))
      ? readdirSync(join(cwd, '.twhook', 'captures')).map((f) => join(cwd, '.twhook', 'captures', f))
      : []),
  ];
  for (const file of written.filter((f) => existsSync(f) && statSync(f).isFile())) {
    for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean))
      expect(() => JSON.parse(line), `${file}\n${context}`).not.toThrow();
  }
}

/** --json given as an option (not as the value of another option, not after "--"). */
function asksForJson(argv: string[]): boolean {
  const takesValue = new Set(
    [...tree.globals, ...tree.commands.flatMap((c) => c.options)].filter((o) => o.takesValue).flatMap((o) => o.flags),
  );
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--') return false;
    if (argv[i] === '--json') return true;
    if (takesValue.has(argv[i]!)) i++;
  }
  return false;
}

/** The config folder: every state file whole, no temp file or lock left behind. */
function checkState(context: string): void {
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? walk(path) : [path];
    });
  if (!existsSync(configDir)) return;
  for (const file of walk(configDir)) {
    expect(file, `left behind in the config folder\n${context}`).not.toMatch(/\.tmp$|\.lock$|\.stale$/);
    if (file.endsWith('.json'))
      expect(() => JSON.parse(readFileSync(file, 'utf8')), `${file} is not whole JSON\n${context}`).not.toThrow();
    if (file.endsWith('.jsonl')) {
      for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean))
        expect(() => JSON.parse(line), `${file}\n${context}`).not.toThrow();
    }
  }
}

// ---------------------------------------------------------------------------------------------

let tree: Awaited<ReturnType<typeof walkCommands>>;

beforeAll(async () => {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedPort = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  guardNetwork();
  emulator = await startEmulator({ numbers: SEEDED_NUMBERS });
  app = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(req.url?.includes('fail') ? 500 : 200, { 'Content-Type': 'text/xml' });
      res.end('<Response><Message>ok</Message></Response>');
    });
  });
  appUrl = `http://127.0.0.1:${await listen(app)}`;
  configDir = tempDir('twhook-fuzz-config-');
  tree = await walkCommands();
  // A sink and a subscription to name, so show/test/delete find something.
  const env = envFor(0);
  const sink = await runCli(
    ['sinks', 'create', '--type', 'webhook', '--destination', 'https://abc.ngrok.app/events', '--json'],
    { env, configDir },
  );
  sinkSid = (sink.json()[0] as { sink: { sid: string } }).sink.sid;
  const sub = await runCli(
    ['subscriptions', 'create', '--sink', sinkSid, '--type', 'com.twilio.messaging.message.delivered', '--json'],
    { env, configDir },
  );
  subscriptionSid = (sub.json()[0] as { subscription: { sid: string } }).subscription.sid;
  expect([sinkSid, subscriptionSid]).toEqual([expect.stringMatching(/^DG/), expect.stringMatching(/^DF/)]);
});

afterAll(async () => {
  if (process.env.FUZZ_STATS) {
    for (const [name, m] of [...stats].sort())
      console.log(name.padEnd(28), [...m].map(([k, v]) => `${k}: ${v}`).join(', '));
    console.log('connections sent to the closed port instead of leaving loopback:', redirected);
  }
  net.Socket.prototype.connect = originalConnect;
  app?.closeAllConnections();
  await new Promise((resolve) => app?.close(resolve));
  await emulator?.close();
});

function envFor(kind: number): Record<string, string> {
  const base = { TWILIO_ACCOUNT_SID: emulator.accountSid, TWILIO_AUTH_TOKEN: emulator.authToken, NO_COLOR: '1' };
  switch (kind % 5) {
    case 0:
      return { ...base, TWHOOK_API_URL: emulator.url, NGROK_AUTHTOKEN: 'fuzz-ngrok-token' };
    case 1:
      return { ...base, TWHOOK_API_URL: `http://127.0.0.1:${closedPort}` };
    case 2:
      return { TWHOOK_API_URL: emulator.url };
    case 3:
      return { ...base, TWILIO_ACCOUNT_SID: 'AC' + HEX, TWHOOK_API_URL: emulator.url, NGROK_AUTHTOKEN: 'x' };
    default:
      return { ...base, TWHOOK_API_URL: emulator.url, TWILIO_API_KEY: 'SKnope', TWILIO_API_SECRET: 'secret-value' };
  }
}

describe('every command with random options', () => {
  it('the walk covers the whole commander tree that completion sees', async () => {
    const names = (node: CompletionNode, prefix: string[] = []): string[] =>
      node.children.flatMap((c) => [[...prefix, c.name].join(' '), ...names(c, [...prefix, c.name])]);
    expect(tree.commands.map((c) => c.path.join(' ')).sort()).toEqual(names(await commandTree()).sort());
  });

  it('structured: a command, some of its options with fitting or garbage values, and arguments', async () => {
    const garbage = valuePool();
    const valueFor = (name: string, path: string[]) =>
      fc.oneof({ weight: 10, arbitrary: fitting(name, path) }, { weight: 1, arbitrary: garbage });
    const invocation = fc
      .constantFrom(...tree.commands)
      .chain((command) =>
        fc.record({
          command: fc.constant(command),
          options: fc
            .uniqueArray(fc.constantFrom(...(command.options.length ? command.options : [undefined])), { maxLength: 5 })
            .chain((picked) =>
              fc.tuple(
                ...picked
                  .filter((o): o is OptionInfo => !!o)
                  .map((o) => fc.tuple(fc.constant(o), valueFor(o.long ?? o.flags[0]!, command.path), fc.boolean())),
              ),
            ),
          globals: fc
            .array(
              fc.constantFrom(
                ...tree.globals.filter((o) =>
                  ['--json', '--no-color', '--auth-token', '--account-sid', '--api-url', '--env-file'].includes(
                    o.long!,
                  ),
                ),
              ),
              { maxLength: 2 },
            )
            .chain((picked) =>
              fc.tuple(
                ...picked.map((o) => fc.tuple(fc.constant(o), valueFor(o.long!, command.path), fc.constant(false))),
              ),
            ),
          args: fc.tuple(
            ...command.args.map((a) =>
              fc.array(valueFor(`<${a.name}>`, command.path), {
                minLength: a.required ? 1 : 0,
                maxLength: a.variadic ? 3 : 1,
              }),
            ),
          ),
          base: fc.oneof(
            { weight: 1, arbitrary: fc.constant([] as string[]) },
            { weight: 4, arbitrary: fc.constantFrom(...(baseline(command.path) ?? [[]])) },
          ),
          extra: fc.oneof({ weight: 7, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: garbage }),
          n: fc.nat(),
        }),
      )
      .map(({ command, options, globals, args, base, extra, n }) => {
        const argv = [...command.path, ...base];
        for (const [o, v, inline] of [...options, ...globals]) {
          const flag = o.flags[n % o.flags.length]!;
          if (!o.takesValue) argv.push(flag);
          else if (inline && flag.startsWith('--')) argv.push(`${flag}=${v}`);
          else argv.push(flag, v);
        }
        argv.push(...args.flat());
        if (extra !== null) argv.push(extra);
        return {
          argv: defuse(argv, n),
          env: n % 7 === 0 ? n : 0,
          tunnel: n % 5 === 0 ? ('refused' as const) : ('up' as const),
        };
      });
    await fc.assert(
      fc.asyncProperty(invocation, async ({ argv, env, tunnel }) => {
        check(await runOnce(argv, envFor(env), tunnel));
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
  }, 3_600_000);

  it('token soup: any command and option names from the tree, values, "--" and garbage in any order', async () => {
    const value = valuePool();
    const names = [
      ...new Set([
        ...tree.commands.flatMap((c) => [...c.path, ...c.options.flatMap((o) => o.flags)]),
        ...tree.globals.flatMap((o) => o.flags),
      ]),
    ].filter((f) => !['--help', '-h', '--version', '-V', '--debug'].includes(f));
    const token = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...names) },
      { weight: 3, arbitrary: value },
      {
        weight: 1,
        arbitrary: fc
          .tuple(fc.constantFrom(...names.filter((n) => n.startsWith('--'))), value)
          .map(([n, v]) => `${n}=${v}`),
      },
      { weight: 1, arbitrary: fc.constantFrom('--', '-', '-x', '---', '--no-', '--json', 'help', '-yy', '--=') },
    );
    const soup = fc
      .tuple(fc.constantFrom(...tree.commands.map((c) => c.path)), fc.array(token, { maxLength: 10 }), fc.nat())
      .map(([path, tokens, n]) => ({
        argv: defuse(n % 4 === 0 ? tokens : [...path, ...tokens], n),
        env: n,
        tunnel: n % 2 === 0 ? ('up' as const) : ('refused' as const),
      }));
    await fc.assert(
      fc.asyncProperty(soup, async ({ argv, env, tunnel }) => {
        check(await runOnce(argv, envFor(env), tunnel));
      }),
      { seed: SEED + 1, numRuns: RUNS, endOnFailure: true },
    );
  }, 3_600_000);
});

/**
 * The step x fault table: every REST step of `configure`, `dev` (start-up, restore, --events
 * clean-up) and `sinks create --subscribe`, each failed by the emulator in four ways, then the
 * account checked: either the command still did its job, or the account is unchanged and the
 * message says nothing changed, or the message says to run `twhook restore` and that brings the
 * account back exactly. Each test file runs the rows of its commands (two files run in parallel).
 */
import { expect } from 'vitest';
import type { FaultSpec } from '../../src/emulator/server.js';
import { Journal } from '../../src/state/journal.js';
import { useEmulator } from '../support/emulator.js';
import { startApp, startCli, waitFor } from '../support/dev-session.js';
import { runCli, tempDir } from '../support/run-cli.js';

export type Emu = Awaited<ReturnType<typeof useEmulator>>;

/** The client gives up after this; the stall lasts longer, then the emulator still does the work. */
// 1 s leaves room for a loaded machine: 500 ms timed out a normal answer once at load average 11 on
// 2 cores. A normal answer on loopback never takes that long otherwise.
export const TIMEOUT_MS = 1_000;
export const STALL_MS = 2_500;

/** Fast retries and a short timeout: a stall never makes a test wait 30 s. */
export const FAST_HTTP: Record<string, string> = {
  TWHOOK_HTTP_TIMEOUT_MS: String(TIMEOUT_MS),
  TWHOOK_RETRY_BASE_MS: '5',
  // Caps the Retry-After wait (1 s below) so the 429 rows stay fast.
  TWHOOK_RETRY_MAX_MS: '30',
  TWHOOK_MAX_RETRIES: '2',
};

export const FAULTS = {
  '500': { status: 500 },
  '429+Retry-After': { status: 429, retryAfter: 1 },
  'dropped connection': { drop: true },
  // Answers (and applies the request) long after the client gave up: the outcome is unknown to it.
  'stall > timeout': { delayMs: STALL_MS },
} satisfies Record<string, Omit<FaultSpec, 'path'>>;
export type FaultName = keyof typeof FAULTS;
export const FAULT_NAMES = Object.keys(FAULTS) as FaultName[];

export const PN1 = '+14155550100';
export const PN2 = '+14155550101';
export const DELIVERED = 'com.twilio.messaging.message.delivered';
export const PUBLIC = 'https://dev.example.test';
export const NEW_SMS = 'https://new.example.com/sms';

/** Where a step's request goes: the Nth request with this method and path. */
export interface Target {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  nth?: number;
}

export interface Run {
  code: number;
  /** stderr (and stdout) of the run: what the user reads. */
  message: string;
}

export interface Row {
  command: 'configure' | 'dev' | 'dev --events' | 'sinks create';
  step: string;
  target(emu: Emu): Target;
  run(emu: Emu, env: Record<string, string>, configDir: string): Promise<Run>;
  /** The account after a clean run: `dev` leaves it as it was, the others change it. */
  completed(emu: Emu, initial: Snapshot): boolean;
}

const numbersPath = (emu: Emu) => `/2010-04-01/Accounts/${emu.accountSid}/IncomingPhoneNumbers`;
const numberPath = (emu: Emu, phone: string) => `${numbersPath(emu)}/${numberOf(emu, phone).sid}.json`;

export function numberOf(emu: Emu, phone: string) {
  const found = [...emu.state.api2010.numbers.values()].find((n) => n.phone_number === phone);
  if (!found) throw new Error(`no ${phone} in the emulator`);
  return found;
}

export interface Snapshot {
  numbers: Record<string, Record<string, string>>;
  sinks: string[];
  subscriptions: string[];
}

const NUMBER_KEYS = [
  'sms_url',
  'sms_method',
  'sms_fallback_url',
  'sms_fallback_method',
  'voice_url',
  'voice_method',
  'voice_fallback_url',
  'voice_fallback_method',
  'status_callback',
  'status_callback_method',
] as const;

/** What twhook may change on the account: numbers' webhook fields, sinks and subscriptions. */
export function snapshot(emu: Emu): Snapshot {
  const numbers: Snapshot['numbers'] = {};
  for (const n of emu.state.api2010.numbers.values())
    numbers[n.phone_number] = Object.fromEntries(NUMBER_KEYS.map((k) => [k, n[k]]));
  const sinks = [...emu.state.events.sinks.values()]
    .map((s) => `${s.sinkType} ${s.description} ${JSON.stringify(s.configuration)}`)
    .sort();
  const subscriptions = [...emu.state.events.subscriptions.values()]
    .map((s) => `${s.description} ${[...s.types.keys()].join(',')}`)
    .sort();
  return { numbers, sinks, subscriptions };
}

export const same = (a: Snapshot, b: Snapshot) => JSON.stringify(a) === JSON.stringify(b);

function diff(a: Snapshot, b: Snapshot): string {
  const out: string[] = [];
  for (const phone of Object.keys(a.numbers)) {
    for (const k of NUMBER_KEYS)
      if (a.numbers[phone]![k] !== b.numbers[phone]![k])
        out.push(`${phone} ${k}: ${a.numbers[phone]![k]} -> ${b.numbers[phone]![k]}`);
  }
  if (JSON.stringify(a.sinks) !== JSON.stringify(b.sinks)) out.push(`sinks: ${a.sinks.length} -> ${b.sinks.length}`);
  if (JSON.stringify(a.subscriptions) !== JSON.stringify(b.subscriptions))
    out.push(`subscriptions: ${a.subscriptions.length} -> ${b.subscriptions.length}`);
  return out.join('; ');
}

// ---- the commands under test -------------------------------------------------------------------

async function configure(_emu: Emu, env: Record<string, string>, configDir: string): Promise<Run> {
  const r = await runCli(['configure', PN1, PN2, '--sms-url', NEW_SMS, '--yes'], { env, configDir });
  return { code: r.code, message: r.stderr };
}

async function sinksCreate(_emu: Emu, env: Record<string, string>, configDir: string): Promise<Run> {
  const r = await runCli(
    [
      'sinks',
      'create',
      '--type',
      'webhook',
      '--destination',
      'https://hooks.example.com/events',
      '--subscribe',
      DELIVERED,
    ],
    { env, configDir },
  );
  return { code: r.code, message: r.stderr };
}

/** A dev session on the numbers: waits for it to be ready (or to fail starting), then Ctrl-C. */
function dev(extra: string[], numbers: string[]) {
  return async (_emu: Emu, env: Record<string, string>, configDir: string): Promise<Run> => {
    const app = await startApp((_req, res) => res.end('<Response/>'));
    const cli = startCli(
      [
        'dev',
        String(app.port),
        '--public-url',
        PUBLIC,
        ...numbers.flatMap((n) => ['--number', n]),
        '--no-capture',
        ...extra,
      ],
      { env, configDir },
    );
    let exited = false;
    void cli.exit.then(() => (exited = true));
    await waitFor(
      'the session to be ready or to end',
      () => exited || cli.stderr.text().includes('Waiting for webhooks'),
      15_000,
    );
    cli.interrupt();
    const code = await cli.exit;
    return { code, message: cli.stderr.text() };
  };
}

const devRun = dev([], [PN1, PN2]);
const devEventsRun = dev(['--events', DELIVERED], [PN1]);

const configured = (emu: Emu) => numberOf(emu, PN1).sms_url === NEW_SMS && numberOf(emu, PN2).sms_url === NEW_SMS;
const sinkAndSubscription = (emu: Emu) =>
  emu.state.events.sinks.size === 1 && emu.state.events.subscriptions.size === 1;
const asBefore = (emu: Emu, initial: Snapshot) => same(snapshot(emu), initial);

export const ROWS: Row[] = [
  {
    command: 'configure',
    step: 'resolve (list) 1st number',
    target: (e) => ({ method: 'GET', path: `${numbersPath(e)}.json` }),
    run: configure,
    completed: configured,
  },
  {
    command: 'configure',
    step: 'resolve (list) 2nd number',
    target: (e) => ({ method: 'GET', path: `${numbersPath(e)}.json`, nth: 2 }),
    run: configure,
    completed: configured,
  },
  {
    command: 'configure',
    step: 'messaging services read',
    target: () => ({ method: 'GET', path: '/v1/Services' }),
    run: configure,
    completed: configured,
  },
  {
    command: 'configure',
    step: 'update 1st number',
    target: (e) => ({ method: 'POST', path: numberPath(e, PN1) }),
    run: configure,
    completed: configured,
  },
  {
    command: 'configure',
    step: 'update 2nd number',
    target: (e) => ({ method: 'POST', path: numberPath(e, PN2) }),
    run: configure,
    completed: configured,
  },

  {
    command: 'dev',
    step: 'resolve (list) 1st number',
    target: (e) => ({ method: 'GET', path: `${numbersPath(e)}.json` }),
    run: devRun,
    completed: asBefore,
  },
  {
    command: 'dev',
    step: 'resolve (list) 2nd number',
    target: (e) => ({ method: 'GET', path: `${numbersPath(e)}.json`, nth: 2 }),
    run: devRun,
    completed: asBefore,
  },
  {
    command: 'dev',
    step: 'fetch before change',
    target: (e) => ({ method: 'GET', path: numberPath(e, PN1) }),
    run: devRun,
    completed: asBefore,
  },
  {
    command: 'dev',
    step: 'update 1st number',
    target: (e) => ({ method: 'POST', path: numberPath(e, PN1) }),
    run: devRun,
    completed: asBefore,
  },
  {
    command: 'dev',
    step: 'update 2nd number',
    target: (e) => ({ method: 'POST', path: numberPath(e, PN2) }),
    run: devRun,
    completed: asBefore,
  },
  {
    command: 'dev',
    step: 'restore: fetch 1st number',
    target: (e) => ({ method: 'GET', path: numberPath(e, PN1), nth: 2 }),
    run: devRun,
    completed: asBefore,
  },
  {
    command: 'dev',
    step: 'restore: put back 1st number',
    target: (e) => ({ method: 'POST', path: numberPath(e, PN1), nth: 2 }),
    run: devRun,
    completed: asBefore,
  },
  {
    command: 'dev',
    step: 'restore: put back 2nd number',
    target: (e) => ({ method: 'POST', path: numberPath(e, PN2), nth: 2 }),
    run: devRun,
    completed: asBefore,
  },

  {
    command: 'dev --events',
    step: 'sink create',
    target: () => ({ method: 'POST', path: '/v1/Sinks' }),
    run: devEventsRun,
    completed: asBefore,
  },
  {
    command: 'dev --events',
    step: 'subscription create',
    target: () => ({ method: 'POST', path: '/v1/Subscriptions' }),
    run: devEventsRun,
    completed: asBefore,
  },
  {
    command: 'dev --events',
    step: 'clean-up: subscription delete',
    target: () => ({ method: 'DELETE', path: '/v1/Subscriptions/*' }),
    run: devEventsRun,
    completed: asBefore,
  },
  {
    command: 'dev --events',
    step: 'clean-up: sink delete',
    target: () => ({ method: 'DELETE', path: '/v1/Sinks/*' }),
    run: devEventsRun,
    completed: asBefore,
  },

  {
    command: 'sinks create',
    step: 'sink create',
    target: () => ({ method: 'POST', path: '/v1/Sinks' }),
    run: sinksCreate,
    completed: sinkAndSubscription,
  },
  {
    command: 'sinks create',
    step: 'subscription create',
    target: () => ({ method: 'POST', path: '/v1/Subscriptions' }),
    run: sinksCreate,
    completed: sinkAndSubscription,
  },
  {
    command: 'sinks create',
    step: 'subscription read-back',
    target: () => ({ method: 'GET', path: '/v1/Subscriptions/*/SubscribedEvents' }),
    run: sinksCreate,
    completed: sinkAndSubscription,
  },
];

// ---- one cell ------------------------------------------------------------------------------------

/** How a cell ended; the matrix prints it. */
export type Verdict = 'completed' | 'unchanged' | 'restored';

export interface CellResult {
  verdict: Verdict;
  code: number;
  /** Did the account differ from the start right after the command (before any restore)? */
  changedBefore: boolean;
  message: string;
}

const SAYS_RESTORE = /twhook restore/;
/** "Nothing changed", or (dev) each thing the session changed reported put back. */
const SAYS_NOTHING = /nothing (was )?(changed|created)|no number was changed|✓ restored|already as it was/i;

/** Runs `twhook restore --yes` until it has nothing left (bounded: one batch a run). */
async function restoreAll(env: Record<string, string>, configDir: string): Promise<string> {
  let transcript = '';
  for (let i = 0; i < 4; i++) {
    const r = await runCli(['restore', '--yes'], { env, configDir });
    transcript += r.stderr;
    expect(r.code, `twhook restore failed:\n${r.stderr}`).toBe(0);
    if (/nothing to restore/i.test(r.stderr)) return transcript;
  }
  throw new Error(`twhook restore still had work after 4 runs:\n${transcript}`);
}

/** Waits until every request a stall held has been answered (applied) by the emulator. */
async function settle(emu: Emu): Promise<void> {
  await waitFor(
    'stalled requests to land',
    () => emu.requests.every((r) => r.status !== undefined),
    STALL_MS * 4 + 2_000,
  );
}

export async function runCell(row: Row, fault: FaultName): Promise<CellResult> {
  const emu = await useEmulator();
  const configDir = tempDir('twhook-faults-');
  const env = { ...emu.env, ...FAST_HTTP };
  const initial = snapshot(emu);
  const target = row.target(emu);
  const spec: FaultSpec = {
    ...FAULTS[fault],
    method: target.method,
    path: target.path,
    nth: target.nth ?? 1,
    times: Infinity,
  };
  const active = emu.fault(spec);
  const run = await row.run(emu, env, configDir);
  if (process.env.TWHOOK_FAULTS_VERBOSE)
    console.log(`--- ${row.command} / ${row.step} / ${fault}: exit ${run.code}\n${run.message}`);
  expect(
    active.hits,
    `${row.command} / ${row.step}: the fault never hit ${target.method} ${target.path} #${target.nth ?? 1}\n${run.message}`,
  ).toBeGreaterThan(0);
  if (fault !== 'dropped connection') await settle(emu);
  emu.clearFaults();

  const after = snapshot(emu);
  const changedBefore = !same(after, initial);
  const where = `${row.command} / ${row.step} / ${fault}`;
  const context = `${where}: exit ${run.code}\n--- message ---\n${run.message}\n--- account change ---\n${diff(initial, after)}`;
  const open = new Journal(configDir).unrestored();

  if (run.code === 0) {
    // The command coped (a retry, a tolerated read): it did all its job, and left nothing open.
    expect(row.completed(emu, initial), `exit 0 but the job is not done: ${context}`).toBe(true);
    expect(
      open.filter((e) => e.origin === 'dev'),
      `exit 0 left dev entries open: ${context}`,
    ).toEqual([]);
    return { verdict: 'completed', code: 0, changedBefore, message: run.message };
  }
  expect(run.code, `a fault is exit 3 (remote): ${context}`).toBe(3);
  if (!SAYS_RESTORE.test(run.message)) {
    // Not asked to restore: then nothing changed, nothing is open, and the message says so.
    expect(changedBefore, `account left changed without "twhook restore" in the message: ${context}`).toBe(false);
    expect(open, `journal entries open without "twhook restore" in the message: ${context}`).toEqual([]);
    expect(run.message, `the message does not say that nothing changed: ${context}`).toMatch(SAYS_NOTHING);
    return { verdict: 'unchanged', code: run.code, changedBefore, message: run.message };
  }
  // Asked to restore: there must be something to restore it from, and it must bring all back.
  expect(open.length, `"twhook restore" in the message, but the journal has nothing open: ${context}`).toBeGreaterThan(
    0,
  );
  const transcript = await restoreAll(env, configDir);
  expect(
    snapshot(emu),
    `not back to the start after twhook restore: ${context}\n--- restore ---\n${transcript}\n--- change left ---\n${diff(initial, snapshot(emu))}`,
  ).toEqual(initial);
  return { verdict: 'restored', code: run.code, changedBefore, message: run.message };
}

/** The coverage matrix of some rows: one line per step, one column per fault. */
export function matrix(rows: Row[], results: Map<string, CellResult>): string {
  const key = (row: Row, fault: FaultName) => `${row.command}|${row.step}|${fault}`;
  const label = (r: CellResult | undefined) =>
    !r ? 'MISSING' : r.verdict === 'restored' ? (r.changedBefore ? 'restore:fixed' : 'restore:noop') : r.verdict;
  const width = Math.max(...rows.map((r) => `${r.command}: ${r.step}`.length));
  const head = `${'step'.padEnd(width)} | ${FAULT_NAMES.map((f) => f.padEnd(18)).join(' | ')}`;
  const lines = rows.map(
    (row) =>
      `${`${row.command}: ${row.step}`.padEnd(width)} | ${FAULT_NAMES.map((f) => label(results.get(key(row, f))).padEnd(18)).join(' | ')}`,
  );
  return [head, '-'.repeat(head.length), ...lines].join('\n');
}

/** Which test file runs which commands' rows (two files run in parallel). */
export const TABLE_FILES: Record<string, Row['command'][]> = {
  'configure-faults.test.ts': ['configure'],
  'dev-faults.test.ts': ['dev'],
  'events-faults.test.ts': ['dev --events', 'sinks create'],
};

export const cellKey = (row: Row, fault: FaultName) => `${row.command}|${row.step}|${fault}`;

/**
 * Registers one test per cell of these commands' rows, then one that prints their coverage
 * matrix and checks every cell ran and ended in one of the three accepted ways.
 */
export function defineTable(
  commands: Row['command'][],
  api: { describe: typeof import('vitest').describe; it: typeof import('vitest').it },
): void {
  const rows = ROWS.filter((r) => commands.includes(r.command));
  const results = new Map<string, CellResult>();
  api.describe(`faults: ${commands.join(', ')} (step x fault)`, () => {
    for (const row of rows) {
      for (const fault of FAULT_NAMES) {
        api.it(`${row.command}: ${row.step} x ${fault}`, async () => {
          results.set(cellKey(row, fault), await runCell(row, fault));
        });
      }
    }
    api.it('covers every cell (coverage matrix)', () => {
      const table = matrix(rows, results);
      console.log(`\n${table}\n`);
      expect(rows.length * FAULT_NAMES.length).toBeGreaterThan(0);
      expect(table).not.toMatch(/MISSING/);
      expect(results.size).toBe(rows.length * FAULT_NAMES.length);
    });
  });
}

/**
 * `twhook call <app>`: an inbound call played through the app's TwiML, offline. The caller's
 * inputs (--press, --speak, --dial-status, --record-seconds…) are used in command-line order as
 * the call asks for them; on a terminal, a <Gather> left unscripted asks for keys or words. The
 * engine is src/simulate; this file reads the options and draws the events.
 */
import type { Command } from 'commander';
import type { Wire } from './registry.js';
import type { Ctx } from '../ctx.js';
import { TwhookError, UsageError } from '../errors.js';
import type { AppTarget, CallInput, InputRequest } from '../simulate/api.js';
import type { DialOutcome } from '../simulate/events.js';
import { describeRequest, ScriptedCallInputs } from '../simulate/inputs.js';
import { DIAL_OUTCOMES } from '../simulate/spec.js';
import { nameFromFile, specYaml } from '../simulate/spec-writer.js';
import { appLabel, DEFAULT_FROM, DEFAULT_TO, webhookUrl } from '../simulate/target.js';
import { checkAbsoluteUrl, parsePositiveInt } from './shared/flags.js';
import { checkSavePath, resolveTarget, startSimulation, writeSpec } from './shared/simulate.js';

export interface CallFlags {
  from?: string;
  to?: string;
  method?: string;
  statusCallback?: string;
  statusEvents?: string;
  fallback?: string;
  maxRequests?: string;
  realtime?: boolean;
  number?: string;
  capture?: string | boolean;
  save?: string;
  publicUrl?: string;
}

/** A caller's input flag as given, in command-line order. */
export interface InputFlag {
  flag: 'press' | 'speak' | 'dial-status' | 'dial-seconds' | 'record-seconds' | 'hangup-after' | 'dequeue-after';
  value: string;
}

export interface CallScript {
  inputs: Array<{ input: CallInput; tag: string }>;
  dialSeconds?: number;
  hangupAfter?: number;
}

const STATUS_EVENTS = ['initiated', 'ringing', 'answered', 'completed'];
const KEYS = /^[0-9*#w]+$/;

export function register(cmd: Command, wire: Wire): void {
  // commander calls each option's parser in command-line order: the caller's inputs keep it.
  const ordered: InputFlag[] = [];
  const input = (flag: InputFlag['flag']) => (value: string) => {
    ordered.push({ flag, value });
    return value;
  };
  cmd
    .argument('[app]', 'your app: a port (3000) or a URL; a port, or a URL with no path, gets /voice')
    .option('--press <digits>', 'answer the next <Gather> with these keys (repeatable, in order)', input('press'))
    .option('--speak <text>', 'answer the next <Gather> with these words (repeatable, in order)', input('speak'))
    .option(
      '--dial-status <status>',
      'answer the next <Dial>: completed, busy, no-answer, failed, canceled',
      input('dial-status'),
    )
    .option(
      '--dial-seconds <n>',
      'how long the dialled call lasts: right after --dial-status for that one, else every <Dial> (default 10)',
      input('dial-seconds'),
    )
    .option(
      '--record-seconds <n>',
      'answer the next <Record> with a recording this long (unscripted: 5)',
      input('record-seconds'),
    )
    .option(
      '--dequeue-after <seconds>',
      'at the next <Enqueue>, an agent takes the call this many seconds into the wait (default: after one round of the waitUrl)',
      input('dequeue-after'),
    )
    .option(
      '--hangup-after <seconds>',
      'the caller hangs up this many (simulated) seconds into the call',
      input('hangup-after'),
    )
    .option('--from <number>', `the caller (default ${DEFAULT_FROM})`)
    .option('--to <number>', `the number called (default ${DEFAULT_TO}, or the --number)`)
    .option('--method <method>', 'GET or POST for the first request (default POST)')
    .option('--status-callback <url|path>', 'where call status callbacks go (a URL, or a path on the app)')
    .option(
      '--status-events <list>',
      'which status callbacks: initiated,ringing,answered,completed (default completed)',
    )
    .option('--fallback <url|path>', 'the fallback URL Twilio requests when the app fails')
    .option('--max-requests <n>', 'stop a TwiML loop after this many requests', '100')
    .option('--realtime', 'wait for real in <Pause>, Gather timeouts and dials (default: a simulated clock)')
    .option('--number <number>', "use this number's configured webhooks from the account instead of <app>")
    .option(
      '--capture <file>',
      'append requests and answers to this file (default .twhook/captures/<date>.jsonl, as dev)',
    )
    .option('--no-capture', 'capture nothing')
    .option('--save <file.yaml>', 'write what happened as a spec for `twhook test`')
    .option('--public-url <base>', 'sign for this public base URL (the one the app believes it serves)')
    .addHelpText(
      'after',
      `
The caller's inputs are used in the order given, one each time the call waits for the caller:
--press or --speak at a <Gather>, --dial-status at a <Dial>, --record-seconds at a <Record>,
--dequeue-after at an <Enqueue> (while the waitUrl's hold music plays, a --press answers its Gather).
On a terminal, a <Gather> with no input left asks for keys or words (Enter alone: no input);
never with --json or when stdin is not a terminal. Requests are signed with TWILIO_AUTH_TOKEN
(or --auth-token); without one they go unsigned, with a warning.

Exit: 0 the call ran to its end, 1 the app caused a Twilio error (non-2xx, timeout, bad TwiML,
a loop), 2 bad usage or inputs that do not fit the call, 3 nothing listens at <app>.

Examples:
  $ twhook call 3000
  $ twhook call 3000 --press 1 --speak "sales please" --dial-status busy
  $ twhook call http://localhost:8080/ivr --press 2 --record-seconds 12 --status-callback /status
  $ twhook call --number +15017122661 --press 1
  $ twhook call 3000 --press 1 --save specs/menu.yaml && twhook test specs/menu.yaml
  $ twhook call 3000 --press 1 --json | jq -c 'select(.type == "say")'
`,
    )
    .action(wire(async (ctx: Ctx, app: string | undefined, flags: CallFlags) => runCall(ctx, app, flags, ordered)));
}

function seconds(value: string, flag: string, min = 0): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min)
    throw new UsageError(`${flag} takes a number of seconds${min > 0 ? ` (at least ${min})` : ''}, not "${value}"`);
  return n;
}

/** The caller's script from the input flags, in their command-line order. */
export function callScript(ordered: InputFlag[]): CallScript {
  const script: CallScript = { inputs: [] };
  let previous: InputFlag['flag'] | undefined;
  for (const { flag, value } of ordered) {
    const tag = `--${flag} ${JSON.stringify(value)}`;
    switch (flag) {
      case 'press':
        if (!KEYS.test(value))
          throw new UsageError(`--press takes keypad keys (0-9, * and #; w waits half a second), not "${value}"`);
        script.inputs.push({ input: { kind: 'press', digits: value }, tag });
        break;
      case 'speak':
        if (!value.trim()) throw new UsageError('--speak is empty: give the words the caller says');
        script.inputs.push({ input: { kind: 'speak', text: value }, tag });
        break;
      case 'dial-status':
        if (!DIAL_OUTCOMES.includes(value as DialOutcome))
          throw new UsageError(`--dial-status is ${DIAL_OUTCOMES.join(', ')}, not "${value}"`);
        script.inputs.push({ input: { kind: 'dial', status: value as DialOutcome }, tag });
        break;
      case 'dial-seconds': {
        const n = seconds(value, '--dial-seconds');
        const last = script.inputs[script.inputs.length - 1]?.input;
        if (previous === 'dial-status' && last?.kind === 'dial') last.seconds = n;
        else if (script.dialSeconds !== undefined)
          throw new UsageError(
            '--dial-seconds is given twice without a --dial-status before it: put each right after its --dial-status',
          );
        else script.dialSeconds = n;
        break;
      }
      case 'record-seconds':
        script.inputs.push({ input: { kind: 'record', seconds: seconds(value, '--record-seconds') }, tag });
        break;
      case 'dequeue-after':
        script.inputs.push({ input: { kind: 'dequeue', after: seconds(value, '--dequeue-after') }, tag });
        break;
      case 'hangup-after':
        if (script.hangupAfter !== undefined)
          throw new UsageError('--hangup-after is given twice: the caller hangs up once');
        script.hangupAfter = seconds(value, '--hangup-after');
        break;
    }
    previous = flag;
  }
  return script;
}

function checkNumber(value: string, flag: string): string {
  if (!/^(?:\+[1-9]\d{6,14}|client:[\w.@-]+|sip:\S+)$/.test(value)) {
    throw new UsageError(
      `${flag} must be an E.164 number such as ${DEFAULT_FROM} (or client:name, sip:…), not "${value}"`,
    );
  }
  return value;
}

/** The target from <app> or --number, with the command line's callbacks. */
async function callTarget(
  ctx: Ctx,
  app: string | undefined,
  flags: CallFlags,
): Promise<{ target: AppTarget; to?: string }> {
  if (app !== undefined && flags.number !== undefined)
    throw new UsageError('give <app> or --number, not both (--number uses the webhooks configured on the number)');
  if (app === undefined && flags.number === undefined)
    throw new UsageError(
      "where to? give your app: twhook call 3000 (or --number +E.164 to use a number's configured voice URL)",
    );
  const { target, numberTo: to } = await resolveTarget(ctx, app, flags, 'call');
  if (flags.statusCallback)
    target.statusCallback = { url: webhookUrl(flags.statusCallback, target.url, '--status-callback') };
  if (flags.statusEvents !== undefined) {
    if (!target.statusCallback)
      throw new UsageError('--status-events needs --status-callback (where the callbacks go)');
    const events = flags.statusEvents.split(/[\s,]+/).filter(Boolean);
    const bad = events.find((e) => !STATUS_EVENTS.includes(e));
    if (!events.length || bad)
      throw new UsageError(`--status-events lists ${STATUS_EVENTS.join(', ')}${bad ? `, not "${bad}"` : ''}`);
    target.statusEvents = events;
  }
  return { target, to };
}

export async function runCall(
  ctx: Ctx,
  app: string | undefined,
  flags: CallFlags,
  ordered: InputFlag[],
): Promise<number> {
  const script = callScript(ordered);
  const from = checkNumber(flags.from ?? DEFAULT_FROM, '--from');
  if (flags.to !== undefined) checkNumber(flags.to, '--to');
  const maxRequests = parsePositiveInt(flags.maxRequests ?? '100', '--max-requests', 1);
  const publicUrl = flags.publicUrl
    ? checkAbsoluteUrl(flags.publicUrl, '--public-url', 'https://abc123.ngrok.app')
    : undefined;
  const savePath = flags.save ? checkSavePath(ctx, flags.save) : undefined;
  const { target, to: numberTo } = await callTarget(ctx, app, flags);
  const to = flags.to ?? numberTo ?? DEFAULT_TO;
  const { signing, engine, capture, events, onEvent } = await startSimulation(ctx, target, flags.capture);
  const controller = new AbortController();
  const onAbort = () => controller.abort(ctx.signal.reason);
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  const source = new ScriptedCallInputs<string>(script.inputs, () => events.length, {
    ask: ctx.canPrompt ? (request) => askCaller(ctx, request) : undefined,
    onMismatch: () => controller.abort(new Error('input mismatch')),
  });
  ctx.out.note(
    ctx.out.c.dim(`calling ${appLabel(target.url)} from ${from} to ${to}${signing.authToken ? '' : ' (unsigned)'}`),
  );
  let result;
  try {
    result = await engine.simulateCall({
      app: target,
      from,
      to,
      accountSid: signing.accountSid,
      authToken: signing.authToken,
      publicUrl,
      maxRequests,
      realtime: flags.realtime,
      ...(ctx.clock.sleep ? { sleep: ctx.clock.sleep.bind(ctx.clock) } : {}),
      inputs: source,
      hangupAfter: script.hangupAfter,
      dialSeconds: script.dialSeconds,
      onEvent,
      onExchange: capture?.record,
      signal: controller.signal,
    });
  } catch (err) {
    if (err instanceof TwhookError) throw err;
    if (!source.mismatch && !ctx.signal.aborted) throw err;
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    await capture?.close();
  }
  if (capture) ctx.out.note(ctx.out.c.dim(`captured to ${capture.path} (twhook verify / replay read it)`));
  if (source.mismatch) {
    throw new UsageError(
      `${source.mismatch.tag} came next, but the call asked for ${describeRequest(source.mismatch.request)}: give the inputs in the order the call asks for them`,
    );
  }
  if (ctx.signal.aborted) return 130;
  for (const left of source.left) ctx.out.warn(`${left.tag} was not used: the call ended before it was asked for`);
  if (savePath && result) {
    const text = specYaml(
      {
        name: nameFromFile(savePath),
        channel: 'call',
        app: target.url,
        method: target.method,
        from,
        to,
        fallback: target.fallback,
        statusCallback: target.statusCallback,
        statusEvents: target.statusEvents,
        maxRequests: flags.maxRequests && maxRequests !== 100 ? maxRequests : undefined,
        hangupAfter: script.hangupAfter,
      },
      result.events,
      source.used,
      flags.save,
    );
    writeSpec(ctx, savePath, flags.save ?? savePath, text, target);
  }
  return result?.ok ? 0 : 1;
}

/** A <Gather> with nothing scripted, asked at the terminal: keys, words, or Enter for no input. */
async function askCaller(ctx: Ctx, request: InputRequest): Promise<CallInput | undefined> {
  if (request.kind !== 'gather') return undefined;
  const input = request.gather.input.split(/\s+/);
  const dtmf = input.includes('dtmf');
  const speech = input.includes('speech');
  const what =
    dtmf && speech ? 'press keys or say something' : speech ? 'say something (type the words)' : 'press keys';
  const who = request.gather.leg === 'callee' ? 'the called party: ' : '';
  const answer = await ctx.prompter.input({
    message: `${who}${what} (Enter alone: no input)`,
    validate: (value) => {
      const text = value.trim();
      if (!text || speech) return true;
      return KEYS.test(text) || 'keys only: 0-9, * and # (Enter alone for no input)';
    },
  });
  const text = answer.trim();
  if (!text) return { kind: 'wait', seconds: request.gather.timeout };
  if (dtmf && KEYS.test(text)) return { kind: 'press', digits: text };
  return { kind: 'speak', text };
}

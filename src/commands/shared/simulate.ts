/**
 * What `twhook call`, `twhook text` and `twhook test` share: the signing token (or one warning
 * without), the capture file (the same default folder as `dev`, so `verify` and `replay` work on
 * simulated traffic), a check that something listens at the app, a number's configured webhooks
 * (`--number`), `--save`, and the engine, loaded when a command runs.
 */
import { connect } from 'node:net';
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import type { Ctx } from '../../ctx.js';
import { RemoteError, UsageError } from '../../errors.js';
import type { CaptureRecord } from '../../capture/format.js';
import { CaptureWriter } from '../../capture/writer.js';
import { prepareProjectFolder } from '../../capture/folder.js';
import { writeFileAtomic } from '../../state/atomic.js';
import { urlPassword } from '../../webhooks/url.js';
import { signingTokens } from '../../twilio/credentials.js';
import { resolveNumber } from '../../twilio/resolve-number.js';
import type { IncomingNumber } from '../../twilio/port.js';
import type { AppTarget } from '../../simulate/api.js';
import type { SimEvent } from '../../simulate/events.js';
import { transcriptRenderer } from '../../ui/sim-transcript.js';
import type { SimEngine } from '../../simulate/run-spec.js';
import { splitOverrides } from '../../webhooks/overrides.js';
import { appUrl, webhookUrl } from '../../simulate/target.js';
import { severalTokens } from './several-tokens.js';
import { checkMethod } from './webhook-url.js';

export async function loadEngine(): Promise<SimEngine> {
  const { simulateCall, simulateText } = await import('../../simulate/index.js');
  return { simulateCall, simulateText };
}

/** The token that signs the simulated requests; without one, undefined and one warning. */
export function simulationSigning(ctx: Ctx): { authToken?: string; accountSid?: string } {
  const creds = ctx.credentials();
  const sid = creds.accountSid?.value;
  const accountSid = sid && /^AC[0-9a-fA-F]{32}$/.test(sid) ? sid : undefined;
  let tokens: string[];
  try {
    tokens = signingTokens(creds);
  } catch {
    ctx.out.warn(
      'no auth token (TWILIO_AUTH_TOKEN or --auth-token): requests go unsigned, and an app that validates signatures answers 403',
    );
    return { accountSid };
  }
  if (tokens.length > 1) ctx.out.warn(severalTokens(tokens.length));
  return { authToken: tokens[0], accountSid };
}

/** `dev`'s default capture file: .twhook/captures/<date>.jsonl in the working folder. */
export function defaultCapturePath(ctx: Ctx): string {
  const date = ctx.clock.now().toISOString().slice(0, 10);
  return resolve(ctx.cwd, '.twhook', 'captures', `${date}.jsonl`);
}

export interface CaptureSink {
  path: string;
  record: (record: CaptureRecord) => void;
  close: () => Promise<void>;
}

/** Opens the capture file (--capture FILE, the default, or none with --no-capture). */
export async function openCapture(ctx: Ctx, option: string | boolean | undefined): Promise<CaptureSink | undefined> {
  if (option === false) return undefined;
  const path = typeof option === 'string' ? resolve(ctx.cwd, option) : defaultCapturePath(ctx);
  const projectFolder = resolve(ctx.cwd, '.twhook');
  if (path.startsWith(projectFolder + sep)) prepareProjectFolder(projectFolder);
  let writer: CaptureWriter;
  try {
    writer = await CaptureWriter.open(path);
  } catch (err) {
    throw new UsageError(
      `cannot write the capture ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message} (give another --capture, or --no-capture)`,
    );
  }
  let warned = false;
  return {
    path,
    record: (record) => {
      writer.append(record).catch((err: Error) => {
        if (warned) return;
        warned = true;
        ctx.out.warn(
          `capture ${path}: ${(err as NodeJS.ErrnoException).code ?? err.message}; later requests are not captured`,
        );
      });
    },
    close: () => writer.close(),
  };
}

/** Checks a --save path before anything runs: its folder must exist. */
export function checkSavePath(ctx: Ctx, file: string): string {
  const path = resolve(ctx.cwd, file);
  const folder = dirname(path);
  if (!existsSync(folder) || !statSync(folder).isDirectory())
    throw new UsageError(`--save ${file}: the folder ${folder} does not exist`);
  if (!/\.ya?ml$/i.test(path))
    throw new UsageError(`--save writes a YAML spec: give a file ending in .yaml or .yml, not ${file}`);
  return path;
}

export function writeSaved(path: string, text: string): void {
  try {
    writeFileAtomic(path, text);
  } catch (err) {
    throw new UsageError(
      `cannot write --save ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

/**
 * Refuses to start when nothing accepts connections at the app's host and port: that is exit 3
 * ("start your app"), not a Twilio error the app caused.
 */
export async function checkListening(url: string, signal?: AbortSignal): Promise<void> {
  const { base: bare } = splitOverrides(url);
  const u = new URL(bare);
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const refused = await new Promise<string | undefined>((done) => {
    const socket = connect({ host, port, timeout: 5000, signal });
    socket.once('connect', () => {
      socket.destroy();
      done(undefined);
    });
    socket.once('timeout', () => {
      socket.destroy();
      done('ETIMEDOUT');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
  });
  if (refused) {
    const what =
      refused === 'ECONNREFUSED'
        ? 'nothing listens'
        : refused === 'ENOTFOUND'
          ? 'the host is unknown'
          : `cannot connect (${refused})`;
    throw new RemoteError(`${what} at ${u.host}: start your app, or give the port or URL it listens on`, {
      code: refused,
      service: 'app',
    });
  }
}

/** A number's configured webhooks, as the simulated Twilio would use them (`--number`). */
export async function numberTarget(
  ctx: Ctx,
  ref: string,
  channel: 'call' | 'text',
): Promise<{ target: AppTarget; number: IncomingNumber }> {
  if (!ref.trim()) throw new UsageError('--number is empty (an unset variable?): give +E.164, a PN SID or digits');
  const port = await ctx.twilio();
  const number = await resolveNumber(port.numbers, port.accountSid, ref);
  const voice = channel === 'call';
  const appSid = voice ? number.voiceApplicationSid : number.smsApplicationSid;
  if (appSid) {
    throw new UsageError(
      `${number.phoneNumber} sends ${voice ? 'calls' : 'messages'} to the TwiML app ${appSid}, whose URLs twhook does not read: pass its ${voice ? 'voice' : 'SMS'} URL as <app> instead of --number`,
    );
  }
  const url = voice ? number.voiceUrl : number.smsUrl;
  if (!url) {
    throw new UsageError(
      `${number.phoneNumber} has no ${voice ? 'voice' : 'SMS'} URL: set one with \`twhook configure ${number.phoneNumber} --${voice ? 'voice' : 'sms'}-url …\`, or pass <app>`,
    );
  }
  const method = (voice ? number.voiceMethod : number.smsMethod) ?? 'POST';
  const target: AppTarget = { url, method };
  const fallback = voice ? number.voiceFallbackUrl : number.smsFallbackUrl;
  if (fallback)
    target.fallback = {
      url: fallback,
      method: (voice ? number.voiceFallbackMethod : number.smsFallbackMethod) ?? 'POST',
    };
  if (voice && number.statusCallback)
    target.statusCallback = { url: number.statusCallback, method: number.statusCallbackMethod ?? 'POST' };
  // Basic-auth passwords in configured URLs are secrets: never in the transcript or --json.
  for (const u of [target.url, target.fallback?.url, target.statusCallback?.url]) ctx.out.redactor.add(urlPassword(u));
  return { target, number };
}

/**
 * Where `call` and `text` send the first request: the number's configured webhooks (`--number`),
 * else `<app>`; then `--method` and `--fallback` over either. `numberTo` is the number's own.
 */
export async function resolveTarget(
  ctx: Ctx,
  app: string | undefined,
  flags: { number?: string; method?: string; fallback?: string },
  channel: 'call' | 'text',
): Promise<{ target: AppTarget; numberTo?: string }> {
  let target: AppTarget;
  let numberTo: string | undefined;
  if (flags.number !== undefined) {
    const found = await numberTarget(ctx, flags.number, channel);
    target = found.target;
    numberTo = found.number.phoneNumber;
  } else {
    target = { url: appUrl(app!, channel) };
  }
  if (flags.method) target.method = checkMethod(flags.method, '--method');
  if (flags.fallback) target.fallback = { url: webhookUrl(flags.fallback, target.url, '--fallback') };
  return { target, numberTo };
}

/**
 * What `call` and `text` share before the first request: the app's URL passwords taken as
 * secrets (never in the transcript or --json), the signing token, a check that something listens,
 * the engine, the capture, and the renderer (NDJSON or the transcript) with the events it saw.
 */
export async function startSimulation(ctx: Ctx, target: AppTarget, captureOption: string | boolean | undefined) {
  for (const url of [target.url, target.fallback?.url, target.statusCallback?.url])
    ctx.out.redactor.add(urlPassword(url));
  const signing = simulationSigning(ctx);
  await checkListening(target.url, ctx.signal);
  const engine = await loadEngine();
  const capture = await openCapture(ctx, captureOption);
  const events: SimEvent[] = [];
  const draw = ctx.out.json
    ? (event: SimEvent) => ctx.out.emit(event)
    : transcriptRenderer((line) => ctx.out.print(line), ctx.out.c);
  // Every event is kept (the inputs count them, --save writes them) and drawn as it happens.
  const onEvent = (event: SimEvent) => {
    events.push(event);
    draw(event);
  };
  return { signing, engine, capture, events, onEvent };
}

/** Writes a `--save` spec, and says how to run it (URL passwords are left out of the file). */
export function writeSpec(ctx: Ctx, path: string, given: string, text: string, target: AppTarget): void {
  writeSaved(path, text);
  if ([target.url, target.fallback?.url, target.statusCallback?.url].some((u) => urlPassword(u))) {
    ctx.out.warn(
      `${given} leaves out the URL passwords: run it with --app and the URL, e.g. twhook test ${given} --app "$APP_URL"`,
    );
  }
  ctx.out.note(`saved ${given}: run it with \`twhook test ${given}\``);
}

/**
 * `twhook dev <port|local URL>`: parses flags into a session and renders its events. The engine
 * is src/proxy/session.ts; the renderers are src/ui/live-view.ts.
 */
import { resolve, sep } from 'node:path';
import { prepareProjectFolder } from '../capture/folder.js';
import { Option, type Command } from 'commander';
import type { Wire } from './registry.js';
import type { Ctx } from '../ctx.js';
import { RemoteError, UsageError } from '../errors.js';
import { addOverrideOptions, overridesFromOptions, type OverrideOptionValues } from './shared/override-options.js';
import type { DevSessionOptions, SessionExtension, SessionSummary } from '../dev/session.js';
import { normalizePublicUrl } from '../tunnel/public-url.js';
import { noAuthTokenMessage } from '../twilio/credentials.js';
import { collect } from './shared/collect.js';
import { parseBasicAuth } from './shared/flags.js';

export interface DevFlags extends OverrideOptionValues {
  number?: string[];
  sms?: string | false;
  voice?: string | false;
  voiceStatus?: string;
  smsFallback?: string;
  voiceFallback?: string;
  publicUrl?: string;
  listen?: string;
  ngrokDomain?: string;
  verbose?: boolean;
  capture?: string | false;
  enforceSignatures?: boolean;
  basicAuth?: string;
  exec?: string;
  bodyLimit?: string;
  inspect?: boolean;
  inspectPort?: string;
}

export interface DevRunOptions {
  session: DevSessionOptions;
  verbose: boolean;
  /** The web inspector: off with --no-inspect; `port` undefined tries 4040 and the next ones. */
  inspect: false | { port?: number };
}

/**
 * Options other features add to `dev`, each with the session step it makes: its setup runs once
 * the tunnel is up and the numbers are pointed at it, its teardown in the session's `finally`
 * (journal what you create: a SIGKILLed session is cleaned up by the next `dev` or `restore`).
 * The module is loaded only when one of its options is given.
 */
export interface DevExtensionEntry {
  options: { flags: string; description: string; parse?: (value: string, previous: unknown) => unknown }[];
  load: () => Promise<{
    createExtension(
      ctx: Ctx,
      flags: Record<string, unknown>,
    ): SessionExtension | undefined | Promise<SessionExtension | undefined>;
  }>;
}

/** One line per feature. */
export const DEV_EXTENSIONS: DevExtensionEntry[] = [
  // events (--events TYPE...)
  {
    options: [
      {
        flags: '--events <type[@version]>',
        description:
          'also receive these Event Streams types at the tunnel through a temporary sink (repeat, or comma-separate)',
        parse: (v, prev) => [...((prev as string[] | undefined) ?? []), v],
      },
      { flags: '--events-path <path>', description: 'path the --events sink delivers to (default /events)' },
    ],
    load: () => import('../eventstreams/dev-events.js'),
  },
];

export function register(cmd: Command, wire: Wire): void {
  cmd
    .argument('<app>', 'your app: a port (3000) or a local URL (http://localhost:3000/api)')
    .option('--number <number>', 'point this number (+E.164 or PN SID) at the session; repeat for several', collect)
    .option('--sms <path>', 'path for incoming messages', '/sms')
    .option('--no-sms', "leave the numbers' SMS URL alone")
    .option('--voice <path>', 'path for incoming calls', '/voice')
    .option('--no-voice', "leave the numbers' voice URL alone")
    .option('--voice-status <path>', "path for call status callbacks (sets the number's StatusCallback)")
    .option('--sms-fallback <path>', 'path for the SMS fallback URL')
    .option('--voice-fallback <path>', 'path for the voice fallback URL');
  addOverrideOptions(cmd);
  cmd
    .option(
      '--public-url <url>',
      'start no tunnel: your own tunnel (cloudflared, a reverse proxy) reaches the proxy at this URL',
    )
    .option('--listen <port>', "the proxy's port on 127.0.0.1 (default: a free one), for --public-url tunnels")
    .option('--ngrok-domain <domain>', 'your reserved ngrok domain')
    .option('--verbose', 'show headers and bodies')
    .option('--capture <file>', 'append requests and answers to this file (default .twhook/captures/<date>.jsonl)')
    .option('--no-capture', 'capture nothing')
    .option('--enforce-signatures', 'refuse requests with an invalid or no signature (403): they never reach the app')
    .option('--basic-auth <user:pass>', "require these credentials; the numbers' URLs carry them")
    .option('--exec <command>', 'start the app with this command (TWHOOK_PUBLIC_URL set); stopped on exit')
    .option('--body-limit <bytes>', 'refuse bodies larger than this with 413 (default 1mb)')
    .option(
      '--inspect-port <port>',
      "the web inspector's port on 127.0.0.1 (default 4040, or the next free one; 0: any free one)",
    )
    .option('--no-inspect', 'serve no web inspector');
  for (const extension of DEV_EXTENSIONS) {
    for (const o of extension.options) {
      const option = new Option(o.flags, o.description);
      if (o.parse) option.argParser(o.parse);
      cmd.addOption(option);
    }
  }
  cmd
    .addHelpText(
      'after',
      `
Examples:
  $ twhook dev 3000 --number +15017122661
  $ twhook dev http://localhost:8080/twilio --number +15017122661 --no-voice --rt 5000
  $ twhook dev 3000 --public-url https://dev.example.com --listen 4040 --enforce-signatures
  $ twhook dev 3000 --number +15017122661 --exec "npm run dev" --json
  $ twhook dev 3000 --number +15017122661 --inspect-port 4050   # the inspector at http://127.0.0.1:4050/
`,
    )
    .action(
      wire(async (ctx: Ctx, app: string, flags: DevFlags) => {
        const options = devOptions(ctx, app, flags);
        options.session.extensions = await extensionsFor(ctx, flags as DevFlags & Record<string, unknown>);
        return runDev(ctx, options);
      }),
    );
}

/** Turns the flags into session options; every bad flag is a UsageError naming the fix. */
export function devOptions(ctx: Ctx, app: string, flags: DevFlags): DevRunOptions {
  const target = parseTarget(app);
  const overrides = overridesFromOptions(flags as OverrideOptionValues & Record<string, unknown>);
  const paths = {
    sms: flags.sms === false ? null : checkPath('--sms', flags.sms ?? '/sms'),
    voice: flags.voice === false ? null : checkPath('--voice', flags.voice ?? '/voice'),
    ...(flags.voiceStatus ? { voiceStatus: checkPath('--voice-status', flags.voiceStatus) } : {}),
    ...(flags.smsFallback ? { smsFallback: checkPath('--sms-fallback', flags.smsFallback) } : {}),
    ...(flags.voiceFallback ? { voiceFallback: checkPath('--voice-fallback', flags.voiceFallback) } : {}),
  };
  const numbers = flags.number ?? [];
  if (numbers.some((n) => !n.trim()))
    throw new UsageError('--number is empty (an unset variable?): give +E.164 or a PN SID, or leave --number out');
  if (
    numbers.length &&
    paths.sms === null &&
    paths.voice === null &&
    !paths.voiceStatus &&
    !paths.smsFallback &&
    !paths.voiceFallback
  ) {
    throw new UsageError(
      '--no-sms and --no-voice leave nothing to point at the session: drop one, or add --voice-status',
    );
  }

  let tunnel: DevSessionOptions['tunnel'];
  if (flags.publicUrl !== undefined) {
    if (flags.ngrokDomain)
      throw new UsageError('--ngrok-domain is for the ngrok tunnel; --public-url starts none: pass one of them');
    // Checked here, before the session starts, so a typo is one error line and nothing else.
    normalizePublicUrl(flags.publicUrl);
    tunnel = { kind: 'public-url', url: flags.publicUrl };
  } else {
    const token = ctx.env.NGROK_AUTHTOKEN?.trim();
    if (!token) {
      throw new UsageError(
        'ngrok needs an authtoken: set NGROK_AUTHTOKEN (free at https://dashboard.ngrok.com/get-started/your-authtoken), or run your own tunnel to the proxy and pass --public-url URL',
      );
    }
    tunnel = { kind: 'ngrok', authtoken: token, ...(flags.ngrokDomain ? { domain: flags.ngrokDomain } : {}) };
  }

  let listenPort: number | undefined;
  if (flags.listen !== undefined) {
    listenPort = Number(flags.listen);
    if (!/^\d+$/.test(flags.listen) || listenPort < 1 || listenPort > 65535)
      throw new UsageError(`--listen ${flags.listen}: give a port from 1 to 65535`);
  }

  const basicAuth: DevSessionOptions['basicAuth'] =
    flags.basicAuth !== undefined ? parseBasicAuth(flags.basicAuth, ctx.out.redactor) : undefined;

  const authTokens = ctx.credentials().authTokens.map((t) => t.value);
  if (flags.enforceSignatures && !authTokens.length) {
    throw new UsageError(noAuthTokenMessage(ctx.credentials(), '--enforce-signatures needs'));
  }
  // Said once, here: with only a twilio-cli profile, every verdict would read "unchecked".
  if (!authTokens.length && ctx.credentials().profile)
    ctx.out.note(`signatures go unchecked: ${noAuthTokenMessage(ctx.credentials(), 'checking them needs')}`);

  let inspect: DevRunOptions['inspect'] = flags.inspect === false ? false : {};
  if (flags.inspectPort !== undefined) {
    if (flags.inspect === false)
      throw new UsageError('--inspect-port and --no-inspect contradict each other: drop one');
    const port = Number(flags.inspectPort);
    if (!/^\d+$/.test(flags.inspectPort) || port > 65535)
      throw new UsageError(`--inspect-port ${flags.inspectPort}: give a port from 1 to 65535 (0: any free one)`);
    inspect = { port };
  }

  const capture =
    flags.capture === false ? null : flags.capture ? resolve(ctx.cwd, flags.capture) : defaultCapture(ctx);

  return {
    verbose: !!flags.verbose,
    inspect,
    session: {
      target: target.url,
      targetLabel: target.label,
      numbers,
      paths,
      ...(overrides ? { overrides } : {}),
      tunnel,
      ...(listenPort !== undefined ? { listenPort } : {}),
      ...(flags.bodyLimit !== undefined ? { bodyLimit: parseSize('--body-limit', flags.bodyLimit) } : {}),
      capture,
      enforceSignatures: !!flags.enforceSignatures,
      ...(basicAuth ? { basicAuth } : {}),
      authTokens,
      ...(flags.exec ? { exec: flags.exec } : {}),
    },
  };
}

/** The session steps of the extensions whose options were given. */
export async function extensionsFor(
  ctx: Ctx,
  flags: Record<string, unknown>,
  entries: DevExtensionEntry[] = DEV_EXTENSIONS,
): Promise<SessionExtension[]> {
  const out: SessionExtension[] = [];
  for (const entry of entries) {
    const used = entry.options.some((o) => flags[new Option(o.flags).attributeName()] !== undefined);
    if (!used) continue;
    const extension = await (await entry.load()).createExtension(ctx, flags);
    if (extension) out.push(extension);
  }
  return out;
}

/** Runs the session until Ctrl-C, the tunnel is lost or a fatal error, rendering each event. */
export async function runDev(ctx: Ctx, options: DevRunOptions): Promise<number> {
  const [{ startDevSession }, { createRenderer }, { batchedOutput }] = await Promise.all([
    import('../dev/session.js'),
    import('../ui/live-view.js'),
    import('../ui/batched-output.js'),
  ]);
  const projectFolder = resolve(ctx.cwd, '.twhook');
  if (options.session.capture?.startsWith(projectFolder + sep)) prepareProjectFolder(projectFolder);
  // Started before the session, so a busy --inspect-port is one error line with nothing changed.
  const inspector = options.inspect
    ? await (await import('../inspector/dev.js')).startDevInspector(ctx, options.session, options.inspect)
    : undefined;
  const session = startDevSession(
    inspector
      ? {
          ...options.session,
          onRecord: inspector.onRecord,
          extensions: [...(options.session.extensions ?? []), inspector.extension],
        }
      : options.session,
    ctx,
  );
  // A terminal's stdout knows its width (and follows resizes); a pipe or a test stream does not.
  const stdout = ctx.io.stdout as { columns?: number };
  // A line or a few per request: written once per turn of the event loop, not once a line.
  const output = batchedOutput(ctx.out);
  const render = createRenderer(output.out, { verbose: options.verbose, width: () => stdout.columns });
  let summary: SessionSummary;
  try {
    try {
      for await (const event of session.events) render(event);
    } catch (err) {
      // Drawing failed (an output that went away): end the session, which restores the numbers.
      await session.stop('fatal error').catch(() => undefined);
      throw err;
    }
    summary = await session.done;
  } finally {
    output.close();
    await inspector?.close();
  }
  const failed = summary.restore.failed;
  if (failed.length) {
    const names = failed
      .map((r) => (r.kind === 'number' ? r.phoneNumber : `${r.kind} ${r.sid ?? ''}`.trim()))
      .join(', ');
    throw new RemoteError(`could not restore ${names}: the journal keeps them; run \`twhook restore\``, {
      service: 'twilio',
    });
  }
  return 0;
}

export function parseTarget(app: string): { url: string; label: string } {
  const text = app.trim();
  if (/^\d+$/.test(text)) {
    const port = Number(text);
    if (port < 1 || port > 65535)
      throw new UsageError(`${app} is not a port: give 1 to 65535 or a URL like http://localhost:3000`);
    return { url: `http://localhost:${port}`, label: `localhost:${port}` };
  }
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text);
  const notTarget = () =>
    new UsageError(`${JSON.stringify(app)} is neither a port nor a URL: give 3000 or http://localhost:3000`);
  let url: URL;
  try {
    url = new URL(hasScheme ? text : `http://${text}`);
  } catch {
    throw notTarget();
  }
  // Without a scheme, a lone word ("dev", "start") is a slip, not an app: an address has a port,
  // a dot, or is localhost.
  if (
    !hasScheme &&
    !url.port &&
    url.hostname !== 'localhost' &&
    !url.hostname.includes('.') &&
    !url.hostname.startsWith('[')
  )
    throw notTarget();
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`the app must be reached over http or https, not ${url.protocol.replace(/:$/, '')}`);
  if (url.search || url.hash) throw new UsageError('give the app as a base URL without a query or fragment');
  if (url.username || url.password) throw new UsageError('the app URL must not carry credentials');
  return { url: url.href.replace(/\/+$/, ''), label: url.host + url.pathname.replace(/\/+$/, '') };
}

function checkPath(flag: string, path: string): string {
  if (!path || /[\s#]/.test(path) || /^[a-z]+:\/\//i.test(path))
    throw new UsageError(`${flag} ${JSON.stringify(path)}: give a path like /sms (no spaces, no #, not a URL)`);
  return path.startsWith('/') ? path : `/${path}`;
}

function parseSize(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(b|kb|k|kib|mb|m|mib)?$/i.exec(text.trim());
  if (!m) throw new UsageError(`${flag} ${text}: give a size like 1mb, 512kb or 65536`);
  const unit = (m[2] ?? 'b').toLowerCase();
  const factor = unit.startsWith('k') ? 1024 : unit.startsWith('m') ? 1024 * 1024 : 1;
  const n = Math.floor(Number(m[1]) * factor);
  if (n < 1) throw new UsageError(`${flag} must be at least 1 byte`);
  return n;
}

function defaultCapture(ctx: Ctx): string {
  const date = ctx.clock.now().toISOString().slice(0, 10);
  return resolve(ctx.cwd, '.twhook', 'captures', `${date}.jsonl`);
}

export { basicAuthProblem } from '../webhooks/basic-auth.js';

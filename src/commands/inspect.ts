/**
 * `twhook inspect FILE…`: the web inspector over capture files (JSONL or HAR), with no session:
 * look at what CI or a colleague captured. Replay there sends to --to, signed for it.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Wire } from './registry.js';
import type { Ctx } from '../ctx.js';
import { UsageError } from '../errors.js';
import { CaptureFileError, readCaptureBatches } from '../capture/reader.js';
import { checkAbsoluteUrl, parseBasicAuth } from './shared/flags.js';
import { urlPasswords } from '../webhooks/url.js';
import { unreadableCapture } from './shared/capture-file.js';

export interface InspectFlags {
  to?: string;
  port?: string;
  keep?: string;
  basicAuth?: string;
}

export function register(cmd: Command, wire: Wire): void {
  cmd
    .argument('<captures...>', 'capture files: JSONL from twhook dev, or HAR')
    .option('--to <url>', "your app's base URL, for Replay (each request keeps its path and query)")
    .option('--port <port>', "the inspector's port on 127.0.0.1 (default 4040, or the next free one; 0: any free one)")
    .option('--keep <n>', 'how many requests to hold (the last N of the files)', '1000')
    .option('--basic-auth <user:pass>', 'the credentials of a dev --basic-auth session, to check its signatures')
    .addHelpText(
      'after',
      `
Signatures are checked, and replays signed, with TWILIO_AUTH_TOKEN (or --auth-token); the token
never reaches the page. Ctrl-C stops.

Examples:
  $ twhook inspect .twhook/captures/2026-11-27.jsonl
  $ twhook inspect ci-artifacts/*.jsonl --to http://localhost:3000
  $ twhook inspect ngrok-export.har --port 4050 --json
  $ twhook inspect .twhook/captures/2026-11-27.jsonl --basic-auth twilio:$BASIC_PASSWORD
`,
    )
    .action(wire(async (ctx: Ctx, captures: string[], flags: InspectFlags) => runInspect(ctx, captures, flags)));
}

export async function runInspect(ctx: Ctx, captures: string[], flags: InspectFlags): Promise<number> {
  const to = flags.to !== undefined ? checkAbsoluteUrl(flags.to, '--to', 'http://localhost:3000/sms') : undefined;
  if (to) ctx.out.redactor.add(...urlPasswords(to));
  const basicAuth = flags.basicAuth !== undefined ? parseBasicAuth(flags.basicAuth, ctx.out.redactor) : undefined;
  let port: number | undefined;
  if (flags.port !== undefined) {
    port = Number(flags.port);
    if (!/^\d+$/.test(flags.port) || port > 65535)
      throw new UsageError(`--port ${flags.port}: give a port from 1 to 65535 (0: any free one)`);
  }
  const keep = Number(flags.keep ?? '1000');
  if (!/^\d+$/.test(flags.keep ?? '1000') || keep < 1 || keep > 100_000)
    throw new UsageError(`--keep ${flags.keep}: give a number from 1 to 100000`);
  const files = captures.map((c) => resolve(ctx.cwd, c));
  for (const [i, file] of files.entries()) {
    const why = await unreadableCapture(file);
    if (why) throw new UsageError(`cannot read ${captures[i]}: ${why}`);
  }

  const [{ InspectorStore }, { startInspector }, { createSender }] = await Promise.all([
    import('../inspector/store.js'),
    import('../inspector/server.js'),
    import('../send/http.js'),
  ]);
  const tokens = ctx.credentials().authTokens.map((t) => t.value);
  const store = new InspectorStore({ keep });
  let read = 0;
  let unreadable = 0;
  try {
    for await (const batch of readCaptureBatches(files, { signal: ctx.signal })) {
      for (const item of batch) {
        if (item.error !== undefined) {
          unreadable++;
          if (unreadable <= 5) ctx.out.warn(`${item.file}:${item.line}: ${item.error}`);
          continue;
        }
        read++;
        store.addRecord(item.record, tokens, basicAuth);
      }
    }
  } catch (err) {
    if (err instanceof CaptureFileError) throw new UsageError(err.message);
    throw err;
  }
  if (unreadable > 5) ctx.out.warn(`${unreadable} lines could not be read in all`);

  const server = await startInspector({
    store,
    info: { mode: 'files', files: captures },
    ...(port !== undefined ? { port } : {}),
    ...(to
      ? { replay: { sendTo: to, signFor: to, curlTo: to, ...(tokens[0] ? { authToken: tokens[0] } : {}), label: to } }
      : { replayOff: 'replay needs --to: start twhook inspect with --to http://localhost:3000 (your app)' }),
    sender: () => createSender({ connections: 4 }),
  }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EADDRINUSE') throw new UsageError(`port ${port} is in use: pick another --port`);
    throw err;
  });
  try {
    const shown = Math.min(read, keep);
    if (ctx.out.json) {
      ctx.out.emit({
        type: 'ready',
        url: server.url,
        requests: read,
        shown,
        unreadable,
        files: captures,
        replay: to ? { to } : null,
      });
    } else {
      const c = ctx.out.c;
      ctx.io.stderr.write(`${c.bold('twhook inspect')}  ${c.cyan(server.url)}\n`);
      ctx.io.stderr.write(
        `  ${read} request${read === 1 ? '' : 's'} from ${captures.length} file${captures.length === 1 ? '' : 's'}${read > keep ? ` (the last ${keep} shown: --keep N)` : ''}\n`,
      );
      ctx.io.stderr.write(
        `  signatures: ${tokens.length ? 'checked' : c.yellow('unchecked (set TWILIO_AUTH_TOKEN)')}\n`,
      );
      ctx.io.stderr.write(`  replay: ${to ? `to ${to}` : 'off (pass --to http://localhost:3000)'}\n`);
      ctx.io.stderr.write(c.dim('Open the URL in a browser. Ctrl-C stops.') + '\n');
    }
    await new Promise<void>((resolvePromise) => {
      if (ctx.signal.aborted) resolvePromise();
      else ctx.signal.addEventListener('abort', () => resolvePromise(), { once: true });
    });
  } finally {
    await server.close();
  }
  return 0;
}

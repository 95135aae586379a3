/**
 * `twhook replay <capture...> --to URL`: sends captured webhooks again to an app, signed so that
 * they validate (re-signed for the target, signed for another URL, or with the captured
 * signature kept), and shows each answer next to the captured one.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Wire } from './registry.js';
import type { Ctx } from '../ctx.js';
import type { Output } from '../ui/output.js';
import { RemoteError, UsageError } from '../errors.js';
import { urlPasswords } from '../webhooks/url.js';
import { signingTokens } from '../twilio/credentials.js';
import { severalTokens } from './shared/several-tokens.js';
import { answerText } from '../send/compare.js';
import type { TwimlCheck } from '../webhooks/twiml.js';
import { replay, type ReplayResult, type ReplaySummary } from '../replay/engine.js';
import { failureAdvice } from '../send/http.js';
import { checkAbsoluteUrl, parsePositiveInt, parseRate } from './shared/flags.js';
import { Feed } from '../replay/pool.js';
import { ProgressBar } from '../replay/progress.js';
import type { SigningMode } from '../replay/prepare.js';
import { parseFilters, selectRecords, type Selected } from '../replay/select.js';
import type { CaptureSource } from '../capture/index.js';
import { collect } from './shared/collect.js';
import { unreadableCapture } from './shared/capture-file.js';

export interface ReplayFlags {
  to?: string;
  id?: string[];
  last?: string;
  filter?: string[];
  signFor?: string;
  keepSignature?: boolean;
  concurrency?: string;
  rate?: string;
  newIdempotency?: boolean;
  timeout?: string;
  failOnDiff?: boolean;
  verbose?: boolean;
}

export function register(cmd: Command, wire: Wire): void {
  cmd
    .argument('<captures...>', 'capture files (JSONL from twhook dev, or HAR); - reads stdin')
    .option('--to <url>', "your app's base URL: each request keeps its path and query (http://localhost:3000)")
    .option('--id <id>', 'only this request (repeatable)', collect)
    .option('--last <n>', 'only the last N requests (after the filters)')
    .option(
      '--filter <key=value>',
      'kind=status, kind=inbound, path=/sms, path=/status/*, method=GET, status=5xx (repeatable: same key any, keys all)',
      collect,
    )
    .option('--sign-for <url>', 'sign for this base URL instead of --to (your app sits behind a proxy at that URL)')
    .option(
      '--keep-signature',
      'send the captured X-Twilio-Signature unchanged, with Host and X-Forwarded-* of the captured URL',
    )
    .option('--concurrency <n>', 'requests in flight at once', '1')
    .option('--rate <n/s>', 'at most this many requests per second (20/s, 600/m)')
    .option(
      '--new-idempotency',
      'new I-Twilio-Idempotency-Token values (default: the captured ones, as a Twilio retry)',
    )
    .option('--timeout <seconds>', 'how long to wait for each answer (Twilio waits 15 s)', '15')
    .option('--fail-on-diff', 'also fail when an answer differs from the captured one (status or body)')
    .option('--verbose', 'print the answer bodies (and the captured one when it differs)')
    .addHelpText(
      'after',
      `
Signing: by default each request is signed again, with TWILIO_AUTH_TOKEN (or --auth-token), for
the URL it is sent to. --sign-for signs for another base URL; --keep-signature needs no token.
Exit: 0 when every answer is good (2xx, valid TwiML where Twilio expects it), 1 otherwise,
2 for bad usage or an unreadable capture, 3 when nothing listens at --to.

Examples:
  $ twhook replay .twhook/captures/2026-11-27.jsonl --to http://localhost:3000
  $ twhook replay capture.jsonl --to http://localhost:3000 --filter kind=status --last 20
  $ twhook replay capture.jsonl --to http://localhost:8080 --sign-for https://app.example.com
  $ twhook replay capture.jsonl --to http://localhost:3000 --keep-signature --id req_0mhx3k2a1f3c9b0d2
  $ twhook replay big.jsonl --to http://localhost:3000 --concurrency 20 --rate 100/s --json
`,
    )
    .action(wire(async (ctx: Ctx, captures: string[], flags: ReplayFlags) => runReplay(ctx, captures, flags)));
}

export async function runReplay(ctx: Ctx, captures: string[], flags: ReplayFlags): Promise<number> {
  if (!flags.to) {
    throw new UsageError(
      'replay needs --to: the base URL of your app, such as --to http://localhost:3000 (each request keeps its path and query)',
    );
  }
  const to = checkAbsoluteUrl(flags.to, '--to', 'http://localhost:3000/sms');
  if (flags.keepSignature && flags.signFor)
    throw new UsageError(
      '--keep-signature and --sign-for exclude each other: keep the captured signature, or sign for a URL',
    );
  const signFor = flags.signFor
    ? checkAbsoluteUrl(flags.signFor, '--sign-for', 'https://abc123.ngrok.app/sms')
    : undefined;
  // Basic-auth passwords in --to / --sign-for are secrets: never in the notes, summary or --json.
  for (const url of [to, signFor]) ctx.out.redactor.add(...urlPasswords(url));
  const mode: SigningMode = flags.keepSignature ? 'keep' : signFor ? 'sign-for' : 'resign';
  const filters = parseFilters(flags.filter ?? []);
  const last = flags.last !== undefined ? parsePositiveInt(flags.last, '--last') : undefined;
  const concurrency = parsePositiveInt(flags.concurrency ?? '1', '--concurrency');
  if (concurrency > 1000) throw new UsageError(`--concurrency is at most 1000, not ${concurrency}`);
  const ratePerSecond = flags.rate !== undefined ? parseRate(flags.rate) : undefined;
  const timeoutMs = parsePositiveInt(flags.timeout ?? '15', '--timeout') * 1000;
  if (captures.filter((c) => c === '-').length > 1) throw new UsageError('stdin (-) can be read once');

  let authToken: string | undefined;
  if (mode !== 'keep') {
    try {
      const tokens = signingTokens(ctx.credentials());
      if (tokens.length > 1) ctx.out.warn(severalTokens(tokens.length));
      authToken = tokens[0];
    } catch (err) {
      if (err instanceof UsageError)
        throw new UsageError(`${err.message}, or pass --keep-signature to send the captured signatures`);
      throw err;
    }
  }

  // Relative paths are the user's, from where they ran the command (ctx.cwd), not the process's.
  const sources: CaptureSource[] = captures.map((c) =>
    c === '-' ? { name: 'stdin', stream: ctx.io.stdin } : resolve(ctx.cwd, c),
  );
  // A missing file is bad input: said alone, before the "replaying" line.
  for (const [i, source] of sources.entries()) {
    if (typeof source !== 'string') continue;
    const why = await unreadableCapture(source);
    if (why) throw new UsageError(`cannot read ${captures[i]}: ${why}`);
  }
  if (mode === 'keep' && new URL(to).pathname.replace(/\/+$/, '') !== '') {
    ctx.out.warn(
      `--to has a path (${new URL(to).pathname}): the app sees another path than the one Twilio signed, so kept signatures fail`,
    );
  }

  const c = ctx.out.c;
  const bar = ctx.io.isStderrTTY ? new ProgressBar(ctx.io.stderr, c) : undefined;
  const shareTerminal = ctx.io.isStdoutTTY;
  // Reading feeds the sender as it goes: sending starts at once, memory stays flat.
  // A few times --concurrency read ahead keep the workers busy (the reader adds a 64 KiB chunk's
  // worth at a time). Every record buffered beyond that is still alive at the next scavenge, which
  // copies it, then moves it to the old generation: with a thousand read ahead at --concurrency 50,
  // garbage collection was a third of what replay spent outside sending.
  const feed = new Feed<Selected>(Math.min(4096, Math.max(256, concurrency * 4)));
  const selection = selectRecords(sources, { ids: flags.id, last, filters }, ctx.signal, feed).then((result) => {
    bar?.setTotal(result.count);
    if (shareTerminal) bar?.clear();
    for (const line of result.unreadable.slice(0, 10)) ctx.out.warn(`skipped ${line}`);
    if (result.unreadable.length > 10) ctx.out.warn(`skipped ${result.unreadable.length - 10} more unreadable lines`);
    return result;
  });
  // Awaited below, after the replay drains the feed (which the reader closes even on error).
  selection.catch(() => {});
  ctx.out.note(c.dim(`replaying ${captures.join(', ')} to ${to} (${modeLabel(mode, signFor)})`));

  // Piped or to a file, a line per request is written once per turn of the event loop rather than
  // once a line. On a terminal each line goes out at once, in step with the progress bar.
  const batched = ctx.io.isStdoutTTY ? undefined : (await import('../ui/batched-output.js')).batchedOutput(ctx.out);
  const out = batched?.out ?? ctx.out;
  const resultLine = out.json ? resultLines(mode) : undefined;
  let done = 0;
  let failed = 0;
  let warnedAuthorization = false;
  const summary = await replay(
    feed,
    {
      to,
      mode,
      signFor,
      authToken,
      newIdempotency: flags.newIdempotency,
      concurrency,
      ratePerSecond,
      timeoutMs,
      failOnDiff: flags.failOnDiff,
      signal: ctx.signal,
    },
    (result) => {
      done++;
      if (!result.ok) failed++;
      if (shareTerminal) bar?.clear();
      if (result.request.droppedAuthorization && !warnedAuthorization) {
        warnedAuthorization = true;
        out.warn('captures keep no passwords: requests are sent without their Authorization header');
      }
      if (resultLine) out.emitJson(resultLine(result));
      else printResult(out, ctx.io.isStdoutTTY, result, flags.verbose ?? false);
      bar?.update(done, failed);
    },
  ).finally(() => batched?.close());
  bar?.finish();
  const { count, read } = await selection;
  if (!count && !ctx.signal.aborted) {
    const what =
      read === 0
        ? `${captures.join(', ')} holds no requests`
        : read === 1
          ? `the one request does not match ${describeSelection(flags)}`
          : `none of the ${read} requests matches ${describeSelection(flags)}`;
    throw new UsageError(`nothing to replay: ${what}`);
  }

  const summaryJson = summaryObject(summary, to, mode);
  if (ctx.out.json) ctx.out.emit({ summary: summaryJson });
  else ctx.out.note(summaryLine(ctx, summary, to));
  // Ctrl-C: what was sent is shown above; the exit says it was interrupted.
  if (ctx.signal.aborted) return 130;
  if (summary.unreachable) {
    throw new RemoteError(`${summary.unreachable.message}: ${failureAdvice(summary.unreachable)}`, {
      code: summary.unreachable.code,
      service: 'app',
    });
  }
  return summary.failed ? 1 : 0;
}

function describeSelection(flags: ReplayFlags): string {
  const parts = [...(flags.filter ?? []).map((f) => `--filter ${f}`), ...(flags.id ?? []).map((id) => `--id ${id}`)];
  return parts.join(' ') || 'the selection';
}

function modeLabel(mode: SigningMode, signFor: string | undefined): string {
  if (mode === 'keep') return 'captured signatures kept';
  if (mode === 'sign-for') return `signed for ${signFor}`;
  return 'signed again for the target';
}

function pathOf(url: string): string {
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*([^#]*)/i.exec(url);
  return m?.[1] || '/';
}

function statusText(result: ReplayResult): string {
  if (result.failure) return result.failure.code;
  return String(result.answer!.status);
}

/** Why a result failed, in one line. */
function failureReason(result: ReplayResult): string | undefined {
  if (result.failure) return result.failure.message;
  if (result.ok) return undefined;
  if (result.twiml && !result.twiml.ok) {
    const code = result.twiml.twilioError ? ` (Twilio error ${result.twiml.twilioError.code})` : '';
    return `${result.twiml.problems[0] ?? 'not TwiML Twilio can run'}${code}`;
  }
  const status = result.answer!.status;
  if (status < 200 || status >= 400) return `the app answered ${status}`;
  return 'the answer differs from the captured one';
}

function printResult(out: Output, isStdoutTTY: boolean, result: ReplayResult, verbose: boolean): void {
  const c = out.c;
  const { record, kind } = result.selected;
  const cmp = result.comparison;
  const ms = result.answer ? Math.round(result.answer.ms) : Math.round(result.failure!.ms);
  const reason = failureReason(result) ?? '';
  if (!isStdoutTTY) {
    out.print(
      [
        record.id,
        record.method,
        pathOf(result.request.url),
        kind,
        statusText(result),
        cmp.capturedStatus ?? '-',
        cmp.bodySame === null ? '-' : cmp.bodySame ? 'same' : 'differs',
        ms,
        result.ok ? 'ok' : 'failed',
        reason,
      ].join('\t'),
    );
  } else {
    const mark = result.ok ? c.green('✓') : c.red('✗');
    const status = result.failure
      ? c.red(result.failure.code)
      : result.ok
        ? c.green(statusText(result))
        : c.red(statusText(result));
    const vs =
      cmp.capturedStatus === null
        ? c.dim('(no captured answer)')
        : cmp.statusSame
          ? c.dim(`= captured`)
          : c.yellow(`≠ captured ${cmp.capturedStatus}`);
    const body = cmp.bodySame === null ? '' : cmp.bodySame ? c.dim(' · body same') : c.yellow(' · body differs');
    out.print(
      `${mark} ${c.dim(record.id)}  ${record.method} ${pathOf(result.request.url)}  ${c.cyan(kind)}  ${status} ${vs}${body} · ${ms} ms${reason ? `  ${c.red(reason)}` : ''}`,
    );
  }
  if (verbose && result.answer) {
    const text = answerText(result.answer);
    if (text) out.print(c.dim(`    answer: ${text}`));
    const captured = result.selected.record.response;
    if (cmp.bodySame === false && captured)
      out.print(c.dim(`    captured: ${captured.body ?? `(${captured.bodyBase64?.length ?? 0} base64 characters)`}`));
  }
}

/**
 * The --json lines of a replay, built as strings: the same bytes as JSON.stringify of the object
 * (keys in this order, undefined fields left out) without making the object, once per request.
 * A replay repeats the same file, URL and answer in line after line: each is escaped once while
 * it repeats, and each distinct TwiML verdict (shared by the engine) once.
 */
function resultLines(mode: SigningMode): (result: ReplayResult) => string {
  const file = lastJson();
  const url = lastJson();
  const signedFor = lastJson();
  const body = lastJson();
  const twimlJson = new WeakMap<TwimlCheck, string>();
  const signing = JSON.stringify(mode);
  return (result) => {
    const { record, kind, gist, line } = result.selected;
    const cmp = result.comparison;
    const { answer, failure, twiml } = result;
    const reason = failureReason(result);
    let twimlText: string | undefined;
    if (twiml) {
      twimlText = twimlJson.get(twiml);
      if (twimlText === undefined) twimlJson.set(twiml, (twimlText = JSON.stringify(twiml)));
    }
    const sentFor = result.request.signedFor;
    return (
      `{"id":${JSON.stringify(record.id)},"file":${file(result.selected.file)},"line":${num(line)}` +
      `,"kind":${JSON.stringify(kind)},"gist":${JSON.stringify(gist)}` +
      `,"method":${JSON.stringify(result.request.method)},"url":${url(result.request.url)},"signing":${signing}` +
      `,"signedFor":${sentFor == null ? 'null' : signedFor(sentFor)},"status":${answer ? num(answer.status) : 'null'}` +
      `,"contentType":${answer?.contentType == null ? 'null' : JSON.stringify(answer.contentType)}` +
      `,"ms":${num(Math.round((answer?.ms ?? failure!.ms) * 10) / 10)}` +
      `,"body":${answer ? body(answerText(answer)) : 'null'}` +
      (failure
        ? `,"error":{"code":${JSON.stringify(failure.code)},"message":${JSON.stringify(failure.message)}}`
        : '') +
      (twimlText !== undefined ? `,"twiml":${twimlText}` : '') +
      // The captured status is whatever the capture file holds (a hand-edited file may hold a string).
      `,"captured":${cmp.capturedStatus === undefined ? '{}' : `{"status":${JSON.stringify(cmp.capturedStatus)}}`}` +
      `,"statusSame":${String(cmp.statusSame)},"bodySame":${String(cmp.bodySame)},"ok":${String(result.ok)}` +
      (reason !== undefined ? `,"reason":${JSON.stringify(reason)}` : '') +
      '}'
    );
  };
}

/** JSON.stringify of a string, remembering the last one (comparing is cheaper than escaping). */
function lastJson(): (text: string) => string {
  let last: string | undefined;
  let json = '';
  return (text) => {
    if (text !== last) {
      last = text;
      json = JSON.stringify(text);
    }
    return json;
  };
}

/** As JSON.stringify writes a number: NaN and the infinities as null. */
const num = (n: number): string => (Number.isFinite(n) ? String(n) : 'null');

function summaryObject(summary: ReplaySummary, to: string, mode: SigningMode): Record<string, unknown> {
  return {
    to,
    signing: mode,
    total: summary.total,
    sent: summary.sent,
    ok: summary.ok,
    failed: summary.failed,
    statusDiffers: summary.statusDiffers,
    bodyDiffers: summary.bodyDiffers,
    stopped: summary.sent < summary.total,
    elapsedMs: Math.round(summary.elapsedMs),
  };
}

function summaryLine(ctx: Ctx, s: ReplaySummary, to: string): string {
  const c = ctx.out.c;
  const seconds = s.elapsedMs / 1000;
  const rate = seconds > 0 && s.sent > 1 ? `, ${Math.round(s.sent / seconds)}/s` : '';
  const result = s.failed ? `${s.ok} ok, ${c.red(`${s.failed} failed`)}` : c.green(`${s.ok} ok`);
  const differs =
    s.statusDiffers || s.bodyDiffers
      ? `; answers differ from the capture: ${s.statusDiffers} in status, ${s.bodyDiffers} in body`
      : '';
  const stopped = s.sent < s.total ? ` (stopped after ${s.sent} of ${s.total})` : '';
  return `replayed ${s.sent} to ${to} in ${seconds.toFixed(1)} s${rate}: ${result}${differs}${stopped}`;
}

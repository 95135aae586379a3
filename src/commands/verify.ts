/**
 * `twhook verify`: checks X-Twilio-Signature on captured requests (JSONL or HAR), on one request
 * given on the command line, or proves that a running endpoint refuses forged webhooks.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import type { Wire } from './registry.js';
import type { Ctx } from '../ctx.js';
import { CancelError, RemoteError, unreadableReason, UsageError } from '../errors.js';
import { unreadableCapture } from './shared/capture-file.js';
import { signingTokens } from '../twilio/credentials.js';
import { CaptureFileError, readCaptureBatches, type CaptureSource } from '../capture/reader.js';
import type { CaptureItem, CaptureRecord } from '../capture/format.js';
import { boundYoungGeneration } from '../capture/memory.js';
import { JunitWriter, type JunitCase } from '../capture/junit.js';
import { classify, looksLikeTwilio, type WebhookKind } from '../webhooks/kinds.js';
import { plural } from '../ui/format.js';
import { hex, PROBE_KINDS, probeCases, probeVerdict, type ProbeKind, type ProbeResult } from '../webhooks/probe.js';
import type { ContentType } from '../webhooks/signature.js';
import {
  PASS_BASIC_AUTH,
  capturedCredentials,
  verifyWithBasicAuth,
  type BasicAuth,
  type CredentialsVerdict,
} from '../webhooks/basic-auth.js';
import { maskUrl, rebaseUrl, splitUrl, stripFragment, urlPasswords } from '../webhooks/url.js';
import { checkAbsoluteUrl, parseBasicAuth } from './shared/flags.js';

export interface VerifyFlags {
  url?: string;
  signature?: string;
  body?: string;
  bodyFile?: string;
  contentType?: string;
  endpoint?: string;
  kind?: string;
  publicUrl?: string;
  publicUrlBase?: string;
  strict?: boolean;
  junit?: string;
  allowUnsigned?: boolean;
  allowEmpty?: boolean;
  basicAuth?: string;
}

export function register(cmd: Command, wire: Wire): void {
  cmd
    .description(
      'check X-Twilio-Signature on captured requests, on one request, or prove an endpoint refuses forgeries',
    )
    .argument('[captures...]', 'capture files (twhook JSONL or HAR 1.2; - reads stdin)')
    .option(
      '--public-url-base <url>',
      'verify as if the requests were received at this base URL (captures recorded behind a proxy)',
    )
    .option('--strict', "accept only the exact URL string Twilio signs (the default is the twilio SDK's verdict)")
    .option('--allow-unsigned', 'requests without X-Twilio-Signature do not fail the run')
    .option('--allow-empty', 'captures with no request to verify do not fail the run')
    .option('--junit <file>', 'also write a JUnit XML report (one test case per request)')
    .option(
      '--basic-auth <user:pass>',
      "the credentials of a dev --basic-auth session: check each request's URL with them, then without",
    )
    .option('--url <url>', 'one request: the full URL the app received (with the query string)')
    .option('--signature <sig>', 'one request: the X-Twilio-Signature header value')
    .option('--body <string>', 'one request: the raw body (form-encoded, or the JSON text)')
    .option('--body-file <path>', 'one request: read the raw body from a file (- for stdin)')
    .option('--content-type <type>', 'one request: form or json (default: json when the URL has bodySHA256)')
    .option('--endpoint <url>', 'probe a running endpoint: a signed request must be accepted, forged ones refused')
    .option('--kind <kind>', 'probe: sms, voice, status or event-streams', 'sms')
    .option('--public-url <url>', 'probe: sign for this URL (what Twilio calls) while sending to --endpoint')
    .addHelpText(
      'after',
      `
Exit codes: 0 all valid; 1 an invalid (or unsigned, unless --allow-unsigned) request, a
malformed line or a truncated HAR, no request at all (unless --allow-empty), or an endpoint
that accepts forgeries; 2 bad usage or an unreadable file; 3 the endpoint cannot be reached.
HAR entries that are not Twilio webhooks (no signature, no Twilio header or parameter, such as a
browser's GET /favicon.ico) are skipped and counted as such. Twilio signs a URL with basic-auth
credentials including them: a capture of dev --basic-auth keeps that URL with the password masked,
and its requests are verified with --basic-auth USER:PASS (the session's), as dev's live view did.

Examples:
  $ twhook verify captures/today.jsonl
  $ twhook verify traffic.har --public-url-base https://abc123.ngrok.app --json
  $ twhook verify captures/*.jsonl --auth-token $PRIMARY --auth-token $SECONDARY --junit verify.xml
  $ twhook verify .twhook/captures/today.jsonl --basic-auth twilio:$BASIC_PASSWORD   # dev --basic-auth
  $ twhook verify --url https://abc123.ngrok.app/sms --signature 'tNs…=' --body 'Body=Hi&From=%2B15551234567'
  $ twhook verify --endpoint http://localhost:3000/sms --public-url https://abc123.ngrok.app/sms
`,
    )
    .action(wire(async (ctx, captures: string[], flags: VerifyFlags) => runVerify(ctx, { ...flags, captures })));
}

type SecretSink = Parameters<typeof parseBasicAuth>[1];

export interface VerifyOptions extends VerifyFlags {
  captures?: string[];
}

/** What to verify, every flag checked: capture files, one request, or a probe of an endpoint. */
export type VerifyPlan =
  | {
      mode: 'files';
      captures: string[];
      /** Absolute: the base the requests were received at. */
      publicUrlBase?: string;
      junit?: string;
      strict: boolean;
      allowUnsigned: boolean;
      allowEmpty: boolean;
      basicAuth?: BasicAuth;
    }
  | {
      mode: 'one';
      url: string;
      signature: string;
      /** The body as given, or the file to read it from ('-' for stdin); '' when neither. */
      body: { text: string } | { file: string };
      contentType?: ContentType;
      strict: boolean;
      basicAuth?: BasicAuth;
    }
  | { mode: 'probe'; endpoint: string; publicUrl: string; kind: ProbeKind };

/**
 * Checks the flags once, before anything is read or sent: a bad combination is one UsageError.
 * A --basic-auth password is given to `redactor` before any check.
 */
export function verifyOptions(flags: VerifyOptions, redactor: SecretSink = { add: () => undefined }): VerifyPlan {
  const basicAuth = flags.basicAuth !== undefined ? parseBasicAuth(flags.basicAuth, redactor) : undefined;
  const captures = flags.captures ?? [];
  const modes = [captures.length > 0, flags.url !== undefined, flags.endpoint !== undefined].filter(Boolean).length;
  if (modes === 0)
    throw new UsageError('nothing to verify: give capture files, --url with --signature, or --endpoint URL');
  if (modes > 1) throw new UsageError('use one of: capture files, --url (one request), --endpoint (probe)');
  if (!captures.length) {
    // Said, not ignored: a CI job would otherwise wait for a report that never comes.
    for (const flag of ['junit', 'publicUrlBase', 'allowUnsigned', 'allowEmpty'] as const) {
      const name = {
        junit: '--junit',
        publicUrlBase: '--public-url-base',
        allowUnsigned: '--allow-unsigned',
        allowEmpty: '--allow-empty',
      }[flag];
      if (flags[flag] !== undefined)
        throw new UsageError(`${name} is for capture files: drop it, or give the captures to verify`);
    }
  }
  if (flags.publicUrl !== undefined && flags.endpoint === undefined) {
    throw new UsageError(
      '--public-url is for --endpoint (the URL to sign for); for capture files use --public-url-base',
    );
  }
  const contentType = parseContentType(flags.contentType);
  if (flags.endpoint !== undefined) {
    const endpoint = checkAbsoluteUrl(flags.endpoint, '--endpoint');
    const publicUrl = flags.publicUrl !== undefined ? checkAbsoluteUrl(flags.publicUrl, '--public-url') : endpoint;
    const kind = (flags.kind ?? 'sms').toLowerCase() as ProbeKind;
    if (!PROBE_KINDS.includes(kind))
      throw new UsageError(`--kind is one of ${PROBE_KINDS.join(', ')}, not "${flags.kind}"`);
    if (basicAuth)
      throw new UsageError(
        '--basic-auth is for capture files and --url: for --endpoint, put the credentials in its URL (https://USER:PASS@host/sms)',
      );
    return { mode: 'probe', endpoint, publicUrl, kind };
  }
  if (flags.url !== undefined) {
    const url = checkAbsoluteUrl(flags.url, '--url');
    if (flags.signature === undefined)
      throw new UsageError('--url needs --signature SIG (the X-Twilio-Signature header value)');
    if (flags.body !== undefined && flags.bodyFile !== undefined)
      throw new UsageError('give the body once: --body or --body-file');
    const body = flags.bodyFile !== undefined ? { file: flags.bodyFile } : { text: flags.body ?? '' };
    return {
      mode: 'one',
      url,
      signature: flags.signature,
      body,
      ...(contentType ? { contentType } : {}),
      strict: !!flags.strict,
      ...(basicAuth ? { basicAuth } : {}),
    };
  }
  for (const flag of ['signature', 'body', 'bodyFile'] as const) {
    if (flags[flag] !== undefined)
      throw new UsageError(`--${flag === 'bodyFile' ? 'body-file' : flag} is for one request: use it with --url`);
  }
  return {
    mode: 'files',
    captures,
    ...(flags.publicUrlBase !== undefined
      ? { publicUrlBase: checkAbsoluteUrl(flags.publicUrlBase, '--public-url-base') }
      : {}),
    ...(flags.junit !== undefined ? { junit: flags.junit } : {}),
    strict: !!flags.strict,
    allowUnsigned: !!flags.allowUnsigned,
    allowEmpty: !!flags.allowEmpty,
    ...(basicAuth ? { basicAuth } : {}),
  };
}

export async function runVerify(ctx: Ctx, options: VerifyOptions): Promise<number> {
  // Registered before any check: a usage error may quote a URL.
  for (const url of [options.url, options.endpoint, options.publicUrl, options.publicUrlBase])
    ctx.out.redactor.add(...urlPasswords(url));
  const plan = verifyOptions(options, ctx.out.redactor);
  const tokens = signingTokens(ctx.credentials());
  if (plan.mode === 'probe') return runProbe(ctx, plan, tokens);
  if (plan.mode === 'one') return runOne(ctx, plan, tokens);
  return runFiles(ctx, plan, tokens);
}

function parseContentType(value: string | undefined): ContentType | undefined {
  if (value === undefined) return undefined;
  const v = value.toLowerCase();
  if (v === 'form' || v === 'application/x-www-form-urlencoded') return 'form';
  if (v === 'json' || v === 'application/json') return 'json';
  throw new UsageError(`--content-type is form or json, not "${value}"`);
}

// ---------------------------------------------------------------------------------------------
// One request

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer | string>)
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks);
}

async function runOne(ctx: Ctx, plan: Extract<VerifyPlan, { mode: 'one' }>, tokens: string[]): Promise<number> {
  const { url, contentType } = plan;
  let body: string | Buffer = 'text' in plan.body ? plan.body.text : '';
  if ('file' in plan.body) {
    const file = plan.body.file;
    try {
      body = file === '-' ? await readAll(ctx.io.stdin) : await readFile(resolvePath(ctx, file));
    } catch (err) {
      throw new UsageError(
        `cannot read --body-file ${file}: ${unreadableReason(err)} (give the file with the request body, or - for stdin)`,
      );
    }
  }
  const text = typeof body === 'string' ? body : body.toString('utf8');
  const headers = contentType === 'json' ? { 'content-type': 'application/json' } : {};
  const { kind } = classify({ method: 'POST', url, headers, body: text });
  const verdict = verifyWithBasicAuth(
    { url, signature: plan.signature, body, contentType, authTokens: tokens, strict: plan.strict },
    plan.basicAuth ? { credentials: plan.basicAuth } : {},
  );
  ctx.out.result(
    { valid: verdict.valid, verdict: verdict.verdict, reason: verdict.reason ?? null, kind, ...extraFields(verdict) },
    () => {
      const c = ctx.out.c;
      const head = verdict.valid ? c.green('valid') : c.red(verdict.verdict);
      const token = verdict.valid && tokens.length > 1 ? ` (auth token #${verdict.tokenIndex})` : '';
      ctx.out.print(`${head}${token}${verdict.reason ? `: ${verdict.reason}` : ''}`);
      if (verdict.disagreement) ctx.out.print(`${c.yellow('note:')} ${verdict.disagreement}`);
    },
  );
  return verdict.valid ? 0 : 1;
}

function resolvePath(ctx: Ctx, path: string): string {
  return resolve(ctx.cwd, path);
}

function extraFields(v: CredentialsVerdict): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (v.tokenIndex !== undefined) out.tokenIndex = v.tokenIndex;
  if (v.matchedUrl !== undefined) out.matchedUrl = v.matchedUrl;
  if (v.sdkValid !== undefined) out.sdkValid = v.sdkValid;
  if (v.strictValid !== undefined) out.strictValid = v.strictValid;
  if (v.disagreement !== undefined) out.disagreement = v.disagreement;
  if (v.basicAuth !== undefined) out.basicAuth = v.basicAuth;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Capture files

/** How many failures get an explanation: past that, a file of forgeries would take minutes. */
const EXPLAIN_LIMIT = 2000;

interface Counts {
  total: number;
  valid: number;
  invalid: number;
  unsigned: number;
  malformed: number;
  /** HAR entries that are not Twilio webhooks. */
  skipped: number;
  disagreements: number;
  /** Invalid without the credentials of the dev --basic-auth session they came through, none given. */
  needBasicAuth: number;
}

async function runFiles(ctx: Ctx, options: Extract<VerifyPlan, { mode: 'files' }>, tokens: string[]): Promise<number> {
  const { captures, publicUrlBase: base } = options;
  const sources: CaptureSource[] = [];
  let stdinUsed = false;
  for (const file of captures) {
    if (file === '-') {
      if (stdinUsed) throw new UsageError('stdin (-) can be read only once');
      stdinUsed = true;
      sources.push({ name: '-', stream: ctx.io.stdin as Readable });
      continue;
    }
    const path = resolvePath(ctx, file);
    const why = await unreadableCapture(path);
    if (why) throw new UsageError(`cannot read ${file}: ${why}`);
    sources.push(path);
  }
  const displayName = new Map<string, string>(
    sources.map((s, i) => [typeof s === 'string' ? s : s.name, captures[i]!]),
  );

  const junit = options.junit ? await JunitWriter.open(resolvePath(ctx, options.junit), 'twhook verify') : undefined;
  // With a report being written, Ctrl-C stops the loop (instead of the process) so the
  // half-written report is removed.
  const onAbort = () => undefined;
  if (junit) ctx.signal.addEventListener('abort', onAbort);
  const counts: Counts = {
    total: 0,
    valid: 0,
    invalid: 0,
    unsigned: 0,
    malformed: 0,
    skipped: 0,
    disagreements: 0,
    needBasicAuth: 0,
  };
  const json = ctx.out.json;
  const tty = ctx.io.isStdoutTTY;
  const c = ctx.out.c;
  let invalidSeen = 0;
  let lastFile = '';
  let lastFileJson = '""';
  if (!json && tty) ctx.out.print(c.bold(`${pad('ID', 22)}  ${pad('KIND', 16)}  ${pad('VERDICT', 8)}  DETAIL`));

  // Records die young: a small young generation holds them as well as V8's default, in 26 MiB
  // less memory on a large file (see capture/memory.ts).
  const young = boundYoungGeneration();
  try {
    for await (const batch of readCaptureBatches(sources, { signal: ctx.signal })) {
      young.check();
      const lines: string[] = [];
      for (const item of batch) {
        const file = displayName.get(item.file) ?? item.file;
        if (item.error !== undefined) {
          counts.malformed++;
          const where = `${file}:${item.line}`;
          if (json) lines.push(JSON.stringify({ file, line: item.line, error: item.error, valid: false }));
          else ctx.out.warn(`${where}: ${item.error}`);
          junit?.add({ classname: file, name: where, error: { message: item.error, type: 'malformed' } });
          continue;
        }
        const row = verifyCapture(item, file, tokens, base, options, invalidSeen < EXPLAIN_LIMIT);
        if (!row) {
          counts.skipped++;
          continue;
        }
        if (row.verdict.verdict === 'invalid') invalidSeen++;
        counts.total++;
        if (row.verdict.valid) counts.valid++;
        else if (row.verdict.verdict === 'unsigned') counts.unsigned++;
        else counts.invalid++;
        if (row.verdict.disagreement) counts.disagreements++;
        if (row.verdict.basicAuth === 'missing') counts.needBasicAuth++;
        if (json && file !== lastFile) {
          lastFile = file;
          lastFileJson = JSON.stringify(file);
        }
        lines.push(
          json
            ? jsonRow(row, sources.length > 1 ? lastFileJson : undefined)
            : tty
              ? ttyRow(row, c, tokens.length)
              : tsvRow(row, tokens.length),
        );
        junit?.add(junitCase(row, options.allowUnsigned));
      }
      if (lines.length) ctx.out.print(lines.join('\n'));
      if (junit) await junit.drained();
      if (ctx.signal.aborted) break;
    }
  } catch (err) {
    await junit?.abort();
    if (err instanceof CaptureFileError) throw new UsageError(err.message);
    throw err;
  } finally {
    young.release();
    ctx.signal.removeEventListener('abort', onAbort);
  }
  if (ctx.signal.aborted) {
    await junit?.abort();
    throw new CancelError('interrupted: the capture files were not all checked');
  }

  // Nothing verified is not a pass: a CI job pointed at the wrong file must not go green.
  const empty = counts.total === 0 && !options.allowEmpty;
  const failed = counts.invalid + counts.malformed + (options.allowUnsigned ? 0 : counts.unsigned) + (empty ? 1 : 0);
  const ok = failed === 0;
  if (junit) await junit.close();
  const skipped = counts.skipped
    ? `; ${counts.skipped} skipped: not ${counts.skipped === 1 ? 'a Twilio webhook' : 'Twilio webhooks'}`
    : '';
  const emptyText = `no requests to verify${skipped ? ` (${counts.skipped} skipped: not ${counts.skipped === 1 ? 'a Twilio webhook' : 'Twilio webhooks'})` : ''}`;
  if (json) {
    ctx.out.emit({
      summary: {
        ...counts,
        ok,
        strict: !!options.strict,
        tokens: tokens.length,
        ...(counts.total === 0 ? { empty: true } : {}),
      },
    });
  } else {
    const parts = [
      `${counts.valid} valid`,
      `${counts.invalid} invalid`,
      `${counts.unsigned} unsigned${options.allowUnsigned && counts.unsigned ? ' (allowed)' : ''}`,
    ];
    if (counts.malformed) parts.push(plural(counts.malformed, 'malformed line'));
    if (counts.disagreements) parts.push(`${counts.disagreements} where the SDK and --strict disagree`);
    if (counts.needBasicAuth)
      parts.push(`${counts.needBasicAuth} not checked with the basic-auth credentials: ${PASS_BASIC_AUTH}`);
    const summary = `${plural(counts.total, 'request')}: ${parts.join(', ')}${skipped}`;
    ctx.out.note(`${ok ? c.green('✓') : c.red('✗')} ${summary}`);
    if (invalidSeen > EXPLAIN_LIMIT) ctx.out.note(`only the first ${EXPLAIN_LIMIT} invalid requests were explained`);
  }
  if (counts.total === 0 && !counts.malformed) {
    if (empty) ctx.out.error(`${emptyText}: check the capture files, or pass --allow-empty if none is expected`);
    else ctx.out.warn(emptyText);
  }
  return failed === 0 ? 0 : 1;
}

interface Row {
  id: string;
  file: string;
  line: number;
  kind: WebhookKind;
  gist: string;
  verdict: CredentialsVerdict;
}

/** The row of one captured request; undefined for a HAR entry that is not a Twilio webhook. */
function verifyCapture(
  item: CaptureItem & { record: CaptureRecord },
  file: string,
  tokens: string[],
  base: string | undefined,
  options: { strict: boolean; basicAuth?: BasicAuth },
  explain: boolean,
): Row | undefined {
  const record = item.record;
  const url = base ? rebaseUrl(record.url, base) : record.url;
  const headers = record.headers;
  let signature = headers['x-twilio-signature'];
  if (Array.isArray(signature)) signature = signature[0];
  const bytes = record.bodyBase64 !== undefined ? Buffer.from(record.bodyBase64, 'base64') : undefined;
  const text = bytes ? bytes.toString('utf8') : (record.body ?? '');
  const input = { method: record.method, url, headers, body: text };
  const classification = classify(input);
  const { kind, gist, params } = classification;
  // A dev capture holds only what reached the webhook URL: every request there counts.
  if (item.har && !looksLikeTwilio(input, classification)) return undefined;
  const verdict = verifyWithBasicAuth(
    {
      url,
      signature,
      body: bytes ?? text,
      headers,
      params,
      method: record.method,
      authTokens: tokens,
      strict: options.strict,
      explain,
    },
    capturedCredentials(record, options.basicAuth),
  );
  if (verdict.verdict === 'invalid' && !splitUrl(url)) {
    verdict.reason = `the captured url "${maskUrl(url)}" is not absolute: give the public base it was received at with --public-url-base https://…`;
  }
  return { id: record.id || `${file}:${item.line}`, file, line: item.line, kind, gist, verdict };
}

const jsonString = (value: string) => JSON.stringify(value);

/** One --json line. Built by hand: JSON.stringify of a fresh object per request cost ~8% of a run. */
function jsonRow(row: Row, fileJson: string | undefined): string {
  const v = row.verdict;
  let out = `{"id":${jsonString(row.id)},"valid":${v.valid},"verdict":"${v.verdict}","reason":${v.reason === undefined ? 'null' : jsonString(v.reason)}`;
  out += `,"kind":"${row.kind}","gist":${jsonString(row.gist)}`;
  if (fileJson !== undefined) out += `,"file":${fileJson}`;
  out += `,"line":${row.line}`;
  if (v.tokenIndex !== undefined) out += `,"tokenIndex":${v.tokenIndex}`;
  if (v.matchedUrl !== undefined) out += `,"matchedUrl":${jsonString(v.matchedUrl)}`;
  // Both verdicts only where they differ; otherwise they are `valid`.
  if (v.disagreement !== undefined)
    out += `,"sdkValid":${v.sdkValid},"strictValid":${v.strictValid},"disagreement":${jsonString(v.disagreement)}`;
  if (v.basicAuth !== undefined) out += `,"basicAuth":"${v.basicAuth}"`;
  return `${out}}`;
}

function detail(row: Row, tokenCount: number): string {
  const v = row.verdict;
  if (v.valid && tokenCount === 1 && v.reason === undefined && v.disagreement === undefined) return row.gist;
  const parts: string[] = [];
  if (v.valid) {
    parts.push(row.gist);
    if (tokenCount > 1) parts.push(`auth token #${v.tokenIndex}`);
    if (v.reason) parts.push(v.reason);
  } else {
    parts.push(v.reason ?? 'invalid signature');
  }
  if (v.disagreement) parts.push(`SDK and strict disagree: ${v.disagreement}`);
  return parts.join(' · ');
}

function tsvRow(row: Row, tokenCount: number): string {
  return `${clean(row.id)}\t${row.kind}\t${row.verdict.verdict}\t${clean(detail(row, tokenCount))}`;
}

function ttyRow(row: Row, c: Ctx['out']['c'], tokenCount: number): string {
  const v = row.verdict;
  const verdict = v.valid
    ? c.green(pad('valid', 8))
    : v.verdict === 'unsigned'
      ? c.yellow(pad('unsigned', 8))
      : c.red(pad('invalid', 8));
  return `${pad(clean(row.id), 22)}  ${pad(row.kind, 16)}  ${verdict}  ${clean(detail(row, tokenCount))}`;
}

function pad(text: string, width: number): string {
  if (text.length > width) return `${text.slice(0, width - 1)}…`;
  return text + ' '.repeat(width - text.length);
}

const CONTROL = /[\t\r\n]/;
function clean(text: string): string {
  return CONTROL.test(text) ? text.replace(/[\t\r\n]+/g, ' ') : text;
}

/** One request as a JUnit test case: a failure when invalid, skipped when unsigned and allowed. */
function junitCase(row: Row, allowUnsigned: boolean): JunitCase {
  const v = row.verdict;
  const c: JunitCase = { classname: row.file, name: `${row.id} ${row.kind}` };
  if (v.valid) return c;
  if (v.verdict === 'unsigned' && allowUnsigned) return { ...c, skipped: { message: v.reason ?? 'unsigned' } };
  const message = v.reason ?? 'invalid signature';
  return { ...c, failure: { message, type: v.verdict, details: message } };
}

// ---------------------------------------------------------------------------------------------
// Endpoint probe

async function runProbe(ctx: Ctx, plan: Extract<VerifyPlan, { mode: 'probe' }>, tokens: string[]): Promise<number> {
  const { endpoint, publicUrl, kind } = plan;
  const accountSid = ctx.credentials().accountSid?.value ?? `AC${hex(32)}`;
  const { cases, contentType } = probeCases(endpoint, stripFragment(publicUrl), kind, tokens[0]!, accountSid);
  const { request } = await import('undici');
  const pub = splitUrl(publicUrl)!;
  const results: ProbeResult[] = [];
  for (const probe of cases) {
    const headers: Record<string, string> = {
      'content-type': contentType === 'json' ? 'application/json' : 'application/x-www-form-urlencoded',
      'user-agent': 'TwilioProxy/1.1',
      'i-twilio-idempotency-token': randomUUID(),
      accept: '*/*',
    };
    if (probe.signature) headers['x-twilio-signature'] = probe.signature;
    if (publicUrl !== endpoint) {
      // An app behind a proxy rebuilds its public URL from these: send what the proxy would.
      headers['x-forwarded-proto'] = pub.scheme.toLowerCase().replace('://', '');
      headers['x-forwarded-host'] = pub.host + pub.port;
    }
    let status: number;
    try {
      const response = await request(probe.url, {
        method: 'POST',
        headers,
        body: probe.body,
        signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(15_000)]),
        headersTimeout: 15_000,
        bodyTimeout: 15_000,
      });
      status = response.statusCode;
      await response.body.dump();
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).name;
      throw new RemoteError(`cannot reach ${maskUrl(endpoint)}: ${code} (is the app running?)`, {
        code,
        service: 'app',
      });
    }
    const ok = probe.expect === 'accept' ? status >= 200 && status < 300 : status >= 400 && status < 500;
    results.push({ case: probe.name, expect: probe.expect, status, ok });
  }

  const { ok, verdict } = probeVerdict(results);

  ctx.out.result({ endpoint: maskUrl(endpoint), publicUrl: maskUrl(publicUrl), kind, ok, verdict, results }, () => {
    const c = ctx.out.c;
    ctx.out.table(
      [
        { header: 'REQUEST', value: (r: ProbeResult) => r.case },
        { header: 'EXPECTED', value: (r: ProbeResult) => (r.expect === 'accept' ? '2xx' : '4xx') },
        { header: 'GOT', value: (r: ProbeResult) => String(r.status) },
        {
          header: 'RESULT',
          value: (r: ProbeResult) =>
            r.ok ? c.green('ok') : c.red(r.expect === 'refuse' && r.status < 300 ? 'ACCEPTED' : 'FAILED'),
        },
      ],
      results,
    );
  });
  if (ok) {
    ctx.out.note(`${ctx.out.c.green('✓')} ${verdict}: ${results.length - 1} forgeries refused`);
    return 0;
  }
  ctx.out.error(verdict);
  return 1;
}

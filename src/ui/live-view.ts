/**
 * The three ways `twhook dev` draws its events: the live view (a terminal: colour, one entry per
 * request with its problems indented below), the plain log (piped: one tab-separated line per
 * request, stable for grep and awk), and NDJSON (--json: one event object a line). Each handles
 * the whole event union with an exhaustive switch.
 *
 * Request lines are the data of `dev` and go to stdout; the session's own notes (ready, restored,
 * the app's output) go to stderr.
 */
import type { DevEvent, ReadyEvent, RequestEvent, RestoredEvent, SignatureVerdict } from '../dev/events.js';
import { formatMs } from './format.js';
import type { Output } from './output.js';

export type RendererKind = 'live' | 'log' | 'json';

export interface RenderOptions {
  verbose?: boolean;
  /** HH:MM:SS of an ISO time; local time by default. */
  formatTime?: (iso: string) => string;
}

export type Renderer = (event: DevEvent) => void;

export function rendererKind(out: Output): RendererKind {
  if (out.json) return 'json';
  return out.io.isStdoutTTY ? 'live' : 'log';
}

export function createRenderer(out: Output, options: RenderOptions = {}, kind: RendererKind = rendererKind(out)): Renderer {
  switch (kind) {
    case 'live':
      return liveRenderer(out, options);
    case 'log':
      return logRenderer(out, options);
    case 'json':
      return jsonRenderer(out, options);
  }
}

export function localTime(iso: string): string {
  const d = new Date(iso);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

// ---- live view ----

function liveRenderer(out: Output, options: RenderOptions): Renderer {
  const c = out.c;
  const at = options.formatTime ?? localTime;
  const note = (text: string) => out.io.stderr.write(out.redactor.redact(text) + '\n');
  return (event) => {
    switch (event.type) {
      case 'ready':
        for (const line of readyLines(event, c)) note(line);
        return;
      case 'request': {
        const e = event;
        const head = [
          c.dim(at(e.time)),
          c.dim(`#${e.id}`),
          c.bold(e.request.method.padEnd(4)),
          e.request.path,
          c.cyan(e.kind),
          e.gist,
          verdictText(e.verdict, c),
          statusText(e, c),
          e.response?.contentType ? c.dim(shortType(e.response.contentType)) : '',
          c.dim(formatMs(e.latencyMs)),
          e.retryOf !== undefined ? c.yellow(`↻ retry of #${e.retryOf}`) : '',
        ].filter(Boolean);
        out.print(head.join('  '));
        for (const line of problemLines(e)) out.print(`    ${line.level === 'error' ? c.red('✗') : c.yellow('!')} ${line.text}`);
        if (options.verbose) for (const line of verboseLines(e)) out.print(c.dim(`    ${line}`));
        return;
      }
      case 'warning':
        out.warn(event.message);
        return;
      case 'error':
        out.error(event.message);
        return;
      case 'restored':
        for (const line of restoredLines(event, c)) note(line);
        return;
      case 'app-output':
        note(`${c.magenta('app |')} ${event.line}`);
        return;
    }
  };
}

type Chalkish = Output['c'];

function verdictText(v: SignatureVerdict, c: Chalkish): string {
  switch (v.status) {
    case 'valid':
      return c.green(v.matchedUrl === 'without-credentials' ? '✓ (URL without credentials)' : '✓');
    case 'invalid':
      return c.red(`✗ ${v.reason}`);
    case 'unsigned':
      return c.red(`✗ unsigned: ${v.reason}`);
    case 'unchecked':
      return c.dim(v.reason);
  }
}

function statusText(e: RequestEvent, c: Chalkish): string {
  const status = String(e.status);
  if (e.outcome === 'challenged') return c.dim(`${status} (auth challenge)`);
  if (e.outcome !== 'answered') return c.red(`${status} ${e.outcome}`);
  if (e.status >= 400) return c.red(status);
  if (e.status >= 300) return c.yellow(status);
  return c.green(status);
}

function shortType(contentType: string): string {
  return contentType.split(';')[0]!.trim();
}

/** What is wrong with an exchange, most important first, one line each. */
export function problemLines(e: RequestEvent): { level: 'error' | 'warning'; text: string }[] {
  const lines: { level: 'error' | 'warning'; text: string }[] = [];
  const twilio = e.twilioError ? ` (Twilio error ${e.twilioError.code} ${e.twilioError.message})` : '';
  if (e.failure && e.outcome !== 'challenged') lines.push({ level: 'error', text: `${e.failure}${e.twiml ? '' : twilio}` });
  if (e.twiml && !e.twiml.ok) {
    e.twiml.problems.forEach((problem, i) => lines.push({ level: e.twiml!.twilioError?.code === 12200 ? 'warning' : 'error', text: `TwiML: ${problem}${i === 0 ? twilio : ''}` }));
  } else if (!e.failure && e.twilioError) {
    lines.push({ level: 'error', text: `the app answered ${e.status}${twilio}` });
  }
  for (const warning of e.warnings) lines.push({ level: 'warning', text: warning });
  return lines;
}

function verboseLines(e: RequestEvent): string[] {
  const lines = ['> ' + `${e.request.method} ${e.request.url}`];
  for (const [name, value] of e.request.headers) lines.push(`> ${name}: ${value}`);
  if (e.request.body) lines.push(...bodyLines('>', e.request.body, e.request.bodyEncoding, e.request.truncated));
  if (e.response) {
    lines.push(`< ${e.response.status}`);
    for (const [name, value] of e.response.headers) lines.push(`< ${name}: ${value}`);
    if (e.response.body) lines.push(...bodyLines('<', e.response.body, e.response.bodyEncoding, e.response.truncated));
  }
  return lines;
}

function bodyLines(prefix: string, body: string, encoding: 'utf8' | 'base64', truncated: boolean): string[] {
  const text = encoding === 'base64' ? `(binary, base64) ${body}` : body;
  const lines = text.split(/\r?\n/).map((l) => `${prefix} ${l}`);
  if (truncated) lines.push(`${prefix} … (truncated)`);
  return [`${prefix}`, ...lines];
}

function readyLines(e: ReadyEvent, c: Chalkish): string[] {
  const lines = [`${c.bold('twhook dev')}  ${c.cyan(e.publicUrl)} → ${e.proxyUrl} → ${e.target}`];
  for (const n of e.numbers) {
    const fields = Object.entries(n.urls);
    fields.forEach(([field, url], i) => lines.push(`  ${(i === 0 ? n.phoneNumber : '').padEnd(16)}${field.padEnd(18)}${url}`));
  }
  if (!e.numbers.length) lines.push(`  no numbers changed: point webhooks at ${e.publicUrl}/… yourself (or pass --number)`);
  lines.push(`  signatures: ${e.signatures === 'checked' ? (e.enforceSignatures ? 'checked, invalid ones refused with 403' : 'checked') : c.yellow('unchecked (set TWILIO_AUTH_TOKEN)')}`);
  if (e.basicAuth) lines.push('  basic auth: required (credentials are in the numbers\' URLs)');
  // Added by `dev --events` (src/events/dev-events.ts) under its extension name.
  const events = (e as ReadyEvent & { events?: { url: string; sink: string; types: string[] } }).events;
  if (events) lines.push(`  event streams: ${events.types.join(', ')} → ${events.url} (temporary sink ${events.sink}, deleted on exit)`);
  lines.push(`  capture: ${e.capture ?? 'off'}`);
  lines.push(c.dim(e.numbers.length ? 'Waiting for webhooks. Ctrl-C stops and restores the numbers.' : 'Waiting for webhooks. Ctrl-C stops.'));
  return lines;
}

function restoredLines(e: RestoredEvent, c: Chalkish): string[] {
  const lines: string[] = [];
  for (const n of e.numbers) {
    if (n.error) {
      lines.push(`${c.red('✗')} ${n.phoneNumber} NOT restored: ${n.error}`);
      continue;
    }
    const fields = Object.entries(n.fields);
    if (!fields.length) lines.push(`${c.green('✓')} ${n.phoneNumber} already as it was`);
    else lines.push(`${c.green('✓')} restored ${n.phoneNumber}: ${fields.map(([f, v]) => `${f} ${v ?? '(empty)'}`).join(', ')}`);
  }
  // A session that failed before changing a number: say so, nobody need wonder about a restore.
  const untouched = !e.numbers.length && e.reason !== 'interrupted' && e.reason !== 'stopped' ? ': no number was changed' : '';
  lines.push(c.dim(`stopped (${e.reason})${untouched}`));
  return lines;
}

// ---- plain log (piped) ----

function logRenderer(out: Output, options: RenderOptions): Renderer {
  const note = (text: string) => out.io.stderr.write(out.redactor.redact(text) + '\n');
  const clean = (text: string) => text.replace(/[\t\r\n]+/g, ' ');
  return (event) => {
    switch (event.type) {
      case 'ready':
        for (const line of readyLines(event, out.c)) note(line);
        return;
      case 'request': {
        const e = event;
        const problems = problemLines(e).map((p) => p.text);
        out.print(
          [
            e.time,
            String(e.id),
            e.request.method,
            e.request.path,
            e.kind,
            e.verdict.status,
            String(e.status),
            e.outcome,
            e.response?.contentType ? shortType(e.response.contentType) : '-',
            String(Math.round(e.latencyMs)),
            e.retryOf !== undefined ? `retry-of=${e.retryOf}` : '-',
            e.gist || '-',
            e.verdict.status === 'valid' || e.verdict.status === 'unchecked' ? '-' : e.verdict.reason,
            problems.length ? problems.join('; ') : '-',
          ]
            .map(clean)
            .join('\t'),
        );
        if (options.verbose) for (const line of verboseLines(e)) out.print(`    ${line}`);
        return;
      }
      case 'warning':
        out.warn(event.message);
        return;
      case 'error':
        out.error(event.message);
        return;
      case 'restored':
        for (const line of restoredLines(event, out.c)) note(line);
        return;
      case 'app-output':
        note(`app | ${event.line}`);
        return;
    }
  };
}

// ---- NDJSON ----

function jsonRenderer(out: Output, options: RenderOptions): Renderer {
  return (event) => {
    switch (event.type) {
      case 'ready':
      case 'restored':
      case 'warning':
      case 'error':
        out.emit(event);
        return;
      case 'request':
        out.emit(options.verbose ? event : withoutBodies(event));
        return;
      case 'app-output':
        // The app's own output is not an event of the stream: it stays human, on stderr.
        out.io.stderr.write(out.redactor.redact(`app | ${event.line}`) + '\n');
        return;
    }
  };
}

/** The event without headers and bodies (their sizes stay): --verbose keeps them. */
export function withoutBodies(e: RequestEvent): RequestEvent {
  const { headers: _h, body: _b, ...request } = e.request;
  const copy = { ...e, request: request as RequestEvent['request'] };
  if (e.response) {
    const { headers: _rh, body: _rb, ...response } = e.response;
    copy.response = response as RequestEvent['response'];
  }
  return copy;
}

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
import { visibleLength, type Output } from './output.js';

export type RendererKind = 'live' | 'log' | 'json';

export interface RenderOptions {
  verbose?: boolean;
  /** HH:MM:SS of an ISO time; local time by default. */
  formatTime?: (iso: string) => string;
  /** The terminal's width now (it can change): the live view fits the gist into it. */
  width?: () => number | undefined;
}

export type Renderer = (event: DevEvent) => void;

export function rendererKind(out: Output): RendererKind {
  if (out.json) return 'json';
  return out.io.isStdoutTTY ? 'live' : 'log';
}

export function createRenderer(
  out: Output,
  options: RenderOptions = {},
  kind: RendererKind = rendererKind(out),
): Renderer {
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
  const columns = new Columns();
  return (event) => {
    switch (event.type) {
      case 'ready':
        for (const line of readyLines(event, c)) note(line);
        return;
      case 'request': {
        const e = event;
        out.print(columns.line(e, c, at, options.width?.()));
        for (const line of [...verdictLines(e.verdict), ...problemLines(e)]) {
          const mark = line.level === 'error' ? c.red('✗') : line.level === 'warning' ? c.yellow('!') : c.dim('→');
          out.print(`    ${mark} ${line.text}`);
        }
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

/**
 * The live view's columns (time, #, method, path, kind, verdict, status, latency), each as wide as
 * the widest value seen so far (from a sensible minimum, up to a cap past which a value is cut
 * with …), so the lines of a session line up; the gist takes what is left of the terminal's width.
 */
class Columns {
  private id = 3;
  private method = 4;
  private path = 6;
  private kind = 11;
  private status = 3;

  line(e: RequestEvent, c: Chalkish, at: (iso: string) => string, width: number | undefined): string {
    const id = `#${e.id}`;
    const method = clip(e.request.method, 7);
    const path = clip(e.request.path, 32);
    const kind = clip(e.kind, 20);
    const status = statusCell(e);
    this.id = Math.max(this.id, id.length);
    this.method = Math.max(this.method, method.length);
    this.path = Math.max(this.path, path.length);
    this.kind = Math.max(this.kind, kind.length);
    this.status = Math.max(this.status, status.length);
    const verdict = verdictCell(e.verdict);
    const latency = formatMs(e.latencyMs).padStart(7);
    const cells = [
      c.dim(at(e.time)),
      c.dim(id.padEnd(this.id)),
      c.bold(method.padEnd(this.method)),
      path.padEnd(this.path),
      c.cyan(kind.padEnd(this.kind)),
      verdictColour(e.verdict, c)(verdict.padEnd(VERDICT_WIDTH)),
      statusColour(e, c)(status.padEnd(this.status)),
      c.dim(latency),
    ];
    const head = cells.join('  ');
    const retry = e.retryOf !== undefined ? `↻ retry of #${e.retryOf}` : '';
    const gist = [retry, e.gist].filter(Boolean).join('  ');
    if (!gist) return head;
    const room = width ? width - visibleLength(head) - 2 : Infinity;
    if (room < 4) return head;
    const shown = clip(gist, room);
    return `${head}  ${retry ? c.yellow(shown.slice(0, retry.length)) + shown.slice(retry.length) : shown}`;
  }
}

const VERDICT_WIDTH = 10;

function clip(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : chars.slice(0, Math.max(max - 1, 0)).join('') + '…';
}

function verdictCell(v: SignatureVerdict): string {
  switch (v.status) {
    case 'valid':
      return '✓ valid';
    case 'invalid':
      return '✗ invalid';
    case 'unsigned':
      return '✗ unsigned';
    case 'unchecked':
      return 'unchecked';
  }
}

function verdictColour(v: SignatureVerdict, c: Chalkish): (text: string) => string {
  return v.status === 'valid' ? c.green : v.status === 'unchecked' ? c.dim : c.red;
}

/** Why a signature is not valid, below the request line (the column has only the verdict). */
function verdictLines(v: SignatureVerdict): { level: 'error' | 'warning'; text: string }[] {
  if (v.status === 'invalid') return [{ level: 'error', text: `signature: ${v.reason}` }];
  if (v.status === 'unsigned') return [{ level: 'error', text: `unsigned: ${v.reason}` }];
  if (v.matchedUrl === 'without-credentials') return [{ level: 'warning', text: `signature: ${v.reason}` }];
  return [];
}

/** The status alone: what went wrong (app down, timeout…) is the line below, so the column stays narrow. */
function statusCell(e: RequestEvent): string {
  return String(e.status);
}

function statusColour(e: RequestEvent, c: Chalkish): (text: string) => string {
  if (e.outcome === 'challenged') return c.dim;
  if (e.outcome !== 'answered' || e.status >= 400) return c.red;
  if (e.status >= 300) return c.yellow;
  return c.green;
}

type Chalkish = Output['c'];

function shortType(contentType: string): string {
  return contentType.split(';')[0]!.trim();
}

/** What is wrong with an exchange, most important first, one line each. */
export function problemLines(e: RequestEvent): { level: 'error' | 'warning' | 'note'; text: string }[] {
  const lines: { level: 'error' | 'warning' | 'note'; text: string }[] = [];
  const twilio = e.twilioError ? ` (Twilio error ${e.twilioError.code} ${e.twilioError.message})` : '';
  if (e.failure && e.outcome !== 'challenged')
    lines.push({ level: 'error', text: `${e.failure}${e.twiml ? '' : twilio}` });
  if (e.twiml && !e.twiml.ok) {
    e.twiml.problems.forEach((problem, i) =>
      lines.push({
        level: e.twiml!.twilioError?.code === 12200 ? 'warning' : 'error',
        text: `TwiML: ${problem}${i === 0 ? twilio : ''}`,
      }),
    );
  } else if (!e.failure && e.twilioError) {
    lines.push({ level: 'error', text: `the app answered ${e.status}${twilio}` });
  } else if (e.twiml?.effect && e.twiml.effect !== 'no reply') {
    // Plain text or audio instead of TwiML: Twilio accepts it, and what it does is worth a line.
    lines.push({ level: 'note', text: e.twiml.effect });
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
    fields.forEach(([field, url], i) =>
      lines.push(`  ${(i === 0 ? n.phoneNumber : '').padEnd(16)}${field.padEnd(18)}${url}`),
    );
  }
  if (!e.numbers.length)
    lines.push(`  no numbers changed: point webhooks at ${e.webhookBase ?? e.publicUrl}/… yourself (or pass --number)`);
  lines.push(
    `  signatures: ${e.signatures === 'checked' ? (e.enforceSignatures ? 'checked, invalid ones refused with 403' : 'checked') : c.yellow('unchecked (set TWILIO_AUTH_TOKEN)')}`,
  );
  if (e.basicAuth) lines.push("  basic auth: required (credentials are in the numbers' URLs)");
  // Added by `dev --events` (src/events/dev-events.ts) under its extension name.
  const events = (e as ReadyEvent & { events?: { url: string; sink: string; types: string[] } }).events;
  if (events)
    lines.push(
      `  event streams: ${events.types.join(', ')} → ${events.url} (temporary sink ${events.sink}, deleted on exit)`,
    );
  lines.push(`  capture: ${e.capture ?? 'off'}`);
  // Added by the web inspector (src/inspector/dev.ts) under its extension name.
  const inspector = (e as ReadyEvent & { inspector?: { url: string } }).inspector;
  if (inspector) lines.push(`  inspector: ${c.cyan(inspector.url)}`);
  lines.push(
    c.dim(
      e.numbers.length
        ? 'Waiting for webhooks. Ctrl-C stops and restores the numbers.'
        : 'Waiting for webhooks. Ctrl-C stops.',
    ),
  );
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
    else
      lines.push(
        `${c.green('✓')} restored ${n.phoneNumber}: ${fields.map(([f, v]) => `${f} ${v ?? '(empty)'}`).join(', ')}`,
      );
  }
  // A session that failed before changing a number: say so, nobody need wonder about a restore.
  const untouched =
    !e.numbers.length && e.reason !== 'interrupted' && e.reason !== 'stopped' ? ': no number was changed' : '';
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

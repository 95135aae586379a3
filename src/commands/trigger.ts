/**
 * `twhook trigger <event> --to URL`: a synthetic, realistic, correctly signed webhook (or the
 * sequence of status callbacks) sent to an app, with the app's answer and, where Twilio expects
 * TwiML, the TwiML check `dev` runs. The events are the fixtures in src/fixtures.
 */
import type { Command } from 'commander';
import type { Wire } from './registry.js';
import type { Ctx } from '../ctx.js';
import { RemoteError, UsageError } from '../errors.js';
import { urlPasswords } from '../webhooks/url.js';
import { signingTokens } from '../twilio/credentials.js';
import { severalTokens } from './shared/several-tokens.js';
import { classify } from '../webhooks/kinds.js';
import { checkTwimlAnswer, type TwimlCheck } from '../webhooks/twiml.js';
import { createSender, failureAdvice, type Answer, type OutgoingRequest, type SendFailure } from '../send/http.js';
import {
  buildEvent,
  chooseVariant,
  flagName,
  requireFixture,
  signSynthetic,
  type SyntheticRequest,
} from '../trigger/build.js';
import { listFixtures, type Fixture, type Json } from '../trigger/fixtures.js';
import { checkAbsoluteUrl, parseKeyValue, parsePositiveInt } from './shared/flags.js';
import { answerText, isAnswerOk } from '../send/compare.js';
import { collect } from './shared/collect.js';

export interface TriggerFlags {
  to?: string;
  param?: string[];
  from?: string;
  toNumber?: string;
  body?: string;
  media?: string;
  digits?: string;
  speech?: string;
  finalStatus?: string;
  errorCode?: string;
  duration?: string;
  level?: string;
  signFor?: string;
  unsigned?: boolean;
  method?: string;
  dryRun?: boolean;
  seed?: string;
  list?: boolean;
  timeout?: string;
}

/** The flags that set fixture variables, and how each value is checked. */
const VARIABLE_FLAGS: Array<{ option: keyof TriggerFlags; variable: string; check: (value: string) => string }> = [
  { option: 'from', variable: 'from', check: (v) => checkAddress(v, '--from') },
  { option: 'toNumber', variable: 'to', check: (v) => checkAddress(v, '--to-number') },
  { option: 'body', variable: 'body', check: (v) => v },
  { option: 'media', variable: 'media', check: (v) => String(parseCount(v, '--media', 0, 10)) },
  {
    option: 'digits',
    variable: 'digits',
    check: (v) => {
      if (!/^[0-9*#w]*$/.test(v)) throw new UsageError(`--digits takes keypad keys (0-9, * and #), not "${v}"`);
      return v;
    },
  },
  { option: 'speech', variable: 'speech', check: (v) => v },
  { option: 'finalStatus', variable: 'finalStatus', check: (v) => v },
  {
    option: 'errorCode',
    variable: 'errorCode',
    check: (v) => {
      if (!/^\d{5}$/.test(v))
        throw new UsageError(`--error-code takes a Twilio error code (5 digits, such as 30003), not "${v}"`);
      return v;
    },
  },
  { option: 'duration', variable: 'duration', check: (v) => String(parseCount(v, '--duration', 0, 86_400)) },
  {
    option: 'level',
    variable: 'level',
    check: (v) => {
      const level = v.toUpperCase();
      if (level !== 'ERROR' && level !== 'WARNING') throw new UsageError(`--level is ERROR or WARNING, not "${v}"`);
      return level;
    },
  },
];

export function register(cmd: Command, wire: Wire): void {
  cmd
    .argument('[event]', 'sms, mms, call, gather, recording, message-status, call-status, debugger, event-streams')
    .option('--to <url>', 'the URL to send to (your app: http://localhost:3000/sms)')
    .option(
      '--param <K=V>',
      'set or add a field (repeatable); for event-streams sets data.K of each event, or a dotted path',
      collect,
    )
    .option('--from <number>', 'the From number (E.164)')
    .option('--to-number <number>', 'the To number (E.164)')
    .option('--body <text>', 'the message text (sms, mms)')
    .option('--media <n>', 'how many media attachments (mms, 0-10)')
    .option('--digits <keys>', 'the keys pressed (gather)')
    .option('--speech <text>', 'the words spoken, instead of digits (gather)')
    .option(
      '--final-status <status>',
      'how the sequence ends: message-status delivered|undelivered|failed, call-status completed|busy|no-answer',
    )
    .option('--error-code <code>', 'the ErrorCode of a failed message or a debugger event')
    .option('--duration <seconds>', 'the call or recording duration (call-status, recording)')
    .option('--level <level>', 'ERROR or WARNING (debugger)')
    .option('--sign-for <url>', 'sign for this URL while sending to --to (your app sits behind a proxy)')
    .option('--unsigned', 'send without X-Twilio-Signature (no auth token needed)')
    .option('--method <method>', 'GET puts the fields in the query string, as a webhook configured with GET', 'POST')
    .option('--dry-run', 'print the signed request(s) without sending')
    .option('--seed <seed>', 'the same SIDs and tokens on every run (docs, snapshots)')
    .option('--timeout <seconds>', 'how long to wait for the answer (Twilio waits 15 s)', '15')
    .option('--list', 'list the events and their fields (with an event: its fields and example values)')
    .addHelpText(
      'after',
      `
Signing: with TWILIO_AUTH_TOKEN (or --auth-token) each request carries the X-Twilio-Signature
Twilio would send for the --to URL (or --sign-for); --unsigned sends none.

Examples:
  $ twhook trigger sms --to http://localhost:3000/sms --body "hello"
  $ twhook trigger message-status --to http://localhost:3000/status --final-status undelivered
  $ twhook trigger gather --to http://localhost:3000/gather --speech "sales please"
  $ twhook trigger --list
`,
    )
    .action(wire(async (ctx: Ctx, event: string | undefined, flags: TriggerFlags) => runTrigger(ctx, event, flags)));
}

function parseCount(value: string, flag: string, min: number, max: number): number {
  const n = parsePositiveInt(value, flag, min);
  if (n > max) throw new UsageError(`${flag} is at most ${max}, not ${value}`);
  return n;
}

const ADDRESS = /^(?:\+[1-9]\d{6,14}|(?:whatsapp|messenger|rcs):\+?[\w.@-]+|client:[\w.@-]+|sip:\S+)$/;

function checkAddress(value: string, flag: string): string {
  if (!ADDRESS.test(value)) {
    throw new UsageError(
      `${flag} must be an E.164 number such as +15558675310 (or whatsapp:+…, client:name, sip:…), not "${value}"`,
    );
  }
  return value;
}

/** One request sent (or not) and what came back. */
export interface TriggerResult {
  request: SyntheticRequest;
  outgoing: OutgoingRequest;
  kind: string;
  gist: string;
  answer?: Answer;
  failure?: SendFailure;
  twiml?: TwimlCheck;
  ok: boolean;
}

export async function runTrigger(ctx: Ctx, event: string | undefined, flags: TriggerFlags): Promise<number> {
  if (flags.list) return listEvents(ctx, event, flags);
  if (!event) throw new UsageError('which event? twhook trigger <event> --to URL (twhook trigger --list shows them)');
  const fixture = requireFixture(event);
  const vars = variablesFor(fixture, flags);
  const params = (flags.param ?? []).map((p) => parseKeyValue(p, '--param', 'Body=Hello'));
  if (!flags.to) {
    throw new UsageError(
      `where to? pass --to with your app's URL: twhook trigger ${event} --to http://localhost:3000/${defaultPath(fixture)}`,
    );
  }
  const to = checkAbsoluteUrl(flags.to, '--to', 'http://localhost:3000/sms');
  const signFor = flags.signFor
    ? checkAbsoluteUrl(flags.signFor, '--sign-for', 'https://abc123.ngrok.app/sms')
    : undefined;
  // Basic-auth passwords in --to / --sign-for are secrets: never in the request lines or --json.
  for (const url of [to, signFor]) ctx.out.redactor.add(...urlPasswords(url));
  const method = flags.method?.toUpperCase();
  if (method !== 'GET' && method !== 'POST') throw new UsageError(`--method is GET or POST, not "${flags.method}"`);
  const timeoutMs = parsePositiveInt(flags.timeout ?? '15', '--timeout', 1) * 1000;

  const creds = ctx.credentials();
  let authToken: string | undefined;
  if (!flags.unsigned) {
    try {
      const tokens = signingTokens(creds);
      if (tokens.length > 1) ctx.out.warn(severalTokens(tokens.length));
      authToken = tokens[0];
    } catch (err) {
      if (err instanceof UsageError)
        throw new UsageError(`${err.message}, or pass --unsigned to send it without a signature`);
      throw err;
    }
  }
  const sid = creds.accountSid?.value;
  const accountSid = sid && /^AC[0-9a-fA-F]{32}$/.test(sid) ? sid : undefined;

  const built = buildEvent(fixture, { vars, params, accountSid, now: ctx.clock.now(), seed: flags.seed, method });
  for (const name of built.unusedVars)
    ctx.out.warn(`${flagName(name)} has no effect on ${fixture.event}${built.variant ? ` ${built.variant}` : ''}`);
  const signed = built.requests.map((request) => ({
    request,
    outgoing: signSynthetic(request, { to, signFor, authToken }),
  }));
  if (!authToken) ctx.out.note(ctx.out.c.dim('unsigned: no X-Twilio-Signature (an app that validates will refuse it)'));

  if (flags.dryRun) {
    for (const { request, outgoing } of signed) {
      const { kind, gist } = describe(outgoing);
      ctx.out.result(
        {
          event: request.event,
          step: request.step,
          index: request.index,
          total: request.total,
          kind,
          gist,
          request: requestJson(request, outgoing),
        },
        () => printRequest(ctx, request, outgoing, true),
      );
    }
    return 0;
  }

  const sender = await createSender({ connections: 1, timeoutMs });
  const results: TriggerResult[] = [];
  try {
    for (const { request, outgoing } of signed) {
      if (ctx.signal.aborted) break;
      const { kind, gist } = describe(outgoing);
      if (!ctx.out.json) printRequest(ctx, request, outgoing, false);
      const sent = await sender.send(outgoing, ctx.signal);
      const result: TriggerResult = { request, outgoing, kind, gist, ok: false };
      if (sent.failure) {
        result.failure = sent.failure;
      } else {
        result.answer = sent.answer;
        if (request.expectsTwiml) {
          result.twiml = checkTwimlAnswer({
            status: sent.answer.status,
            contentType: sent.answer.contentType,
            body: sent.answer.body,
            channel: request.expectsTwiml,
          });
        }
        result.ok = isAnswerOk(sent.answer.status, result.twiml);
      }
      results.push(result);
      if (ctx.out.json) ctx.out.emit(resultJson(result));
      else printResult(ctx, result);
      // Nothing answered: the next steps would fail the same way.
      if (sent.failure) break;
    }
  } finally {
    await sender.close();
  }

  const failed = results.filter((r) => !r.ok).length;
  const unreachable = results.find((r) => r.failure);
  const summary = {
    event: fixture.event,
    variant: built.variant ?? null,
    to,
    sent: results.length,
    ok: results.length - failed,
    failed,
  };
  if (ctx.out.json) ctx.out.emit({ summary });
  else if (signed.length > 1 && !unreachable)
    ctx.out.note(`${results.length} of ${signed.length} sent to ${to}: ${summary.ok} ok, ${failed} failed`);
  if (ctx.signal.aborted) return 130;
  if (unreachable?.failure) {
    throw new RemoteError(`${unreachable.failure.message}: ${failureAdvice(unreachable.failure)}`, {
      code: unreachable.failure.code,
      service: 'app',
    });
  }
  return failed ? 1 : 0;
}

function defaultPath(fixture: Fixture): string {
  switch (fixture.expectsTwiml) {
    case 'messaging':
      return 'sms';
    case 'voice':
      return fixture.event === 'gather' ? 'gather' : 'voice';
    default:
      return 'status';
  }
}

/** The fixture variables the flags set; a flag the event does not take is an error naming those it does. */
export function variablesFor(fixture: Fixture, flags: TriggerFlags): Record<string, string> {
  const known = new Set(Object.keys(fixture.vars ?? {}));
  if (fixture.variantBy) known.add(fixture.variantBy);
  const vars: Record<string, string> = {};
  for (const { option, variable, check } of VARIABLE_FLAGS) {
    const value = flags[option];
    if (typeof value !== 'string') continue;
    if (!known.has(variable)) {
      const takes = eventFlags(fixture);
      throw new UsageError(
        `${flagName(variable)} does not apply to ${fixture.event}${takes.length ? `: it takes ${takes.join(', ')}` : ''} (or --param K=V for any field)`,
      );
    }
    vars[variable] = check(value);
  }
  chooseVariant(fixture, vars);
  return vars;
}

/** The variable flags an event takes, from its fixture. */
export function eventFlags(fixture: Fixture): string[] {
  const vars = new Set(Object.keys(fixture.vars ?? {}));
  return VARIABLE_FLAGS.filter((f) => vars.has(f.variable)).map((f) => flagName(f.variable));
}

function lowerHeaders(headers: Record<string, string | string[]>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value;
  return out;
}

function describe(outgoing: OutgoingRequest): { kind: string; gist: string } {
  const body =
    typeof outgoing.body === 'string'
      ? outgoing.body
      : outgoing.body
        ? Buffer.from(outgoing.body).toString('utf8')
        : '';
  const { kind, gist } = classify({
    method: outgoing.method,
    url: outgoing.url,
    headers: lowerHeaders(outgoing.headers),
    body,
  });
  return { kind, gist };
}

function requestJson(request: SyntheticRequest, outgoing: OutgoingRequest): Record<string, unknown> {
  return {
    method: outgoing.method,
    url: outgoing.url,
    signedFor: outgoing.signedFor ?? null,
    headers: outgoing.headers,
    ...(request.contentType === 'json' ? { json: request.json } : { params: request.params }),
  };
}

function resultJson(r: TriggerResult): Record<string, unknown> {
  return {
    event: r.request.event,
    step: r.request.step,
    index: r.request.index,
    total: r.request.total,
    kind: r.kind,
    gist: r.gist,
    request: requestJson(r.request, r.outgoing),
    response: r.answer
      ? {
          status: r.answer.status,
          contentType: r.answer.contentType ?? null,
          ms: Math.round(r.answer.ms * 10) / 10,
          body: answerText(r.answer),
          truncated: r.answer.truncated,
        }
      : null,
    error: r.failure ? { code: r.failure.code, message: r.failure.message } : undefined,
    twiml: r.twiml,
    ok: r.ok,
  };
}

function stepLabel(request: SyntheticRequest): string {
  return request.total > 1 ? `[${request.index + 1}/${request.total}] ${request.step} ` : '';
}

function printRequest(ctx: Ctx, request: SyntheticRequest, outgoing: OutgoingRequest, full: boolean): void {
  const c = ctx.out.c;
  const { kind, gist } = describe(outgoing);
  ctx.out.print(`${c.bold(stepLabel(request) + `${outgoing.method} ${outgoing.url}`)}  ${c.cyan(kind)}  ${gist}`);
  if (outgoing.signedFor && outgoing.signedFor !== outgoing.url)
    ctx.out.print(c.dim(`  signed for ${outgoing.signedFor}`));
  if (!full) return;
  for (const [name, value] of Object.entries(outgoing.headers)) ctx.out.print(`  ${name}: ${value}`);
  if (request.contentType === 'json') ctx.out.print(JSON.stringify(request.json, null, 2));
  else
    for (const [name, value] of Object.entries(request.params ?? {})) ctx.out.print(`  ${c.dim(name + '=')}${value}`);
  ctx.out.print();
}

function printResult(ctx: Ctx, r: TriggerResult): void {
  const c = ctx.out.c;
  if (r.failure) {
    ctx.out.print(`  ${c.red('✗')} ${r.failure.message}`);
    return;
  }
  const answer = r.answer!;
  const status =
    answer.status >= 200 && answer.status < 400 ? c.green(String(answer.status)) : c.red(String(answer.status));
  ctx.out.print(`  ← ${status} ${answer.contentType ?? '(no content type)'} · ${Math.round(answer.ms)} ms`);
  const text = answerText(answer);
  if (text) for (const line of clipLines(text)) ctx.out.print(c.dim(`  ${line}`));
  if (r.twiml) {
    if (r.twiml.ok && r.twiml.effect) ctx.out.print(`  ${c.green('✓')} ${r.twiml.effect}`);
    else if (r.twiml.ok)
      ctx.out.print(`  ${c.green('✓')} TwiML${r.twiml.verbs?.length ? `: ${r.twiml.verbs.join(', ')}` : ''}`);
    else {
      const code = r.twiml.twilioError
        ? ` (Twilio error ${r.twiml.twilioError.code} ${r.twiml.twilioError.message})`
        : '';
      ctx.out.print(`  ${c.red('✗')} ${r.twiml.problems[0] ?? 'not TwiML Twilio can run'}${code}`);
      for (const problem of r.twiml.problems.slice(1)) ctx.out.print(`    ${problem}`);
    }
  } else if (!r.ok) {
    ctx.out.print(`  ${c.red('✗')} the app answered ${answer.status}: Twilio logs error 11200 and may retry`);
  }
}

function clipLines(text: string, maxLines = 20, maxChars = 2000): string[] {
  const clipped =
    text.length > maxChars ? `${text.slice(0, maxChars)}… (${text.length - maxChars} more characters)` : text;
  const lines = clipped.split(/\r?\n/);
  return lines.length > maxLines ? [...lines.slice(0, maxLines), `… (${lines.length - maxLines} more lines)`] : lines;
}

// ---- --list ---------------------------------------------------------------------------------

interface EventListing {
  event: string;
  summary: string;
  expectsTwiml: false | 'voice' | 'messaging';
  contentType: 'form' | 'json';
  sequences?: Record<string, string[]>;
  flags: string[];
  fields: string[];
  docs?: string;
}

function listing(fixture: Fixture, now: Date): { listing: EventListing; example: ReturnType<typeof buildEvent> } {
  const example = buildEvent(fixture, { now, seed: 'list' });
  const fields = new Set<string>();
  const variants = fixture.variants ? Object.keys(fixture.variants) : [];
  const builds = variants.length
    ? variants.map((v) => buildEvent(fixture, { now, seed: 'list', vars: varsSelecting(fixture, v) }))
    : [example];
  for (const built of builds) {
    for (const request of built.requests) {
      if (request.params) for (const name of Object.keys(request.params)) fields.add(name);
      else fields.add(jsonFields(request.json));
    }
  }
  const flags = eventFlags(fixture);
  return {
    listing: {
      event: fixture.event,
      summary: fixture.summary,
      expectsTwiml: fixture.expectsTwiml,
      contentType: fixture.contentType,
      sequences: fixture.variants
        ? Object.fromEntries(Object.entries(fixture.variants).map(([name, v]) => [name, v.steps.map((s) => s.name)]))
        : undefined,
      flags,
      fields: [...fields],
      docs: fixture.docs,
    },
    example,
  };
}

/**
 * The variables that select a variant: its name for --final-status, else its selecting flag's
 * default (gather --speech).
 */
function varsSelecting(fixture: Fixture, variant: string): Record<string, string> {
  if (fixture.variantBy) return { [fixture.variantBy]: variant };
  const selector = fixture.variants?.[variant]?.selectedBy?.[0];
  const value = selector ? fixture.vars?.[selector] : undefined;
  return selector && typeof value === 'string' ? { [selector]: value } : {};
}

function jsonFields(json: Json | undefined): string {
  const first = Array.isArray(json) ? json[0] : json;
  if (!first || typeof first !== 'object' || Array.isArray(first)) return '(JSON)';
  const data = (first as Record<string, Json>).data;
  const top = Object.keys(first).join(', ');
  const inner =
    data && typeof data === 'object' && !Array.isArray(data)
      ? Object.keys(data)
          .map((k) => `data.${k}`)
          .join(', ')
      : '';
  return `CloudEvents batch: ${top}${inner ? `; ${inner}` : ''}`;
}

function listEvents(ctx: Ctx, event: string | undefined, _flags: TriggerFlags): number {
  const now = ctx.clock.now();
  const c = ctx.out.c;
  if (event) {
    const fixture = requireFixture(event);
    const { listing: entry, example } = listing(fixture, now);
    if (ctx.out.json) {
      ctx.out.emit({
        ...entry,
        example: example.requests.map((r) => ({
          step: r.step,
          ...(r.params ? { params: r.params } : { json: r.json }),
        })),
      });
      return 0;
    }
    ctx.out.print(`${c.bold(entry.event)}: ${entry.summary}`);
    if (entry.flags.length) ctx.out.print(`flags: ${entry.flags.join(' ')} --param K=V`);
    if (entry.sequences) {
      for (const [name, steps] of Object.entries(entry.sequences))
        ctx.out.print(`sequence ${name}: ${steps.join(' → ')}`);
    }
    if (entry.docs) ctx.out.print(`docs: ${entry.docs}`);
    for (const request of example.requests) {
      ctx.out.print();
      if (request.total > 1) ctx.out.print(c.bold(`[${request.index + 1}/${request.total}] ${request.step}`));
      if (request.params)
        ctx.out.table(
          [
            { header: 'FIELD', value: (r: [string, string]) => r[0] },
            { header: 'EXAMPLE', value: (r) => r[1] },
          ],
          Object.entries(request.params),
        );
      else ctx.out.print(JSON.stringify(request.json, null, 2));
    }
    return 0;
  }
  const entries = listFixtures().map((f) => listing(f, now).listing);
  if (ctx.out.json) {
    for (const entry of entries) ctx.out.emit(entry);
    return 0;
  }
  if (!ctx.io.isStdoutTTY) {
    for (const e of entries) ctx.out.print([e.event, e.summary, e.flags.join(','), e.fields.join(',')].join('\t'));
    return 0;
  }
  const width = Math.max(...entries.map((e) => e.event.length)) + 2;
  for (const e of entries) {
    ctx.out.print(`${c.bold(e.event.padEnd(width))}${e.summary}`);
    const pad = ' '.repeat(width);
    if (e.sequences)
      ctx.out.print(
        `${pad}${c.dim('sequences:')} ${Object.entries(e.sequences)
          .map(([n, s]) => `${n} (${s.join(' → ')})`)
          .join('; ')}`,
      );
    if (e.flags.length) ctx.out.print(`${pad}${c.dim('flags:')} ${e.flags.join(' ')}`);
    ctx.out.print(`${pad}${c.dim('fields:')} ${e.fields.join(' ')}`);
  }
  ctx.out.note(`\ntwhook trigger <event> --list shows an event's fields with example values`);
  return 0;
}

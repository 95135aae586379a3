/**
 * Turns a fixture into the requests Twilio would send, then signs them for a URL. Pure apart
 * from reading the fixture folder: `buildTrigger` is what `trigger` sends and what `demo` can
 * reuse to make a correctly signed synthetic webhook without sending it.
 */
import { UsageError } from '../errors.js';
import { encodeForm } from '../webhooks/form.js';
import { signRequest } from '../webhooks/signature.js';
import { stripFragment } from '../webhooks/url.js';
import type { OutgoingRequest } from '../send/http.js';
import { findFixture, eventNames, type Fixture, type FixtureStep, type Json } from './fixtures.js';
import {
  SidSource,
  render,
  renderIndex,
  seededRandom,
  systemRandom,
  type RandomSource,
  type RenderContext,
} from './template.js';

export interface BuildOptions {
  /** Variables from flags (from, to, body, digits, finalStatus...), over the fixture's defaults. */
  vars?: Record<string, string>;
  /** --param K=V, in order: set after rendering (form: the field; JSON: data.K of each event, or a dotted path). */
  params?: ReadonlyArray<readonly [string, string]>;
  /** The AccountSid in the payloads; default a fake AC… from the random source. */
  accountSid?: string;
  /** Time of the first request; each step of a sequence is one second later. */
  now: Date;
  /** A seed makes SIDs and tokens the same every run (tests, docs); default random. */
  seed?: string | number;
  random?: RandomSource;
  /** Send form parameters in the query string instead of the body (a webhook configured with GET). */
  method?: 'GET' | 'POST';
}

/** One synthetic webhook, not yet signed: what Twilio puts in the request, minus the URL. */
export interface SyntheticRequest {
  event: string;
  /** The step's name (message-status: accepted, queued...); the event name for single requests. */
  step: string;
  index: number;
  total: number;
  method: 'GET' | 'POST';
  contentType: 'form' | 'json';
  /** Which TwiML the app must answer with, or false when Twilio ignores the answer's body. */
  expectsTwiml: false | 'voice' | 'messaging';
  /** Form parameters in the order Twilio sends them (form events). */
  params?: Record<string, string>;
  /** The JSON body's value (JSON events). */
  json?: Json;
  /** The encoded body: the form or the JSON text ('' for GET). */
  body: string;
  /** Headers Twilio sends, without the signature. */
  headers: Record<string, string>;
}

export interface BuiltEvent {
  fixture: Fixture;
  variant?: string;
  requests: SyntheticRequest[];
  accountSid: string;
  /** Variables given that no template of the chosen variant reads (a flag with no effect). */
  unusedVars: string[];
}

const FORM_TYPE = 'application/x-www-form-urlencoded';

export function requireFixture(event: string): Fixture {
  const fixture = findFixture(event);
  if (!fixture) {
    throw new UsageError(
      `unknown event "${event}": choose one of ${eventNames().join(', ')} (twhook trigger --list shows their fields)`,
    );
  }
  return fixture;
}

/** Chooses the variant: named by its variable (--final-status), selected by a flag (--speech), or the default. */
export function chooseVariant(fixture: Fixture, vars: Record<string, string>): string | undefined {
  const variants = fixture.variants;
  if (!variants) return undefined;
  const names = Object.keys(variants);
  if (fixture.variantBy && vars[fixture.variantBy] !== undefined) {
    const wanted = vars[fixture.variantBy]!;
    if (!variants[wanted])
      throw new UsageError(`${fixture.event} has no "${wanted}" sequence: choose one of ${names.join(', ')}`);
    return wanted;
  }
  const selected = names.filter((name) => variants[name]!.selectedBy?.some((v) => vars[v] !== undefined));
  if (selected.length > 1) {
    const flags = selected.flatMap((name) => variants[name]!.selectedBy ?? []).filter((v) => vars[v] !== undefined);
    throw new UsageError(`${flags.map(flagName).join(' and ')} exclude each other: give one`);
  }
  if (selected.length === 1) return selected[0];
  const byDefault = fixture.variantBy ? fixture.vars?.[fixture.variantBy] : undefined;
  return typeof byDefault === 'string' && variants[byDefault] ? byDefault : names[0];
}

/** The flag that sets a variable: finalStatus is --final-status, to is --to-number. */
export function flagName(variable: string): string {
  if (variable === 'to') return '--to-number';
  return `--${variable.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** Renders every request of an event (one, or the steps of its sequence). */
export function buildEvent(fixture: Fixture, options: BuildOptions): BuiltEvent {
  const random = options.random ?? (options.seed !== undefined ? seededRandom(options.seed) : systemRandom());
  const sids = new SidSource(random);
  const accountSid = options.accountSid ?? sids.sid('AC', 'account');
  const userVars = options.vars ?? {};
  const variant = chooseVariant(fixture, userVars);
  const steps: FixtureStep[] = variant ? fixture.variants![variant]!.steps : [{ name: fixture.event }];
  const method = options.method ?? fixture.method;
  if (method === 'GET' && fixture.contentType === 'json')
    throw new UsageError(`${fixture.event} is a JSON webhook: it is always a POST`);
  const used = new Set<string>();

  const requests = steps.map((step, index): SyntheticRequest => {
    const vars: Record<string, Json | undefined> = { ...fixture.vars, ...step.vars, ...userVars, account: accountSid };
    const ctx: RenderContext = { vars, sids, now: new Date(options.now.getTime() + index * 1000), step: index, used };
    const headers: Record<string, string> = {
      'User-Agent': 'TwilioProxy/1.1',
      Accept: '*/*',
      'X-Home-Region': 'us1',
      'I-Twilio-Idempotency-Token': sids.uuid(),
      ...fixture.headers,
    };
    const base = {
      event: fixture.event,
      step: step.name,
      index,
      total: steps.length,
      method,
      contentType: fixture.contentType,
      expectsTwiml: fixture.expectsTwiml,
    };
    if (fixture.contentType === 'json') {
      let json = render(fixture.body!, ctx) ?? null;
      for (const [key, value] of options.params ?? []) json = setJsonParam(json, key, value);
      return { ...base, json, body: JSON.stringify(json), headers };
    }
    const params = renderParams(fixture, step, ctx);
    for (const [key, value] of options.params ?? []) params[key] = value;
    if (method === 'POST') headers['Content-Type'] ??= FORM_TYPE;
    return { ...base, params, body: method === 'POST' ? encodeForm(params) : '', headers };
  });

  const unusedVars = Object.keys(userVars).filter((name) => !used.has(name) && name !== fixture.variantBy);
  return { fixture, variant, requests, accountSid, unusedVars };
}

function renderParams(fixture: Fixture, step: FixtureStep, ctx: RenderContext): Record<string, string> {
  const params: Record<string, string> = {};
  const put = (source: Record<string, Json> | undefined, context: RenderContext) => {
    for (const [rawName, template] of Object.entries(source ?? {})) {
      const name = renderIndex(rawName, context);
      const value = template === null ? undefined : render(template, context);
      if (value === undefined || value === null) delete params[name];
      else
        params[name] =
          typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
    }
  };
  put(fixture.params, ctx);
  if (fixture.repeat) {
    const count = Number(ctx.vars[fixture.repeat.count] ?? 0);
    ctx.used.add(fixture.repeat.count);
    for (let i = 0; i < count; i++) put(fixture.repeat.params, { ...ctx, index: i });
  }
  put(step.params, ctx);
  return params;
}

/** --param on a JSON body: `K` sets data.K of each CloudEvent; a dotted path `a.b` is set from each event's root. */
function setJsonParam(json: Json, key: string, raw: string): Json {
  const value = jsonScalar(raw);
  const path = key.includes('.') ? key.split('.') : ['data', key];
  const apply = (target: Json) => {
    if (!target || typeof target !== 'object' || Array.isArray(target)) return;
    let node = target as Record<string, Json>;
    for (const part of path.slice(0, -1)) {
      const next = node[part];
      if (!next || typeof next !== 'object' || Array.isArray(next)) node[part] = {};
      node = node[part] as Record<string, Json>;
    }
    node[path[path.length - 1]!] = value;
  };
  if (Array.isArray(json)) json.forEach(apply);
  else apply(json);
  return json;
}

function jsonScalar(raw: string): Json {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  if (raw === 'null') return null;
  if (/^-?(0|[1-9]\d*)(\.\d+)?$/.test(raw)) return Number(raw);
  return raw;
}

export interface SignOptions {
  /** Where the request is sent. */
  to: string;
  /** The URL to sign for when it differs from `to` (an app behind a proxy); default `to`. */
  signFor?: string;
  /** The auth token; undefined sends the request unsigned. */
  authToken?: string;
}

/**
 * Signs a synthetic request for a URL, through the SDK's functions (signRequest). GET puts the
 * parameters in the query string, so only the URL is signed; JSON gets ?bodySHA256= on both the
 * signed and the sent URL.
 */
export function signSynthetic(request: SyntheticRequest, options: SignOptions): OutgoingRequest {
  const headers: Record<string, string> = { ...request.headers };
  const query = request.method === 'GET' ? encodeForm(request.params ?? {}) : '';
  let sendUrl = appendQuery(stripFragment(options.to), query);
  const signUrl = options.signFor ? appendQuery(stripFragment(options.signFor), query) : sendUrl;
  const token = options.authToken;
  let signedFor: string | undefined;
  if (request.contentType === 'json') {
    // Twilio puts the body's hash in the URL it calls, signed or not: the app reads it from there.
    const forSend = signRequest({ authToken: token ?? '', url: sendUrl, body: request.body, contentType: 'json' });
    sendUrl = forSend.url;
    if (token) {
      const signed = options.signFor
        ? signRequest({ authToken: token, url: signUrl, body: request.body, contentType: 'json' })
        : forSend;
      headers['X-Twilio-Signature'] = signed.signature;
      signedFor = signed.url;
    }
  } else if (token) {
    const signed = signRequest({
      authToken: token,
      url: signUrl,
      params: request.method === 'GET' ? {} : (request.params ?? {}),
    });
    headers['X-Twilio-Signature'] = signed.signature;
    signedFor = signed.url;
  }
  return {
    method: request.method,
    url: sendUrl,
    headers,
    body: request.method === 'GET' ? undefined : request.body,
    signedFor,
  };
}

function appendQuery(url: string, query: string): string {
  if (!query) return url;
  return `${url}${url.includes('?') ? (url.endsWith('?') || url.endsWith('&') ? '' : '&') : '?'}${query}`;
}

export interface TriggerOptions extends BuildOptions, Omit<SignOptions, 'to'> {
  event: string;
  /** The URL to send to (and to sign for, unless signFor). */
  to: string;
}

export interface SignedTrigger extends BuiltEvent {
  signed: Array<{ request: SyntheticRequest; outgoing: OutgoingRequest }>;
}

/**
 * Builds and signs every request of an event for a URL, without sending anything. For `demo` and
 * users' own tests: `buildTrigger({ event: 'sms', to: 'http://localhost:3000/sms', authToken, now: new Date() })`.
 */
export function buildTrigger(options: TriggerOptions): SignedTrigger {
  const fixture = requireFixture(options.event);
  const built = buildEvent(fixture, options);
  return {
    ...built,
    signed: built.requests.map((request) => ({ request, outgoing: signSynthetic(request, options) })),
  };
}

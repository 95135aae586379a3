/**
 * Why a signature failed: recomputes the SDK's expected signature over nearby URLs, parameter
 * sets, bodies and tokens, and says which one matched and what fixes the app. Runs only for
 * failures, on top of the verdict of signature.ts (which never imports this file).
 */
import { getExpectedBodyHash } from 'twilio/lib/webhooks/webhooks.js';
import { parseForm, type FormParams } from './form.js';
import {
  NO_PARAMS,
  bodyHash,
  bodyHashMatches,
  bodyText,
  headerValue,
  ordinal,
  safeEqual,
  signedInput,
  signedVariant,
  verifyRequest,
  type HeaderValues,
  type SignedInput,
  type Verdict,
  type VerifyRequestOptions,
} from './signature.js';
import { maskUrl, rawQueryParam, splitUrl, stripFragment, withQueryParam, type UrlParts } from './url.js';

export interface ExplainOptions extends VerifyRequestOptions {
  /** Set false to skip the search for an explanation of a failure. Default true. */
  explain?: boolean;
}

/** Largest body whose failed signature is explained (see verifyAndExplain). */
export const EXPLAIN_MAX_BODY = 64 * 1024;

/** verifyRequest, and for an invalid signature the reason found by searching nearby requests. */
export function verifyAndExplain(options: ExplainOptions): Verdict {
  const result = verifyRequest(options);
  if (result.verdict !== 'invalid' || options.explain === false) return result;
  // The search recomputes the signature over dozens of nearby URLs and parameter sets: on a
  // large body (a forged 1 MiB form at the dev proxy) that is seconds of CPU per request.
  const body = options.body ?? '';
  const size = typeof body === 'string' ? body.length : body.byteLength;
  if (size > EXPLAIN_MAX_BODY) {
    result.reason = `invalid signature (a body over ${EXPLAIN_MAX_BODY / 1024} KiB is not searched for an explanation; Twilio's webhooks are far smaller)`;
    return result;
  }
  const explanation = explainFailure(signedInput(options, options.signature!), options.headers ?? {});
  result.reason = explanation.reason;
  if (explanation.matchedUrl) result.matchedUrl = maskUrl(explanation.matchedUrl);
  if (explanation.tokenIndex) result.tokenIndex = explanation.tokenIndex;
  return result;
}

interface Explanation {
  reason: string;
  matchedUrl?: string;
  tokenIndex?: number;
}

interface UrlCandidate {
  url: string;
  advice: string[];
}

const LOCAL_HOSTS = ['localhost', '127.0.0.1'];

function isLocalHost(host: string): boolean {
  return LOCAL_HOSTS.includes(host.toLowerCase()) || host === '[::1]';
}

/** host[:port] values other parties saw: the forwarded host, the Host header, Forwarded: host=. */
function headerHosts(headers: HeaderValues): Array<{ authority: string; source: string }> {
  const out: Array<{ authority: string; source: string }> = [];
  const add = (value: string | undefined, source: string) => {
    const first = value?.split(',')[0]?.trim();
    if (first && !out.some((h) => h.authority === first)) out.push({ authority: first, source });
  };
  add(headerValue(headers, 'x-forwarded-host'), 'X-Forwarded-Host');
  const forwarded = headerValue(headers, 'forwarded');
  const fwdHost = forwarded ? /(?:^|[;,\s])host="?([^";,]+)"?/i.exec(forwarded)?.[1] : undefined;
  add(fwdHost, 'Forwarded');
  add(headerValue(headers, 'x-original-host'), 'X-Original-Host');
  add(headerValue(headers, 'host'), 'Host');
  return out;
}

function basicAuthUser(headers: HeaderValues): string | undefined {
  const auth = headerValue(headers, 'authorization');
  const m = auth ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(auth) : null;
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  return decoded.includes(':') ? decoded : undefined;
}

/**
 * URLs near the one received, in order of likelihood: one change (scheme, host, port,
 * credentials, trailing slash, query string, fragment), then two changes. Each comes with the
 * advice that fixes the app.
 */
const CANDIDATE_HEADERS = [
  'host',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-port',
  'forwarded',
  'x-original-host',
  'authorization',
];
const candidateCache = new Map<string, UrlCandidate[]>();

/** urlCandidates, cached: the failures of a capture file mostly share their URL and headers. */
function cachedUrlCandidates(received: string, headers: HeaderValues): UrlCandidate[] {
  let key = received;
  for (const name of CANDIDATE_HEADERS) key += `\n${headerValue(headers, name) ?? ''}`;
  let candidates = candidateCache.get(key);
  if (candidates === undefined) {
    candidates = urlCandidates(received, headers);
    if (candidateCache.size >= 64) candidateCache.clear();
    candidateCache.set(key, candidates);
  }
  return candidates;
}

function urlCandidates(received: string, headers: HeaderValues): UrlCandidate[] {
  const parts = splitUrl(stripFragment(received));
  if (!parts) return [];
  const hash = received.indexOf('#');
  const fragment = hash === -1 ? '' : received.slice(hash);
  const q = parts.rest.indexOf('?');
  const path = q === -1 ? parts.rest : parts.rest.slice(0, q);
  const query = q === -1 ? '' : parts.rest.slice(q);
  const isHttps = parts.scheme.toLowerCase() === 'https://';
  const forwardedProto = headerValue(headers, 'x-forwarded-proto')?.split(',')[0]?.trim();

  type Change = {
    apply: (p: UrlParts & { path: string; query: string; fragment: string }) => void;
    advice: string;
    dim: string;
  };
  const changes: Change[] = [];

  // Fragment first: an app that passes the configured URL with #ct=… to the SDK always fails.
  if (fragment) {
    changes.push({
      dim: 'fragment',
      apply: (p) => void (p.fragment = ''),
      advice: `signed without the ${fragment.length > 24 ? fragment.slice(0, 24) + '…' : fragment} fragment: Twilio never signs it (connection overrides), drop it before validating`,
    });
  }
  // Case first: scheme and host are case-insensitive, so every client reaches the same app, but
  // the signature covers the string: the SDK lower-cases them (new URL()), --strict and other
  // languages' validators do not. One explanation, agreeing with the SDK/strict note.
  const authority = parts.scheme + parts.host;
  if (authority !== authority.toLowerCase()) {
    changes.push({
      dim: 'case',
      apply: (p) => {
        p.scheme = p.scheme.toLowerCase();
        p.host = p.host.toLowerCase();
      },
      advice:
        'the URL differs only in the case of its scheme or host: Twilio signs them in lower case; validate the URL with them lower-cased (the twilio SDK does so itself, --strict and other validators do not)',
    });
  }
  if (path !== path.toLowerCase()) {
    changes.push({
      dim: 'path-case',
      apply: (p) => void (p.path = p.path.toLowerCase()),
      advice:
        'the path differs only in case: paths are case-sensitive, and Twilio signs the URL exactly as configured; validate the path as Twilio called it',
    });
  }
  changes.push({
    dim: 'scheme',
    apply: (p) => void (p.scheme = isHttps ? 'http://' : 'https://'),
    advice: isHttps
      ? 'the webhook is configured with http://: validate against http:// (or configure https://)'
      : `trust X-Forwarded-Proto${forwardedProto ? ` (it says ${forwardedProto})` : ''}: the public URL is https`,
  });
  if (parts.port) {
    changes.push({
      dim: 'port',
      apply: (p) => void (p.port = ''),
      advice: `signed without the port ${parts.port}: the public URL has no port, rebuild it without the port your app listens on`,
    });
  }
  const fwdPort = headerValue(headers, 'x-forwarded-port')?.split(',')[0]?.trim();
  if (!parts.port && fwdPort && fwdPort !== '80' && fwdPort !== '443') {
    changes.push({
      dim: 'port',
      apply: (p) => void (p.port = `:${fwdPort}`),
      advice: `signed with the port :${fwdPort} (X-Forwarded-Port): keep it in the URL you validate`,
    });
  }
  const receivedAuthority = parts.host + parts.port;
  for (const { authority, source } of headerHosts(headers)) {
    if (authority.toLowerCase() === receivedAuthority.toLowerCase()) continue;
    const hostParts = splitUrl(`x://${authority}`)!;
    changes.push({
      dim: 'host',
      apply: (p) => {
        p.host = hostParts.host;
        p.port = hostParts.port;
      },
      advice: isLocalHost(hostParts.host)
        ? `it was signed for the local address from the ${source} header, not the public URL: sign with the public URL`
        : `use the ${source} header (${authority}) as the host: trust the proxy`,
    });
  }
  if (!isLocalHost(parts.host)) {
    const localPorts = new Set<string>(['', parts.port]);
    const hostHeader = headerValue(headers, 'host');
    const m = hostHeader ? /:(\d+)$/.exec(hostHeader) : null;
    if (m) localPorts.add(`:${m[1]}`);
    for (const host of LOCAL_HOSTS) {
      for (const port of localPorts) {
        changes.push({
          dim: 'host',
          apply: (p) => {
            p.host = host;
            p.port = port;
          },
          advice: 'it was signed for the local address, not the public URL Twilio calls: sign with the public URL',
        });
      }
    }
  }
  if (parts.userInfo) {
    changes.push({
      dim: 'userinfo',
      apply: (p) => void (p.userInfo = ''),
      advice: 'signed without the basic-auth credentials: validate the URL without user:password@',
    });
  } else {
    const credentials = basicAuthUser(headers);
    if (credentials) {
      const userinfo = credentials
        .split(':')
        .map((s, i) => (i === 0 ? encodeURIComponent(s) : s))
        .join(':');
      const colon = userinfo.indexOf(':');
      const encoded = `${userinfo.slice(0, colon)}:${encodeURIComponent(userinfo.slice(colon + 1))}@`;
      changes.push({
        dim: 'userinfo',
        apply: (p) => void (p.userInfo = encoded),
        advice: `signed with the basic-auth credentials in the URL (${userinfo.slice(0, colon)}:***@): validate the URL including them`,
      });
    }
  }
  changes.push({
    dim: 'slash',
    apply: (p) => void (p.path = p.path.endsWith('/') ? p.path.slice(0, -1) : `${p.path}/`),
    advice: path.endsWith('/')
      ? 'signed without the trailing slash: rebuild the URL exactly as configured in Twilio'
      : 'signed with a trailing slash: the webhook URL ends in /, rebuild it exactly',
  });
  if (query) {
    changes.push({
      dim: 'query',
      apply: (p) => void (p.query = ''),
      advice:
        'signed without the query string: it was added after Twilio signed; validate the URL as configured in Twilio',
    });
    const pairs = query.slice(1).split('&');
    if (pairs.length > 1 && pairs.length <= 12) {
      for (let i = 0; i < pairs.length; i++) {
        const kept = pairs.filter((_, j) => j !== i);
        const dropped = pairs[i]!;
        if (dropped.startsWith('bodySHA256=')) continue;
        changes.push({
          dim: 'query',
          apply: (p) => void (p.query = `?${kept.join('&')}`),
          advice: `signed without the query parameter ${dropped.length > 40 ? dropped.slice(0, 40) + '…' : dropped}: it was added after Twilio signed; validate the URL as configured in Twilio`,
        });
      }
    }
    if (query.includes('bodySHA256=')) {
      changes.push({
        dim: 'query',
        apply: (p) => void (p.query = p.query.replace(/[?&]bodySHA256=[^&#]*/, '').replace(/^&/, '?')),
        advice: 'signed without bodySHA256: the signer hashed the URL before adding the body hash',
      });
    }
  }

  const build = (applied: Change[]): UrlCandidate => {
    const p = { ...parts, path, query, fragment };
    for (const c of applied) c.apply(p);
    // Signed for the local address: its http:// comes with it, so "configured with http://" would mislead.
    const local = applied.some((c) => c.dim === 'host' && c.advice.startsWith('it was signed for the local address'));
    const advice = applied.filter((c) => !(local && c.dim === 'scheme')).map((c) => c.advice);
    return { url: p.scheme + p.userInfo + p.host + p.port + p.path + p.query + p.fragment, advice };
  };
  const out: UrlCandidate[] = [];
  const seen = new Set<string>([received]);
  const push = (candidate: UrlCandidate) => {
    if (seen.has(candidate.url)) return;
    seen.add(candidate.url);
    out.push(candidate);
  };
  for (const c of changes) push(build([c]));
  for (let i = 0; i < changes.length; i++) {
    for (let j = i + 1; j < changes.length; j++) {
      if (changes[i]!.dim === changes[j]!.dim) continue;
      push(build([changes[i]!, changes[j]!]));
    }
  }
  return out;
}

/** Parameter sets near the received ones, most likely first; generated one at a time. */
function* paramCandidates(r: SignedInput): Generator<{ params: FormParams; reason: string }> {
  const names = Object.keys(r.params);
  if (names.length) {
    yield {
      params: NO_PARAMS,
      reason: 'signed for the URL alone, without the POST parameters: the body was added or changed after signing',
    };
  }
  if (names.length <= 64) {
    // One copy, each parameter taken out and put back in turn.
    const params = { ...r.params };
    for (const name of names) {
      const value = params[name]!;
      delete params[name];
      yield {
        params,
        reason: `the body was changed after signing: the signature matches without the parameter ${name}`,
      };
      params[name] = value;
    }
  }
  const raw = typeof r.body === 'string' ? r.body : bodyText(r.body);
  if (raw.includes('+')) {
    yield {
      params: parseForm(raw.replace(/\+/g, '%2B')),
      reason:
        "the sender signed a literal '+' but sent it unencoded, which decodes to a space: encode '+' as %2B in the body",
    };
  }
  const repeated = names.filter((n) => Array.isArray(r.params[n]));
  if (repeated.length) {
    for (const pick of ['last', 'first'] as const) {
      const params: FormParams = { ...r.params };
      for (const n of repeated) {
        const values = params[n] as string[];
        params[n] = pick === 'last' ? values[values.length - 1]! : values[0]!;
      }
      yield {
        params,
        reason: `the signer kept only the ${pick} value of the repeated parameter ${repeated[0]}: every value is signed`,
      };
    }
  }
  const trimmed: FormParams = Object.create(null) as FormParams;
  let changed = false;
  for (const n of names) {
    const v = r.params[n]!;
    const t = Array.isArray(v) ? v.map((s) => s.trim()) : v.trim();
    if (JSON.stringify(t) !== JSON.stringify(v)) changed = true;
    trimmed[n] = t;
  }
  if (changed)
    yield {
      params: trimmed,
      reason: 'signed with the values trimmed: something added or kept whitespace the signer removed',
    };
  const queryAt = stripFragment(r.url).indexOf('?');
  if (queryAt !== -1) {
    const merged: FormParams = { ...parseForm(stripFragment(r.url).slice(queryAt + 1)), ...r.params };
    yield {
      params: merged,
      reason:
        'the signer added the query string parameters to the POST parameters: only the body parameters are signed',
    };
  }
}

function bodyCandidates(body: string): Array<{ body: string; reason: string }> {
  const out: Array<{ body: string; reason: string }> = [];
  try {
    const compact = JSON.stringify(JSON.parse(body));
    if (compact !== body)
      out.push({
        body: compact,
        reason:
          'bodySHA256 matches the JSON re-serialized: hash and validate the raw body bytes, not a re-serialization',
      });
    const pretty = JSON.stringify(JSON.parse(body), null, 2);
    if (pretty !== body)
      out.push({
        body: pretty,
        reason:
          'bodySHA256 matches the JSON pretty-printed: hash and validate the raw body bytes, not a re-serialization',
      });
  } catch {
    // Not JSON: only whitespace variants.
  }
  if (body.trim() !== body)
    out.push({
      body: body.trim(),
      reason: 'bodySHA256 matches the body without surrounding whitespace: pass the raw body unchanged',
    });
  out.push({
    body: `${body}\n`,
    reason: 'bodySHA256 matches the body with a final newline: pass the raw body unchanged',
  });
  return out;
}

function explainFailure(r: SignedInput, headers: HeaderValues): Explanation {
  const { tokens, signature } = r;
  const shown = maskUrl(r.url);
  const tokenNote = (i: number) => (i > 0 ? ` (with auth token ${ordinal(i + 1)})` : '');
  const signs = (url: string, params: FormParams): { index: number; signed: string } | undefined => {
    for (let index = 0; index < tokens.length; index++) {
      const signed = signedVariant(tokens[index]!, signature, url, params);
      if (signed !== undefined) return { index, signed };
    }
    return undefined;
  };
  const receivedPort = splitUrl(r.url)?.port ?? '';
  const urlReason = (candidate: UrlCandidate, hit: { index: number; signed: string }, extra = ''): Explanation => {
    const advice = [...candidate.advice];
    // The port, when dropped on top of another change (the SDK alone would have dropped it).
    const signedPort = splitUrl(hit.signed)?.port ?? '';
    if (
      receivedPort &&
      !signedPort &&
      candidate.url.includes(receivedPort) &&
      !advice.some((a) => a.includes('port'))
    ) {
      advice.push(`and without the port ${receivedPort}`);
    }
    return {
      reason: `signed for ${maskUrl(hit.signed)}; your app saw ${shown} - ${advice.join('; ')}${extra}${tokenNote(hit.index)}`,
      matchedUrl: hit.signed,
      tokenIndex: hit.index + 1,
    };
  };

  if (r.contentType === 'json') {
    const expected = rawQueryParam(r.url, 'bodySHA256');
    const urlHit = signs(r.url, NO_PARAMS);
    if (expected === undefined) {
      if (urlHit) {
        return {
          reason: `the URL has no bodySHA256 query parameter, so the JSON body is not covered: Twilio adds ?bodySHA256= to JSON webhooks, validate the full URL it called`,
          tokenIndex: urlHit.index + 1,
        };
      }
      const asForm = signs(r.url, parseForm(bodyText(r.body)));
      if (asForm)
        return {
          reason: `this is a form-signed request: verify it as --content-type form${tokenNote(asForm.index)}`,
          tokenIndex: asForm.index + 1,
        };
      return {
        reason: `the URL has no bodySHA256 query parameter: a JSON webhook is signed over the URL with ?bodySHA256=<hex> (the SHA-256 of the body)`,
      };
    }
    if (urlHit) {
      const text = bodyText(r.body);
      for (const candidate of bodyCandidates(text)) {
        if (safeEqual(expected, getExpectedBodyHash(candidate.body)))
          return { reason: candidate.reason, tokenIndex: urlHit.index + 1 };
      }
      return {
        reason: `the signature matches the URL${tokenNote(urlHit.index)} but bodySHA256 does not match the body: the JSON body was changed after signing (validate the raw body, not a re-serialization)`,
        tokenIndex: urlHit.index + 1,
        matchedUrl: urlHit.signed,
      };
    }
    for (const candidate of cachedUrlCandidates(r.url, headers)) {
      const hit = signs(candidate.url, NO_PARAMS);
      if (hit)
        return urlReason(
          candidate,
          hit,
          bodyHashMatches(r.url, r.body) ? '' : ' (and bodySHA256 does not match the body)',
        );
    }
    return { reason: noMatchReason(tokens.length) };
  }

  for (const candidate of cachedUrlCandidates(r.url, headers)) {
    const hit = signs(candidate.url, r.params);
    if (hit) return urlReason(candidate, hit);
  }
  for (const candidate of paramCandidates(r)) {
    const hit = signs(r.url, candidate.params);
    if (hit)
      return {
        reason: `${candidate.reason}${tokenNote(hit.index)}`,
        matchedUrl: hit.signed,
        tokenIndex: hit.index + 1,
      };
  }
  const asJson = r.url.includes('bodySHA256=')
    ? undefined
    : signs(withQueryParam(r.url, 'bodySHA256', bodyHash(r.body)), NO_PARAMS);
  if (asJson)
    return {
      reason: `this is a JSON-signed request: verify it as --content-type json${tokenNote(asJson.index)}`,
      tokenIndex: asJson.index + 1,
    };
  return { reason: noMatchReason(tokens.length) };
}

function noMatchReason(tokenCount: number): string {
  const which = tokenCount > 1 ? `none of the ${tokenCount} auth tokens` : 'the auth token';
  return `no nearby URL, parameters or token match with ${which}: the body was changed after signing, it was signed with another auth token (check the account or subaccount, or add the secondary with another --auth-token), or it is forged`;
}

/**
 * Signing and verifying Twilio webhook requests (X-Twilio-Signature), and explaining failures.
 *
 * Every verdict comes from the twilio SDK's own functions (twilio/lib/webhooks/webhooks.js, a cheap
 * module, unlike `twilio` itself), never from an HMAC of twhook's. The default verdict is exactly
 * what a Node app using validateRequest / validateRequestWithBody accepts; the strict verdict is
 * the SDK's getExpectedTwilioSignature over only the strings Twilio signs (the URL as received,
 * with the default port added or any port removed). validateRequest tries those same strings
 * first, so a strict match settles both verdicts with one HMAC; validateRequest itself runs only
 * for the rest. Explanations run only for failures: they recompute the SDK's expected signature
 * over nearby URLs, bodies and tokens and say which one matched.
 */
import { parse as parseQuery, stringify as stringifyQuery } from 'node:querystring';
import {
  getExpectedBodyHash,
  getExpectedTwilioSignature,
  validateRequest,
  validateRequestWithBody,
} from 'twilio/lib/webhooks/webhooks.js';
import { encodeForm, parseForm, pairsToParams, type FormInput, type FormParams } from './form.js';
import { stripFragment } from './overrides.js';

export type { FormInput, FormParams } from './form.js';

/** How the body is sent: a form (parameters are signed) or JSON (its SHA-256 is in the URL). */
export type ContentType = 'form' | 'json';

export type HeaderValues = Record<string, string | string[] | undefined>;

export interface SignRequestOptions {
  authToken: string;
  /** The URL Twilio would request. A #fragment (connection overrides) is dropped: never signed. */
  url: string;
  /** Form parameters (record or ordered pairs); ignored when `body` is given. */
  params?: FormInput;
  /** The raw body: a form body (parsed for signing) or the JSON text. */
  body?: string;
  /**
   * The form parameters of `body`, already parsed (exactly parseForm(body), e.g. from classify):
   * saves parsing the body again. Ignored for JSON and without `body`.
   */
  bodyParams?: FormParams;
  /** Default 'form'. */
  contentType?: ContentType;
}

export interface SignedRequest {
  /** The X-Twilio-Signature header value. */
  signature: string;
  /** The URL that was signed: without fragment; for JSON with `bodySHA256=<hex>` appended. */
  url: string;
  /** The body to send: the form encoding of the params, or the JSON text. */
  body: string;
  contentType: ContentType;
}

export interface VerifyRequestOptions {
  /** The full URL the request was made to (what your app rebuilds), query string included. */
  url: string;
  /** The X-Twilio-Signature header value; absent or empty means unsigned. */
  signature?: string | null;
  /** The raw body. A Uint8Array keeps non-UTF-8 bytes (the JSON body hash covers the bytes). */
  body?: string | Uint8Array;
  /** Default: 'json' when the Content-Type header says JSON or the URL has bodySHA256, else 'form'. */
  contentType?: ContentType;
  /** The auth tokens to try, in order (primary, secondary). Never echoed: only their position. */
  authTokens: readonly string[];
  /** Request headers, lower-case names: used to explain failures (X-Forwarded-*, Host, Authorization). */
  headers?: HeaderValues;
  /** Accept only the exact strings Twilio signs instead of the SDK's verdict. */
  strict?: boolean;
  /** Already parsed form parameters (saves parsing the body twice). */
  params?: FormParams;
  /** GET and HEAD requests carry their parameters in the URL: only the URL is signed. */
  method?: string;
  /** Set false to skip the search for an explanation of a failure. Default true. */
  explain?: boolean;
}

export interface Verdict {
  verdict: 'valid' | 'invalid' | 'unsigned';
  valid: boolean;
  /** 1-based position of the auth token that matched (never its value). */
  tokenIndex?: number;
  /** One sentence the user can act on: why it failed, or a note on a valid request. */
  reason?: string;
  /** The URL the signature was made for, when an explanation found it (credentials masked). */
  matchedUrl?: string;
  /** Whether the exact strings Twilio signs match. */
  strictValid?: boolean;
  /** The twilio SDK's verdict (validateRequest / validateRequestWithBody). */
  sdkValid?: boolean;
  /** Set when the SDK's and the strict verdicts differ, saying why. */
  disagreement?: string;
}

// ---------------------------------------------------------------------------------------------
// URL handling without re-serializing: the signed string is the URL exactly as received.

interface UrlParts {
  scheme: string; // "https://" as written
  userInfo: string; // "user:pass@" or ""
  host: string;
  port: string; // ":8080" or ""
  rest: string; // path, query and fragment, as written
}

/** Splits like the SDK does, so candidates are built from the same pieces it uses. */
export function splitUrl(url: string): UrlParts | null {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)/i.exec(url);
  if (!match) return null;
  const [prefix, scheme, authority] = match as unknown as [string, string, string];
  const at = authority.lastIndexOf('@');
  const hostAndPort = authority.slice(at + 1);
  const portStart = hostAndPort.indexOf(':', hostAndPort.lastIndexOf(']') + 1);
  return {
    scheme,
    userInfo: authority.slice(0, at + 1),
    host: portStart === -1 ? hostAndPort : hostAndPort.slice(0, portStart),
    port: portStart === -1 ? '' : hostAndPort.slice(portStart),
    rest: url.slice(prefix.length),
  };
}


function removePort(url: string): string {
  const p = splitUrl(url);
  return p ? p.scheme + p.userInfo + p.host + p.rest : url;
}

function addPort(url: string): string {
  const p = splitUrl(url);
  if (!p || p.port) return url;
  return p.scheme + p.userInfo + p.host + (p.scheme.toLowerCase() === 'https://' ? ':443' : ':80') + p.rest;
}

// The URL without its #fragment: connection overrides (#ct=…&rc=…) are never signed.
export { stripFragment };

/** Hides the password of `user:password@` in a URL: `https://user:***@host/...`. */
export function maskUrl(url: string): string {
  const p = splitUrl(url);
  if (!p || !p.userInfo) return url;
  const colon = p.userInfo.indexOf(':');
  const user = colon === -1 ? p.userInfo.slice(0, -1) : p.userInfo.slice(0, colon);
  return p.scheme + (colon === -1 ? `${user}@` : `${user}:***@`) + p.host + p.port + p.rest;
}

/** The password in a URL's userinfo, to register with the output redactor. */
export function urlPassword(url: string): string | undefined {
  const p = splitUrl(url);
  if (!p || !p.userInfo) return undefined;
  const colon = p.userInfo.indexOf(':');
  if (colon === -1) return undefined;
  const raw = p.userInfo.slice(colon + 1, -1);
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/**
 * The URL as if received at `base` (scheme, credentials, host, port and any path prefix of the
 * base replace the URL's own; its path below that, query and fragment are kept).
 * `rebaseUrl('http://localhost:3000/sms?x=1', 'https://abc.ngrok.app')` is
 * `https://abc.ngrok.app/sms?x=1`.
 */
export function rebaseUrl(url: string, base: string): string {
  const target = splitUrl(base);
  if (!target) throw new TypeError(`not an absolute URL: ${maskUrl(base)}`);
  const source = splitUrl(url);
  const rest = source ? source.rest : url.startsWith('/') ? url : `/${url}`;
  let prefix = target.rest.replace(/[?#].*$/, '');
  if (prefix.endsWith('/')) prefix = prefix.slice(0, -1);
  const path = rest.startsWith('/') || rest === '' ? rest : `/${rest}`;
  return target.scheme + target.userInfo + target.host + target.port + prefix + path;
}

/** Adds or replaces one query parameter, keeping the rest of the URL as written. */
function withQueryParam(url: string, name: string, value: string): string {
  const hash = url.indexOf('#');
  const base = hash === -1 ? url : url.slice(0, hash);
  const q = base.indexOf('?');
  if (q !== -1) {
    const parts = base.slice(q + 1).split('&');
    const i = parts.findIndex((part) => part.split('=')[0] === name);
    if (i !== -1) {
      parts[i] = `${name}=${value}`;
      return `${base.slice(0, q)}?${parts.join('&')}`;
    }
    return `${base}${q === base.length - 1 || base.endsWith('&') ? '' : '&'}${name}=${value}`;
  }
  return `${base}?${name}=${value}`;
}

/** The raw value of a query parameter (decoded), read without re-serializing the URL. */
function rawQueryParam(url: string, name: string): string | undefined {
  const base = stripFragment(url);
  const q = base.indexOf('?');
  if (q === -1) return undefined;
  for (const part of base.slice(q + 1).split('&')) {
    const eq = part.indexOf('=');
    const key = eq === -1 ? part : part.slice(0, eq);
    if (decodeLoose(key) === name) return eq === -1 ? '' : decodeLoose(part.slice(eq + 1));
  }
  return undefined;
}

function decodeLoose(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

function headerValue(headers: HeaderValues | undefined, name: string): string | undefined {
  const value = headers?.[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Constant-time comparison of two signatures or hashes (no early exit on the first difference). */
function safeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

function bodyText(body: string | Uint8Array | undefined): string {
  if (body === undefined) return '';
  return typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
}

/** The SDK's body hash; it hashes Buffer.from(body), so bytes pass through unchanged. */
function bodyHash(body: string | Uint8Array): string {
  return getExpectedBodyHash(body as string);
}

// ---------------------------------------------------------------------------------------------
// Signing

/** Signs a request the way Twilio does. For JSON the returned URL carries `bodySHA256`. */
export function signRequest(options: SignRequestOptions): SignedRequest {
  const contentType = options.contentType ?? 'form';
  const url = stripFragment(options.url);
  if (contentType === 'json') {
    const body = options.body ?? (options.params ? JSON.stringify(Array.isArray(options.params) ? Object.fromEntries(options.params) : options.params) : '');
    const signedUrl = withQueryParam(url, 'bodySHA256', getExpectedBodyHash(body));
    return { signature: getExpectedTwilioSignature(options.authToken, signedUrl, {}), url: signedUrl, body, contentType };
  }
  let params: FormParams;
  let body: string;
  if (options.body !== undefined) {
    body = options.body;
    params = options.bodyParams ?? parseForm(body);
  } else {
    const input = options.params ?? {};
    params = Array.isArray(input) ? pairsToParams(input as ReadonlyArray<readonly [string, string]>) : (input as FormParams);
    body = encodeForm(input);
  }
  return { signature: getExpectedTwilioSignature(options.authToken, url, params), url, body, contentType };
}

// ---------------------------------------------------------------------------------------------
// Verdicts

const NO_PARAMS: FormParams = Object.freeze(Object.create(null)) as FormParams;

interface Request {
  url: string;
  signature: string;
  contentType: ContentType;
  params: FormParams;
  body: string | Uint8Array;
  tokens: readonly string[];
}

/** 0-based index of the first token (before `limit`) the SDK accepts, or -1. */
function sdkMatch(r: Request, limit = r.tokens.length): number {
  for (let i = 0; i < limit; i++) {
    try {
      const ok =
        r.contentType === 'json'
          ? validateRequestWithBody(r.tokens[i]!, r.signature, r.url, r.body as string)
          : validateRequest(r.tokens[i]!, r.signature, r.url, r.params);
      if (ok) return i;
    } catch {
      // new URL() inside the SDK throws on a URL it cannot parse: the SDK rejects the request.
    }
  }
  return -1;
}

/** The URL (as received, port removed or default port added) whose SDK signature is `signature`. */
function signedVariant(token: string, signature: string, url: string, params: FormParams): string | undefined {
  const [without, withPort] = strictUrls(url);
  if (safeEqual(signature, getExpectedTwilioSignature(token, without, params))) return without;
  if (withPort !== undefined && safeEqual(signature, getExpectedTwilioSignature(token, withPort, params))) return withPort;
  return undefined;
}

/**
 * The strings Twilio may have signed for a URL as received: without its port, and with the
 * default port added (undefined when that is the same string). Cached: captures repeat the
 * same few webhook URLs.
 */
const strictUrlCache = new Map<string, readonly [string, string | undefined]>();
function strictUrls(url: string): readonly [string, string | undefined] {
  let urls = strictUrlCache.get(url);
  if (urls === undefined) {
    const without = removePort(url);
    const withPort = addPort(url);
    urls = [without, withPort === without ? undefined : withPort];
    if (strictUrlCache.size >= 1024) strictUrlCache.clear();
    strictUrlCache.set(url, urls);
  }
  return urls;
}

function bodyHashMatches(url: string, body: string | Uint8Array): boolean {
  const expected = rawQueryParam(url, 'bodySHA256');
  return expected !== undefined && safeEqual(expected, bodyHash(body));
}

/** 0-based index of the first token for which the exact signed strings match, or -1. */
function strictMatch(r: Request): number {
  if (r.contentType === 'json' && !bodyHashMatches(r.url, r.body)) return -1;
  const params = r.contentType === 'json' ? NO_PARAMS : r.params;
  for (let i = 0; i < r.tokens.length; i++) if (signedVariant(r.tokens[i]!, r.signature, r.url, params) !== undefined) return i;
  return -1;
}

function legacyQuerystring(url: string): string {
  const q = url.indexOf('?');
  if (q === -1 || q === url.length - 1) return url;
  return `${url.slice(0, q)}?${stringifyQuery(parseQuery(url.slice(q + 1)))}`;
}

/** The URLs the SDK tries after the URL as received: its re-serializations by new URL(). */
function sdkFallbackUrls(url: string): string[] {
  let normalized: string;
  try {
    normalized = new URL(url).toString();
  } catch {
    return [];
  }
  const without = removePort(normalized);
  const withPort = addPort(normalized);
  return [without, withPort, legacyQuerystring(without), legacyQuerystring(withPort)];
}

function resolveContentType(options: VerifyRequestOptions): ContentType {
  if (options.contentType) return options.contentType;
  const header = headerValue(options.headers, 'content-type');
  if (header && /json/i.test(header)) return 'json';
  return options.url.includes('bodySHA256=') ? 'json' : 'form';
}

const ordinal = (n: number) => `#${n}`;

/** Largest body whose failed signature is explained (see verifyRequest). */
export const EXPLAIN_MAX_BODY = 64 * 1024;

/**
 * Verifies one request. The default verdict is the twilio SDK's; with `strict`, only the exact
 * strings Twilio signs are accepted. Both are reported with a `disagreement` when they differ.
 */
export function verifyRequest(options: VerifyRequestOptions): Verdict {
  const tokens = options.authTokens;
  if (!tokens.length) throw new TypeError('verifyRequest needs at least one auth token');
  const signature = options.signature;
  if (!signature) {
    return {
      verdict: 'unsigned',
      valid: false,
      sdkValid: false,
      strictValid: false,
      reason: 'no X-Twilio-Signature header: Twilio did not send this request (or a proxy dropped the header)',
    };
  }
  const contentType = resolveContentType(options);
  const body = options.body ?? '';
  const method = options.method?.toUpperCase();
  const params =
    contentType === 'json' || method === 'GET' || method === 'HEAD' ? NO_PARAMS : (options.params ?? parseForm(bodyText(body)));
  const r: Request = { url: options.url, signature, contentType, params, body, tokens };

  const strictIndex = strictMatch(r);
  let sdkIndex: number;
  if (contentType === 'form' && strictIndex >= 0) {
    // validateRequest tries exactly these strings first (the URL as received without its port,
    // then with the default port), with getExpectedTwilioSignature: it accepts whatever they
    // match. Only an earlier token could still pass through its re-serialized URLs. This saves
    // the SDK's second pass over the valid requests, the bulk of any capture file.
    const earlier = strictIndex > 0 ? sdkMatch(r, strictIndex) : -1;
    sdkIndex = earlier >= 0 ? earlier : strictIndex;
  } else {
    sdkIndex = sdkMatch(r);
  }
  const sdkValid = sdkIndex >= 0;
  const strictValid = strictIndex >= 0;
  const index = options.strict ? strictIndex : sdkIndex;
  const result: Verdict = { verdict: index >= 0 ? 'valid' : 'invalid', valid: index >= 0, sdkValid, strictValid };
  if (sdkValid !== strictValid) result.disagreement = describeDisagreement(r, sdkValid);

  if (index >= 0) {
    result.tokenIndex = index + 1;
    const notes: string[] = [];
    if (index > 0) {
      notes.push(`signed with auth token ${ordinal(index + 1)} of ${tokens.length}: an app that checks only the first token rejects it`);
    }
    if (r.url.indexOf('@') !== -1 && splitUrl(r.url)?.userInfo) {
      notes.push(`the signature covers the URL with its basic-auth credentials (${maskUrl(r.url)})`);
    }
    if (notes.length) result.reason = notes.join('; ');
    return result;
  }
  if (options.explain === false) {
    result.reason = 'invalid signature';
    return result;
  }
  // The search recomputes the signature over dozens of nearby URLs and parameter sets: on a
  // large body (a forged 1 MiB form at the dev proxy) that is seconds of CPU per request.
  const size = typeof body === 'string' ? body.length : body.byteLength;
  if (size > EXPLAIN_MAX_BODY) {
    result.reason = `invalid signature (a body over ${EXPLAIN_MAX_BODY / 1024} KiB is not searched for an explanation; Twilio's webhooks are far smaller)`;
    return result;
  }
  const explanation = explainFailure(r, options.headers ?? {});
  result.reason = explanation.reason;
  if (explanation.matchedUrl) result.matchedUrl = maskUrl(explanation.matchedUrl);
  if (explanation.tokenIndex) result.tokenIndex = explanation.tokenIndex;
  return result;
}

function describeDisagreement(r: Request, sdkValid: boolean): string {
  if (sdkValid) {
    const normalized = sdkFallbackUrls(r.url)[0];
    return (
      `the twilio SDK accepts it only through the URL re-serialized by new URL()` +
      (normalized ? ` (${maskUrl(normalized)})` : '') +
      `; the URL as received does not match, so strict validators (other languages, --strict) reject it`
    );
  }
  let detail = 'the SDK rejects it';
  try {
    new URL(r.url);
  } catch {
    detail = 'the SDK rejects it because new URL() cannot parse the URL';
  }
  return `the URL as received matches (strict) but ${detail}`;
}

// ---------------------------------------------------------------------------------------------
// Explanations: failing path only.

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
const CANDIDATE_HEADERS = ['host', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port', 'forwarded', 'x-original-host', 'authorization'];
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

  type Change = { apply: (p: UrlParts & { path: string; query: string; fragment: string }) => void; advice: string; dim: string };
  const changes: Change[] = [];

  // Fragment first: an app that passes the configured URL with #ct=… to the SDK always fails.
  if (fragment) {
    changes.push({
      dim: 'fragment',
      apply: (p) => void (p.fragment = ''),
      advice: `signed without the ${fragment.length > 24 ? fragment.slice(0, 24) + '…' : fragment} fragment: Twilio never signs it (connection overrides), drop it before validating`,
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
      advice: 'signed without the query string: it was added after Twilio signed; validate the URL as configured in Twilio',
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
function* paramCandidates(r: Request): Generator<{ params: FormParams; reason: string }> {
  const names = Object.keys(r.params);
  if (names.length) {
    yield { params: NO_PARAMS, reason: 'signed for the URL alone, without the POST parameters: the body was added or changed after signing' };
  }
  if (names.length <= 64) {
    // One copy, each parameter taken out and put back in turn.
    const params = { ...r.params };
    for (const name of names) {
      const value = params[name]!;
      delete params[name];
      yield { params, reason: `the body was changed after signing: the signature matches without the parameter ${name}` };
      params[name] = value;
    }
  }
  const raw = typeof r.body === 'string' ? r.body : bodyText(r.body);
  if (raw.includes('+')) {
    yield {
      params: parseForm(raw.replace(/\+/g, '%2B')),
      reason: "the sender signed a literal '+' but sent it unencoded, which decodes to a space: encode '+' as %2B in the body",
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
      yield { params, reason: `the signer kept only the ${pick} value of the repeated parameter ${repeated[0]}: every value is signed` };
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
  if (changed) yield { params: trimmed, reason: 'signed with the values trimmed: something added or kept whitespace the signer removed' };
  const queryAt = stripFragment(r.url).indexOf('?');
  if (queryAt !== -1) {
    const merged: FormParams = { ...parseForm(stripFragment(r.url).slice(queryAt + 1)), ...r.params };
    yield { params: merged, reason: 'the signer added the query string parameters to the POST parameters: only the body parameters are signed' };
  }
}

function bodyCandidates(body: string): Array<{ body: string; reason: string }> {
  const out: Array<{ body: string; reason: string }> = [];
  try {
    const compact = JSON.stringify(JSON.parse(body));
    if (compact !== body) out.push({ body: compact, reason: 'bodySHA256 matches the JSON re-serialized: hash and validate the raw body bytes, not a re-serialization' });
    const pretty = JSON.stringify(JSON.parse(body), null, 2);
    if (pretty !== body) out.push({ body: pretty, reason: 'bodySHA256 matches the JSON pretty-printed: hash and validate the raw body bytes, not a re-serialization' });
  } catch {
    // Not JSON: only whitespace variants.
  }
  if (body.trim() !== body) out.push({ body: body.trim(), reason: 'bodySHA256 matches the body without surrounding whitespace: pass the raw body unchanged' });
  out.push({ body: `${body}\n`, reason: 'bodySHA256 matches the body with a final newline: pass the raw body unchanged' });
  return out;
}

function explainFailure(r: Request, headers: HeaderValues): Explanation {
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
    if (receivedPort && !signedPort && candidate.url.includes(receivedPort) && !advice.some((a) => a.includes('port'))) {
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
      if (asForm) return { reason: `this is a form-signed request: verify it as --content-type form${tokenNote(asForm.index)}`, tokenIndex: asForm.index + 1 };
      return { reason: `the URL has no bodySHA256 query parameter: a JSON webhook is signed over the URL with ?bodySHA256=<hex> (the SHA-256 of the body)` };
    }
    if (urlHit) {
      const text = bodyText(r.body);
      for (const candidate of bodyCandidates(text)) {
        if (safeEqual(expected, getExpectedBodyHash(candidate.body))) return { reason: candidate.reason, tokenIndex: urlHit.index + 1 };
      }
      return {
        reason: `the signature matches the URL${tokenNote(urlHit.index)} but bodySHA256 does not match the body: the JSON body was changed after signing (validate the raw body, not a re-serialization)`,
        tokenIndex: urlHit.index + 1,
        matchedUrl: urlHit.signed,
      };
    }
    for (const candidate of cachedUrlCandidates(r.url, headers)) {
      const hit = signs(candidate.url, NO_PARAMS);
      if (hit) return urlReason(candidate, hit, bodyHashMatches(r.url, r.body) ? '' : ' (and bodySHA256 does not match the body)');
    }
    return { reason: noMatchReason(tokens.length) };
  }

  for (const candidate of cachedUrlCandidates(r.url, headers)) {
    const hit = signs(candidate.url, r.params);
    if (hit) return urlReason(candidate, hit);
  }
  for (const candidate of paramCandidates(r)) {
    const hit = signs(r.url, candidate.params);
    if (hit) return { reason: `${candidate.reason}${tokenNote(hit.index)}`, matchedUrl: hit.signed, tokenIndex: hit.index + 1 };
  }
  const asJson = r.url.includes('bodySHA256=') ? undefined : signs(withQueryParam(r.url, 'bodySHA256', bodyHash(r.body)), NO_PARAMS);
  if (asJson) return { reason: `this is a JSON-signed request: verify it as --content-type json${tokenNote(asJson.index)}`, tokenIndex: asJson.index + 1 };
  return { reason: noMatchReason(tokens.length) };
}

function noMatchReason(tokenCount: number): string {
  const which = tokenCount > 1 ? `none of the ${tokenCount} auth tokens` : 'the auth token';
  return `no nearby URL, parameters or token match with ${which}: the body was changed after signing, it was signed with another auth token (check the account or subaccount, or add the secondary with another --auth-token), or it is forged`;
}

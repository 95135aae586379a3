/**
 * Signing and verifying Twilio webhook requests (X-Twilio-Signature): the public core. The
 * search for why a signature failed lives in signature-explain.ts, which builds on this file.
 *
 * Every verdict comes from the twilio SDK's own functions (twilio/lib/webhooks/webhooks.js, a cheap
 * module, unlike `twilio` itself), never from an HMAC of twhook's. The default verdict is exactly
 * what a Node app using validateRequest / validateRequestWithBody accepts; the strict verdict is
 * the SDK's getExpectedTwilioSignature over only the strings Twilio signs (the URL as received,
 * with the default port added or any port removed). validateRequest tries those same strings
 * first, so a strict match settles both verdicts with one HMAC; validateRequest itself runs only
 * for the rest.
 */
import { parse as parseQuery, stringify as stringifyQuery } from 'node:querystring';
import {
  getExpectedBodyHash,
  getExpectedTwilioSignature,
  validateRequest,
  validateRequestWithBody,
} from 'twilio/lib/webhooks/webhooks.js';
import { encodeForm, parseForm, pairsToParams, type FormInput, type FormParams } from './form.js';
import { addPort, maskUrl, rawQueryParam, removePort, splitUrl, stripFragment, withQueryParam } from './url.js';

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

export function headerValue(headers: HeaderValues | undefined, name: string): string | undefined {
  const value = headers?.[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Constant-time comparison of two signatures or hashes (no early exit on the first difference). */
export function safeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

export function bodyText(body: string | Uint8Array | undefined): string {
  if (body === undefined) return '';
  return typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
}

/** The SDK's body hash; it hashes Buffer.from(body), so bytes pass through unchanged. */
export function bodyHash(body: string | Uint8Array): string {
  return getExpectedBodyHash(body as string);
}

// ---------------------------------------------------------------------------------------------
// Signing

/** Signs a request the way Twilio does. For JSON the returned URL carries `bodySHA256`. */
export function signRequest(options: SignRequestOptions): SignedRequest {
  const contentType = options.contentType ?? 'form';
  const url = stripFragment(options.url);
  if (contentType === 'json') {
    const body =
      options.body ??
      (options.params
        ? JSON.stringify(Array.isArray(options.params) ? Object.fromEntries(options.params) : options.params)
        : '');
    const signedUrl = withQueryParam(url, 'bodySHA256', getExpectedBodyHash(body));
    return {
      signature: getExpectedTwilioSignature(options.authToken, signedUrl, {}),
      url: signedUrl,
      body,
      contentType,
    };
  }
  let params: FormParams;
  let body: string;
  if (options.body !== undefined) {
    body = options.body;
    params = options.bodyParams ?? parseForm(body);
  } else {
    const input = options.params ?? {};
    params = Array.isArray(input)
      ? pairsToParams(input as ReadonlyArray<readonly [string, string]>)
      : (input as FormParams);
    body = encodeForm(input);
  }
  return { signature: getExpectedTwilioSignature(options.authToken, url, params), url, body, contentType };
}

// ---------------------------------------------------------------------------------------------
// Verdicts

export const NO_PARAMS: FormParams = Object.freeze(Object.create(null)) as FormParams;

/** A request as the verdict sees it (shared with signature-explain.ts). */
export interface SignedInput {
  url: string;
  signature: string;
  contentType: ContentType;
  params: FormParams;
  body: string | Uint8Array;
  tokens: readonly string[];
}

/** 0-based index of the first token (before `limit`) the SDK accepts, or -1. */
function sdkMatch(r: SignedInput, limit = r.tokens.length): number {
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
export function signedVariant(token: string, signature: string, url: string, params: FormParams): string | undefined {
  const [without, withPort] = strictUrls(url);
  if (safeEqual(signature, getExpectedTwilioSignature(token, without, params))) return without;
  if (withPort !== undefined && safeEqual(signature, getExpectedTwilioSignature(token, withPort, params)))
    return withPort;
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

export function bodyHashMatches(url: string, body: string | Uint8Array): boolean {
  const expected = rawQueryParam(url, 'bodySHA256');
  return expected !== undefined && safeEqual(expected, bodyHash(body));
}

/** 0-based index of the first token for which the exact signed strings match, or -1. */
function strictMatch(r: SignedInput): number {
  if (r.contentType === 'json' && !bodyHashMatches(r.url, r.body)) return -1;
  const params = r.contentType === 'json' ? NO_PARAMS : r.params;
  for (let i = 0; i < r.tokens.length; i++)
    if (signedVariant(r.tokens[i]!, r.signature, r.url, params) !== undefined) return i;
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

export const ordinal = (n: number) => `#${n}`;

/** The request as the verdict sees it: the body parsed once, for the verdict and any explanation. */
export function signedInput(options: VerifyRequestOptions, signature: string): SignedInput {
  const contentType = resolveContentType(options);
  const body = options.body ?? '';
  const method = options.method?.toUpperCase();
  const params =
    contentType === 'json' || method === 'GET' || method === 'HEAD'
      ? NO_PARAMS
      : (options.params ?? parseForm(bodyText(body)));
  return { url: options.url, signature, contentType, params, body, tokens: options.authTokens };
}

/**
 * Verifies one request. The default verdict is the twilio SDK's; with `strict`, only the exact
 * strings Twilio signs are accepted. Both are reported with a `disagreement` when they differ.
 * A failure's reason is only "invalid signature": verifyAndExplain (signature-explain.ts) finds why.
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
  const r = signedInput(options, signature);
  const contentType = r.contentType;

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
      notes.push(
        `signed with auth token ${ordinal(index + 1)} of ${tokens.length}: an app that checks only the first token rejects it`,
      );
    }
    if (r.url.indexOf('@') !== -1 && splitUrl(r.url)?.userInfo) {
      notes.push(`the signature covers the URL with its basic-auth credentials (${maskUrl(r.url)})`);
    }
    if (notes.length) result.reason = notes.join('; ');
    return result;
  }
  result.reason = 'invalid signature';
  return result;
}

function describeDisagreement(r: SignedInput, sdkValid: boolean): string {
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

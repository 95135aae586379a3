/**
 * A captured request made ready to send again. The signature covers the URL, so there are three
 * ways to keep it valid:
 *
 * - `resign` (default): signed again for the URL it is sent to;
 * - `sign-for`: signed for another URL (the public URL of an app behind a proxy), with
 *   X-Forwarded-Proto / X-Forwarded-Host saying so;
 * - `keep`: the captured X-Twilio-Signature unchanged, with Host and X-Forwarded-* set to the
 *   captured URL's, so an app that rebuilds its URL from them sees the URL Twilio signed.
 *
 * Signing goes through signRequest (the twilio SDK's functions); the body is sent byte for byte.
 */
import { bodyBytes, type CaptureRecord } from '../capture/index.js';
import type { FormParams } from '../webhooks/form.js';
import { signRequest } from '../webhooks/signature.js';
import { rebaseUrl, splitUrl } from '../webhooks/url.js';
import type { OutgoingRequest } from '../send/http.js';

export type SigningMode = 'resign' | 'sign-for' | 'keep';

export interface PrepareOptions {
  /** The base URL requests are sent to: each keeps its path and query. */
  to: string;
  mode: SigningMode;
  /** The base URL to sign for, in sign-for mode. */
  signFor?: string;
  /** Needed by resign and sign-for. */
  authToken?: string;
  /** New I-Twilio-Idempotency-Token values (default: the captured ones, so the app sees a retry). */
  newIdempotencyToken?: () => string;
}

/** Hop-by-hop headers and those the replay sets itself. */
const DROP = new Set([
  'host',
  'content-length',
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'expect',
  'x-twilio-signature',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-port',
  'x-forwarded-prefix',
  'x-forwarded-server',
  'x-original-host',
  'x-real-ip',
  'forwarded',
]);

export interface PreparedRequest extends OutgoingRequest {
  /** The captured Authorization header was redacted, so it was left out. */
  droppedAuthorization?: boolean;
}

/** Whether the request is signed over its JSON body's hash (bodySHA256) rather than its form parameters. */
export function isJsonRequest(record: CaptureRecord): boolean {
  const type = record.headers['content-type'];
  const value = Array.isArray(type) ? type[0] : type;
  if (value && /json/i.test(value)) return true;
  return record.url.includes('bodySHA256=');
}

/** Prepares one request (see createPreparer for many: it remembers rebased URLs). */
export function prepareReplay(record: CaptureRecord, options: PrepareOptions): PreparedRequest {
  return createPreparer(options)(record);
}

/**
 * A preparer for a whole replay. Captures repeat the same few webhook URLs, so the rebased
 * URL of each is computed once. `params`: the record's form parameters when classification
 * already parsed its body (exactly parseForm of the body text), so signing does not parse it again.
 */
export function createPreparer(
  options: PrepareOptions,
): (record: CaptureRecord, params?: FormParams) => PreparedRequest {
  const rebased = new Map<string, string>();
  const signedFor = new Map<string, string>();
  const cached = (cache: Map<string, string>, url: string, base: string) => {
    let out = cache.get(url);
    if (out === undefined) {
      out = rebaseUrl(url, base);
      if (cache.size >= 4096) cache.clear();
      cache.set(url, out);
    }
    return out;
  };
  return (record, params) =>
    prepareWith(
      record,
      options,
      cached(rebased, record.url, options.to),
      options.mode === 'sign-for' && options.signFor ? cached(signedFor, record.url, options.signFor) : undefined,
      params,
    );
}

function prepareWith(
  record: CaptureRecord,
  options: PrepareOptions,
  rebasedUrl: string,
  signForUrl: string | undefined,
  params: FormParams | undefined,
): PreparedRequest {
  const headers: Record<string, string | string[]> = {};
  let droppedAuthorization = false;
  for (const name in record.headers) {
    if (DROP.has(name)) continue;
    const value = record.headers[name]!;
    // Captures keep only "<scheme> [redacted]": sending that would be a wrong password.
    if ((name === 'authorization' || name === 'proxy-authorization') && String(value).includes('[redacted]')) {
      droppedAuthorization = true;
      continue;
    }
    headers[name] = value;
  }
  if (options.newIdempotencyToken && headers['i-twilio-idempotency-token'] !== undefined) {
    headers['i-twilio-idempotency-token'] = options.newIdempotencyToken();
  }

  const body: string | Buffer | undefined = record.bodyBase64 !== undefined ? bodyBytes(record) : record.body;
  const method = record.method.toUpperCase();
  const hasBody = body !== undefined && body.length > 0 && method !== 'GET' && method !== 'HEAD';
  let url = rebasedUrl;
  let signedFor: string | undefined;

  if (options.mode === 'keep') {
    const original = splitUrl(record.url);
    if (record.headers['x-twilio-signature'] !== undefined)
      headers['x-twilio-signature'] = record.headers['x-twilio-signature'];
    if (original) {
      const authority = original.host + original.port;
      const proto = original.scheme.slice(0, -3).toLowerCase();
      headers['host'] = authority;
      headers['x-forwarded-host'] = authority;
      headers['x-forwarded-proto'] = proto;
      headers['x-forwarded-port'] = original.port ? original.port.slice(1) : proto === 'https' ? '443' : '80';
    }
    signedFor = record.url;
  } else {
    if (!options.authToken) throw new TypeError('prepareReplay: resign and sign-for need an auth token');
    const signUrl = signForUrl ?? url;
    const text = typeof body === 'string' ? body : body ? body.toString('utf8') : '';
    const json = isJsonRequest(record);
    const signed = json
      ? signRequest({ authToken: options.authToken, url: signUrl, body: text, contentType: 'json' })
      : signRequest({
          authToken: options.authToken,
          url: signUrl,
          ...(method === 'GET' || method === 'HEAD'
            ? { params: {} }
            : { body: text, ...(params ? { bodyParams: params } : {}) }),
        });
    headers['x-twilio-signature'] = signed.signature;
    signedFor = signed.url;
    // A JSON body's hash rides in the URL; keep the sent URL's in step with the signed one.
    if (json)
      url =
        signUrl === url
          ? signed.url
          : signRequest({ authToken: options.authToken, url, body: text, contentType: 'json' }).url;
    if (options.mode === 'sign-for' && options.signFor) {
      const target = splitUrl(signUrl);
      if (target) {
        const proto = target.scheme.slice(0, -3).toLowerCase();
        headers['x-forwarded-host'] = target.host + target.port;
        headers['x-forwarded-proto'] = proto;
        headers['x-forwarded-port'] = target.port ? target.port.slice(1) : proto === 'https' ? '443' : '80';
      }
    }
  }
  return {
    method,
    url,
    headers,
    body: hasBody ? body : undefined,
    signedFor,
    droppedAuthorization,
  };
}

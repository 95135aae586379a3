/**
 * Webhook URLs with credentials (`https://user:password@host/voice`), as Twilio handles them
 * (https://www.twilio.com/docs/usage/security#http-authentication: "Twilio supports HTTP Basic and
 * Digest Authentication"): the request goes to the URL without them, the first request to a host
 * goes without an Authorization header, and when the app answers 401 with a `WWW-Authenticate`
 * challenge (Digest, RFC 7616 with MD5 or SHA-256 and qop auth, or Basic) Twilio sends it again
 * with the credentials, then stays logged in for the rest of the call. The signature covers the URL as
 * configured, credentials included (the helper libraries' own tests sign `user:pass@` URLs as
 * written).
 *
 * The password is the app's secret: events, `--json`, captures and saved specs show the URL with
 * `user:***@`, and form parameters that would carry a URL (ErrorUrl) carry it without credentials.
 */
import { createHash, randomBytes } from 'node:crypto';
import { splitUrl } from '../webhooks/url.js';
import type { SimEvent } from './events.js';

export interface UrlCredentials {
  /** The URL to send the request to: without `user:password@`. */
  bare: string;
  /** The Authorization header the credentials make; undefined when the URL has none. */
  authorization?: string;
  /** Scheme, host, port and user: what a login is remembered by for the rest of the call. */
  realm?: string;
  user?: string;
  password?: string;
}

/** Splits the credentials off a URL; a URL without `@` costs one indexOf. */
export function urlCredentials(url: string): UrlCredentials {
  if (url.indexOf('@') === -1) return { bare: url };
  const p = splitUrl(url);
  if (!p || !p.userInfo) return { bare: url };
  const info = p.userInfo.slice(0, -1);
  const colon = info.indexOf(':');
  const user = decode(colon === -1 ? info : info.slice(0, colon));
  const password = colon === -1 ? '' : decode(info.slice(colon + 1));
  return {
    bare: p.scheme + p.host + p.port + p.rest,
    authorization: `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`,
    realm: `${p.scheme.toLowerCase()}${p.host.toLowerCase()}${p.port} ${user}`,
    user,
    password,
  };
}

/** The URL without `user:password@` (ErrorUrl and other URLs sent as parameters). */
export function withoutCredentials(url: string): string {
  return urlCredentials(url).bare;
}

/** Whether a 401's WWW-Authenticate header offers Basic authentication. */
export function offersBasic(header: string | string[] | undefined): boolean {
  if (!header) return false;
  return (Array.isArray(header) ? header : [header]).some((h) => /(?:^|,)\s*basic(?:\s|,|$)/i.test(h));
}

/** A login kept for the rest of the call: the Authorization header of each request. */
export interface Login {
  scheme: 'basic' | 'digest';
  header(method: string, uri: string): string;
}

/**
 * The login a 401's challenge asks for, with the URL's credentials: Digest when offered (the
 * stronger), else Basic; undefined when it offers neither (the 401 is the app's answer).
 */
export function loginFor(header: string | string[] | undefined, credentials: UrlCredentials): Login | undefined {
  if (!header || credentials.authorization === undefined) return undefined;
  const lines = Array.isArray(header) ? header : [header];
  const digest = lines.map(digestChallenge).find((c) => c !== undefined);
  if (digest) return digestLogin(digest, credentials.user ?? '', credentials.password ?? '');
  if (offersBasic(header)) return { scheme: 'basic', header: () => credentials.authorization! };
  return undefined;
}

/** Whether a Digest challenge says the nonce went stale (the same credentials, a new nonce). */
export function staleDigest(header: string | string[] | undefined): boolean {
  if (!header) return false;
  return (Array.isArray(header) ? header : [header]).some((h) => digestChallenge(h)?.stale?.toLowerCase() === 'true');
}

type DigestChallenge = Record<string, string>;

function digestChallenge(line: string): DigestChallenge | undefined {
  const m = /(?:^|,)\s*digest\s+(.*)$/i.exec(line);
  if (!m) return undefined;
  const out: DigestChallenge = {};
  for (const part of m[1]!.matchAll(/([a-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/gi))
    out[part[1]!.toLowerCase()] = part[2] !== undefined ? part[2].replace(/\\(.)/g, '$1') : part[3]!;
  return out.nonce !== undefined ? out : undefined;
}

/** RFC 7616: MD5 or SHA-256 (their -sess forms too), qop auth when offered; nc counts the nonce's uses. */
function digestLogin(c: DigestChallenge, user: string, password: string): Login | undefined {
  const algorithm = c.algorithm ?? 'MD5';
  if (!digestHashName(algorithm)) return undefined;
  const realm = c.realm ?? '';
  const qop = c.qop?.split(/\s*,\s*/).includes('auth') ? 'auth' : undefined;
  let nc = 0;
  return {
    scheme: 'digest',
    header(method, uri) {
      nc += 1;
      const count = nc.toString(16).padStart(8, '0');
      const cnonce = randomBytes(8).toString('hex');
      const response = digestResponse({
        algorithm,
        user,
        realm,
        password,
        nonce: c.nonce!,
        nc: count,
        cnonce,
        qop,
        method,
        uri,
      });
      const fields = [
        `username="${quote(user)}"`,
        `realm="${quote(realm)}"`,
        `nonce="${quote(c.nonce!)}"`,
        `uri="${quote(uri)}"`,
        `algorithm=${algorithm}`,
        `response="${response}"`,
        ...(c.opaque !== undefined ? [`opaque="${quote(c.opaque)}"`] : []),
        ...(qop ? [`qop=${qop}`, `nc=${count}`, `cnonce="${cnonce}"`] : []),
      ];
      return `Digest ${fields.join(', ')}`;
    },
  };
}

function digestHashName(algorithm: string): 'sha256' | 'md5' | undefined {
  const name = algorithm.toUpperCase();
  return name.startsWith('SHA-256') ? 'sha256' : name.startsWith('MD5') ? 'md5' : undefined;
}

/** The `response` of an RFC 7616 Digest Authorization header (section 3.4.1), exported for its test vectors. */
export function digestResponse(d: {
  algorithm: string;
  user: string;
  realm: string;
  password: string;
  nonce: string;
  nc: string;
  cnonce: string;
  qop: string | undefined;
  method: string;
  uri: string;
}): string {
  const hashName = digestHashName(d.algorithm);
  if (!hashName) throw new Error(`unsupported Digest algorithm ${d.algorithm}`);
  const hash = (text: string) => createHash(hashName).update(text, 'utf8').digest('hex');
  let ha1 = hash(`${d.user}:${d.realm}:${d.password}`);
  if (d.algorithm.toUpperCase().endsWith('-SESS')) ha1 = hash(`${ha1}:${d.nonce}:${d.cnonce}`);
  const ha2 = hash(`${d.method}:${d.uri}`);
  return d.qop ? hash(`${ha1}:${d.nonce}:${d.nc}:${d.cnonce}:${d.qop}:${ha2}`) : hash(`${ha1}:${d.nonce}:${ha2}`);
}

function quote(text: string): string {
  return text.replace(/(["\\])/g, '\\$1');
}

const PASSWORD_IN_URL = /([a-z][a-z0-9+.-]*:\/\/[^/?#@:\s]*):[^/?#@\s]*@/gi;

/** Every `scheme://user:password@` in a text as `scheme://user:***@`. */
export function maskPasswords(text: string): string {
  return text.indexOf('@') === -1 ? text : text.replace(PASSWORD_IN_URL, '$1:***@');
}

function maskValue(value: unknown): unknown {
  if (typeof value === 'string') return maskPasswords(value);
  if (Array.isArray(value)) {
    const masked = value.map(maskValue);
    return masked.some((v, i) => v !== value[i]) ? masked : value;
  }
  if (value && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    let out: Record<string, unknown> | undefined;
    for (const key in object) {
      const v = object[key];
      const m = maskValue(v);
      if (m !== v) (out ??= { ...object })[key] = m;
    }
    return out ?? value;
  }
  return value;
}

/** The event with URL passwords masked (the same object when it has none). */
export function maskEventPasswords<E extends SimEvent>(event: E): E {
  return maskValue(event) as E;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

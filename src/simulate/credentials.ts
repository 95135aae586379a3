/**
 * Webhook URLs with credentials (`https://user:password@host/voice`), as Twilio handles them
 * (https://www.twilio.com/docs/usage/security#http-authentication): the request goes to the URL
 * without them, the first request to a host goes without an Authorization header, and when the
 * app answers 401 with a `WWW-Authenticate: Basic` challenge Twilio sends it again with the
 * credentials, then stays logged in for the rest of the call. The signature covers the URL as
 * configured, credentials included (the helper libraries' own tests sign `user:pass@` URLs as
 * written).
 *
 * The password is the app's secret: events, `--json`, captures and saved specs show the URL with
 * `user:***@`, and form parameters that would carry a URL (ErrorUrl) carry it without credentials.
 */
import { splitUrl } from '../webhooks/url.js';
import type { SimEvent } from './events.js';

export interface UrlCredentials {
  /** The URL to send the request to: without `user:password@`. */
  bare: string;
  /** The Authorization header the credentials make; undefined when the URL has none. */
  authorization?: string;
  /** Scheme, host, port and user: what a login is remembered by for the rest of the call. */
  realm?: string;
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

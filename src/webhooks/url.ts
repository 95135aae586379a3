/**
 * Webhook URLs as strings, never re-serialized: the string Twilio signs is the URL exactly as
 * configured, so splitting, masking, rebasing and query edits keep every other byte as written.
 */
import { stripFragment } from './overrides.js';

export { stripFragment };

export interface UrlParts {
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

/** The URL without its port. */
export function removePort(url: string): string {
  const p = splitUrl(url);
  return p ? p.scheme + p.userInfo + p.host + p.rest : url;
}

/** The URL with the scheme's default port added, unless it has a port. */
export function addPort(url: string): string {
  const p = splitUrl(url);
  if (!p || p.port) return url;
  return p.scheme + p.userInfo + p.host + (p.scheme.toLowerCase() === 'https://' ? ':443' : ':80') + p.rest;
}

/**
 * Hides the password of `user:password@` in a URL: `https://user:***@host/...`. The one mask
 * of every command (ASCII: it survives any terminal and log); the rest is kept as written.
 */
export function maskUrl(url: string | null | undefined): string {
  if (url === null || url === undefined) return '';
  const p = splitUrl(url);
  if (!p || !p.userInfo) return url;
  const colon = p.userInfo.indexOf(':');
  const user = colon === -1 ? p.userInfo.slice(0, -1) : p.userInfo.slice(0, colon);
  return p.scheme + (colon === -1 ? `${user}@` : `${user}:***@`) + p.host + p.port + p.rest;
}

/**
 * The password of a URL's userinfo: %-decoded (what the server checks), or `raw` as written in
 * the URL. Undefined when there is none, or it is empty.
 */
export function urlPassword(url: string | null | undefined, form: 'decoded' | 'raw' = 'decoded'): string | undefined {
  if (!url) return undefined;
  const p = splitUrl(url);
  if (!p || !p.userInfo) return undefined;
  const colon = p.userInfo.indexOf(':');
  if (colon === -1) return undefined;
  const raw = p.userInfo.slice(colon + 1, -1);
  if (!raw || form === 'raw') return raw || undefined;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** The password as written and decoded, for the output redactor: either form may reach a message. */
export function urlPasswords(url: string | null | undefined): string[] {
  const raw = urlPassword(url, 'raw');
  if (raw === undefined) return [];
  const decoded = urlPassword(url)!;
  return decoded === raw ? [raw] : [raw, decoded];
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
export function withQueryParam(url: string, name: string, value: string): string {
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
export function rawQueryParam(url: string, name: string): string | undefined {
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

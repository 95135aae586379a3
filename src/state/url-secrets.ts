/**
 * Basic-auth passwords in webhook URLs (`https://user:pass@host/`), as the journal needs them.
 * They are secrets: they never reach output or the journal, yet a restore must put the exact URL
 * back. So the journal holds the URL with the password replaced by a reference, and the password
 * itself lives in a separate 0600 file (see journal.ts). Display code masks URLs with maskUrl
 * (src/webhooks/url.ts), the one URL module.
 */
import { splitUrl } from '../webhooks/url.js';

export interface UrlCredentials {
  /** Everything up to and including `://`. */
  prefix: string;
  user: string;
  /** As written in the URL (not %-decoded): the journal puts back the exact string. */
  password: string;
  /** From `@` (excluded) to the end. */
  rest: string;
}

/** The user and password of a URL's authority, when it has a password. */
export function urlCredentials(url: string): UrlCredentials | undefined {
  const p = splitUrl(url);
  if (!p || !p.userInfo) return undefined;
  const colon = p.userInfo.indexOf(':');
  if (colon < 0) return undefined;
  return {
    prefix: p.scheme,
    user: p.userInfo.slice(0, colon),
    password: p.userInfo.slice(colon + 1, -1),
    rest: p.host + p.port + p.rest,
  };
}

/** The URL with its password replaced by `replacement` (the rest byte for byte). */
export function replaceUrlPassword(url: string, replacement: string): string {
  const c = urlCredentials(url);
  if (!c || c.password === '') return url;
  return `${c.prefix}${c.user}:${replacement}@${c.rest}`;
}

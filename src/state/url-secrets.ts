/**
 * Basic-auth passwords in webhook URLs (`https://user:pass@host/`). They are secrets: they never
 * reach output or the journal, yet a restore must put the exact URL back. So the journal holds
 * the URL with the password replaced by a reference, and the password itself lives in a separate
 * 0600 file (see journal.ts).
 */

export interface UrlCredentials {
  /** Everything up to and including `://`. */
  prefix: string;
  user: string;
  password: string;
  /** From `@` (excluded) to the end. */
  rest: string;
}

/** The user and password of a URL's authority, when it has a password. */
export function urlCredentials(url: string): UrlCredentials | undefined {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)([^/?#]*)$/.exec(url) ?? /^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)([^/?#]*)[/?#]/.exec(url);
  if (!m) return undefined;
  const authority = m[2]!;
  const at = authority.lastIndexOf('@');
  if (at < 0) return undefined;
  const userinfo = authority.slice(0, at);
  const colon = userinfo.indexOf(':');
  if (colon < 0) return undefined;
  const prefix = m[1]!;
  return {
    prefix,
    user: userinfo.slice(0, colon),
    password: userinfo.slice(colon + 1),
    rest: url.slice(prefix.length + at + 1),
  };
}

/** The URL with its password replaced by `replacement` (the rest byte for byte). */
export function replaceUrlPassword(url: string, replacement: string): string {
  const c = urlCredentials(url);
  if (!c || c.password === '') return url;
  return `${c.prefix}${c.user}:${replacement}@${c.rest}`;
}

/** For display: `https://user:••••@host/path`. */
export function maskUrl(url: string | null | undefined): string {
  if (url === null || url === undefined) return '';
  return replaceUrlPassword(url, '••••');
}

/** The password of a URL, if any (to add to the output redactor). */
export function urlPassword(url: string | null | undefined): string | undefined {
  if (!url) return undefined;
  const c = urlCredentials(url);
  return c && c.password ? c.password : undefined;
}

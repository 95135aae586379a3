/** Flag parsing shared by `replay` and `trigger`: one-line UsageErrors that name the fix. */
import { UsageError } from '../errors.js';
import { maskUrl } from '../state/url-secrets.js';

/** An absolute http(s) URL, returned as given. */
export function checkHttpUrl(value: string, flag: string): string {
  let url: URL;
  try {
    // "localhost:3000" parses as a URL of scheme "localhost:": ask for the scheme.
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) throw new TypeError('no scheme');
    url = new URL(value);
  } catch {
    // Named back to the user, but without a basic-auth password it may carry (with or without a scheme).
    const shown = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? maskUrl(value) : maskUrl(`x://${value}`).slice(4);
    throw new UsageError(`${flag} needs an absolute URL such as http://localhost:3000/sms, not "${shown}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`${flag} must be an http:// or https:// URL, not ${url.protocol}`);
  }
  return value;
}

/** `K=V` (V may be empty or contain '='). */
export function parseKeyValue(value: string, flag: string): [string, string] {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new UsageError(`${flag} takes NAME=VALUE, not "${value}"`);
  return [value.slice(0, eq), value.slice(eq + 1)];
}

/** A whole number, at least `min`. */
export function parsePositiveInt(value: string, flag: string, min = 1): number {
  if (!/^\d+$/.test(value.trim())) throw new UsageError(`${flag} takes a whole number, not "${value}"`);
  const n = Number(value);
  if (n < min) throw new UsageError(`${flag} must be at least ${min}, not ${value}`);
  return n;
}

/** `--rate 20/s`, `20` (per second) or `600/m`: requests per second. */
export function parseRate(value: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*(s|sec|second|m|min|minute))?\s*$/i.exec(value);
  const n = m ? Number(m[1]) : NaN;
  if (!m || !(n > 0)) throw new UsageError(`--rate takes requests per second or minute, such as 20/s or 600/m, not "${value}"`);
  return /^m/i.test(m[2] ?? '') ? n / 60 : n;
}

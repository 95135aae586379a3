/** Flag values parsed the same way by every command: one-line UsageErrors that name the fix. */
import { UsageError } from '../../errors.js';
import { basicAuthProblem, type BasicAuth } from '../../webhooks/basic-auth.js';
import { maskUrl } from '../../webhooks/url.js';

/**
 * An absolute http(s) URL, returned as given (what is signed is the string as written). Errors
 * name the flag and an example, and never quote a basic-auth password the value may carry.
 */
export function checkAbsoluteUrl(value: string, flag: string, example = 'https://abc123.ngrok.app/sms'): string {
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value);
  let url: URL | undefined;
  try {
    // "localhost:3000" parses as a URL of scheme "localhost:": ask for the scheme.
    if (hasScheme) url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || !url.host) {
    const shown = hasScheme ? maskUrl(value) : maskUrl(`x://${value}`).slice(4);
    throw new UsageError(`${flag} needs an absolute URL such as ${example}, not "${shown}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`${flag} must be an http:// or https:// URL, not ${url.protocol}`);
  }
  return value;
}

/** `NAME=VALUE` (VALUE may be empty or contain '='); `example` shows the flag in use. */
export function parseKeyValue(value: string, flag: string, example?: string): [string, string] {
  const eq = value.indexOf('=');
  if (eq <= 0)
    throw new UsageError(
      `${flag} takes NAME=VALUE${example ? ` (for example ${flag} ${example})` : ''}, not "${value}"`,
    );
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
  if (!m || !(n > 0))
    throw new UsageError(`--rate takes requests per second or minute, such as 20/s or 600/m, not "${value}"`);
  return /^m/i.test(m[2] ?? '') ? n / 60 : n;
}

/**
 * `--basic-auth USER:PASS`, as dev, verify and inspect take it: both parts non-empty, no
 * character Twilio cannot carry in webhook credentials. The password (and its Basic header
 * form) is registered with `redactor` before anything can print it.
 */
export function parseBasicAuth(
  value: string,
  redactor: { add(...secrets: Array<string | undefined>): void },
  flag = '--basic-auth',
): BasicAuth {
  const colon = value.indexOf(':');
  const username = colon > 0 ? value.slice(0, colon) : '';
  const password = colon > 0 ? value.slice(colon + 1) : '';
  redactor.add(password);
  if (username && password) redactor.add(Buffer.from(`${username}:${password}`).toString('base64'));
  if (!username || !password) throw new UsageError(`${flag} takes USER:PASS (both non-empty)`);
  const problem = basicAuthProblem(username, password);
  if (problem) throw new UsageError(problem);
  return { username, password };
}

/**
 * Where a simulated call or conversation goes, from what a user types: a port (3000), a URL with
 * no path (http://localhost:3000) gets /voice or /sms; a URL with a path is used as it is. Status
 * callbacks and fallbacks may be given as a path on the app (/status) or as a URL.
 */
import { UsageError } from '../errors.js';
import { maskUrl } from '../webhooks/url.js';
import { splitOverrides } from '../webhooks/overrides.js';

export type Channel = 'call' | 'text';

export const DEFAULT_PATH: Record<Channel, string> = { call: '/voice', text: '/sms' };

/** The caller and the called number of Twilio's own webhook examples (the engine's defaults). */
export { DEFAULT_FROM, DEFAULT_TO } from './params.js';

/** The absolute URL of the app's voice or SMS webhook. `from` names the flag or field in errors. */
export function appUrl(app: string, channel: Channel, from = '<app>'): string {
  const text = app.trim();
  if (/^\d+$/.test(text)) {
    const port = Number(text);
    if (port < 1 || port > 65535)
      throw new UsageError(
        `${from} ${text} is not a port: give 1 to 65535 or a URL like http://localhost:3000${DEFAULT_PATH[channel]}`,
      );
    return `http://localhost:${port}${DEFAULT_PATH[channel]}`;
  }
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text);
  // localhost:3000/voice is what people type: read it as http.
  const candidate = hasScheme
    ? text
    : /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?(\/|$)/i.test(text)
      ? `http://${text}`
      : '';
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    throw new UsageError(
      `${from} ${JSON.stringify(maskUrl(text))} is neither a port nor a URL: give 3000 or http://localhost:3000${DEFAULT_PATH[channel]}`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`${from} must be http or https, not ${url.protocol.replace(/:$/, '')}`);
  try {
    splitOverrides(url.href);
  } catch (err) {
    throw new UsageError(`${from} has a fragment that is not valid connection overrides: ${(err as Error).message}`);
  }
  if (url.pathname === '/') url.pathname = DEFAULT_PATH[channel];
  return url.href;
}

/** A callback or fallback given as a URL, or as a path on the app's origin. */
export function webhookUrl(value: string, app: string, from: string): string {
  const text = value.trim();
  if (!text) throw new UsageError(`${from} is empty: give a URL or a path such as /status`);
  if (text.startsWith('/')) return new URL(text, app).href;
  try {
    const url = new URL(text);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.href;
  } catch {
    // fall through
  }
  throw new UsageError(
    `${from} takes a URL or a path on the app (such as /status), not ${JSON.stringify(maskUrl(text))}`,
  );
}

/** The app's URL in a few words for the transcript: localhost:3000/voice. */
export function appLabel(url: string): string {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname}${u.search}`;
  } catch {
    return url;
  }
}

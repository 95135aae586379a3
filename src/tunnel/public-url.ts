/**
 * `--public-url URL`: no tunnel is started. The user runs their own (cloudflared, a reverse
 * proxy) to the proxy's port; twhook only needs to know the URL Twilio will request.
 */
import { UsageError } from '../errors.js';
import type { Tunnel } from './types.js';

/** Checks a --public-url value and returns it without a trailing slash, query, fragment or credentials. */
export function normalizePublicUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(
      `--public-url ${JSON.stringify(raw)} is not a URL: give the whole base URL, e.g. https://my-tunnel.example.com`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new UsageError(`--public-url must be an http(s) URL, not ${url.protocol.replace(/:$/, '')}`);
  }
  if (url.username || url.password)
    throw new UsageError('--public-url must not carry credentials: use --basic-auth USER:PASS');
  if (url.search || url.hash) throw new UsageError('--public-url must be a base URL without a query or fragment');
  return url.href.replace(/\/+$/, '');
}

export function publicUrlTunnel(raw: string): Tunnel {
  const url = normalizePublicUrl(raw);
  return {
    url,
    provider: 'public-url',
    async close() {},
    // The user's own tunnel can't be watched from here; losing it shows as requests stopping.
    onLost() {},
  };
}

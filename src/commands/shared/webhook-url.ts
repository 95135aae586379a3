/**
 * What a webhook URL must be before twhook sends it to Twilio: absolute http(s) with a public
 * host (Twilio cannot reach this machine's loopback), at most 4000 characters, and a fragment
 * that is valid connection overrides.
 */
import { UsageError } from '../../errors.js';
import { maskUrl } from '../../webhooks/url.js';
import { splitOverrides } from '../../webhooks/overrides.js';

/** True for localhost, 127.0.0.0/8, ::1, 0.0.0.0 (and :: and their IPv4-mapped forms). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (host === '0.0.0.0' || host === '::' || host === '::1' || host === '0:0:0:0:0:0:0:1') return true;
  const v4 = host.replace(/^::ffff:/, '');
  if (/^127\.\d+\.\d+\.\d+$/.test(v4)) return true;
  // WHATWG URL writes ::ffff:127.0.0.1 as ::ffff:7f00:1.
  if (/^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(host)) return true;
  return false;
}

/** Why a URL cannot be a webhook URL (one clause), or undefined when it can. */
export function webhookUrlProblem(value: string): string | undefined {
  if (value.length > 4000) return "is longer than 4000 characters (Twilio's limit)";
  if (/\s/.test(value)) return 'contains white space';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not an absolute URL (like https://example.com/sms)';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `is ${url.protocol}//, not http or https`;
  if (!url.hostname) return 'has no host name';
  if (isLoopbackHost(url.hostname)) {
    return `points at this machine (${url.hostname}), which Twilio cannot reach: run \`twhook dev\` to expose a local server through a tunnel`;
  }
  try {
    splitOverrides(value);
  } catch (err) {
    return `has a fragment that is not valid connection overrides: ${(err as Error).message}`;
  }
  return undefined;
}

/** Throws the UsageError for an invalid webhook URL, naming the option it came from. */
export function checkWebhookUrl(value: string, from: string): string {
  const problem = webhookUrlProblem(value);
  if (problem) {
    // The URL is repeated to name it, but a basic-auth password in it is a secret.
    const shown = maskUrl(value);
    throw new UsageError(`${from} ${JSON.stringify(shown.length > 80 ? shown.slice(0, 80) + '…' : shown)} ${problem}`);
  }
  return value;
}

/** GET or POST (any case) -> upper case; anything else is a UsageError naming the option. */
export function checkMethod(value: string, from: string): 'GET' | 'POST' {
  const upper = value.trim().toUpperCase();
  if (upper !== 'GET' && upper !== 'POST')
    throw new UsageError(`${from} must be GET or POST, not ${JSON.stringify(value)}`);
  return upper;
}

export function isPlainHttp(value: string): boolean {
  return /^http:\/\//i.test(value);
}

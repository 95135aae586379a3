/**
 * Every error a Twilio call can end in, as one RemoteError (exit 3) with Twilio's code, status and
 * more_info, or a plain sentence naming the host. Messages never carry the credentials (the SDK
 * puts them in the request options, never copied here) and mask account SIDs.
 */
import { RemoteError, TwhookError } from '../errors.js';
import { maskSid } from '../redact.js';
import { describeSource, type Credentials, type RestAuth, type RestTarget } from './credentials.js';

/** Account SIDs in Twilio's messages and paths, masked (AC12…cdef). */
export const maskAccounts = (text: string) => text.replace(/AC[0-9a-fA-F]{32}/g, (sid) => maskSid(sid));

export function hostOf(uri: string): string {
  try {
    const url = new URL(uri);
    return `${url.protocol}//${url.host}`;
  } catch {
    return uri;
  }
}

function pathOf(uri: string): string {
  try {
    return new URL(uri).pathname;
  } catch {
    return uri;
  }
}

function parseBody(body: unknown): Record<string, unknown> | undefined {
  if (body && typeof body === 'object') return body as Record<string, unknown>;
  if (typeof body === 'string' && body.trim().startsWith('{')) {
    try {
      return JSON.parse(body) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

const sourceName = (credentials: Credentials | undefined, key: 'accountSid' | 'authToken' | 'apiKey' | 'apiSecret') => {
  const names = {
    accountSid: ['--account-sid', 'TWILIO_ACCOUNT_SID'],
    authToken: ['--auth-token', 'TWILIO_AUTH_TOKEN'],
    apiKey: ['--api-key', 'TWILIO_API_KEY'],
    apiSecret: ['--api-secret', 'TWILIO_API_SECRET'],
  }[key] as [string, string];
  const sourced = key === 'authToken' ? credentials?.authTokens[0] : credentials?.[key];
  if (sourced?.source === 'env-file') return `${names[1]} (in ${credentials?.envFile ?? 'the env file'})`;
  return describeSource(sourced, names[0], names[1], credentials ?? {});
};

/** What an error says about where the request went. */
export interface RequestPlace {
  /** The --api-url base, when it stands in for Twilio. */
  baseUrl?: string;
  /** The region and edge in use, with where each came from. */
  target?: RestTarget;
  credentials?: Credentials;
}

/** The Twilio host the SDK asked for, and the server that answered when --api-url replaced it. */
function hostsOf(uri: string, asked: string | undefined, baseUrl: string | undefined): string {
  const twilio = asked ? new URL(asked).host : undefined;
  const answered = hostOf(uri);
  if (!twilio) return answered.replace(/^https:\/\//, '');
  return baseUrl && uri.startsWith(baseUrl) ? `${twilio} via ${answered}` : twilio;
}

/** Credentials of one region do not work in another: say which region was asked, or that none was. */
function regionHint(place: RequestPlace): string {
  const region = place.target?.region;
  if (!region) return '; accounts outside US1 need their region: --region ie1 or au1 (or TWILIO_REGION)';
  const from = describeSource(region, '--region', 'TWILIO_REGION', place.credentials ?? {});
  return `; credentials work only in their own region, and this was ${region.value} (from ${from})`;
}

/** The RemoteError for an HTTP error answer. Exported for tests. */
export function httpError(
  response: { statusCode: number; body: unknown },
  method: string,
  uri: string,
  settings: { auth: Pick<RestAuth, 'method' | 'accountSid'> } & RequestPlace,
  attempts = 1,
  /** The URL the SDK built (region and edge applied), before --api-url replaced its host. */
  asked?: string,
): RemoteError {
  const status = response.statusCode;
  const body = parseBody(response.body);
  const code = typeof body?.code === 'number' || typeof body?.code === 'string' ? body.code : undefined;
  const moreInfo = typeof body?.more_info === 'string' ? body.more_info : undefined;
  const twilioMessage =
    typeof body?.message === 'string' && body.message ? maskAccounts(body.message) : `HTTP ${status}`;
  const info = { code, status, moreInfo, service: 'twilio' };
  const link = moreInfo ? `; ${moreInfo}` : '';
  if (status === 401 || code === 20003) {
    const creds = settings.credentials;
    const fromProfile = creds?.apiKey?.source === 'profile' && creds.apiSecret?.source === 'profile';
    const keyAndSecret = fromProfile
      ? `the API key and secret of ${sourceName(creds, 'apiKey')}`
      : `${sourceName(creds, 'apiKey')} and ${sourceName(creds, 'apiSecret')}`;
    const check =
      settings.auth.method === 'api-key'
        ? `check ${keyAndSecret}, and that the key belongs to account ${maskSid(settings.auth.accountSid)}`
        : `check ${sourceName(creds, 'accountSid')} and ${sourceName(creds, 'authToken')}`;
    const at = hostsOf(uri, asked, settings.baseUrl);
    return new RemoteError(
      `Twilio rejected the credentials at ${at} (${code ?? status}): ${twilioMessage} — ${check}${regionHint(settings)}${link}`,
      info,
    );
  }
  const what = `${method.toUpperCase()} ${maskAccounts(pathOf(uri))}`;
  const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
  const label = code !== undefined ? `HTTP ${status}, ${code}` : `HTTP ${status}`;
  if (status === 429)
    return new RemoteError(
      `Twilio rate-limited ${what} (${label})${tries}: ${twilioMessage}; wait a moment and run it again${link}`,
      info,
    );
  if (status >= 500) return new RemoteError(`Twilio failed ${what} (${label})${tries}: ${twilioMessage}${link}`, info);
  return new RemoteError(`Twilio refused ${what} (${label}): ${twilioMessage}${link}`, info);
}

const NETWORK_TEXT: Record<string, string> = {
  ECONNREFUSED: 'the connection was refused',
  ENOTFOUND: 'the host name does not resolve (DNS)',
  EAI_AGAIN: 'the host name could not be resolved right now (DNS)',
  ECONNRESET: 'the connection was closed before an answer',
  EPIPE: 'the connection was closed while sending',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  ECONNABORTED: 'no answer in time',
  ETIMEDOUT: 'no answer in time',
  ERR_SOCKET_CONNECTION_TIMEOUT: 'no answer in time',
  CERT_HAS_EXPIRED: 'its TLS certificate has expired',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    'its TLS certificate cannot be verified (set TWILIO_CA_BUNDLE or NODE_EXTRA_CA_CERTS behind a proxy)',
  SELF_SIGNED_CERT_IN_CHAIN:
    'its TLS certificate chain is self-signed (set TWILIO_CA_BUNDLE or NODE_EXTRA_CA_CERTS behind a proxy)',
};

/** The underlying error code of an axios/node network failure. */
export function networkCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown }; message?: unknown } | null;
  if (!e) return undefined;
  if (typeof e.code === 'string' && e.code !== 'ERR_BAD_RESPONSE' && e.code !== 'ERR_NETWORK') return e.code;
  if (typeof e.cause?.code === 'string') return e.cause.code;
  if (typeof e.message === 'string' && /socket hang up/i.test(e.message)) return 'ECONNRESET';
  return typeof e.code === 'string' ? e.code : undefined;
}

/** The RemoteError for a request that got no HTTP answer: names the host, never the credentials. */
export function networkError(
  err: unknown,
  uri: string,
  settings: { timeoutMs: number } & RequestPlace,
  method?: string,
  /** The URL the SDK built (region and edge applied), before --api-url replaced its host. */
  asked?: string,
): RemoteError {
  const code = networkCode(err) ?? 'ENETWORK';
  const host = hostOf(uri);
  const origin = settings.baseUrl && uri.startsWith(settings.baseUrl) ? ' (the --api-url / TWHOOK_API_URL server)' : '';
  if (code.startsWith('HPE_')) {
    // An answer came but could not be parsed (a 204 with a body, a broken proxy): Twilio may have
    // done what was asked, so this is no "cannot reach". (eventstreams.ts checks a DELETE with a GET.)
    const what = method ? `${method.toUpperCase()} ${maskAccounts(pathOf(uri))}` : 'the request';
    return new RemoteError(
      `${host}${origin} answered ${what}, but its reply could not be read (${code}): the request may have been carried out`,
      { code, service: 'network' },
    );
  }
  let reason = NETWORK_TEXT[code] ?? `the request failed (${code})`;
  if (code === 'ECONNABORTED' || code === 'ETIMEDOUT' || code === 'ERR_SOCKET_CONNECTION_TIMEOUT') {
    reason = `no answer within ${Math.round(settings.timeoutMs / 100) / 10} s (TWHOOK_HTTP_TIMEOUT_MS)`;
  }
  let hint =
    code === 'ECONNREFUSED' && origin
      ? ': is it running?'
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? ': check the network connection'
        : '';
  // A regional host that does not resolve is most often a mistyped region or edge.
  const { region, edge } = settings.target ?? {};
  const creds = settings.credentials ?? {};
  const given = [
    region ? `region ${region.value} (from ${describeSource(region, '--region', 'TWILIO_REGION', creds)})` : '',
    edge && edge.source !== 'default'
      ? `edge ${edge.value} (from ${describeSource(edge, '--api-edge', 'TWILIO_EDGE', creds)})`
      : '',
  ].filter(Boolean);
  if (code === 'ENOTFOUND' && given.length) hint += ` and the ${given.join(' and the ')}`;
  // With --api-url and a region or edge, the server tried stands in for a regional host: name both.
  const standIn =
    origin && asked && given.length ? ` (the --api-url / TWHOOK_API_URL server, for ${new URL(asked).host})` : origin;
  return new RemoteError(`cannot reach ${host}${standIn}: ${reason}${hint}`, { code, service: 'network' });
}

/** The RemoteError for a success status whose body is not JSON: not the Twilio API answering. */
export function notJsonError(status: number, method: string, uri: string, settings: { baseUrl?: string }): RemoteError {
  const origin = settings.baseUrl && uri.startsWith(settings.baseUrl) ? ' (the --api-url / TWHOOK_API_URL server)' : '';
  return new RemoteError(
    `${hostOf(uri)}${origin} answered ${method.toUpperCase()} ${maskAccounts(pathOf(uri))} with HTTP ${status} and a body that is not JSON: is it the Twilio API${origin ? ' or the emulator' : ''}?`,
    { status, service: 'twilio' },
  );
}

/**
 * Maps what an SDK call throws to RemoteError (exit 3); TwhookErrors pass unchanged. The HTTP
 * client (client.ts) already turns error answers and network failures into RemoteErrors; this
 * catches the rest: an SDK RestException for an answer the client let through (such as a 3xx),
 * and a network error raised outside the client. Account SIDs in Twilio's message are masked.
 */
export function toRemoteError(err: unknown): unknown {
  if (err instanceof TwhookError) return err;
  const e = err as { status?: unknown; code?: unknown; moreInfo?: unknown; message?: unknown } | null;
  if (e && typeof e.status === 'number') {
    const code = typeof e.code === 'number' || typeof e.code === 'string' ? e.code : undefined;
    const message = typeof e.message === 'string' && e.message ? maskAccounts(e.message) : `HTTP ${e.status}`;
    return new RemoteError(
      `Twilio answered HTTP ${e.status}${code ? ` (${code})` : ''}: ${message}`,
      { code, status: e.status, moreInfo: typeof e.moreInfo === 'string' ? e.moreInfo : undefined, service: 'twilio' },
      { cause: err },
    );
  }
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (typeof code === 'string' && /^E[A-Z]+/.test(code)) {
    const reason = NETWORK_TEXT[code] ?? `the request failed (${code})`;
    return new RemoteError(`cannot reach Twilio: ${reason} (${code})`, { code, service: 'network' }, { cause: err });
  }
  return err;
}

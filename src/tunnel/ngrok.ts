/**
 * The ngrok adapter, on the @ngrok/ngrok agent library (a native module, loaded only when a
 * tunnel is opened). Its errors become RemoteErrors that say what to do; a session that drops
 * and does not come back in time is reported through `onLost`, so the numbers are restored.
 */
import { RemoteError, UsageError } from '../errors.js';
import type { Tunnel, TunnelFactory, TunnelRequest } from './types.js';

/** The part of @ngrok/ngrok the adapter uses: substituted in tests, where nothing reaches ngrok. */
export interface NgrokModule {
  forward(config: NgrokForwardConfig): Promise<NgrokListener>;
}

export interface NgrokForwardConfig {
  addr: string;
  authtoken?: string;
  authtoken_from_env?: boolean;
  domain?: string;
  /** 'closed' when the session is lost, 'connected' when it is back. */
  onStatusChange?: (status: string) => void;
}

export interface NgrokListener {
  url(): string | null;
  close(): Promise<void>;
}

export interface NgrokAdapterOptions {
  load?: () => Promise<NgrokModule>;
  /** How long ngrok may take to bring a dropped session back before the tunnel counts as lost. */
  reconnectGraceMs?: number;
}

export const AUTHTOKEN_URL = 'https://dashboard.ngrok.com/get-started/your-authtoken';

const loadNgrok = async (): Promise<NgrokModule> => {
  const mod = (await import('@ngrok/ngrok')) as unknown as NgrokModule & { default?: NgrokModule };
  return typeof mod.forward === 'function' ? mod : mod.default!;
};

export function ngrokTunnelFactory(options: NgrokAdapterOptions = {}): TunnelFactory {
  const load = options.load ?? loadNgrok;
  const grace = options.reconnectGraceMs ?? 30_000;
  return async (request: TunnelRequest): Promise<Tunnel> => {
    if (request.kind !== 'ngrok') throw new Error(`the ngrok adapter cannot open a ${request.kind} tunnel`);
    let ngrok: NgrokModule;
    try {
      ngrok = await load();
    } catch (err) {
      throw new RemoteError(
        `cannot load the ngrok agent library (@ngrok/ngrok): ${(err as Error).message}; reinstall twhook, or run your own tunnel and pass --public-url`,
        { service: 'ngrok' },
        { cause: err },
      );
    }

    const lostListeners: ((reason: string) => void)[] = [];
    let lostTimer: NodeJS.Timeout | undefined;
    let closed = false;
    let lost = false;
    const onStatusChange = (status: string) => {
      if (closed || lost) return;
      if (status === 'closed') {
        lostTimer ??= setTimeout(() => {
          lost = true;
          const reason = `the ngrok session dropped and did not come back within ${Math.round(grace / 1000)} s`;
          for (const listener of lostListeners) listener(reason);
        }, grace);
        lostTimer.unref?.();
      } else if (status === 'connected' && lostTimer) {
        clearTimeout(lostTimer);
        lostTimer = undefined;
      }
    };

    const config: NgrokForwardConfig = { addr: request.addr, onStatusChange };
    // authtoken_from_env is off by default: without it (or an explicit token) ngrok says 4018.
    if (request.authtoken) config.authtoken = request.authtoken;
    else config.authtoken_from_env = true;
    if (request.domain) config.domain = request.domain;

    let listener: NgrokListener;
    try {
      listener = await ngrok.forward(config);
    } catch (err) {
      throw translateNgrokError(err, request);
    }
    const url = listener.url();
    if (!url) {
      await listener.close().catch(() => undefined);
      throw new RemoteError('ngrok opened a session but gave no public URL', { service: 'ngrok' });
    }
    return {
      url: url.replace(/\/+$/, ''),
      provider: 'ngrok',
      async close() {
        closed = true;
        if (lostTimer) clearTimeout(lostTimer);
        await listener.close();
      },
      onLost(fn) {
        lostListeners.push(fn);
      },
    };
  };
}

/** The ERR_NGROK_NNNN code of an error from @ngrok/ngrok, if it has one. */
export function ngrokErrorCode(err: unknown): string | undefined {
  const e = err as { errorCode?: unknown; message?: unknown };
  if (typeof e?.errorCode === 'string') return e.errorCode;
  const match = typeof e?.message === 'string' ? /ERR_NGROK_\d+/.exec(e.message) : null;
  return match?.[0];
}

const NETWORK =
  /(dns|resolve|lookup|network|unreachable|timed? ?out|connection refused|failed to connect|tls handshake|no route|connect error|os error)/i;

/** One RemoteError (exit 3) naming what went wrong and what to do, with ngrok's code. */
export function translateNgrokError(err: unknown, request: Extract<TunnelRequest, { kind: 'ngrok' }>): RemoteError {
  const code = ngrokErrorCode(err);
  const raw = firstLine(err instanceof Error ? err.message : String(err));
  const info = {
    code,
    service: 'ngrok',
    moreInfo: code ? `https://ngrok.com/docs/errors/${code.toLowerCase()}` : undefined,
  };
  const fallback = 'or run your own tunnel to the proxy and pass --public-url URL';
  switch (code) {
    case 'ERR_NGROK_4018':
    case 'ERR_NGROK_105':
    case 'ERR_NGROK_107':
      return new RemoteError(
        `ngrok refused the authtoken (${code}): ${request.authtoken ? 'NGROK_AUTHTOKEN is not valid' : 'NGROK_AUTHTOKEN is missing or not valid'}; copy yours from ${AUTHTOKEN_URL}, ${fallback}`,
        info,
        { cause: err },
      );
    case 'ERR_NGROK_108':
      return new RemoteError(
        `ngrok allows your account one agent session at a time and another is running (${code}): stop it (see https://dashboard.ngrok.com/agents), ${fallback}`,
        info,
        { cause: err },
      );
    case 'ERR_NGROK_334':
      return new RemoteError(
        `${request.domain ? `the domain ${request.domain}` : 'the endpoint'} is already in use by another ngrok session (${code}): stop that session${request.domain ? ' or drop --ngrok-domain' : ''}`,
        info,
        { cause: err },
      );
    case 'ERR_NGROK_313':
    case 'ERR_NGROK_319':
    case 'ERR_NGROK_320':
      return new RemoteError(
        `ngrok cannot serve ${request.domain ? `the domain ${request.domain}` : 'that domain'} for your account (${code}): reserve it at https://dashboard.ngrok.com/domains or drop --ngrok-domain; ngrok said: ${raw}`,
        info,
        { cause: err },
      );
    case undefined:
      if (NETWORK.test(raw)) {
        return new RemoteError(
          `cannot reach ngrok's service (no network?): ${raw}; check the connection, ${fallback}`,
          { code: 'network', service: 'ngrok' },
          { cause: err },
        );
      }
      return new RemoteError(`ngrok failed: ${raw}; ${fallback}`, { service: 'ngrok' }, { cause: err });
    default:
      return new RemoteError(
        `ngrok failed with ${code}: ${raw.replace(/,?\s*error_code: ERR_NGROK_\d+$/, '')} (see ${info.moreInfo})`,
        info,
        { cause: err },
      );
  }
}

/** Checked before any attempt, so the user hears about a missing token first, not ngrok's code. */
export function requireNgrokAuthtoken(env: Record<string, string | undefined>): string {
  const token = env.NGROK_AUTHTOKEN?.trim();
  if (!token) {
    throw new UsageError(
      `ngrok needs an authtoken: set NGROK_AUTHTOKEN (free at ${AUTHTOKEN_URL}), or run your own tunnel to the proxy and pass --public-url URL`,
    );
  }
  return token;
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}

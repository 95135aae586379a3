import { afterEach, describe, expect, it, vi } from 'vitest';
import { RemoteError, UsageError } from '../../src/errors.js';
import { openTunnel } from '../../src/tunnel/index.js';
import {
  ngrokTunnelFactory,
  requireNgrokAuthtoken,
  type NgrokForwardConfig,
  type NgrokModule,
} from '../../src/tunnel/ngrok.js';
import { normalizePublicUrl } from '../../src/tunnel/public-url.js';

/** A stand-in for @ngrok/ngrok: records what it was given, answers as told. */
function fakeNgrok(answer: { url?: string | null; error?: Error }) {
  const calls: NgrokForwardConfig[] = [];
  let closed = 0;
  const mod: NgrokModule = {
    async forward(config) {
      calls.push(config);
      if (answer.error) throw answer.error;
      return {
        url: () => (answer.url === undefined ? 'https://abc123.ngrok.app' : answer.url),
        close: async () => {
          closed++;
        },
      };
    },
  };
  return { mod, calls, closed: () => closed };
}

function ngrokError(message: string, code?: string): Error {
  const err = new Error(code ? `${message}\n\nERROR:\n\nerror_code: ${code}` : message);
  if (code) (err as Error & { errorCode?: string }).errorCode = code;
  return err;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('ngrok adapter', () => {
  it('forwards to the proxy with authtoken_from_env when no token is passed', async () => {
    const fake = fakeNgrok({});
    const tunnel = await ngrokTunnelFactory({ load: async () => fake.mod })({
      kind: 'ngrok',
      addr: 'http://127.0.0.1:4040',
    });
    expect(tunnel.url).toBe('https://abc123.ngrok.app');
    expect(tunnel.provider).toBe('ngrok');
    expect(fake.calls).toEqual([
      { addr: 'http://127.0.0.1:4040', authtoken_from_env: true, onStatusChange: expect.any(Function) },
    ]);
    await tunnel.close();
    expect(fake.closed()).toBe(1);
  });

  it('passes an explicit authtoken and the reserved domain', async () => {
    const fake = fakeNgrok({ url: 'https://me.ngrok.dev/' });
    const tunnel = await ngrokTunnelFactory({ load: async () => fake.mod })({
      kind: 'ngrok',
      addr: 'http://127.0.0.1:1',
      authtoken: 'tok_from_env_file',
      domain: 'me.ngrok.dev',
    });
    expect(fake.calls[0]).toEqual({
      addr: 'http://127.0.0.1:1',
      authtoken: 'tok_from_env_file',
      domain: 'me.ngrok.dev',
      onStatusChange: expect.any(Function),
    });
    expect(tunnel.url).toBe('https://me.ngrok.dev');
  });

  it.each([
    [
      'ERR_NGROK_4018',
      /ngrok refused the authtoken \(ERR_NGROK_4018\).*dashboard\.ngrok\.com\/get-started\/your-authtoken.*--public-url/,
    ],
    ['ERR_NGROK_105', /ngrok refused the authtoken \(ERR_NGROK_105\)/],
    ['ERR_NGROK_108', /one agent session at a time.*\(ERR_NGROK_108\).*dashboard\.ngrok\.com\/agents.*--public-url/],
    ['ERR_NGROK_334', /the domain me\.ngrok\.dev is already in use by another ngrok session \(ERR_NGROK_334\)/],
    [
      'ERR_NGROK_9999',
      /^ngrok failed with ERR_NGROK_9999: something odd \(see https:\/\/ngrok\.com\/docs\/errors\/err_ngrok_9999\)$/,
    ],
  ])('translates %s into a RemoteError (exit 3) with the code', async (code, message) => {
    const fake = fakeNgrok({ error: ngrokError('something odd', code) });
    const err = await ngrokTunnelFactory({ load: async () => fake.mod })({
      kind: 'ngrok',
      addr: 'x',
      domain: 'me.ngrok.dev',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect((err as RemoteError).exitCode).toBe(3);
    expect((err as RemoteError).message).toMatch(message);
    expect((err as RemoteError).info).toMatchObject({
      code,
      service: 'ngrok',
      moreInfo: `https://ngrok.com/docs/errors/${code.toLowerCase()}`,
    });
  });

  it('says the network is down when ngrok cannot be reached', async () => {
    const fake = fakeNgrok({
      error: new Error('failed to connect session: dns error: failed to lookup address information'),
    });
    const err = (await ngrokTunnelFactory({ load: async () => fake.mod })({ kind: 'ngrok', addr: 'x' }).catch(
      (e: unknown) => e,
    )) as RemoteError;
    expect(err).toBeInstanceOf(RemoteError);
    expect(err.message).toMatch(/^cannot reach ngrok's service \(no network\?\)/);
    expect(err.info.code).toBe('network');
  });

  it('reports a failure to load the native module as a RemoteError', async () => {
    const err = await ngrokTunnelFactory({
      load: async () => {
        throw new Error('no binary for this platform');
      },
    })({ kind: 'ngrok', addr: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect((err as Error).message).toMatch(
      /cannot load the ngrok agent library.*no binary for this platform.*--public-url/,
    );
  });

  it('calls onLost when the session drops and does not come back in the grace period', async () => {
    vi.useFakeTimers();
    const fake = fakeNgrok({});
    const tunnel = await ngrokTunnelFactory({ load: async () => fake.mod, reconnectGraceMs: 1_000 })({
      kind: 'ngrok',
      addr: 'x',
    });
    const lost: string[] = [];
    tunnel.onLost((reason) => lost.push(reason));
    const status = fake.calls[0]!.onStatusChange!;
    status('closed');
    vi.advanceTimersByTime(500);
    status('connected');
    vi.advanceTimersByTime(2_000);
    expect(lost).toEqual([]);
    status('closed');
    vi.advanceTimersByTime(1_001);
    expect(lost).toEqual(['the ngrok session dropped and did not come back within 1 s']);
  });
});

describe('requireNgrokAuthtoken', () => {
  it('says how to get a token before trying', () => {
    expect(() => requireNgrokAuthtoken({})).toThrow(UsageError);
    expect(() => requireNgrokAuthtoken({ NGROK_AUTHTOKEN: ' ' })).toThrow(
      /set NGROK_AUTHTOKEN \(free at https:\/\/dashboard\.ngrok\.com.*--public-url/,
    );
    expect(requireNgrokAuthtoken({ NGROK_AUTHTOKEN: 'abc' })).toBe('abc');
  });
});

describe('public-url tunnel', () => {
  it('opens no tunnel and normalizes the URL', async () => {
    const tunnel = await openTunnel({ kind: 'public-url', url: 'https://my.example.com/base/' });
    expect(tunnel.url).toBe('https://my.example.com/base');
    expect(tunnel.provider).toBe('public-url');
    await tunnel.close();
  });
  it.each([
    ['not a url', /is not a URL/],
    ['ftp://x', /http\(s\) URL/],
    ['https://u:p@x', /credentials/],
    ['https://x/?a=1', /query or fragment/],
  ])('refuses %s', (raw, message) => {
    expect(() => normalizePublicUrl(raw)).toThrow(message);
  });
});

import { describe, expect, it } from 'vitest';
import { basicAuthProblem, devOptions, extensionsFor, parseTarget, type DevFlags } from '../../src/commands/dev.js';
import { makeCtx } from '../../src/ctx.js';
import { UsageError } from '../../src/errors.js';
import { numberUpdateFor } from '../../src/dev/session.js';
import { MemoryStream, runCli, tempDir } from '../support/run-cli.js';
import { PassThrough } from 'node:stream';

function ctx(env: Record<string, string> = {}, globals = {}) {
  return makeCtx(
    {
      io: {
        stdin: new PassThrough(),
        stdout: new MemoryStream(),
        stderr: new MemoryStream(),
        isStdinTTY: false,
        isStdoutTTY: false,
        isStderrTTY: false,
      },
      env,
      cwd: tempDir(),
      clock: { now: () => new Date('2026-11-27T10:00:00Z') },
      signal: new AbortController().signal,
      configDir: tempDir(),
    },
    globals,
  );
}

const flags = (extra: DevFlags = {}): DevFlags => ({
  sms: '/sms',
  voice: '/voice',
  publicUrl: 'https://x.test',
  ...extra,
});

describe('parseTarget', () => {
  it.each([
    ['3000', 'http://localhost:3000', 'localhost:3000'],
    ['localhost:8080', 'http://localhost:8080', 'localhost:8080'],
    ['http://127.0.0.1:3000/api/', 'http://127.0.0.1:3000/api', '127.0.0.1:3000/api'],
    ['https://app.local', 'https://app.local', 'app.local'],
    ['app.test:8080', 'http://app.test:8080', 'app.test:8080'],
    ['localhost', 'http://localhost', 'localhost'],
    ['http://web', 'http://web', 'web'],
  ])('%s', (input, url, label) => {
    expect(parseTarget(input)).toEqual({ url, label });
  });
  it.each(['70000', 'ftp://x', 'http://x/?a=1', 'http://u:p@x', 'http://[bad', 'abc', 'start'])(
    'refuses %s',
    (input) => {
      expect(() => parseTarget(input)).toThrow(UsageError);
    },
  );
});

describe('devOptions', () => {
  it('builds the session: paths, overrides, default capture, tokens', () => {
    const c = ctx({ TWILIO_AUTH_TOKEN: 'tok-123456' });
    const o = devOptions(
      c,
      '3000',
      flags({ number: ['+15017122661'], voiceStatus: 'status', readTimeout: '5000', voice: false }),
    );
    expect(o.session).toMatchObject({
      target: 'http://localhost:3000',
      targetLabel: 'localhost:3000',
      numbers: ['+15017122661'],
      paths: { sms: '/sms', voice: null, voiceStatus: '/status' },
      overrides: { readTimeout: 5000 },
      tunnel: { kind: 'public-url', url: 'https://x.test' },
      authTokens: ['tok-123456'],
      enforceSignatures: false,
    });
    expect(o.session.capture).toBe(`${c.cwd}/.twhook/captures/2026-11-27.jsonl`);
  });

  it('--no-capture, --capture FILE, --listen, --body-limit', () => {
    const c = ctx();
    expect(devOptions(c, '3000', flags({ capture: false })).session.capture).toBeNull();
    expect(devOptions(c, '3000', flags({ capture: 'x/y.jsonl' })).session.capture).toBe(`${c.cwd}/x/y.jsonl`);
    expect(devOptions(c, '3000', flags({ listen: '4040' })).session.listenPort).toBe(4040);
    expect(devOptions(c, '3000', flags({ bodyLimit: '512kb' })).session.bodyLimit).toBe(512 * 1024);
    expect(() => devOptions(c, '3000', flags({ listen: '0' }))).toThrow(/--listen 0/);
    expect(() => devOptions(c, '3000', flags({ bodyLimit: 'lots' }))).toThrow(/--body-limit/);
  });

  it('ngrok: needs NGROK_AUTHTOKEN, passes it and the domain', () => {
    expect(() => devOptions(ctx(), '3000', flags({ publicUrl: undefined }))).toThrow(/ngrok needs an authtoken/);
    expect(
      devOptions(
        ctx({ NGROK_AUTHTOKEN: 'ngrok-tok' }),
        '3000',
        flags({ publicUrl: undefined, ngrokDomain: 'me.ngrok.dev' }),
      ).session.tunnel,
    ).toEqual({ kind: 'ngrok', authtoken: 'ngrok-tok', domain: 'me.ngrok.dev' });
    expect(() => devOptions(ctx(), '3000', flags({ ngrokDomain: 'me.ngrok.dev' }))).toThrow(
      /--ngrok-domain is for the ngrok tunnel/,
    );
  });

  it('a bad --public-url is refused before the session starts: one error line, no "stopped" line', async () => {
    expect(() => devOptions(ctx(), '3000', flags({ publicUrl: 'notaurl' }))).toThrow(
      /--public-url "notaurl" is not a URL/,
    );
    expect(() => devOptions(ctx(), '3000', flags({ publicUrl: 'ftp://x.test' }))).toThrow(
      /--public-url must be an http\(s\) URL/,
    );
    const r = await runCli(['dev', '3000', '--public-url', 'notaurl', '--no-capture']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'error: --public-url "notaurl" is not a URL: give the whole base URL, e.g. https://my-tunnel.example.com\n',
    );
  });

  it('an empty --number (an unset variable) is refused before the session starts', async () => {
    expect(() => devOptions(ctx(), '3000', flags({ number: [''] }))).toThrow(UsageError);
    const r = await runCli(['dev', '3000', '--public-url', 'https://x.test', '--no-capture', '--number', ' ']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'error: --number is empty (an unset variable?): give +E.164 or a PN SID, or leave --number out\n',
    );
  });

  it('--basic-auth: USER:PASS, redacted from all output', () => {
    const c = ctx();
    const o = devOptions(c, '3000', flags({ basicAuth: 'twilio:s3cr3t-pass' }));
    expect(o.session.basicAuth).toEqual({ username: 'twilio', password: 's3cr3t-pass' });
    expect(c.out.redactor.redact('x s3cr3t-pass y')).toBe('x [redacted] y');
    expect(() => devOptions(c, '3000', flags({ basicAuth: 'nopass' }))).toThrow(/USER:PASS/);
  });

  it("--basic-auth refuses what Twilio's security docs say to avoid in webhook credentials", () => {
    for (const value of [
      'twilio:p@ss',
      'twilio:a&b',
      'twilio:a#b',
      'twilio:a/b',
      'twilio:a?b',
      'twilio:50%',
      'twi lio:x',
    ]) {
      expect(() => devOptions(ctx(), '3000', flags({ basicAuth: value })), value).toThrow(
        /--basic-auth: the (user|password) has .*Twilio's security docs say to avoid/,
      );
    }
    // A colon splits user from password, so a second one is the password's and Twilio keeps it.
    expect(devOptions(ctx(), '3000', flags({ basicAuth: 'twilio:a:b' })).session.basicAuth).toEqual({
      username: 'twilio',
      password: 'a:b',
    });
    const message = basicAuthProblem('tw@lio', 'p&ss') ?? '';
    expect(message).toContain('the user has "@" and the password has "&"');
    expect(message).not.toContain('p&ss');
    expect(basicAuthProblem('twilio', 'Dev+Basic.P4ss-w0rd~')).toBeUndefined();
  });

  it('refuses --no-sms --no-voice with numbers, bad paths, and enforcement without a token', () => {
    expect(() => devOptions(ctx(), '3000', flags({ number: ['+1'], sms: false, voice: false }))).toThrow(
      /leave nothing/,
    );
    expect(() => devOptions(ctx(), '3000', flags({ sms: 'https://x/sms' }))).toThrow(/give a path/);
    expect(() => devOptions(ctx(), '3000', flags({ enforceSignatures: true }))).toThrow(/needs the auth token/);
  });
});

describe('numberUpdateFor', () => {
  it('sets each field with its method, the overrides fragment and the credentials', () => {
    const { update, urls } = numberUpdateFor(
      'https://x.test',
      { sms: '/sms', voice: '/voice', voiceStatus: '/status', smsFallback: '/fb' },
      { readTimeout: 5000 },
      { username: 'u', password: 'p@ss' },
    );
    expect(update).toEqual({
      smsUrl: 'https://u:p%40ss@x.test/sms#rt=5000',
      smsMethod: 'POST',
      smsFallbackUrl: 'https://u:p%40ss@x.test/fb#rt=5000',
      smsFallbackMethod: 'POST',
      voiceUrl: 'https://u:p%40ss@x.test/voice#rt=5000',
      voiceMethod: 'POST',
      statusCallback: 'https://u:p%40ss@x.test/status#rt=5000',
      statusCallbackMethod: 'POST',
    });
    expect(urls.smsUrl).toBe('https://x.test/sms#rt=5000');
  });
  it('leaves out a path that is null', () => {
    expect(numberUpdateFor('https://x.test/base', { sms: null, voice: '/voice' }, undefined).update).toEqual({
      voiceUrl: 'https://x.test/base/voice',
      voiceMethod: 'POST',
    });
  });
});

describe('extensionsFor', () => {
  it('loads only the extensions whose options were given', async () => {
    const loaded: string[] = [];
    const entry = (name: string) => ({
      options: [{ flags: `--${name} <x>`, description: name }],
      load: async () => {
        loaded.push(name);
        return { createExtension: () => ({ name, setup: async () => undefined }) };
      },
    });
    const out = await extensionsFor(ctx(), { alpha: 'x' }, [entry('alpha'), entry('beta')]);
    expect(out.map((e) => e.name)).toEqual(['alpha']);
    expect(loaded).toEqual(['alpha']);
  });
});

/** The leak scanner finds a secret in each form it can leave in, and nothing in clean text. */
import { describe, expect, it } from 'vitest';
import { LeakScanner } from './scan.js';

const SECRET = { name: 'password', value: 'Dev+B@sic/P4ss-w0rd', user: 'twhookdev' };

describe('LeakScanner', () => {
  it.each([
    ['raw', `token=${SECRET.value}`],
    ['URL-encoded', `https://twhookdev:${encodeURIComponent(SECRET.value)}@h.example/`],
    [
      'userinfo-encoded',
      (() => {
        const u = new URL('https://h.example/');
        u.username = 'twhookdev';
        u.password = SECRET.value;
        return u.href;
      })(),
    ],
    ['Authorization header', `authorization: Basic ${Buffer.from(`twhookdev:${SECRET.value}`).toString('base64')}`],
    ['base64 inside a longer blob (offset 1)', Buffer.from(`x${SECRET.value}yz`).toString('base64')],
    ['base64 inside a longer blob (offset 2)', Buffer.from(`{"p":"${SECRET.value}"}`).toString('base64')],
  ])('finds it %s', (_form, text) => {
    const scan = new LeakScanner([SECRET]);
    scan.text('sample', text);
    expect(scan.leaks.length).toBeGreaterThan(0);
  });

  it('finds nothing in masked or redacted text, and honours allowed secrets', () => {
    const scan = new LeakScanner([SECRET]);
    scan.text('masked', 'https://twhookdev:***@h.example/ Authorization: Basic [redacted] [redacted]');
    scan.text('allowed', SECRET.value, ['password']);
    expect(scan.leaks).toEqual([]);
    expect(scan.scanned).toEqual(['masked', 'allowed']);
  });
});

describe('the simulator', () => {
  it('never puts the auth token in its events, capture records or conversation file', async () => {
    const { mkdtempSync, readFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { simulateCall, simulateText } = await import('../../src/simulate/index.js');
    const { startIvrApp } = await import('../support/ivr-app.js');
    const token = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
    const app = await startIvrApp({ authToken: token });
    const scan = new LeakScanner([{ name: 'auth token', value: token }]);
    const records: unknown[] = [];
    try {
      const call = await simulateCall({
        app: { url: `${app.url}/voice`, statusCallback: { url: `${app.url}/status` } },
        authToken: token,
        inputs: [
          { kind: 'press', digits: '2' },
          { kind: 'record', seconds: 3 },
        ],
        onExchange: (r) => records.push(r),
      });
      const cookieFile = join(mkdtempSync(join(tmpdir(), 'twhook-sim-')), 'conversations.json');
      const text = await simulateText({
        app: `${app.url}/sms`,
        authToken: token,
        cookieFile,
        messages: [{ body: 'hi' }],
        onExchange: (r) => records.push(r),
      });
      expect(app.seen.every((s) => s.valid)).toBe(true);
      scan.text('call events', JSON.stringify(call));
      scan.text('text events', JSON.stringify(text));
      scan.text('capture records', JSON.stringify(records));
      scan.text('conversation file', readFileSync(cookieFile, 'utf8'));
    } finally {
      await app.close();
    }
    expect(records.length).toBeGreaterThan(4);
    expect(scan.leaks).toEqual([]);
  });
});

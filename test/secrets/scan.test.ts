/** The leak scanner finds a secret in each form it can leave in, and nothing in clean text. */
import { describe, expect, it } from 'vitest';
import { LeakScanner } from './scan.js';

const SECRET = { name: 'password', value: 'Dev+B@sic/P4ss-w0rd', user: 'twhookdev' };

describe('LeakScanner', () => {
  it.each([
    ['raw', `token=${SECRET.value}`],
    ['URL-encoded', `https://twhookdev:${encodeURIComponent(SECRET.value)}@h.example/`],
    ['userinfo-encoded', (() => { const u = new URL('https://h.example/'); u.username = 'twhookdev'; u.password = SECRET.value; return u.href; })()],
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

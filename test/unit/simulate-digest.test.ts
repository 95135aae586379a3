import { describe, expect, it } from 'vitest';
import { digestResponse } from '../../src/simulate/credentials.js';

// The published examples, so the simulator's Digest login is checked against the RFCs rather than
// against the test app's own server-side code.
describe('digestResponse', () => {
  const rfc7616 = {
    user: 'Mufasa',
    realm: 'http-auth@example.org',
    password: 'Circle of Life',
    nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
    nc: '00000001',
    cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
    qop: 'auth',
    method: 'GET',
    uri: '/dir/index.html',
  };

  it('matches RFC 7616 section 3.9.1 with MD5', () => {
    expect(digestResponse({ ...rfc7616, algorithm: 'MD5' })).toBe('8ca523f5e9506fed4657c9700eebdbec');
  });

  it('matches RFC 7616 section 3.9.1 with SHA-256', () => {
    expect(digestResponse({ ...rfc7616, algorithm: 'SHA-256' })).toBe(
      '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
    );
  });

  it('matches RFC 2617 section 3.5 (MD5, qop auth)', () => {
    const response = digestResponse({
      algorithm: 'MD5',
      user: 'Mufasa',
      realm: 'testrealm@host.com',
      password: 'Circle Of Life',
      nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
      nc: '00000001',
      cnonce: '0a4f113b',
      qop: 'auth',
      method: 'GET',
      uri: '/dir/index.html',
    });
    expect(response).toBe('6629fae49393a05397450978507c4ef1');
  });

  it('refuses an algorithm it cannot compute', () => {
    expect(() => digestResponse({ ...rfc7616, algorithm: 'SHA-512-256' })).toThrow(/unsupported/);
  });
});

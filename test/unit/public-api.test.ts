// The package's library API (`import { signRequest, verifyRequest } from 'twhook'`), from source.
import { describe, expect, it } from 'vitest';
import * as api from '../../src/index.js';
import { signRequest, verifyRequest, type SignedRequest, type Verdict } from '../../src/index.js';

describe("twhook's public API", () => {
  it('exports signRequest and verifyRequest, typed, that agree with each other', () => {
    const signed: SignedRequest = signRequest({
      authToken: 'f00dfeedf00dfeedf00dfeedf00dfeed',
      url: 'https://example.com/sms',
      params: { Body: 'Hi', From: '+15551234567' },
    });
    const verdict: Verdict = verifyRequest({
      url: signed.url,
      signature: signed.signature,
      body: signed.body,
      authTokens: ['f00dfeedf00dfeedf00dfeedf00dfeed'],
    });
    expect(verdict).toMatchObject({ valid: true, verdict: 'valid', tokenIndex: 1 });
    const forged: Verdict = verifyRequest({
      url: signed.url,
      signature: signed.signature,
      body: 'Body=Hacked&From=%2B15551234567',
      authTokens: ['f00dfeedf00dfeedf00dfeedf00dfeed'],
    });
    expect(forged.valid).toBe(false);
  });

  it('exports only functions meant for users', () => {
    expect(Object.keys(api).sort()).toEqual([
      'classify',
      'encodeForm',
      'maskUrl',
      'parseForm',
      'rebaseUrl',
      'signRequest',
      'simulateCall',
      'simulateText',
      'verifyRequest',
    ]);
  });
});

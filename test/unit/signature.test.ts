import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encodeForm, parseForm } from '../../src/webhooks/form.js';
import { signRequest, verifyRequest as verifyCore, type VerifyRequestOptions } from '../../src/webhooks/signature.js';
import { verifyAndExplain as verifyRequest } from '../../src/webhooks/signature-explain.js';
import { maskUrl, rebaseUrl } from '../../src/webhooks/url.js';

const TOKEN = 'f00dfeedf00dfeedf00dfeedf00dfeed';
const OTHER = 'c0ffeec0ffeec0ffeec0ffeec0ffee00';
const PUBLIC = 'https://abc123.ngrok.app/sms';
const SMS: Array<[string, string]> = [
  ['From', '+15551234567'],
  ['To', '+15017122661'],
  ['Body', 'Hello there'],
  ['MessageSid', 'SM0123456789abcdef0123456789abcdef'],
  ['NumMedia', '0'],
];
const BODY = encodeForm(SMS);

/** An independent HMAC, to check signRequest and to sign test requests for other URLs. */
function hmac(url: string, params: Record<string, string | string[]>, token = TOKEN): string {
  let data = url;
  for (const k of Object.keys(params).sort()) {
    const v = params[k]!;
    for (const x of Array.isArray(v) ? [...new Set(v)].sort() : [v]) data += k + x;
  }
  return createHmac('sha1', token).update(Buffer.from(data, 'utf8')).digest('base64');
}

function signedFor(url: string, body = BODY, token = TOKEN): string {
  return hmac(url, { ...parseForm(body) }, token);
}

function check(options: Partial<VerifyRequestOptions> & { url: string }) {
  return verifyRequest({ body: BODY, authTokens: [TOKEN], ...options });
}

describe('signRequest', () => {
  it('signs form parameters as Twilio does (pairs, record or raw body give the same signature)', () => {
    const expected = hmac(PUBLIC, Object.fromEntries(SMS));
    expect(signRequest({ authToken: TOKEN, url: PUBLIC, params: SMS }).signature).toBe(expected);
    expect(signRequest({ authToken: TOKEN, url: PUBLIC, params: Object.fromEntries(SMS) }).signature).toBe(expected);
    const fromBody = signRequest({ authToken: TOKEN, url: PUBLIC, body: BODY });
    expect(fromBody).toEqual({ signature: expected, url: PUBLIC, body: BODY, contentType: 'form' });
  });

  it('never signs the #fragment (connection overrides)', () => {
    const signed = signRequest({ authToken: TOKEN, url: `${PUBLIC}#ct=5000&rc=3`, params: SMS });
    expect(signed.url).toBe(PUBLIC);
    expect(signed.signature).toBe(hmac(PUBLIC, Object.fromEntries(SMS)));
  });

  it('signs JSON through bodySHA256 appended to the URL, with no parameters', () => {
    const body = '[{"type":"com.twilio.messaging.message.delivered"}]';
    const hash = createHash('sha256').update(body).digest('hex');
    const signed = signRequest({
      authToken: TOKEN,
      url: 'https://abc123.ngrok.app/events?sink=1#rc=2',
      body,
      contentType: 'json',
    });
    expect(signed.url).toBe(`https://abc123.ngrok.app/events?sink=1&bodySHA256=${hash}`);
    expect(signed.signature).toBe(hmac(signed.url, {}));
    expect(verifyRequest({ url: signed.url, signature: signed.signature, body, authTokens: [TOKEN] }).valid).toBe(true);
  });

  it('signs repeated parameters sorted and de-duplicated, and verify accepts them', () => {
    const params: Array<[string, string]> = [
      ...SMS,
      ['MediaUrl', 'https://x/b'],
      ['MediaUrl', 'https://x/a'],
      ['MediaUrl', 'https://x/b'],
    ];
    const signed = signRequest({ authToken: TOKEN, url: PUBLIC, params });
    expect(signed.body).toContain(
      'MediaUrl=https%3A%2F%2Fx%2Fb&MediaUrl=https%3A%2F%2Fx%2Fa&MediaUrl=https%3A%2F%2Fx%2Fb',
    );
    expect(signed.signature).toBe(
      hmac(PUBLIC, { ...Object.fromEntries(SMS), MediaUrl: ['https://x/b', 'https://x/a'] }),
    );
    expect(
      verifyRequest({ url: PUBLIC, signature: signed.signature, body: signed.body, authTokens: [TOKEN] }),
    ).toMatchObject({ valid: true, strictValid: true });
  });
});

describe('the core verdict (signature.ts) apart from its explanation (signature-explain.ts)', () => {
  it('gives the same verdict without searching why it failed', () => {
    const forged = {
      url: `http://abc123.ngrok.app/sms`,
      signature: signedFor(PUBLIC),
      body: BODY,
      authTokens: [TOKEN],
    };
    const core = verifyCore(forged);
    const explained = verifyRequest(forged);
    expect(core).toEqual({
      verdict: 'invalid',
      valid: false,
      sdkValid: false,
      strictValid: false,
      reason: 'invalid signature',
    });
    expect(explained).toMatchObject({ verdict: 'invalid', valid: false, sdkValid: false, strictValid: false });
    expect(explained.reason).toMatch(/X-Forwarded-Proto/);
    expect(verifyCore({ ...forged, url: PUBLIC })).toEqual(verifyRequest({ ...forged, url: PUBLIC }));
  });

  it('the library entry point loads the core only', async () => {
    const { readFile } = await import('node:fs/promises');
    const index = await readFile(new URL('../../src/index.ts', import.meta.url), 'utf8');
    const core = await readFile(new URL('../../src/webhooks/signature.ts', import.meta.url), 'utf8');
    expect(index).not.toMatch(/signature-explain/);
    expect(core).not.toMatch(/from '\.\/signature-explain/);
  });
});

describe('verifyRequest verdicts', () => {
  it('is valid with the token position, never the token', () => {
    const v = check({ url: PUBLIC, signature: signedFor(PUBLIC) });
    expect(v).toEqual({ verdict: 'valid', valid: true, tokenIndex: 1, sdkValid: true, strictValid: true });
    expect(JSON.stringify(v)).not.toContain(TOKEN);
  });

  it('says which token matched during rotation, and that an app checking only the first would fail', () => {
    const v = verifyRequest({
      url: PUBLIC,
      signature: signedFor(PUBLIC, BODY, OTHER),
      body: BODY,
      authTokens: [TOKEN, OTHER],
    });
    expect(v).toMatchObject({ valid: true, tokenIndex: 2 });
    expect(v.reason).toMatch(/auth token #2 of 2/);
    expect(JSON.stringify(v)).not.toContain(OTHER);
  });

  it('is unsigned without a signature', () => {
    expect(check({ url: PUBLIC, signature: '' })).toMatchObject({ verdict: 'unsigned', valid: false });
    expect(check({ url: PUBLIC, signature: undefined }).reason).toMatch(/no X-Twilio-Signature/);
  });

  it('GET requests sign the URL only', () => {
    const url = `${PUBLIC}?${BODY}`;
    expect(verifyRequest({ url, method: 'GET', signature: hmac(url, {}), authTokens: [TOKEN] }).valid).toBe(true);
  });

  it('reports where the SDK and the exact-string rule disagree', () => {
    const received = "https://abc123.ngrok.app/sms?name=O'Hara";
    const signature = signedFor('https://abc123.ngrok.app/sms?name=O%27Hara');
    const sdkWay = check({ url: received, signature });
    expect(sdkWay).toMatchObject({ valid: true, sdkValid: true, strictValid: false });
    expect(sdkWay.disagreement).toMatch(/re-serialized by new URL\(\)/);
    const strict = check({ url: received, signature, strict: true });
    expect(strict).toMatchObject({ valid: false, verdict: 'invalid', sdkValid: true, strictValid: false });
    expect(strict.disagreement).toBeDefined();
  });

  it('checks JSON bodies byte for byte: a non-UTF-8 body passed as bytes', () => {
    const bytes = Buffer.concat([Buffer.from('{"note":"caf'), Buffer.from([0xe9]), Buffer.from('"}')]);
    const url = `https://abc123.ngrok.app/events?bodySHA256=${createHash('sha256').update(bytes).digest('hex')}`;
    const signature = hmac(url, {});
    expect(verifyRequest({ url, signature, body: bytes, authTokens: [TOKEN] })).toMatchObject({
      valid: true,
      strictValid: true,
    });
    // Decoded to text first (U+FFFD replaces the byte), the hash no longer matches.
    const asText = verifyRequest({ url, signature, body: bytes.toString('utf8'), authTokens: [TOKEN] });
    expect(asText.valid).toBe(false);
    expect(asText.reason).toMatch(/bodySHA256 does not match the body/);
  });
});

describe('explanations of invalid signatures', () => {
  it('http instead of https: trust X-Forwarded-Proto', () => {
    const v = check({
      url: 'http://abc123.ngrok.app/sms',
      signature: signedFor(PUBLIC),
      headers: { 'x-forwarded-proto': 'https' },
    });
    expect(v.valid).toBe(false);
    expect(v.reason).toMatch(
      /^signed for https:\/\/abc123\.ngrok\.app\/sms; your app saw http:\/\/abc123\.ngrok\.app\/sms - trust X-Forwarded-Proto/,
    );
    expect(v.matchedUrl).toBe(PUBLIC);
  });

  it('https configured as http', () => {
    const v = check({ url: PUBLIC, signature: signedFor('http://abc123.ngrok.app/sms') });
    expect(v.reason).toMatch(/configured with http:\/\//);
  });

  it('the local address instead of the forwarded host (with the scheme)', () => {
    const v = check({
      url: 'http://localhost:3000/sms',
      signature: signedFor(PUBLIC),
      headers: { host: 'localhost:3000', 'x-forwarded-host': 'abc123.ngrok.app', 'x-forwarded-proto': 'https' },
    });
    expect(v.reason).toMatch(/signed for https:\/\/abc123\.ngrok\.app\/sms; your app saw http:\/\/localhost:3000\/sms/);
    expect(v.reason).toMatch(/X-Forwarded-Host/);
    expect(v.reason).toMatch(/X-Forwarded-Proto/);
  });

  it('signed for localhost while the request came to the public URL', () => {
    const v = check({
      url: PUBLIC,
      signature: signedFor('http://localhost:3000/sms'),
      headers: { host: 'localhost:3000' },
    });
    expect(v.reason).toMatch(/signed for http:\/\/localhost:3000\/sms; .*local address/);
  });

  it('signed for the local http:// address while the app saw the public https URL: the local address is the reason, not "configured with http://"', () => {
    const v = check({
      url: PUBLIC,
      signature: signedFor('http://127.0.0.1:4040/sms'),
      headers: { host: '127.0.0.1:4040' },
    });
    expect(v.reason).toBe(
      'signed for http://127.0.0.1:4040/sms; your app saw https://abc123.ngrok.app/sms - it was signed for the local address from the Host header, not the public URL: sign with the public URL',
    );
  });

  it('with the port the proxy forwarded', () => {
    const v = check({
      url: PUBLIC,
      signature: signedFor('https://abc123.ngrok.app:8443/sms'),
      headers: { 'x-forwarded-port': '8443' },
    });
    expect(v.reason).toMatch(/signed for https:\/\/abc123\.ngrok\.app:8443\/sms; .*port :8443/);
  });

  it('without the port, on top of another change', () => {
    const v = check({ url: 'http://abc123.ngrok.app:8080/sms', signature: signedFor(PUBLIC) });
    expect(v.reason).toMatch(
      /^signed for https:\/\/abc123\.ngrok\.app\/sms; .*X-Forwarded-Proto.*without the port :8080/,
    );
  });

  it('without the query string, or without one query parameter', () => {
    expect(check({ url: `${PUBLIC}?x=1`, signature: signedFor(PUBLIC) }).reason).toMatch(
      /signed without the query string/,
    );
    expect(check({ url: `${PUBLIC}?a=1&debug=true`, signature: signedFor(`${PUBLIC}?a=1`) }).reason).toMatch(
      /without the query parameter debug=true/,
    );
  });

  it('with or without a trailing slash', () => {
    expect(check({ url: `${PUBLIC}/`, signature: signedFor(PUBLIC) }).reason).toMatch(
      /signed without the trailing slash/,
    );
    expect(check({ url: PUBLIC, signature: signedFor(`${PUBLIC}/`) }).reason).toMatch(/signed with a trailing slash/);
  });

  it('with the fragment: Twilio never signs it', () => {
    const v = check({ url: `${PUBLIC}#ct=5000&rc=3`, signature: signedFor(PUBLIC) });
    expect(v.valid).toBe(false);
    expect(v.reason).toMatch(/signed without the #ct=5000&rc=3 fragment/);
  });

  it('body changed after signing: the URL matches without one parameter', () => {
    const v = check({ url: PUBLIC, signature: signedFor(PUBLIC), body: `${BODY}&Injected=1` });
    expect(v.reason).toMatch(/body was changed after signing.*without the parameter Injected/);
  });

  it("a literal '+' sent unencoded", () => {
    const signature = hmac(PUBLIC, { From: '+15551234567', Body: 'x' });
    const v = check({ url: PUBLIC, signature, body: 'From=+15551234567&Body=x' });
    expect(v.reason).toMatch(/encode '\+' as %2B/);
  });

  it('only the last value of a repeated parameter was signed', () => {
    const signature = hmac(PUBLIC, { Tag: 'b', Body: 'x' });
    const v = check({ url: PUBLIC, signature, body: 'Tag=a&Tag=b&Body=x' });
    expect(v.reason).toMatch(/only the last value of the repeated parameter Tag/);
  });

  it('another of the given tokens, on top of a URL change', () => {
    const v = verifyRequest({
      url: 'http://abc123.ngrok.app/sms',
      signature: signedFor(PUBLIC, BODY, OTHER),
      body: BODY,
      authTokens: [TOKEN, OTHER],
    });
    expect(v).toMatchObject({ valid: false, tokenIndex: 2 });
    expect(v.reason).toMatch(/X-Forwarded-Proto.*\(with auth token #2\)/);
  });

  it('no match at all names the possibilities', () => {
    const v = check({ url: PUBLIC, signature: signedFor(PUBLIC, BODY, OTHER) });
    expect(v.reason).toMatch(/body was changed after signing, it was signed with another auth token.*or it is forged/);
  });

  it('bodySHA256 that does not match the JSON body', () => {
    const body = '{"a":1}';
    const signed = signRequest({ authToken: TOKEN, url: 'https://abc123.ngrok.app/events', body, contentType: 'json' });
    const v = verifyRequest({ url: signed.url, signature: signed.signature, body: '{"a":2}', authTokens: [TOKEN] });
    expect(v.valid).toBe(false);
    expect(v.reason).toMatch(/matches the URL but bodySHA256 does not match the body/);
    const pretty = verifyRequest({
      url: signed.url,
      signature: signed.signature,
      body: '{\n  "a": 1\n}',
      authTokens: [TOKEN],
    });
    expect(pretty.reason).toMatch(/re-serialized/);
  });

  it('JSON checked without bodySHA256 in the URL', () => {
    const v = verifyRequest({
      url: 'https://abc123.ngrok.app/events',
      signature: hmac('https://abc123.ngrok.app/events', {}),
      body: '{}',
      contentType: 'json',
      authTokens: [TOKEN],
    });
    expect(v.reason).toMatch(/no bodySHA256 query parameter/);
  });

  it('basic-auth credentials: matched without them, the password never printed', () => {
    const withCreds = 'https://twilio:s3cret-pass@abc123.ngrok.app/sms';
    const v = check({ url: withCreds, signature: signedFor(PUBLIC) });
    expect(v.reason).toMatch(/signed without the basic-auth credentials/);
    expect(v.reason).toContain('https://twilio:***@abc123.ngrok.app/sms');
    expect(JSON.stringify(v)).not.toContain('s3cret-pass');
  });

  it('basic-auth credentials: matched with them (from the Authorization header), the password never printed', () => {
    const withCreds = 'https://twilio:s3cret-pass@abc123.ngrok.app/sms';
    const authorization = `Basic ${Buffer.from('twilio:s3cret-pass').toString('base64')}`;
    const v = check({ url: PUBLIC, signature: signedFor(withCreds), headers: { authorization } });
    expect(v.reason).toMatch(/signed with the basic-auth credentials in the URL \(twilio:\*\*\*@\)/);
    expect(v.matchedUrl).toBe('https://twilio:***@abc123.ngrok.app/sms');
    expect(JSON.stringify(v)).not.toContain('s3cret-pass');
    const valid = check({ url: withCreds, signature: signedFor(withCreds) });
    expect(valid.valid).toBe(true);
    expect(valid.reason).toMatch(/with its basic-auth credentials \(https:\/\/twilio:\*\*\*@abc123/);
    expect(JSON.stringify(valid)).not.toContain('s3cret-pass');
  });
});

describe('URL helpers', () => {
  it('maskUrl hides only the password', () => {
    expect(maskUrl('https://user:pw@host:8443/x?y=1')).toBe('https://user:***@host:8443/x?y=1');
    expect(maskUrl('https://host/x')).toBe('https://host/x');
  });

  it('rebaseUrl keeps path and query under a new base', () => {
    expect(rebaseUrl('http://localhost:3000/sms?x=1', 'https://abc123.ngrok.app')).toBe(
      'https://abc123.ngrok.app/sms?x=1',
    );
    expect(rebaseUrl('http://localhost:3000/sms', 'https://example.com/app/')).toBe('https://example.com/app/sms');
    expect(rebaseUrl('/sms', 'https://example.com')).toBe('https://example.com/sms');
  });
});

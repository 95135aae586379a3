import { describe, expect, it } from 'vitest';
import { checkAbsoluteUrl, parseKeyValue } from '../../src/commands/shared/flags.js';
import { UsageError } from '../../src/errors.js';
import { SecretRedactor } from '../../src/redact.js';
import { replaceUrlPassword, urlCredentials } from '../../src/state/url-secrets.js';
import { maskUrl, rebaseUrl, splitUrl, urlPassword, urlPasswords } from '../../src/webhooks/url.js';

describe('one URL module', () => {
  it('masks every password the same way, as user:***@, keeping the rest as written', () => {
    expect(maskUrl('https://alice:p%40ss%2Fw0rd@app.test:8443/sms?x=1#ct=1000')).toBe(
      'https://alice:***@app.test:8443/sms?x=1#ct=1000',
    );
    expect(maskUrl('https://alice@app.test/')).toBe('https://alice@app.test/');
    expect(maskUrl('https://app.test/a@b')).toBe('https://app.test/a@b');
    expect(maskUrl('not a url')).toBe('not a url');
    expect(maskUrl(null)).toBe('');
    expect(maskUrl(undefined)).toBe('');
  });

  it('gives the password decoded (what the server checks) or raw (as written)', () => {
    const url = 'https://alice:p%40ss%2Fw0rd@app.test/sms';
    expect(urlPassword(url)).toBe('p@ss/w0rd');
    expect(urlPassword(url, 'raw')).toBe('p%40ss%2Fw0rd');
    expect(urlPasswords(url)).toEqual(['p%40ss%2Fw0rd', 'p@ss/w0rd']);
    expect(urlPasswords('https://alice:plainpass@app.test/')).toEqual(['plainpass']);
    expect(urlPasswords('https://alice:@app.test/')).toEqual([]);
    expect(urlPasswords('https://alice@app.test/')).toEqual([]);
    expect(urlPasswords(undefined)).toEqual([]);
    // A malformed escape is kept as written.
    expect(urlPassword('https://a:bad%zzpass@h/')).toBe('bad%zzpass');
  });

  it('the redactor hides the password in both forms, and in the form encodeURIComponent would give', () => {
    const r = new SecretRedactor();
    const url = 'https://alice:p%40ss%2aw0rd@app.test/sms';
    r.add(...urlPasswords(url));
    const out = r.redact(`raw p%40ss%2aw0rd decoded p@ss*w0rd encoded p%40ss*w0rd`);
    expect(out).not.toMatch(/p%40ss|p@ss/);
    expect(out).toBe('raw [redacted] decoded [redacted] encoded [redacted]');
  });

  it('splits and rebases without re-serializing', () => {
    expect(splitUrl('https://u:p@[::1]:8080/a?b#c')).toEqual({
      scheme: 'https://',
      userInfo: 'u:p@',
      host: '[::1]',
      port: ':8080',
      rest: '/a?b#c',
    });
    expect(rebaseUrl('http://localhost:3000/sms?x=1', 'https://abc.ngrok.app/base/')).toBe(
      'https://abc.ngrok.app/base/sms?x=1',
    );
  });

  it('the journal keeps the password exactly as written', () => {
    const url = 'https://alice:p%40ss@app.test/sms';
    expect(urlCredentials(url)).toEqual({
      prefix: 'https://',
      user: 'alice',
      password: 'p%40ss',
      rest: 'app.test/sms',
    });
    expect(replaceUrlPassword(url, '{{ref}}')).toBe('https://alice:{{ref}}@app.test/sms');
    expect(replaceUrlPassword('https://alice:@app.test/', 'x')).toBe('https://alice:@app.test/');
    expect(urlCredentials('https://app.test/')).toBeUndefined();
  });
});

describe('shared flag checks', () => {
  it('checkAbsoluteUrl returns the URL as given, or a one-line UsageError without the password', () => {
    expect(checkAbsoluteUrl('https://abc.ngrok.app/sms?x=1', '--url')).toBe('https://abc.ngrok.app/sms?x=1');
    expect(() => checkAbsoluteUrl('localhost:3000', '--to', 'http://localhost:3000/sms')).toThrow(
      '--to needs an absolute URL such as http://localhost:3000/sms, not "localhost:3000"',
    );
    expect(() => checkAbsoluteUrl('/sms', '--url')).toThrow(UsageError);
    expect(() => checkAbsoluteUrl('https://', '--url')).toThrow(/needs an absolute URL/);
    expect(() => checkAbsoluteUrl('ftp://u:hunter22@x.test/', '--url')).toThrow(
      '--url must be an http:// or https:// URL, not ftp:',
    );
    expect(() => checkAbsoluteUrl('u:hunter22@x.test/', '--url')).toThrow(/"u:\*\*\*@x\.test\/"/);
    expect(() => checkAbsoluteUrl('http://u:hunter22@[bad/', '--url')).toThrow(/"http:\/\/u:\*\*\*@\[bad\/"/);
  });

  it('parseKeyValue splits at the first =', () => {
    expect(parseKeyValue('Body=a=b', '--param')).toEqual(['Body', 'a=b']);
    expect(parseKeyValue('Body=', '--param')).toEqual(['Body', '']);
    expect(() => parseKeyValue('=x', '--param')).toThrow('--param takes NAME=VALUE, not "=x"');
    expect(() => parseKeyValue('Body', '--param', 'Body=Hello')).toThrow(
      '--param takes NAME=VALUE (for example --param Body=Hello), not "Body"',
    );
  });
});

import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks.js';
import { describe, expect, it } from 'vitest';
import { checkRecord } from '../../src/capture/format.js';
import { harEntryToRecord, recordToHarEntry } from '../../src/capture/har.js';
import { CaptureWriter } from '../../src/capture/writer.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../support/run-cli.js';
import { UsageError } from '../../src/errors.js';
import { InspectorStore } from '../../src/inspector/store.js';
import { parseBasicAuth } from '../../src/commands/shared/flags.js';
import {
  capturedCredentials,
  credentialedShape,
  credentialsUser,
  verifyWithBasicAuth,
  withCredentials,
} from '../../src/webhooks/basic-auth.js';
import { encodeForm, parseForm } from '../../src/webhooks/form.js';

const TOKEN = 'f00dfeedf00dfeedf00dfeedf00dfeed';
const PASSWORD = 'Dev+Basic.P4ss-w0rd~';
const AUTH = { username: 'twilio', password: PASSWORD };
const PUBLIC = 'https://abc123.ngrok.app/sms?x=1';
/** The URL the numbers get: the password %-encoded, as dev builds it. */
const CREDENTIALED = `https://twilio:${encodeURIComponent(PASSWORD)}@abc123.ngrok.app/sms?x=1`;
const BODY = encodeForm([
  ['From', '+15551234567'],
  ['To', '+15017122661'],
  ['Body', 'Hello there'],
  ['MessageSid', 'SM0123456789abcdef0123456789abcdef'],
]);
/** The SDK's own signature, as Twilio computes it over `url`. */
const sign = (url: string) => getExpectedTwilioSignature(TOKEN, url, parseForm(BODY));
const request = (signature: string | undefined, url = PUBLIC) => ({
  url,
  signature,
  body: BODY,
  authTokens: [TOKEN],
  method: 'POST',
});
/** What dev writes for a request of its basic-auth session that matched with the credentials. */
const CAPTURED = { credentialedUrl: credentialedShape(PUBLIC, 'twilio'), matchedUrl: 'with-credentials' as const };

describe('withCredentials / credentialedShape', () => {
  it('puts the credentials in as dev gives them to the numbers, every other byte as written', () => {
    expect(withCredentials(PUBLIC, AUTH)).toBe(CREDENTIALED);
    expect(withCredentials('https://old:pw@h.test/a%27b', AUTH)).toBe(
      `https://twilio:${encodeURIComponent(PASSWORD)}@h.test/a%27b`,
    );
    expect(credentialedShape(PUBLIC, 'twilio')).toBe('https://twilio:***@abc123.ngrok.app/sms?x=1');
    expect(credentialsUser('https://tw%20ilio:***@h.test/')).toBe('tw ilio');
    expect(credentialsUser(PUBLIC)).toBeUndefined();
  });
});

describe('verifyWithBasicAuth: the one verdict of dev, verify and inspect', () => {
  it('with the credentials: a request signed over the URL with them is valid, and says so', () => {
    const v = verifyWithBasicAuth(request(sign(CREDENTIALED)), { credentials: AUTH });
    expect(v).toMatchObject({ valid: true, verdict: 'valid', basicAuth: 'with-credentials', tokenIndex: 1 });
    expect(v.reason).toBe('signature matches the URL with the basic-auth credentials');
    // A capture's record (flag and shape) changes nothing once the password is given.
    expect(verifyWithBasicAuth(request(sign(CREDENTIALED)), { credentials: AUTH, captured: CAPTURED })).toEqual(v);
  });

  it('with the credentials: a request signed over the URL without them is valid too', () => {
    const v = verifyWithBasicAuth(request(sign(PUBLIC)), { credentials: AUTH });
    expect(v).toMatchObject({ valid: true, basicAuth: 'without-credentials' });
    expect(v.reason).toBe('signature matches the URL without the basic-auth credentials');
  });

  it('a wrong password: invalid, checked both ways, and the capture says dev matched it with the real one', () => {
    const wrong = { username: 'twilio', password: 'not-the-password' };
    const v = verifyWithBasicAuth(request(sign(CREDENTIALED)), { credentials: wrong, captured: CAPTURED });
    expect(v).toMatchObject({ valid: false, verdict: 'invalid' });
    expect(v.basicAuth).toBeUndefined();
    expect(v.reason).toMatch(/\(checked the URL with and without the basic-auth credentials\)/);
    expect(v.reason).toMatch(/dev matched it with its session's credentials: check the --basic-auth password/);
    expect(JSON.stringify(v)).not.toContain(PASSWORD);
    expect(JSON.stringify(v)).not.toContain(encodeURIComponent(PASSWORD));
  });

  it('another user than the captured one: said, whether or not the signature matches', () => {
    const other = { username: 'someone', password: PASSWORD };
    const invalid = verifyWithBasicAuth(request(sign(CREDENTIALED)), { credentials: other, captured: CAPTURED });
    expect(invalid.valid).toBe(false);
    expect(invalid.reason).toContain('(captured with the user "twilio", --basic-auth gives "someone")');
    const valid = verifyWithBasicAuth(request(sign(withCredentials(PUBLIC, other))), {
      credentials: other,
      captured: CAPTURED,
    });
    expect(valid.valid).toBe(true);
    expect(valid.reason).toContain('--basic-auth gives "someone"');
  });

  it('no password for a request dev matched with the credentials: says exactly that and how to fix it', () => {
    const v = verifyWithBasicAuth(request(sign(CREDENTIALED)), { captured: CAPTURED });
    expect(v).toMatchObject({ valid: false, verdict: 'invalid', basicAuth: 'missing' });
    expect(v.reason).toBe(
      'signed over a URL with basic-auth credentials (https://twilio:***@abc123.ngrok.app/sms?x=1): pass --basic-auth USER:PASS',
    );
  });

  it('no password, dev matched neither (or did not check): not a bare invalid either', () => {
    const v = verifyWithBasicAuth(request(sign('https://elsewhere.test/sms')), {
      captured: { credentialedUrl: CAPTURED.credentialedUrl },
    });
    expect(v).toMatchObject({ valid: false, basicAuth: 'missing' });
    expect(v.reason).toMatch(
      /^invalid without the basic-auth credentials, not checked with them \(https:\/\/twilio:\*\*\*@abc123\.ngrok\.app\/sms\?x=1\): pass --basic-auth USER:PASS; without them: /,
    );
  });

  it('no password, signed without the credentials: valid, as dev said', () => {
    const v = verifyWithBasicAuth(request(sign(PUBLIC)), {
      captured: { credentialedUrl: CAPTURED.credentialedUrl, matchedUrl: 'without-credentials' },
    });
    expect(v).toMatchObject({ valid: true, basicAuth: 'without-credentials' });
    expect(v.reason).toBe('signature matches the URL without the basic-auth credentials');
  });

  it('unsigned stays unsigned, with or without the password', () => {
    expect(verifyWithBasicAuth(request(undefined), { credentials: AUTH }).verdict).toBe('unsigned');
    const v = verifyWithBasicAuth(request(undefined), { captured: CAPTURED });
    expect(v.verdict).toBe('unsigned');
    expect(v.basicAuth).toBeUndefined();
  });

  it('no credentials and no capture flag: the plain verdict, nothing about basic auth', () => {
    const v = verifyWithBasicAuth(request(sign(PUBLIC)));
    expect(v.valid).toBe(true);
    expect(v.basicAuth).toBeUndefined();
    expect(verifyWithBasicAuth(request(sign(CREDENTIALED))).reason).not.toMatch(/--basic-auth/);
  });

  it('capturedCredentials reads a record: the shape and the flag, or nothing', () => {
    expect(capturedCredentials({}, AUTH)).toEqual({ credentials: AUTH });
    expect(capturedCredentials({ credentialedUrl: CAPTURED.credentialedUrl })).toEqual({
      captured: { credentialedUrl: CAPTURED.credentialedUrl },
    });
    expect(capturedCredentials(CAPTURED)).toEqual({ captured: CAPTURED });
  });
});

describe('the capture record fields', () => {
  const base = { v: 1, id: 'r', receivedAt: '2026-11-27T10:00:00Z', method: 'POST', url: PUBLIC, headers: {} };
  it('keeps credentialedUrl and a known matchedUrl; ignores an unknown matchedUrl', () => {
    expect(checkRecord({ ...base, ...CAPTURED })).toMatchObject(CAPTURED);
    expect(checkRecord({ ...base, credentialedUrl: CAPTURED.credentialedUrl, matchedUrl: 'maybe' }).matchedUrl).toBe(
      undefined,
    );
    expect(() => checkRecord({ ...base, credentialedUrl: 42 })).toThrow(/"credentialedUrl" is not a string/);
  });

  it("reads a URL with a masked password (the simulator's records) as the URL without, plus its shape", () => {
    const record = checkRecord({ ...base, url: 'http://twilio:***@127.0.0.1:3000/voice?x=1' });
    expect(record.url).toBe('http://127.0.0.1:3000/voice?x=1');
    expect(record.credentialedUrl).toBe('http://twilio:***@127.0.0.1:3000/voice?x=1');
    const signed = getExpectedTwilioSignature(TOKEN, withCredentials(record.url, AUTH), parseForm(BODY));
    const v = verifyWithBasicAuth(request(signed, record.url), capturedCredentials(record, AUTH));
    expect(v).toMatchObject({ valid: true, basicAuth: 'with-credentials' });
    expect(verifyWithBasicAuth(request(signed, record.url), capturedCredentials(record)).basicAuth).toBe('missing');
    // A real password is left alone: it is the record's own business (and never this twhook's output).
    expect(checkRecord({ ...base, url: 'https://u:pw@h.test/' }).url).toBe('https://u:pw@h.test/');
  });

  it('the capture writer masks a password put in credentialedUrl, as it does in url', async () => {
    const path = join(tempDir(), 'c.jsonl');
    const writer = await CaptureWriter.open(path);
    const record = checkRecord({ ...base, credentialedUrl: 'https://twilio:hunter2-secret@abc123.ngrok.app/sms' });
    await writer.append(record);
    await writer.append(checkRecord({ ...base, ...CAPTURED }));
    await writer.close();
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain('hunter2-secret');
    expect(text.match(/"credentialedUrl":"https:\/\/twilio:\*\*\*@abc123\.ngrok\.app\/sms/g)).toHaveLength(2);
  });

  it("survive a HAR round trip (the inspector's HAR download) as _credentialedUrl and _matchedUrl", () => {
    const record = checkRecord({ ...base, ...CAPTURED });
    const entry = recordToHarEntry(record);
    expect(entry).toMatchObject({ _credentialedUrl: CAPTURED.credentialedUrl, _matchedUrl: 'with-credentials' });
    expect(harEntryToRecord(entry, 1)).toMatchObject(CAPTURED);
    // A password put there by hand is masked on the way in and out.
    const leaky = { ...record, credentialedUrl: 'https://twilio:hunter2-secret@abc123.ngrok.app/sms' };
    expect(JSON.stringify(recordToHarEntry(leaky))).not.toContain('hunter2-secret');
    expect(harEntryToRecord({ ...entry, _credentialedUrl: leaky.credentialedUrl }, 1).credentialedUrl).toBe(
      'https://twilio:***@abc123.ngrok.app/sms',
    );
  });
});

describe('parseBasicAuth (dev, verify, inspect)', () => {
  const sink = () => {
    const added: string[] = [];
    return { added, add: (...s: Array<string | undefined>) => void added.push(...s.filter((x): x is string => !!x)) };
  };
  it('USER:PASS, the password (and its Basic header form) given to the redactor', () => {
    const redactor = sink();
    expect(parseBasicAuth(`twilio:${PASSWORD}`, redactor)).toEqual(AUTH);
    expect(redactor.added).toContain(PASSWORD);
    expect(redactor.added).toContain(Buffer.from(`twilio:${PASSWORD}`).toString('base64'));
  });
  it("refuses an empty part and the characters Twilio's docs say to avoid, naming them", () => {
    expect(() => parseBasicAuth(':pass-word', sink())).toThrow(UsageError);
    expect(() => parseBasicAuth('user:', sink())).toThrow('--basic-auth takes USER:PASS (both non-empty)');
    expect(() => parseBasicAuth('us@er:p&ss-word', sink())).toThrow(/the user has "@" and the password has "&"/);
  });
});

describe('inspect (the inspector over capture files) gives the same verdicts', () => {
  const record = (signature: string) =>
    checkRecord({
      v: 1,
      id: 'req_1',
      receivedAt: '2026-11-27T10:00:00Z',
      method: 'POST',
      url: PUBLIC,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
      body: BODY,
      ...CAPTURED,
    });
  it('without --basic-auth: says the password is missing; with it: valid with the credentials', () => {
    const store = new InspectorStore();
    const without = store.addRecord(record(sign(CREDENTIALED)), [TOKEN]);
    expect(without.summary.verdict).toEqual({
      status: 'invalid',
      reason:
        'signed over a URL with basic-auth credentials (https://twilio:***@abc123.ngrok.app/sms?x=1): pass --basic-auth USER:PASS',
    });
    const withAuth = store.addRecord(record(sign(CREDENTIALED)), [TOKEN], AUTH);
    expect(withAuth.summary.verdict).toEqual({
      status: 'valid',
      reason: 'signature matches the URL with the basic-auth credentials',
    });
    expect(JSON.stringify(store.list())).not.toContain(encodeURIComponent(PASSWORD));
  });
});

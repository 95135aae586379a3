import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { manyNumbers, useEmulator } from '../support/emulator.js';

type Emu = Awaited<ReturnType<typeof useEmulator>>;

const basic = (user: string, pass: string) => 'Basic ' + Buffer.from(`${user}:${pass}`).toString('base64');

async function call(
  emu: Emu,
  method: string,
  path: string,
  form?: Record<string, string> | [string, string][],
  auth = basic(emu.accountSid, emu.authToken),
) {
  const res = await fetch(emu.url + path, {
    method,
    headers: { Authorization: auth, ...(form ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}) },
    body: form ? new URLSearchParams(form).toString() : undefined,
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text ? (JSON.parse(text) as Record<string, any>) : undefined,
  };
}

const numbersPath = (emu: Emu) => `/2010-04-01/Accounts/${emu.accountSid}/IncomingPhoneNumbers.json`;
const numberPath = (emu: Emu, sid: string) => `/2010-04-01/Accounts/${emu.accountSid}/IncomingPhoneNumbers/${sid}.json`;

describe('emulator auth', () => {
  it('accepts the auth token and a seeded API key, 401 with Twilio error JSON otherwise', async () => {
    const key = { sid: 'SK' + 'a'.repeat(32), secret: 'key-secret-value' };
    const emu = await useEmulator({ apiKeys: [key] });
    expect((await call(emu, 'GET', `/2010-04-01/Accounts/${emu.accountSid}.json`)).status).toBe(200);
    expect((await call(emu, 'GET', numbersPath(emu), undefined, basic(key.sid, key.secret))).status).toBe(200);

    const wrong = await call(emu, 'GET', numbersPath(emu), undefined, basic(emu.accountSid, 'nope'));
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toContain('Basic');
    expect(wrong.body).toMatchObject({
      code: 20003,
      status: 401,
      message: 'Authenticate',
      more_info: 'https://www.twilio.com/docs/errors/20003',
    });
    expect((await call(emu, 'GET', numbersPath(emu), undefined, '')).status).toBe(401);
    expect((await call(emu, 'GET', numbersPath(emu), undefined, basic(key.sid, 'other'))).status).toBe(401);
    expect(emu.requests.at(-1)!.authUser).toBe(key.sid);
  });

  it('refuses valid credentials on another account path', async () => {
    const emu = await useEmulator();
    const other = 'AC' + 'b'.repeat(32);
    const r = await call(emu, 'GET', `/2010-04-01/Accounts/${other}/IncomingPhoneNumbers.json`);
    expect(r.status).toBe(401);
    expect(r.body!.code).toBe(20003);
  });

  it('fetches the account', async () => {
    const emu = await useEmulator({ friendlyName: 'My project' });
    const r = await call(emu, 'GET', `/2010-04-01/Accounts/${emu.accountSid}.json`);
    expect(r.body).toMatchObject({ sid: emu.accountSid, friendly_name: 'My project', status: 'active' });
    expect(JSON.stringify(r.body)).not.toContain(emu.authToken);
  });
});

describe('emulator IncomingPhoneNumbers', () => {
  it('pages with next_page_uri carrying filters, PageSize and a PageToken, to the end', async () => {
    const emu = await useEmulator({ numbers: manyNumbers(7) });
    const seen: string[] = [];
    let path: string | null = `${numbersPath(emu)}?PhoneNumber=%2B1555&PageSize=3`;
    const pages: Record<string, any>[] = [];
    for (let i = 0; path && i < 10; i++) {
      const r = await call(emu, 'GET', path);
      expect(r.status).toBe(200);
      pages.push(r.body!);
      seen.push(...r.body!.incoming_phone_numbers.map((n: { phone_number: string }) => n.phone_number));
      path = r.body!.next_page_uri;
    }
    expect(pages).toHaveLength(3);
    expect(seen).toEqual(manyNumbers(7).map((n) => n.phoneNumber));
    expect(pages[0]).toMatchObject({ page: 0, page_size: 3, start: 0, end: 2, previous_page_uri: null });
    expect(pages[1]).toMatchObject({ page: 1, start: 3, end: 5 });
    expect(pages[2]).toMatchObject({ page: 2, next_page_uri: null });
    const next = new URL('http://x' + pages[0]!.next_page_uri);
    expect(next.pathname).toBe(numbersPath(emu));
    expect(next.searchParams.get('PhoneNumber')).toBe('+1555');
    expect(next.searchParams.get('PageSize')).toBe('3');
    expect(next.searchParams.get('Page')).toBe('1');
    expect(next.searchParams.get('PageToken')).toMatch(/^PAPN[0-9a-f]{32}$/);
    expect(pages[1]!.previous_page_uri).toContain('PageToken=PB');
    expect(pages[0]!.first_page_uri).toContain('Page=0');
  });

  it('filters by PhoneNumber (partial, * for a digit) and FriendlyName', async () => {
    const emu = await useEmulator();
    const list = async (q: string) =>
      (await call(emu, 'GET', `${numbersPath(emu)}?${q}`)).body!.incoming_phone_numbers.map(
        (n: { phone_number: string }) => n.phone_number,
      );
    expect(await list('PhoneNumber=%2B14155550100')).toEqual(['+14155550100']);
    expect(await list('PhoneNumber=55501*1')).toEqual(['+14155550101']);
    expect(await list('PhoneNumber=4155550')).toEqual(['+14155550100', '+14155550101']);
    expect(await list('FriendlyName=London')).toEqual(['+442071838750']);
    expect(await list('FriendlyName=Lon')).toEqual([]);
  });

  it('fetches one number, 404 with 20404 for an unknown SID', async () => {
    const emu = await useEmulator();
    const [first] = emu.state.api2010.numbers.values();
    const r = await call(emu, 'GET', numberPath(emu, first!.sid));
    expect(r.body).toMatchObject({
      sid: first!.sid,
      phone_number: '+14155550100',
      voice_method: 'GET',
      sms_url: 'https://app.example.com/sms',
    });
    const missing = await call(emu, 'GET', numberPath(emu, 'PN' + '0'.repeat(32)));
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({
      code: 20404,
      status: 404,
      more_info: 'https://www.twilio.com/docs/errors/20404',
    });
  });

  it('updates documented fields; an empty value clears a URL', async () => {
    const emu = await useEmulator();
    const [first] = emu.state.api2010.numbers.values();
    const r = await call(emu, 'POST', numberPath(emu, first!.sid), {
      SmsUrl: 'https://tunnel.example/sms#ct=1000',
      SmsMethod: 'GET',
      StatusCallback: '',
      FriendlyName: 'Renamed',
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      sms_url: 'https://tunnel.example/sms#ct=1000',
      sms_method: 'GET',
      status_callback: '',
      friendly_name: 'Renamed',
    });
    expect(emu.state.api2010.numbers.get(first!.sid)!.sms_url).toBe('https://tunnel.example/sms#ct=1000');
    const recorded = emu.requests.at(-1)!;
    expect(recorded.form).toEqual([
      ['SmsUrl', 'https://tunnel.example/sms#ct=1000'],
      ['SmsMethod', 'GET'],
      ['StatusCallback', ''],
      ['FriendlyName', 'Renamed'],
    ]);
  });

  it('rejects unknown fields, bad methods and bad URLs without changing anything', async () => {
    const emu = await useEmulator();
    const [first] = emu.state.api2010.numbers.values();
    const before = { ...first! };
    const unknown = await call(emu, 'POST', numberPath(emu, first!.sid), {
      SmsUrl: 'https://ok.example/',
      SmsUrlz: 'x',
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ code: 20001, status: 400 });
    expect(unknown.body!.message).toContain('SmsUrlz');
    const method = await call(emu, 'POST', numberPath(emu, first!.sid), { VoiceMethod: 'PUT' });
    expect(method.body).toMatchObject({ code: 21403, status: 400 });
    for (const url of ['ftp://x.example/', 'not a url', '/relative', 'https://x.example/' + 'a'.repeat(4000)]) {
      const bad = await call(emu, 'POST', numberPath(emu, first!.sid), { VoiceUrl: url });
      expect(bad.status, url).toBe(400);
      expect(bad.body!.code).toBe(21402);
    }
    expect((await call(emu, 'POST', numberPath(emu, first!.sid), { StatusCallback: 'nope' })).body!.code).toBe(21502);
    expect(emu.state.api2010.numbers.get(first!.sid)).toEqual(before);
  });
});

describe('emulator faults', () => {
  it('answers the Nth matching request with a status and Retry-After, then recovers', async () => {
    const emu = await useEmulator();
    const fault = emu.fault({
      method: 'GET',
      path: '/2010-04-01/Accounts/*/IncomingPhoneNumbers.json',
      nth: 2,
      status: 503,
      retryAfter: 1,
    });
    expect((await call(emu, 'GET', numbersPath(emu))).status).toBe(200);
    const failed = await call(emu, 'GET', numbersPath(emu));
    expect(failed.status).toBe(503);
    expect(failed.headers.get('retry-after')).toBe('1');
    expect(failed.body).toMatchObject({ code: 20503, status: 503 });
    expect((await call(emu, 'GET', numbersPath(emu))).status).toBe(200);
    expect(fault.hits).toBe(1);
    expect(fault.seen).toBe(3);
    expect(emu.requests.map((r) => r.status)).toEqual([200, 503, 200]);
  });

  it('hits every matching request with times: Infinity, ignores other methods, and clears', async () => {
    const emu = await useEmulator();
    emu.fault({ method: 'GET', path: /IncomingPhoneNumbers/, times: Infinity, status: 500, body: { custom: true } });
    for (let i = 0; i < 3; i++) expect((await call(emu, 'GET', numbersPath(emu))).body).toEqual({ custom: true });
    expect((await call(emu, 'GET', `/2010-04-01/Accounts/${emu.accountSid}.json`)).status).toBe(200);
    emu.clearFaults();
    expect((await call(emu, 'GET', numbersPath(emu))).status).toBe(200);
  });

  it('drops the connection', async () => {
    const emu = await useEmulator();
    emu.fault({ path: '**', drop: true });
    await expect(call(emu, 'GET', numbersPath(emu))).rejects.toThrow();
    expect(emu.requests).toHaveLength(1);
    expect(emu.requests[0]!.status).toBeUndefined();
  });

  it('delays an answer, and close() ends pending delays', async () => {
    const emu = await useEmulator();
    emu.fault({ path: '**', delayMs: 60_000 });
    const pending = new Promise<string>((resolve) => {
      const req = httpRequest(
        emu.url + numbersPath(emu),
        { headers: { Authorization: basic(emu.accountSid, emu.authToken) } },
        () => resolve('answered'),
      );
      req.on('error', () => resolve('closed'));
      req.end();
    });
    for (let i = 0; i < 100 && emu.requests.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(emu.requests).toHaveLength(1);
    await emu.close();
    expect(await pending).toBe('closed');
  });
});

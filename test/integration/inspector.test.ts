/**
 * The web inspector's server and API on loopback: the Host check (DNS rebinding), the token and
 * Origin checks for replays, the API's shapes, bounded memory, downloads, replay (re-signed, with
 * edits) to a signature-checking app, and the dev and inspect commands serving it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatCaptureLine, type CaptureRecord } from '../../src/capture/format.js';
import { toHar } from '../../src/capture/har.js';
import { createSender } from '../../src/send/http.js';
import { startInspector, type InspectorServer } from '../../src/inspector/server.js';
import { conversationOf, InspectorStore } from '../../src/inspector/store.js';
import { signRequest } from '../../src/webhooks/signature.js';
import { post, startApp, startCli, waitFor } from '../support/dev-session.js';
import { fetchRaw, pageToken, postAsPage } from '../support/inspector.js';
import { tempDir } from '../support/run-cli.js';
import { startTwilioApp } from '../support/twilio-app.js';

const TOKEN = '0123456789abcdef0123456789abcdef';
const PUBLIC = 'https://dev.example.test';
const servers: InspectorServer[] = [];
afterEach(async () => {
  while (servers.length) await servers.pop()!.close();
});

function record(
  id: string,
  url: string,
  params: Record<string, string>,
  options: { sign?: boolean; response?: CaptureRecord['response'] } = {},
): CaptureRecord {
  const signed = signRequest({ authToken: TOKEN, url, params });
  return {
    v: 1,
    id,
    receivedAt: `2026-11-27T10:00:0${id.slice(-1)}.000Z`,
    method: 'POST',
    url,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(options.sign === false ? {} : { 'x-twilio-signature': signed.signature }),
    },
    body: signed.body,
    ...(options.response ? { response: options.response } : {}),
  };
}

const call = {
  CallSid: 'CA0000000000000000000000000000abcd',
  From: '+15551230000',
  To: '+15017122661',
  CallStatus: 'ringing',
  AccountSid: 'AC00000000000000000000000000000000',
};
const twiml = (xml: string) => ({ status: 200, headers: { 'content-type': 'text/xml' }, body: xml, ms: 12 });

async function serve(
  store: InspectorStore,
  extra: Partial<Parameters<typeof startInspector>[0]> = {},
): Promise<InspectorServer> {
  const server = await startInspector({ store, info: { mode: 'files', files: ['x.jsonl'] }, port: 0, ...extra });
  servers.push(server);
  return server;
}

describe('inspector server', () => {
  it('refuses a foreign Host (DNS rebinding) and answers its own loopback names', async () => {
    const server = await serve(new InspectorStore());
    const foreign = await fetchRaw(server.url, { headers: { Host: `rebind.example.com:${server.port}` } });
    expect(foreign.status).toBe(421);
    expect(foreign.text).toMatch(/refused/);
    expect(foreign.text).not.toContain(server.token);
    expect((await fetchRaw(`${server.url}api/requests`, { headers: { Host: 'evil.test' } })).status).toBe(421);
    expect(
      (await fetchRaw(`${server.url}api/requests`, { headers: { Host: `127.0.0.1:${server.port + 1}` } })).status,
    ).toBe(421);
    const page = await fetchRaw(server.url);
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.text).toContain(server.token);
    expect((await fetchRaw(`http://localhost:${server.port}/api/session`)).status).toBe(200);
  });

  it('lists, shows, groups and bounds requests; downloads JSONL and HAR', async () => {
    const store = new InspectorStore({ keep: 3 });
    store.addRecord(record('r1', `${PUBLIC}/voice`, call, { response: twiml('<Response><Say>Hi</Say></Response>') }), [
      TOKEN,
    ]);
    store.addRecord(
      record(
        'r2',
        `${PUBLIC}/gather`,
        { ...call, CallStatus: 'in-progress', Digits: '1' },
        { response: twiml('<Response><Sya>x</Sya></Response>') },
      ),
      [TOKEN],
    );
    store.addRecord(
      record('r3', `${PUBLIC}/status`, { ...call, CallStatus: 'completed', CallDuration: '3' }, { sign: false }),
      [TOKEN],
    );
    const forged = record('r4', `${PUBLIC}/sms`, {
      MessageSid: 'SM1',
      From: '+15550001111',
      To: '+15017122661',
      Body: 'hi',
    });
    forged.body = forged.body!.replace('hi', 'ho');
    store.addRecord(forged, [TOKEN]);
    const server = await serve(store);

    const list = JSON.parse((await fetchRaw(`${server.url}api/requests`)).text);
    expect(list.dropped).toBe(1);
    expect(list.requests.map((r: { id: string }) => r.id)).toEqual(['r2', 'r3', 'r4']);
    const [gather, status, sms] = list.requests;
    expect(gather).toMatchObject({
      id: 'r2',
      receivedAt: '2026-11-27T10:00:02.000Z',
      method: 'POST',
      path: '/gather',
      kind: 'gather',
      verdict: { status: 'valid' },
      response: { status: 200, ms: 12 },
      twimlOk: false,
    });
    expect(status.verdict.status).toBe('unsigned');
    expect(status.response).toBeNull();
    expect(sms.verdict).toMatchObject({ status: 'invalid' });
    expect(sms.verdict.reason).toMatch(/changed after signing|forged/);
    expect(gather.conversation).toEqual(status.conversation);
    expect(gather.conversation).toMatchObject({ key: 'call:CA0000000000000000000000000000abcd', type: 'call' });

    const one = JSON.parse((await fetchRaw(`${server.url}api/requests/r2`)).text);
    expect(one).toMatchObject({ v: 1, id: 'r2', url: `${PUBLIC}/gather`, method: 'POST' });
    expect((await fetchRaw(`${server.url}api/requests/r1`)).status).toBe(404);

    const detail = JSON.parse((await fetchRaw(`${server.url}api/requests/r2/detail`)).text);
    expect(detail.params).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          name: 'Digits',
          value: '1',
          meaning: expect.stringMatching(/keys the caller pressed/),
        }),
      ]),
    );
    expect(detail.twiml.ok).toBe(false);
    expect(detail.twiml.error.url).toBe('https://www.twilio.com/docs/api/errors/12200');
    expect(detail.headers.find(([n]: [string]) => n === 'x-twilio-signature')[1]).toMatch(/masked/);
    expect(detail.answer.isXml).toBe(true);
    // The simulator's reading of the answer (a misspelt verb: Twilio's schema warning).
    expect(detail.hear.available).toBe(true);
    expect(detail.hear.reading).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: expect.stringMatching(/error|unsupported/) })]),
    );

    const jsonl = await fetchRaw(`${server.url}api/download.jsonl`);
    expect(jsonl.headers['content-disposition']).toMatch(/attachment/);
    expect(
      jsonl.text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).id),
    ).toEqual(['r2', 'r3', 'r4']);
    const har = JSON.parse((await fetchRaw(`${server.url}api/download.har`)).text);
    expect(har.log.entries).toHaveLength(3);
  });

  it('replay needs the token and no foreign Origin; it re-signs (with edits) for the app', async () => {
    const app = await startTwilioApp({ authToken: TOKEN });
    try {
      const store = new InspectorStore();
      store.addRecord(
        record(
          'r1',
          `${PUBLIC}/sms`,
          { MessageSid: 'SM1', From: '+15550001111', To: '+15017122661', Body: 'hi' },
          { response: twiml('<Response/>') },
        ),
        [TOKEN],
      );
      const server = await serve(store, {
        replay: { sendTo: app.url, signFor: app.url, curlTo: app.url, authToken: TOKEN, label: app.url },
        sender: () => createSender(),
      });
      const url = `${server.url}api/requests/r1/replay`;
      const token = await pageToken(server.url);
      expect((await fetchRaw(url, { method: 'POST', body: '{}' })).status).toBe(403);
      expect((await fetchRaw(url, { method: 'POST', headers: { 'X-Twhook-Token': 'wrong' }, body: '{}' })).status).toBe(
        403,
      );
      const crossSite = await fetchRaw(url, {
        method: 'POST',
        headers: { 'X-Twhook-Token': token, Origin: 'https://evil.example' },
        body: '{}',
      });
      expect(crossSite.status).toBe(403);
      expect(crossSite.text).toMatch(/Origin/);
      expect(app.seen).toHaveLength(0);

      const plain = JSON.parse((await postAsPage(server.url, '/api/requests/r1/replay')).text);
      expect(plain.answer.status).toBe(200);
      expect(app.seen.at(-1)!.valid).toBe(true);
      expect(plain.sent.headers.find(([n]: [string]) => n === 'x-twilio-signature')[1]).toMatch(/masked/);

      const edited = JSON.parse(
        (
          await postAsPage(server.url, '/api/requests/r1/replay', {
            params: [
              ['MessageSid', 'SM1'],
              ['Body', 'edited body'],
            ],
          })
        ).text,
      );
      expect(edited.answer.status).toBe(200);
      expect(app.seen.at(-1)!.valid).toBe(true);
      expect(app.seen.at(-1)!.params.Body).toBe('edited body');

      const curl = JSON.parse((await postAsPage(server.url, '/api/requests/r1/curl')).text);
      expect(curl.command).toMatch(/^curl -sS -i -X POST /);
      expect(curl.command).toMatch(/x-twilio-signature: [A-Za-z0-9+/=]{28}/);
      expect(curl.command).not.toContain(TOKEN);
      expect((await postAsPage(server.url, '/api/requests/r1/replay', { params: 'nope' })).status).toBe(400);
    } finally {
      await app.close();
    }
  });

  it('without --to, replay is refused with the way to turn it on', async () => {
    const store = new InspectorStore();
    store.addRecord(record('r1', `${PUBLIC}/sms`, { MessageSid: 'SM1', Body: 'x' }));
    const server = await serve(store, { replayOff: 'replay needs --to' });
    const r = await postAsPage(server.url, '/api/requests/r1/replay');
    expect(r.status).toBe(409);
    expect(JSON.parse(r.text).error).toMatch(/--to/);
  });

  it('groups messages by the two numbers, whichever way they flow, and calls by CallSid (a dialled leg with its parent)', () => {
    const a = conversationOf({ MessageSid: 'SM1', From: '+1555', To: '+1666' }, { url: '/sms', method: 'POST' });
    const b = conversationOf(
      { MessageSid: 'SM2', MessageStatus: 'delivered', From: '+1666', To: 'whatsapp:+1555' },
      { url: '/s', method: 'POST' },
    );
    expect(a!.key).toBe(b!.key);
    expect(conversationOf({ CallSid: 'CA2', ParentCallSid: 'CA1' }, { url: '/x', method: 'POST' })!.key).toBe(
      'call:CA1',
    );
    expect(conversationOf({}, { url: '/x?CallSid=CA9', method: 'GET' })!.key).toBe('call:CA9');
    expect(conversationOf({ Body: 'x' }, { url: '/x', method: 'POST' })).toBeUndefined();
  });
});

describe('dev and inspect serve the inspector', () => {
  it('dev: the URL in the ready event; each request listed with its capture id; a replay through the session is valid', async () => {
    const app = await startApp((_req, res) => {
      res.setHeader('Content-Type', 'text/xml');
      res.end('<Response><Message>ok</Message></Response>');
    });
    const cli = startCli(['dev', String(app.port), '--public-url', PUBLIC, '--capture', 'cap.jsonl', '--json'], {
      env: { TWILIO_AUTH_TOKEN: TOKEN, TWILIO_ACCOUNT_SID: 'AC00000000000000000000000000000000' },
    });
    const ready = await waitFor('ready', () => cli.json().find((e) => e.type === 'ready'));
    expect(ready.inspector.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const params = { MessageSid: 'SM1', From: '+15550001111', To: '+15017122661', Body: 'hello' };
    const signed = signRequest({ authToken: TOKEN, url: `${PUBLIC}/sms`, params });
    await post(`${ready.proxyUrl}/sms`, signed.body, { 'X-Twilio-Signature': signed.signature });
    const base = ready.inspector.url as string;
    let listed: { id: string }[] = [];
    for (let i = 0; i < 500 && listed.length < 1; i++) {
      listed = JSON.parse((await fetchRaw(`${base}api/requests`)).text).requests;
      if (!listed.length) await new Promise((r) => setTimeout(r, 10));
    }
    const first = listed[0] as { id: string };
    expect(first).toMatchObject({
      method: 'POST',
      path: '/sms',
      kind: 'inbound-sms',
      verdict: { status: 'valid' },
      response: { status: 200 },
    });
    const replay = JSON.parse(
      (
        await postAsPage(base, `/api/requests/${first.id}/replay`, {
          params: [
            ['MessageSid', 'SM1'],
            ['From', '+15550001111'],
            ['To', '+15017122661'],
            ['Body', 'edited'],
          ],
        })
      ).text,
    );
    expect(replay.answer.status).toBe(200);
    expect(replay.sent.signedFor).toBe(`${PUBLIC}/sms`);
    // The replay went through the session: listed, checked valid, marked as a replay.
    const events = await waitFor(
      'the replay as a request',
      () =>
        cli.json().filter((e) => e.type === 'request').length === 2 && cli.json().filter((e) => e.type === 'request'),
    );
    expect(events[1].verdict.status).toBe('valid');
    expect(app.seen.at(-1)!.body).toContain('Body=edited');
    const after = JSON.parse((await fetchRaw(`${base}api/requests`)).text).requests;
    expect(after[1].replayOf).toBe(first.id);
    const captured = (await import('node:fs'))
      .readFileSync(join(cli.cwd, 'cap.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).id);
    expect(captured[0]).toBe(first.id);
    cli.interrupt();
    expect(await cli.exit).toBe(0);
  });

  it('dev --no-inspect serves none; a busy --inspect-port is a usage error before anything changes', async () => {
    const app = await startApp((_req, res) => res.end());
    const shown = startCli(['dev', String(app.port), '--public-url', PUBLIC, '--no-capture', '--inspect-port', '0'], {
      env: {},
    });
    const line = await waitFor(
      'the inspector in the session header',
      () => /inspector: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(shown.stderr.text())?.[1],
    );
    expect((await fetchRaw(`${line}api/session`)).status).toBe(200);
    shown.interrupt();
    expect(await shown.exit).toBe(0);
    const off = startCli(['dev', String(app.port), '--public-url', PUBLIC, '--no-capture', '--no-inspect', '--json'], {
      env: {},
    });
    const ready = await waitFor('ready', () => off.json().find((e) => e.type === 'ready'));
    expect(ready.inspector).toBeUndefined();
    off.interrupt();
    expect(await off.exit).toBe(0);
    const busy = await serve(new InspectorStore());
    const clash = startCli(
      ['dev', String(app.port), '--public-url', PUBLIC, '--no-capture', '--inspect-port', String(busy.port)],
      { env: {} },
    );
    expect(await clash.exit).toBe(2);
    expect(clash.stderr.text()).toMatch(/--inspect-port/);
  });

  it('inspect FILE.har: a HAR export reads as the same records, the last --keep N kept', async () => {
    const dir = tempDir('twhook-inspect-har-');
    const file = join(dir, 'export.har');
    const records = ['h1', 'h2', 'h3'].map((id) =>
      record(
        id,
        `${PUBLIC}/sms`,
        { MessageSid: `SM${id}`, From: '+15550001111', To: '+15017122661', Body: id },
        { response: twiml('<Response/>') },
      ),
    );
    writeFileSync(file, JSON.stringify(toHar(records)));
    const cli = startCli(['inspect', file, '--keep', '2', '--json'], { env: { TWILIO_AUTH_TOKEN: TOKEN } });
    const ready = await waitFor('ready', () => cli.json().find((e) => e.type === 'ready'));
    expect(ready).toMatchObject({ requests: 3, shown: 2 });
    const list = JSON.parse((await fetchRaw(`${ready.url}api/requests`)).text);
    expect(list.dropped).toBe(1);
    expect(
      list.requests.map((r: { id: string; kind: string; verdict: { status: string } }) => [
        r.id,
        r.kind,
        r.verdict.status,
      ]),
    ).toEqual([
      ['h2', 'inbound-sms', 'valid'],
      ['h3', 'inbound-sms', 'valid'],
    ]);
    cli.interrupt();
    expect(await cli.exit).toBe(0);
  });

  it('inspect FILE: the records of a JSONL capture with verdicts; replay needs --to', async () => {
    const dir = tempDir('twhook-inspect-');
    const file = join(dir, 'cap.jsonl');
    writeFileSync(
      file,
      [
        record('a1', `${PUBLIC}/voice`, call, { response: twiml('<Response><Say>Hi</Say></Response>') }),
        record('a2', `${PUBLIC}/voice`, call, { sign: false }),
      ]
        .map(formatCaptureLine)
        .join('') + 'not json\n',
    );
    const cli = startCli(['inspect', file, '--json'], { env: { TWILIO_AUTH_TOKEN: TOKEN } });
    const ready = await waitFor('ready', () => cli.json().find((e) => e.type === 'ready'));
    expect(ready).toMatchObject({ requests: 2, unreadable: 1, replay: null });
    const list = JSON.parse((await fetchRaw(`${ready.url}api/requests`)).text).requests;
    expect(list.map((r: { id: string; verdict: { status: string } }) => [r.id, r.verdict.status])).toEqual([
      ['a1', 'valid'],
      ['a2', 'unsigned'],
    ]);
    const session = JSON.parse((await fetchRaw(`${ready.url}api/session`)).text);
    expect(session.replay).toEqual({ available: false, why: expect.stringMatching(/--to/) });
    cli.interrupt();
    expect(await cli.exit).toBe(0);
  });
});

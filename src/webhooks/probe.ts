/**
 * The probe of a running endpoint (`twhook verify --endpoint`): realistic webhooks, one signed
 * correctly and the rest forged (no signature, a wrong one, a body changed after signing, a
 * signature for another URL, for JSON a bodySHA256 of another body), and the verdict on how the
 * endpoint answered them. Sending them is the command's job.
 */
import { encodeForm } from './form.js';
import { signRequest, type ContentType } from './signature.js';
import { splitUrl, stripFragment } from './url.js';

export type ProbeKind = 'sms' | 'voice' | 'status' | 'event-streams';
export const PROBE_KINDS: readonly ProbeKind[] = ['sms', 'voice', 'status', 'event-streams'];

export interface ProbeCase {
  name: string;
  /** 'accept': must get 2xx; 'refuse': must get 4xx. */
  expect: 'accept' | 'refuse';
  url: string;
  signature?: string;
  body: string;
}

export interface ProbeResult {
  case: string;
  expect: 'accept' | 'refuse';
  status: number;
  ok: boolean;
}

export function hex(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += '0123456789abcdef'[(i * 7 + 3) % 16];
  return s;
}

function probeBody(kind: ProbeKind, accountSid: string): { contentType: ContentType; body: string } {
  const sm = `SM${hex(32)}`;
  const ca = `CA${hex(32)}`;
  switch (kind) {
    case 'sms':
      return {
        contentType: 'form',
        body: encodeForm([
          ['ToCountry', 'US'],
          ['ToState', 'CA'],
          ['SmsMessageSid', sm],
          ['NumMedia', '0'],
          ['ToCity', 'SAN FRANCISCO'],
          ['FromZip', '98101'],
          ['SmsSid', sm],
          ['FromState', 'WA'],
          ['SmsStatus', 'received'],
          ['FromCity', 'SEATTLE'],
          ['Body', 'twhook probe: is this signature checked?'],
          ['FromCountry', 'US'],
          ['To', '+15017122661'],
          ['ToZip', '94105'],
          ['NumSegments', '1'],
          ['MessageSid', sm],
          ['AccountSid', accountSid],
          ['From', '+15558675310'],
          ['ApiVersion', '2010-04-01'],
        ]),
      };
    case 'voice':
      return {
        contentType: 'form',
        body: encodeForm([
          ['AccountSid', accountSid],
          ['ApiVersion', '2010-04-01'],
          ['CallSid', ca],
          ['CallStatus', 'ringing'],
          ['Called', '+15017122661'],
          ['CalledCity', 'SAN FRANCISCO'],
          ['CalledCountry', 'US'],
          ['CalledState', 'CA'],
          ['Caller', '+15558675310'],
          ['CallerCountry', 'US'],
          ['Direction', 'inbound'],
          ['From', '+15558675310'],
          ['FromCountry', 'US'],
          ['To', '+15017122661'],
          ['ToCountry', 'US'],
        ]),
      };
    case 'status':
      return {
        contentType: 'form',
        body: encodeForm([
          ['AccountSid', accountSid],
          ['ApiVersion', '2010-04-01'],
          ['From', '+15017122661'],
          ['MessageSid', sm],
          ['MessageStatus', 'delivered'],
          ['SmsSid', sm],
          ['SmsStatus', 'delivered'],
          ['To', '+15558675310'],
        ]),
      };
    case 'event-streams':
      return {
        contentType: 'json',
        body: JSON.stringify([
          {
            specversion: '1.0',
            type: 'com.twilio.messaging.message.delivered',
            source: `/2010-04-01/Accounts/${accountSid}/Messages/${sm}.json`,
            id: `EZ${hex(32)}`,
            dataschema: 'https://events-schemas.twilio.com/Messaging.MessageStatus/4',
            datacontenttype: 'application/json',
            time: '2026-11-27T10:00:00.000Z',
            data: { messageSid: sm, accountSid, to: '+15558675310', from: '+15017122661', messageStatus: 'DELIVERED' },
          },
        ]),
      };
  }
}

/** The URL to send to: the endpoint, with the query string the signed URL gained (bodySHA256). */
function sendUrl(endpoint: string, signedFor: string, signed: string): string {
  const base = stripFragment(endpoint);
  const added = signed.slice(stripFragment(signedFor).length); // '' or '?bodySHA256=…' / '&bodySHA256=…'
  return added ? `${base}${base.includes('?') ? '&' : '?'}${added.slice(1)}` : base;
}

function otherUrl(url: string): string {
  const parts = splitUrl(url)!;
  const q = parts.rest.search(/[?#]/);
  const path = q === -1 ? parts.rest : parts.rest.slice(0, q);
  const suffix = q === -1 ? '' : parts.rest.slice(q);
  return (
    parts.scheme +
    parts.userInfo +
    parts.host +
    parts.port +
    (path.endsWith('/') ? `${path}other` : `${path}-other`) +
    suffix
  );
}

export function probeCases(
  endpoint: string,
  publicUrl: string,
  kind: ProbeKind,
  token: string,
  accountSid: string,
): { cases: ProbeCase[]; contentType: ContentType } {
  const { contentType, body } = probeBody(kind, accountSid);
  const signed = signRequest({ authToken: token, url: publicUrl, body, contentType });
  const url = sendUrl(endpoint, publicUrl, signed.url);
  // A signature from a token that is not the account's: right length and alphabet, wrong key.
  const wrongToken = token.split('').reverse().join('') === token ? `${token}x` : token.split('').reverse().join('');
  const wrong = signRequest({ authToken: wrongToken, url: publicUrl, body, contentType });
  const forOther = signRequest({ authToken: token, url: otherUrl(publicUrl), body, contentType });
  const changedBody =
    contentType === 'json'
      ? body.replace('DELIVERED', 'UNDELIVERED')
      : body.replace(
          /(^|&)(Body|CallStatus|MessageStatus)=[^&]*/,
          (_m, amp: string, name: string) => `${amp}${name}=${name === 'Body' ? 'forged+text' : 'failed'}`,
        );
  const cases: ProbeCase[] = [
    { name: 'correctly signed', expect: 'accept', url, signature: signed.signature, body },
    { name: 'no signature', expect: 'refuse', url, body },
    { name: 'wrong signature', expect: 'refuse', url, signature: wrong.signature, body },
    { name: 'body changed after signing', expect: 'refuse', url, signature: signed.signature, body: changedBody },
    { name: 'signed for another URL', expect: 'refuse', url, signature: forOther.signature, body },
  ];
  if (contentType === 'json') {
    // The URL is signed correctly, but its bodySHA256 belongs to another body: an app that
    // checks only the URL (validateRequest instead of validateRequestWithBody) accepts it.
    const other = signRequest({ authToken: token, url: publicUrl, body: changedBody, contentType });
    cases.push({
      name: 'bodySHA256 of another body',
      expect: 'refuse',
      url: sendUrl(endpoint, publicUrl, other.url),
      signature: other.signature,
      body,
    });
  }
  return { cases, contentType };
}

/** The verdict on an endpoint's answers: ok when it took the signed request and refused every forgery with 4xx. */
export function probeVerdict(results: readonly ProbeResult[]): { ok: boolean; verdict: string } {
  const acceptedForgeries = results.filter((r) => r.expect === 'refuse' && r.status >= 200 && r.status < 300);
  const refusedValid = results.find((r) => r.expect === 'accept' && !r.ok);
  const otherFailures = results.filter((r) => r.expect === 'refuse' && !r.ok && !(r.status >= 200 && r.status < 300));
  const ok = results.every((r) => r.ok);
  let verdict = 'the endpoint checks signatures';
  if (acceptedForgeries.length) {
    verdict =
      `the endpoint accepts forged webhooks (${acceptedForgeries.map((r) => r.case).join(', ')}): check ` +
      "X-Twilio-Signature in the app (the twilio SDK's validateRequest) and answer 403 when it does not match";
  } else if (refusedValid) {
    // Every forgery was refused too: nothing was accepted, so there is no forgery to report.
    const statuses = [...new Set(results.map((r) => r.status))].join(', ');
    verdict =
      `the endpoint refuses everything, valid requests too: it refused the correctly signed request (HTTP ${refusedValid.status}) ` +
      `as well as every forged one (HTTP ${statuses}), so whether it checks signatures cannot be told; ` +
      'if it sits behind a proxy, pass --public-url with the URL Twilio calls, otherwise check the auth token it validates with';
  } else if (otherFailures.length) {
    verdict = `forged requests must be refused with 4xx: got ${otherFailures.map((r) => `${r.status} for ${r.case}`).join(', ')}`;
  }
  return { ok, verdict };
}

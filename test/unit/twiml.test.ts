import { describe, expect, it } from 'vitest';
import { checkTwimlAnswer, parseXml, textContent } from '../../src/webhooks/twiml.js';

const xml = 'text/xml; charset=utf-8';

describe('checkTwimlAnswer', () => {
  it('accepts a well-formed TwiML answer and lists its verbs', () => {
    const r = checkTwimlAnswer({
      status: 200,
      contentType: xml,
      body: '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Say voice="alice">Hi &amp; bye</Say><Dial><Number>+15005550006</Number></Dial><!-- c --><Hangup/></Response>',
    });
    expect(r).toEqual({ ok: true, problems: [], verbs: ['Say', 'Dial', 'Hangup'] });
  });

  it('accepts application/xml and an empty <Response/>', () => {
    expect(checkTwimlAnswer({ status: 200, contentType: 'application/xml', body: '<Response/>' }).ok).toBe(true);
  });

  it('names 12300 for JSON, audio on a message and a missing content type', () => {
    const json = checkTwimlAnswer({ status: 200, contentType: 'application/json', body: '{"ok":true}' });
    expect(json.twilioError).toEqual({ code: 12300, message: 'Invalid Content-Type' });
    expect(json.problems[0]).toMatch(/application\/json with a JSON body/);
    const audio = checkTwimlAnswer({ status: 200, contentType: 'audio/mpeg', body: 'ID3', channel: 'messaging' });
    expect(audio.twilioError?.code).toBe(12300);
    const none = checkTwimlAnswer({ status: 200, body: '' });
    expect(none.twilioError?.code).toBe(12300);
    expect(none.problems[0]).toMatch(/no Content-Type and an empty body/);
  });

  // https://www.twilio.com/docs/voice/twiml#twilio-understands-mime-types: "text/xml,
  // application/xml, text/html: Twilio interprets the returned document as TwiML".
  it('reads text/html as TwiML: Express res.send(twiml.toString()) is what Twilio samples do', () => {
    const express = checkTwimlAnswer({
      status: 200,
      contentType: 'text/html; charset=utf-8',
      body: '<?xml version="1.0" encoding="UTF-8"?><Response><Say>Hi</Say></Response>',
      channel: 'voice',
    });
    expect(express).toEqual({ ok: true, problems: [], verbs: ['Say'] });
    const bad = checkTwimlAnswer({ status: 200, contentType: 'text/html', body: '<Response><Say>x</say></Response>' });
    expect(bad.twilioError?.code).toBe(12100);
  });

  it('calls an HTML page served as text/html 12100, with the first words of the page', () => {
    const html = checkTwimlAnswer({
      status: 200,
      contentType: 'text/html',
      body: '<!DOCTYPE html><html><head><title>Error</title></head><body><h1>Cannot POST /voice</h1></body></html>',
    });
    expect(html.twilioError?.code).toBe(12100);
    expect(html.problems[0]).toBe('an HTML page, not TwiML: "Error Cannot POST /voice"');
  });

  // Voice: "various audio types: Twilio plays the audio file to the caller, and then hangs up";
  // "text/plain: Twilio reads the content of the text out loud to the caller, and then hangs up".
  // Messaging (https://www.twilio.com/docs/messaging/twiml#twilio-understands-mime-types):
  // "text/plain: Twilio sends the content of the text back as a message".
  it('accepts audio and plain text on a call, plain text on a message, and says what Twilio will do', () => {
    expect(checkTwimlAnswer({ status: 200, contentType: 'audio/mpeg', body: 'ID3', channel: 'voice' })).toEqual({
      ok: true,
      problems: [],
      effect: 'Twilio will play this audio and hang up',
    });
    expect(
      checkTwimlAnswer({ status: 200, contentType: 'text/plain', body: 'We are closed.', channel: 'voice' }),
    ).toEqual({ ok: true, problems: [], effect: 'Twilio will read this text and hang up' });
    expect(
      checkTwimlAnswer({
        status: 200,
        contentType: 'text/plain; charset=utf-8',
        body: 'Thanks!',
        channel: 'messaging',
      }),
    ).toEqual({ ok: true, problems: [], effect: 'Twilio will send this text back as the reply' });
    expect(checkTwimlAnswer({ status: 200, contentType: 'text/plain', body: 'Hi' }).effect).toMatch(
      /read this text and hang up.*sends it back/,
    );
    // TwiML sent as text/plain is read out, tags and all: accepted, but the effect says so.
    const misTyped = checkTwimlAnswer({
      status: 200,
      contentType: 'text/plain',
      body: '<Response><Say>x</Say></Response>',
      channel: 'voice',
    });
    expect(misTyped.ok).toBe(true);
    expect(misTyped.effect).toMatch(/XML tags included: answer TwiML with Content-Type text\/xml/);
    // An empty text/plain answer to a call leaves Twilio nothing to do: still an error.
    expect(checkTwimlAnswer({ status: 200, contentType: 'text/plain', body: '', channel: 'voice' }).ok).toBe(false);
  });

  it('names 12100 for an empty XML body, a wrong root and malformed XML', () => {
    expect(checkTwimlAnswer({ status: 200, contentType: xml, body: '' }).twilioError?.code).toBe(12100);
    const root = checkTwimlAnswer({ status: 200, contentType: xml, body: '<response><Say>x</Say></response>' });
    expect(root.problems).toEqual(['the root element is <response>, not <Response>']);
    const unclosed = checkTwimlAnswer({
      status: 200,
      contentType: xml,
      body: '<Response><Say>Tom & Jerry</Say></Response>',
    });
    expect(unclosed.twilioError?.code).toBe(12100);
    expect(unclosed.problems[0]).toMatch(/unescaped "&".*line 1, column 20/);
    const nest = checkTwimlAnswer({ status: 200, contentType: xml, body: '<Response><Say>x</say></Response>' });
    expect(nest.problems[0]).toMatch(/<\/say> closes <Say>/);
    const lead = checkTwimlAnswer({ status: 200, contentType: xml, body: '\n<?xml version="1.0"?><Response/>' });
    expect(lead.problems[0]).toMatch(/XML declaration/);
  });

  it('names 11200 for a non-2xx answer and passes redirects', () => {
    expect(checkTwimlAnswer({ status: 500, contentType: 'text/html', body: 'oops' }).twilioError).toEqual({
      code: 11200,
      message: 'HTTP retrieval failure',
    });
    expect(checkTwimlAnswer({ status: 302, body: '' }).ok).toBe(true);
  });

  it('accepts 204 for messaging and refuses it for voice', () => {
    expect(checkTwimlAnswer({ status: 204, body: '', channel: 'messaging' }).ok).toBe(true);
    expect(checkTwimlAnswer({ status: 204, body: '', channel: 'voice' }).ok).toBe(false);
  });

  it('warns 12200 for unknown or misplaced verbs', () => {
    const r = checkTwimlAnswer({
      status: 200,
      contentType: xml,
      body: '<Response><say>x</say><Foo/><Gather><Dial/></Gather></Response>',
    });
    expect(r.twilioError?.code).toBe(12200);
    expect(r.problems).toEqual([
      'unknown verb <say>: verbs are case-sensitive, write <Say>',
      'unknown verb <Foo>',
      '<Dial> is not allowed inside <Gather>',
    ]);
    const sms = checkTwimlAnswer({
      status: 200,
      contentType: xml,
      body: '<Response><Say>x</Say></Response>',
      channel: 'messaging',
    });
    expect(sms.problems).toEqual(['<Say> is not a messaging verb']);
    const ok = checkTwimlAnswer({
      status: 200,
      contentType: xml,
      body: '<Response><Message><Body>hi</Body><Media>https://x/y.png</Media></Message></Response>',
      channel: 'messaging',
    });
    expect(ok.ok).toBe(true);
  });

  it('reads a Uint8Array body and refuses bodies over 64 kB with 11750', () => {
    expect(checkTwimlAnswer({ status: 200, contentType: xml, body: new TextEncoder().encode('<Response/>') }).ok).toBe(
      true,
    );
    const big = `<Response><Say>${'a'.repeat(70_000)}</Say></Response>`;
    expect(checkTwimlAnswer({ status: 200, contentType: xml, body: big }).twilioError?.code).toBe(11750);
  });
});

describe('parseXml', () => {
  it('parses attributes, CDATA and character references', () => {
    const r = parseXml(`<a x='1' y="&#x41;&#66;"><![CDATA[<raw>]]><b/></a>`);
    const b = { name: 'b', attributes: {}, children: [], text: '', content: [] };
    expect(r.ok && r.root).toEqual({
      name: 'a',
      attributes: { x: '1', y: 'AB' },
      text: '<raw>',
      children: [b],
      content: ['<raw>', b],
    });
  });
  it('keeps text and elements in order, and reads SSML inside <Say> as text', () => {
    const r = parseXml(
      '<Say>Hello <break time="1s"/>world, <emphasis>now</emphasis>! &amp; bye<![CDATA[ & more]]></Say>',
    );
    expect(r.ok && textContent(r.root)).toBe('Hello world, now! & bye & more');
  });
  it('names the line and column of a fault, as the validator finds it', () => {
    const r = parseXml('<Response>\n  <Say>a</Say>\n  <Play>b</Say>\n</Response>');
    expect(r.ok ? '' : r.error).toBe('</Say> closes <Play> at line 3, column 10');
  });
  it('refuses elements nested deeper than TwiML ever needs, quickly', () => {
    const deep = '<a>'.repeat(5000) + '</a>'.repeat(5000);
    expect(parseXml(deep)).toMatchObject({ ok: false, error: expect.stringContaining('nested deeper') });
  });
  it.each([
    ['<a>', /never closed/],
    ['<a></a><b/>', /second root/],
    ['<a x=1/>', /not quoted/],
    ['<a x="1" x="2"/>', /repeated/],
    ['text<a/>', /text before the root/],
    ['<a>&nbsp;</a>', /unknown entity &nbsp;/],
    ['</a>', /without an opening tag/],
    ['', /no root element/],
  ])('refuses %j', (source, message) => {
    const r = parseXml(source);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(message);
  });
});

describe('checkTwimlAnswer on hostile answers', () => {
  it('reports a repeated __proto__ attribute like any other repeated attribute', () => {
    const r = checkTwimlAnswer({
      status: 200,
      contentType: 'text/xml',
      body: '<Response><Say __proto__="a" __proto__="b">x</Say></Response>',
    });
    expect(r.ok).toBe(false);
    expect(r.problems.join(' ')).toContain('attribute __proto__ repeated');
  });

  it('refuses an internal DTD subset only inside its own DOCTYPE', () => {
    const later = checkTwimlAnswer({
      status: 200,
      contentType: 'text/xml',
      body: '<!DOCTYPE Response><Response><Say>[1]</Say></Response>',
    });
    expect(later.problems.join(' ')).not.toContain('internal DTD');
    const subset = checkTwimlAnswer({
      status: 200,
      contentType: 'text/xml',
      body: '<!DOCTYPE Response [<!ENTITY a "b">]><Response/>',
    });
    expect(subset.problems.join(' ')).toContain('internal DTD');
  });
});

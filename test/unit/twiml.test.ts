import { describe, expect, it } from 'vitest';
import { checkTwimlAnswer, parseXml } from '../../src/webhooks/twiml.js';

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

  it('names 12300 for JSON, HTML and a missing content type', () => {
    const json = checkTwimlAnswer({ status: 200, contentType: 'application/json', body: '{"ok":true}' });
    expect(json.twilioError).toEqual({ code: 12300, message: 'Invalid Content-Type' });
    expect(json.problems[0]).toMatch(/application\/json with a JSON body/);
    const html = checkTwimlAnswer({ status: 200, contentType: 'text/html', body: '<!DOCTYPE html><html><body>Error</body></html>' });
    expect(html.twilioError?.code).toBe(12300);
    expect(html.problems[0]).toMatch(/HTML body/);
    const twimlAsHtml = checkTwimlAnswer({ status: 200, contentType: 'text/html', body: '<Response/>' });
    expect(twimlAsHtml.problems[0]).toMatch(/text\/html with a TwiML body: answer TwiML with Content-Type text\/xml/);
    const none = checkTwimlAnswer({ status: 200, body: '' });
    expect(none.twilioError?.code).toBe(12300);
    expect(none.problems[0]).toMatch(/no Content-Type and an empty body/);
  });

  it('names 12100 for an empty XML body, a wrong root and malformed XML', () => {
    expect(checkTwimlAnswer({ status: 200, contentType: xml, body: '' }).twilioError?.code).toBe(12100);
    const root = checkTwimlAnswer({ status: 200, contentType: xml, body: '<response><Say>x</Say></response>' });
    expect(root.problems).toEqual(['the root element is <response>, not <Response>']);
    const unclosed = checkTwimlAnswer({ status: 200, contentType: xml, body: '<Response><Say>Tom & Jerry</Say></Response>' });
    expect(unclosed.twilioError?.code).toBe(12100);
    expect(unclosed.problems[0]).toMatch(/unescaped "&".*line 1, column 20/);
    const nest = checkTwimlAnswer({ status: 200, contentType: xml, body: '<Response><Say>x</say></Response>' });
    expect(nest.problems[0]).toMatch(/<\/say> closes <Say>/);
    const lead = checkTwimlAnswer({ status: 200, contentType: xml, body: '\n<?xml version="1.0"?><Response/>' });
    expect(lead.problems[0]).toMatch(/XML declaration/);
  });

  it('names 11200 for a non-2xx answer and passes redirects', () => {
    expect(checkTwimlAnswer({ status: 500, contentType: 'text/html', body: 'oops' }).twilioError).toEqual({ code: 11200, message: 'HTTP retrieval failure' });
    expect(checkTwimlAnswer({ status: 302, body: '' }).ok).toBe(true);
  });

  it('accepts 204 for messaging and refuses it for voice', () => {
    expect(checkTwimlAnswer({ status: 204, body: '', channel: 'messaging' }).ok).toBe(true);
    expect(checkTwimlAnswer({ status: 204, body: '', channel: 'voice' }).ok).toBe(false);
  });

  it('warns 12200 for unknown or misplaced verbs', () => {
    const r = checkTwimlAnswer({ status: 200, contentType: xml, body: '<Response><say>x</say><Foo/><Gather><Dial/></Gather></Response>' });
    expect(r.twilioError?.code).toBe(12200);
    expect(r.problems).toEqual([
      'unknown verb <say>: verbs are case-sensitive, write <Say>',
      'unknown verb <Foo>',
      '<Dial> is not allowed inside <Gather>',
    ]);
    const sms = checkTwimlAnswer({ status: 200, contentType: xml, body: '<Response><Say>x</Say></Response>', channel: 'messaging' });
    expect(sms.problems).toEqual(['<Say> is not a messaging verb']);
    const ok = checkTwimlAnswer({ status: 200, contentType: xml, body: '<Response><Message><Body>hi</Body><Media>https://x/y.png</Media></Message></Response>', channel: 'messaging' });
    expect(ok.ok).toBe(true);
  });

  it('reads a Uint8Array body and refuses bodies over 64 kB with 11750', () => {
    expect(checkTwimlAnswer({ status: 200, contentType: xml, body: new TextEncoder().encode('<Response/>') }).ok).toBe(true);
    const big = `<Response><Say>${'a'.repeat(70_000)}</Say></Response>`;
    expect(checkTwimlAnswer({ status: 200, contentType: xml, body: big }).twilioError?.code).toBe(11750);
  });
});

describe('parseXml', () => {
  it('parses attributes, CDATA and character references', () => {
    const r = parseXml(`<a x='1' y="&#x41;&#66;"><![CDATA[<raw>]]><b/></a>`);
    expect(r.ok && r.root).toEqual({ name: 'a', attributes: { x: '1', y: 'AB' }, text: '<raw>', children: [{ name: 'b', attributes: {}, children: [], text: '' }] });
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
    const r = checkTwimlAnswer({ status: 200, contentType: 'text/xml', body: '<Response><Say __proto__="a" __proto__="b">x</Say></Response>' });
    expect(r.ok).toBe(false);
    expect(r.problems.join(' ')).toContain('attribute __proto__ repeated');
  });

  it('refuses an internal DTD subset only inside its own DOCTYPE', () => {
    const later = checkTwimlAnswer({ status: 200, contentType: 'text/xml', body: '<!DOCTYPE Response><Response><Say>[1]</Say></Response>' });
    expect(later.problems.join(' ')).not.toContain('internal DTD');
    const subset = checkTwimlAnswer({ status: 200, contentType: 'text/xml', body: '<!DOCTYPE Response [<!ENTITY a "b">]><Response/>' });
    expect(subset.problems.join(' ')).toContain('internal DTD');
  });
});

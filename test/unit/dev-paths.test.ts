import { describe, expect, it } from 'vitest';
import { appPathOf, numberPath, planPaths, publicPathOf } from '../../src/dev/paths.js';
import { numberUpdateFor, webhookBase } from '../../src/dev/session.js';

describe('dev paths: one path, public and local', () => {
  it('an app with a base path: numbers carry it, the app receives it unchanged', () => {
    const plan = planPaths('https://abc.ngrok.app', 'http://localhost:8080/twilio/');
    expect(numberPath(plan, '/sms')).toBe('/twilio/sms');
    expect(publicPathOf(plan, '/twilio/sms?x=1')).toBe('/twilio/sms?x=1');
    expect(appPathOf(plan, '/twilio/sms?x=1')).toBe('/twilio/sms?x=1');
    // A URL set by hand outside the base still reaches the app below it.
    expect(appPathOf(plan, '/sms')).toBe('/twilio/sms');
    expect(appPathOf(plan, '/twilioX/sms')).toBe('/twilio/twilioX/sms');
  });

  it('a public URL with a path: whether the tunnel passes it on or strips it', () => {
    const plan = planPaths('https://example.test/base', 'http://localhost:3000');
    expect(numberPath(plan, '/sms')).toBe('/base/sms');
    expect(publicPathOf(plan, '/base/sms')).toBe('/base/sms');
    expect(publicPathOf(plan, '/sms')).toBe('/base/sms');
    expect(appPathOf(plan, '/base/sms')).toBe('/base/sms');
  });

  it('the same base on both sides is not doubled; bases that cannot agree keep the app below its own', () => {
    const same = planPaths('https://example.test/twilio', 'http://localhost:3000/twilio');
    expect(numberPath(same, '/sms')).toBe('/twilio/sms');
    expect(appPathOf(same, publicPathOf(same, '/twilio/sms'))).toBe('/twilio/sms');
    const apart = planPaths('https://example.test/base', 'http://localhost:3000/twilio');
    expect(numberPath(apart, '/sms')).toBe('/base/twilio/sms');
    expect(appPathOf(apart, '/base/twilio/sms')).toBe('/twilio/sms');
  });

  it("numberUpdateFor puts the app's base path in the numbers' URLs", () => {
    const { update, urls } = numberUpdateFor(
      'https://x.test',
      { sms: '/sms', voice: null },
      undefined,
      { username: 'u', password: 'p' },
      'http://localhost:8080/twilio',
    );
    expect(update).toEqual({ smsUrl: 'https://u:p@x.test/twilio/sms', smsMethod: 'POST' });
    expect(urls).toEqual({ smsUrl: 'https://x.test/twilio/sms' });
  });

  it("the banner's base for webhooks set by hand carries the app's path", () => {
    expect(webhookBase('https://x.test', 'http://localhost:8080/twilio')).toBe('https://x.test/twilio');
    expect(webhookBase('https://x.test/base', 'http://localhost:3000')).toBe('https://x.test/base');
    expect(webhookBase('https://x.test', 'http://localhost:3000')).toBe('https://x.test');
  });
});

import { describe, expect, it } from 'vitest';
import {
  checkMethod,
  checkWebhookUrl,
  isLoopbackHost,
  webhookUrlProblem,
} from '../../src/commands/shared/webhook-url.js';
import { UsageError } from '../../src/errors.js';

describe('webhook URLs', () => {
  it('refuses every spelling of this machine, pointing at twhook dev', () => {
    for (const url of [
      'http://localhost:3000/sms',
      'http://LOCALHOST./x',
      'http://app.localhost/x',
      'http://127.0.0.1/x',
      'http://127.255.0.9:8080/x',
      'http://127.1/x',
      'http://2130706433/x',
      'http://0.0.0.0/x',
      'http://[::1]:3000/x',
      'http://[::]/x',
      'http://[::ffff:127.0.0.1]/x',
    ]) {
      expect(webhookUrlProblem(url), url).toContain('twhook dev');
    }
    expect(isLoopbackHost('128.0.0.1')).toBe(false);
    expect(webhookUrlProblem('https://127.example.com/x')).toBeUndefined();
    expect(webhookUrlProblem('http://10.0.0.5/x')).toBeUndefined();
  });

  it('names the option and the problem', () => {
    expect(() => checkWebhookUrl('/sms', '--sms-url')).toThrow(UsageError);
    expect(() => checkWebhookUrl('/sms', '--sms-url')).toThrow('--sms-url "/sms" is not an absolute URL');
    expect(webhookUrlProblem('https://x.example.com/a b')).toContain('white space');
    expect(webhookUrlProblem('https://x.example.com/' + 'a'.repeat(4000))).toContain('4000');
    expect(webhookUrlProblem('mailto:a@b.c')).toContain('not http or https');
    expect(webhookUrlProblem('https://x.example.com/#rc=9')).toContain('rc="9"');
    expect(checkMethod('get', '--sms-method')).toBe('GET');
    expect(() => checkMethod('PATCH', '--sms-method')).toThrow('--sms-method must be GET or POST, not "PATCH"');
  });
});

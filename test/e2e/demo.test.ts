import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runBin } from '../support/run-bin.js';

describe('twhook demo (the built bin, offline)', () => {
  it('plays a whole session, restores the number, verifies the capture and exits 0', async () => {
    const r = await runBin(['demo'], { timeoutMs: 60_000 });
    expect(r.stderr).not.toContain('error:');
    expect(r.code).toBe(0);
    // The log (stdout is not a terminal): 7 requests (an SMS, its 3 status callbacks, a call and
    // its Gather action, all played by the simulator; then a forged SMS), the forged one refused.
    const lines = r.stdout.split('\n').filter((l) => /^\d{4}-\d\d-\d\dT/.test(l));
    expect(lines).toHaveLength(7);
    expect(lines.filter((l) => l.includes('\tvalid\t'))).toHaveLength(6);
    const forged = lines.find((l) => l.includes('\tinvalid\t'))!;
    expect(forged).toContain('\t403\t');
    expect(forged).toContain('Reset the admin password');
    // The closing verify and the restore.
    expect(r.stderr).toContain('7 requests: 6 valid, 1 invalid, 0 unsigned');
    // What the simulator heard and read, narrated.
    expect(r.stderr).toContain('the caller hears: "You pressed 1. Your order ships today. Goodbye."');
    expect(r.stderr).toMatch(/your app replies: "Thanks for/);
    expect(r.stderr).toContain('+15017122661 is back to https://shop.example.com/twilio/sms');
    const capture = /capture stays at (\S+\.jsonl)/.exec(r.stderr)?.[1];
    expect(capture && existsSync(capture)).toBe(true);
    const records = readFileSync(capture!, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { url: string; response?: { status: number } });
    expect(records).toHaveLength(7);
    expect(records.every((rec) => rec.url.startsWith('https://') && rec.url.includes('.twhook-demo.invalid/'))).toBe(
      true,
    );
  });

  it('emits one JSON object a line with --json', async () => {
    const r = await runBin(['demo', '--json'], { timeoutMs: 60_000 });
    expect(r.code).toBe(0);
    const objects = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const types = objects.map((o) => o.type);
    expect(types[0]).toBe('ready');
    expect(types.filter((t) => t === 'request')).toHaveLength(7);
    expect(types).toContain('restored');
    // Then verify's own lines: one per request and its summary.
    const verdicts = objects.filter((o) => typeof o.verdict === 'string');
    expect(verdicts.map((o) => o.verdict)).toEqual([...Array(6).fill('valid'), 'invalid']);
    expect(objects.at(-1)).toMatchObject({ summary: { total: 7, valid: 6, invalid: 1 } });
    // The emulator's auth token never reaches the output.
    expect(r.stdout).not.toMatch(/"authToken"/);
  });
});

import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { addOverrideOptions, overrideFlag, overridesFromOptions } from '../../src/commands/shared/override-options.js';
import { UsageError } from '../../src/errors.js';

function parse(argv: string[]) {
  const cmd = addOverrideOptions(new Command('x').exitOverride());
  cmd.parse(argv, { from: 'user' });
  return overridesFromOptions(cmd.opts());
}

describe('override options', () => {
  it("takes the long names and Twilio's keys alike", () => {
    const long = parse([
      '--connect-timeout',
      '1000',
      '--read-timeout',
      '2000',
      '--total-timeout',
      '9000',
      '--retry-count',
      '2',
      '--retry-policy',
      '5xx,ct',
      '--edge',
      'dublin,tokyo-ix',
      '--sni',
      'n',
    ]);
    const short = parse([
      '--ct',
      '1000',
      '--rt',
      '2000',
      '--tt',
      '9000',
      '--rc',
      '2',
      '--rp',
      '5xx,ct',
      '--e',
      'dublin,tokyo-ix',
      '--sni',
      'N',
    ]);
    expect(long).toEqual({
      connectTimeout: 1000,
      readTimeout: 2000,
      totalTimeout: 9000,
      retryCount: 2,
      retryPolicy: ['5xx', 'ct'],
      edges: ['dublin', 'tokyo-ix'],
      sni: false,
    });
    expect(short).toEqual(long);
  });

  it('gives undefined when none is set, and a UsageError naming the key for a bad value', () => {
    expect(parse([])).toBeUndefined();
    expect(() => parse(['--rc', '6'])).toThrow(UsageError);
    expect(() => parse(['--e', 'mars'])).toThrow('e="mars"');
    expect(overrideFlag('edges')).toBe('--edge');
  });

  it('lists both spellings in help', () => {
    const help = addOverrideOptions(new Command('x')).helpInformation();
    expect(help).toContain('--ct, --connect-timeout <ms>');
    expect(help).toContain('--e, --edge <list>');
    expect(help).toContain('from 100 to');
  });
});

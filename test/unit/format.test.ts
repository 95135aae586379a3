import { describe, expect, it } from 'vitest';
import { formatBytes, plural } from '../../src/ui/format.js';

describe('plurals', () => {
  it('one is singular, anything else plural, irregular words given', () => {
    expect(plural(1, 'request')).toBe('1 request');
    expect(plural(0, 'request')).toBe('0 requests');
    expect(plural(2, 'entry', 'entries')).toBe('2 entries');
    expect(formatBytes(1)).toBe('1 byte');
    expect(formatBytes(3)).toBe('3 bytes');
    expect(formatBytes(2048)).toBe('2 KiB');
  });
});

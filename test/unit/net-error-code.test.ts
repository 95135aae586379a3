import { describe, expect, it } from 'vitest';
import { errorCode, oneLine } from '../../src/net/error-code.js';

describe('errorCode', () => {
  it('finds the code on the error, in its cause, or in the first of an AggregateError', () => {
    expect(errorCode(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe('ECONNRESET');
    expect(
      errorCode(new TypeError('fetch failed', { cause: Object.assign(new Error('y'), { code: 'UND_ERR_SOCKET' }) })),
    ).toBe('UND_ERR_SOCKET');
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(errorCode(new Error('outer', { cause: new AggregateError([refused, new Error('other')]) }))).toBe(
      'ECONNREFUSED',
    );
    expect(errorCode(new Error('no code'))).toBeUndefined();
    expect(errorCode(undefined)).toBeUndefined();
  });
});

describe('oneLine', () => {
  it('keeps the first non-empty line of a message', () => {
    expect(oneLine(new Error('\nassertion failed\n  at x\n  at y'))).toBe('assertion failed');
    expect(oneLine('plain')).toBe('plain');
  });
});

import { parse as legacyParse } from 'node:querystring';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeForm, pairsToParams, parseForm } from '../../src/webhooks/form.js';

describe('parseForm', () => {
  it("decodes '+' as a space and percent escapes as UTF-8", () => {
    expect({ ...parseForm('Body=Hello+world%21+%F0%9F%98%80&From=%2B15551234567') }).toEqual({
      Body: 'Hello world! 😀',
      From: '+15551234567',
    });
  });

  it('keeps repeated names as arrays, in order', () => {
    expect({ ...parseForm('MediaUrl0=b&Tag=x&Tag=y&Tag=z') }).toEqual({ MediaUrl0: 'b', Tag: ['x', 'y', 'z'] });
  });

  it('handles empty values, bare names, empty segments and special names', () => {
    const p = parseForm('a=&b&&c=1=2&__proto__=x&constructor=y');
    expect({ ...p }).toEqual({ a: '', b: '', c: '1=2', ['__proto__']: 'x', constructor: 'y' });
    expect(Object.keys(parseForm(''))).toEqual([]);
  });

  it('survives malformed escapes like body-parser does', () => {
    expect(parseForm('Body=100%&X=%E9').Body).toBe('100%');
    expect(typeof parseForm('X=%E9').X).toBe('string');
  });

  it("agrees with Node's querystring (what Express's urlencoded parser gives the SDK)", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string({ minLength: 1 }), fc.string()), { maxLength: 8 }), (pairs) => {
        const body = encodeForm(pairs);
        expect({ ...parseForm(body) }).toEqual({ ...legacyParse(body) });
      }),
    );
  });
});

describe('encodeForm', () => {
  it('encodes pairs in order with + for spaces, and repeats array values', () => {
    expect(
      encodeForm([
        ['Body', 'a b&c'],
        ['From', '+1555'],
      ]),
    ).toBe('Body=a+b%26c&From=%2B1555');
    expect(encodeForm({ Tag: ['x', 'y'], N: '1' })).toBe('Tag=x&Tag=y&N=1');
  });

  it('encodes each value it is given, whatever it encoded for the same name before', () => {
    const values = ['+1555', 'a b', '+1555', '', 'ringing', 'a b', '__proto__'];
    for (const value of values) {
      expect(encodeForm({ From: value, __proto__x: value })).toBe(
        `From=${encodeURIComponent(value).replace(/%20/g, '+')}&__proto__x=${encodeURIComponent(value).replace(/%20/g, '+')}`,
      );
      expect(encodeForm([['From', value]])).toBe(`From=${encodeURIComponent(value).replace(/%20/g, '+')}`);
    }
  });

  it('round-trips through parseForm', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string({ minLength: 1 }), fc.string()), { maxLength: 8 }), (pairs) => {
        expect({ ...parseForm(encodeForm(pairs)) }).toEqual({ ...pairsToParams(pairs) });
      }),
    );
  });
});

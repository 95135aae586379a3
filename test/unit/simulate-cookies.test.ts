import { describe, expect, it } from 'vitest';
import { CookieJar } from 'tough-cookie';
import { cookieHeader, newJar, storeCookies } from '../../src/simulate/cookies.js';

/**
 * The simulator remembers Cookie headers per origin while its jar holds only session cookies with
 * Path=/, and skips storing a Set-Cookie line that changes nothing. Whatever the answers set, every
 * request must carry exactly what tough-cookie alone would send.
 */
type Step = { set: string | string[]; url: string } | { get: string };

function reference(): CookieJar {
  return new CookieJar(undefined, { looseMode: true, rejectPublicSuffixes: false, allowSpecialUseDomain: true });
}

function replay(steps: Step[]): Array<[string, string]> {
  const jar = newJar();
  const ref = reference();
  const out: Array<[string, string]> = [];
  for (const step of steps) {
    if ('get' in step) {
      let expected: string;
      try {
        expected = ref.getCookieStringSync(step.get);
      } catch {
        expected = '';
      }
      out.push([cookieHeader(jar, step.get), expected]);
    } else {
      storeCookies(jar, step.set, step.url);
      for (const line of Array.isArray(step.set) ? step.set : [step.set]) {
        try {
          ref.setCookieSync(line, step.url);
        } catch {
          // refused: ignored, as the simulator ignores it
        }
      }
    }
  }
  return out;
}

const A = 'http://127.0.0.1:3000';

describe('the simulator cookie jar (tough-cookie with a remembered header)', () => {
  it('sends nothing before any Set-Cookie, then what tough-cookie sends, on every path of the app', () => {
    const pairs = replay([
      { get: `${A}/voice` },
      { set: 'session=abc123; Path=/', url: `${A}/voice` },
      { get: `${A}/menu` },
      { set: 'session=abc123; Path=/', url: `${A}/menu` },
      { get: `${A}/a/b/c?x=1` },
      { set: 'session=abc123; Path=/', url: `${A}/s2` },
      { get: `${A}/s3` },
    ]);
    for (const [got, expected] of pairs) expect(got).toBe(expected);
    expect(pairs.map((p) => p[0])).toEqual(['', 'session=abc123', 'session=abc123', 'session=abc123']);
  });

  it('follows a value that changes, a second cookie, and the same line after another value', () => {
    const pairs = replay([
      { set: 'step=1; Path=/', url: `${A}/voice` },
      { get: `${A}/menu` },
      { set: 'step=2; Path=/', url: `${A}/menu` },
      { get: `${A}/s2` },
      { set: 'step=1; Path=/', url: `${A}/s2` },
      { get: `${A}/s3` },
      { set: ['step=1; Path=/', 'lang=en; Path=/'], url: `${A}/s3` },
      { get: `${A}/s4` },
      { set: ['lang=en; Path=/', 'step=1; Path=/'], url: `${A}/s4` },
      { get: `${A}/s5` },
    ]);
    for (const [got, expected] of pairs) expect(got).toBe(expected);
    expect(pairs.map((p) => p[0])).toEqual(['step=1', 'step=2', 'step=1', 'step=1; lang=en', 'step=1; lang=en']);
  });

  it('keeps path, expiry, deletion, Domain, Secure and other hosts to tough-cookie', () => {
    const B = 'http://localhost:3000';
    const pairs = replay([
      { set: 'a=1; Path=/', url: `${A}/voice` },
      { get: `${A}/voice` },
      { set: 'deep=1', url: `${A}/app/voice` }, // default path /app
      { get: `${A}/voice` },
      { get: `${A}/app/menu` },
      { set: 'timed=1; Max-Age=3600; Path=/', url: `${A}/voice` },
      { get: `${A}/menu` },
      { set: 'a=1; Path=/; Max-Age=0', url: `${A}/menu` }, // deleted
      { get: `${A}/menu` },
      { set: 'a=1; Path=/', url: `${A}/menu` },
      { get: `${A}/menu` },
      { set: 'other=1; Path=/', url: `${B}/voice` },
      { get: `${B}/menu` },
      { get: `${A}/menu` },
      { set: 'secure=1; Path=/; Secure', url: `${A}/voice` },
      { get: `${A}/voice` },
      { get: `https://127.0.0.1:3000/voice` },
      { set: 'dom=1; Domain=example.com; Path=/', url: 'http://app.example.com/voice' },
      { get: 'http://api.example.com/voice' },
      { get: 'http://example.org/voice' },
    ]);
    for (const [got, expected] of pairs) expect(got).toBe(expected);
  });

  it('does not mistake two directories for one when a path has dot segments or escapes', () => {
    const pairs = replay([
      { set: 'x=1', url: `${A}/a/b/..` }, // stored for /a
      { set: 'x=1', url: `${A}/a/b/x` }, // the same line from /a/b: another cookie
      { get: `${A}/a/b/y` },
      { get: `${A}/a/c` },
      { set: 'x=2', url: `${A}/a/b/x` },
      { get: `${A}/a/b/y` },
      { get: `${A}/a/c` },
      { set: 'x=2', url: `${A}/a/b/%2e%2e` },
      { set: 'x=1', url: `${A}/a/b/..` },
      { get: `${A}/a/b/y` },
      { get: `${A}/a/y` },
    ]);
    for (const [got, expected] of pairs) expect(got).toBe(expected);
  });

  it('gives each call the header of its own history, when calls fill their jars alike or not', () => {
    const calls: Step[][] = [
      [{ set: 'a=1; Path=/', url: `${A}/voice` }, { set: 'b=2; Path=/', url: `${A}/menu` }, { get: `${A}/x` }],
      [{ set: 'b=2; Path=/', url: `${A}/voice` }, { set: 'a=1; Path=/', url: `${A}/menu` }, { get: `${A}/x` }],
      [{ set: 'a=1; Path=/', url: `${A}/voice` }, { get: `${A}/x` }, { set: 'b=2; Path=/', url: `${A}/s` }],
      [{ set: 'a=1; Path=/', url: `${A}/voice` }, { set: 'b=2; Path=/', url: `${A}/menu` }, { get: `${A}/x` }],
      [{ set: 'a=1; Path=/', url: `${A}/v/../voice` }, { set: 'b=2; Path=/', url: `${A}/menu` }, { get: `${A}/x` }],
      [{ set: ['a=1; Path=/', 'a=3; Path=/'], url: `${A}/voice` }, { get: `${A}/x` }],
    ];
    const headers = calls.map((steps) => {
      const pairs = replay(steps);
      for (const [got, expected] of pairs) expect(got).toBe(expected);
      return pairs.map((p) => p[0]).join(' | ');
    });
    expect(headers).toEqual(['a=1; b=2', 'b=2; a=1', 'a=1', 'a=1; b=2', 'a=1; b=2', 'a=3']);
  });

  it('leaves a jar it did not make entirely to tough-cookie', () => {
    const jar = reference();
    jar.setCookieSync('k=v; Path=/only', `${A}/only/x`);
    storeCookies(jar, 'session=1; Path=/', `${A}/voice`);
    expect(cookieHeader(jar, `${A}/voice`)).toBe('session=1');
    expect(cookieHeader(jar, `${A}/only/y`)).toBe('k=v; session=1');
  });
});

/**
 * Hostile spec files: any text, and structured specs with random keys and values, end in specs
 * or a SpecError with a line inside the file, never anything else. A written spec (--save) of
 * random events always parses back. Seeded (FUZZ_SEED, FUZZ_SCALE), runs in seconds.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseSpecs, SpecError } from '../../src/simulate/spec.js';
import { specYaml } from '../../src/simulate/spec-writer.js';
import type { SimEvent } from '../../src/simulate/events.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261127);
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const runs = (n: number) => ({ seed: SEED, numRuns: Math.round(n * SCALE) });

function parsesOrSpecError(text: string): void {
  try {
    parseSpecs(text, 'f.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(SpecError);
    const lines = text.split('\n').length;
    expect((err as SpecError).at.line).toBeGreaterThanOrEqual(1);
    expect((err as SpecError).at.line).toBeLessThanOrEqual(lines + 1);
  }
}

const KEYS = [
  'name',
  'call',
  'text',
  'steps',
  'expect',
  'press',
  'speak',
  'dial',
  'record',
  'hangup',
  'wait',
  'send',
  'media',
  'say',
  'gather',
  'reply',
  'end',
  'error',
  'noReply',
  'app',
  'numDigits',
  'x',
];
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.string(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.constantFrom('/a(/', '/ok/i', '+15558675310', 'busy', 'hangup', '1'),
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom(...KEYS), tie('v'), { maxKeys: 3 }),
  ),
})).v;

describe('spec files, fuzzed', () => {
  it('any text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => parsesOrSpecError(text)),
      runs(400),
    );
  });

  it('spec-shaped documents with random parts', () => {
    const spec = fc.record({
      name: fc.oneof(fc.string(), fc.integer()),
      call: fc.oneof(fc.constant({ app: 3000 }), value),
      steps: fc.array(
        fc.oneof(fc.dictionary(fc.constantFrom(...KEYS), value, { maxKeys: 2 }), fc.constantFrom('hangup', 'x')),
        { maxLength: 6 },
      ),
    });
    fc.assert(
      fc.property(fc.array(spec, { minLength: 1, maxLength: 3 }), (specs) =>
        parsesOrSpecError(specs.map((s) => stringify(s)).join('---\n')),
      ),
      runs(300),
    );
  });

  it('what --save writes always reads back', () => {
    const text = fc.string({ minLength: 1, maxLength: 40 });
    const event: fc.Arbitrary<SimEvent> = fc.oneof(
      text.map((t) => ({ type: 'say' as const, t: 0, text: t, loop: 1 })),
      text.map((b) => ({ type: 'message' as const, t: 0, from: '+1', to: '+2', body: b, media: [] })),
      fc
        .constantFrom('/a', '/a?b=c', '/(x)/')
        .map((p) => ({ type: 'redirect' as const, t: 0, url: `http://localhost:3000${p}`, method: 'POST' })),
      fc.constant({ type: 'hangup' as const, t: 0 }),
    );
    fc.assert(
      fc.property(fc.array(event, { minLength: 1, maxLength: 8 }), (events) => {
        const yaml = specYaml(
          { name: 'n', channel: 'call', app: 'http://localhost:3000/voice', from: '+1', to: '+2' },
          events.filter((e) => e.type !== 'message'),
          [],
        );
        expect(() => parseSpecs(yaml, 's.yaml')).not.toThrow();
      }),
      runs(300),
    );
  });
});

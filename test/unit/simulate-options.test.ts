import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { callScript, type InputFlag } from '../../src/commands/call.js';
import { mediaPositions, register as registerText } from '../../src/commands/text.js';
import { parseSpecs } from '../../src/simulate/spec.js';
import { specTarget } from '../../src/simulate/run-spec.js';

describe("call: the caller's inputs in command-line order", () => {
  const flags = (...pairs: [InputFlag['flag'], string][]) => pairs.map(([flag, value]) => ({ flag, value }));

  it('keeps the order and attaches --dial-seconds to the --dial-status before it', () => {
    const script = callScript(
      flags(
        ['press', '1'],
        ['dial-status', 'busy'],
        ['dial-seconds', '30'],
        ['speak', 'agent'],
        ['record-seconds', '12'],
        ['press', '#'],
      ),
    );
    expect(script.inputs.map((i) => i.input)).toEqual([
      { kind: 'press', digits: '1' },
      { kind: 'dial', status: 'busy', seconds: 30 },
      { kind: 'speak', text: 'agent' },
      { kind: 'record', seconds: 12 },
      { kind: 'press', digits: '#' },
    ]);
    expect(script.dialSeconds).toBeUndefined();
  });

  it("--dial-seconds alone is every Dial's length; --hangup-after is a time, once", () => {
    const script = callScript(flags(['dial-seconds', '20'], ['press', '1'], ['hangup-after', '90']));
    expect(script.dialSeconds).toBe(20);
    expect(script.hangupAfter).toBe(90);
    expect(() => callScript(flags(['hangup-after', '1'], ['hangup-after', '2']))).toThrow(
      /--hangup-after is given twice/,
    );
    expect(() => callScript(flags(['record-seconds', 'long']))).toThrow(/--record-seconds takes a number of seconds/);
    expect(() => callScript(flags(['speak', ' ']))).toThrow(/--speak is empty/);
  });
});

describe('text: --media goes on the next message', () => {
  function positions(argv: string[]): number[] {
    const program = new Command('twhook').option('--json').option('--auth-token <token>');
    const cmd = program.command('text');
    registerText(cmd, () => async () => undefined);
    return mediaPositions(argv, cmd);
  }

  it('counts the words before each --media (the app included)', () => {
    expect(positions(['text', '3000', '--media', 'u1', 'hi'])).toEqual([1]);
    expect(positions(['text', '3000', 'hi', '--media', 'u1', '--media=u2', 'there'])).toEqual([2, 2]);
    expect(positions(['--auth-token', 'text', 'text', '3000', '--from', '+15551112222', 'a', '--media', 'u'])).toEqual([
      2,
    ]);
    expect(positions(['text', '--number', '+15017122661', '--media', 'u', 'hi'])).toEqual([0]);
  });
});

describe('test --app', () => {
  const [spec] = parseSpecs(
    'name: a\ncall: { app: "http://localhost:3000/ivr/voice#rc=2" }\nsteps: [hangup]\n',
    'a.yaml',
  );
  const [bare] = parseSpecs('name: b\ntext:\nsteps: [{ send: hi }]\n', 'b.yaml');

  it("a port or an origin moves the spec's URL there, path kept; a URL with a path replaces it", () => {
    expect(specTarget(spec!, 'https://staging.example.com').url).toBe('https://staging.example.com/ivr/voice#rc=2');
    expect(specTarget(spec!, '4000').url).toBe('http://localhost:4000/ivr/voice#rc=2');
    expect(specTarget(spec!, 'http://127.0.0.1:5000/other').url).toBe('http://127.0.0.1:5000/other');
    expect(specTarget(bare!, '4000').url).toBe('http://localhost:4000/sms');
    expect(() => specTarget(bare!)).toThrow(/b\.yaml:1: spec "b" names no app/);
  });
});

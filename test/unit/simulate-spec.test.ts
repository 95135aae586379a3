import { describe, expect, it } from 'vitest';
import { parseSpecs, SpecError, type InputStep, type SpecStep } from '../../src/simulate/spec.js';
import { checkSteps } from '../../src/simulate/match.js';
import { specYaml } from '../../src/simulate/spec-writer.js';
import type { SimEvent } from '../../src/simulate/events.js';
import type { UsedInput } from '../../src/simulate/inputs.js';
import { appUrl, webhookUrl } from '../../src/simulate/target.js';

const ISSUE_EXAMPLE = `name: sales line is busy
call: { app: http://localhost:3000/voice, from: "+15558675310", to: "+15017122661" }
steps:
  - expect: { say: "Welcome" }            # substring, or /regex/flags
  - expect: { gather: { numDigits: 1 } }  # attributes that must match
  - press: "1"
  - expect: { dial: "+15551230000" }
  - dial: busy
  - expect: { say: /busy/i }
  - expect: hangup                        # or { end: completed }
---
name: order status by text
text: { app: http://localhost:3000/sms }
steps:
  - send: "hi"
  - expect: { reply: /menu/ }
  - send: "2"
  - expect: { reply: "shipped" }
`;

function specError(text: string, file = 'specs/x.yaml'): SpecError {
  try {
    parseSpecs(text, file);
  } catch (err) {
    if (err instanceof SpecError) return err;
    throw err;
  }
  throw new Error('no SpecError');
}

const req = (t: number, path: string, status = 200): SimEvent => ({
  type: 'request',
  t,
  url: `http://localhost:3000${path}`,
  method: 'POST',
  params: {},
  status,
  contentType: 'text/xml',
  ms: 1,
  attempt: 1,
});

const CALL: SimEvent[] = [
  req(0, '/voice'),
  { type: 'say', t: 0, text: 'Welcome to Acme. Press 1 for sales.', loop: 1 },
  {
    type: 'gather',
    t: 5,
    input: 'dtmf',
    numDigits: 1,
    finishOnKey: '#',
    timeout: 5,
    action: 'http://localhost:3000/menu',
    result: { digits: '1' },
  },
  req(5, '/menu'),
  {
    type: 'dial',
    t: 5,
    to: ['+15551230000'],
    outcome: 'busy',
    duration: 0,
    action: 'http://localhost:3000/after-dial',
  },
  req(5, '/after-dial'),
  { type: 'say', t: 5, text: 'The sales line is busy.', loop: 1 },
  { type: 'hangup', t: 6 },
  { type: 'end', t: 6, status: 'completed', duration: 6, requests: 3, reason: 'hangup' },
];

/** The input steps used at these event counts, in order. */
function usedAt(steps: SpecStep[], at: number[]): Map<SpecStep, number> {
  const inputs = steps.filter((s): s is InputStep => s.kind === 'input');
  return new Map(inputs.slice(0, at.length).map((s, i) => [s, at[i]!] as const));
}

describe('spec files', () => {
  it('reads the issue example: two specs, their steps and lines', () => {
    const [call, text] = parseSpecs(ISSUE_EXAMPLE, 'specs/ivr.yaml');
    expect(call!.name).toBe('sales line is busy');
    expect(call!.channel).toBe('call');
    expect(call!.app).toBe('http://localhost:3000/voice');
    expect(call!.from).toBe('+15558675310');
    expect(call!.at).toEqual({ file: 'specs/ivr.yaml', line: 1 });
    expect(call!.steps.map((s) => [s.at.line, s.kind === 'input' ? s.input.kind : s.type])).toEqual([
      [4, 'say'],
      [5, 'gather'],
      [6, 'press'],
      [7, 'dial'],
      [8, 'dial'],
      [9, 'say'],
      [10, 'hangup'],
    ]);
    expect(call!.steps[4]).toMatchObject({ kind: 'input', input: { kind: 'dial', status: 'busy' } });
    expect(text!.channel).toBe('text');
    expect(text!.at.line).toBe(12);
    expect(text!.steps[1]).toMatchObject({ kind: 'expect', type: 'message', at: { line: 16 } });
  });

  it('keeps numbers as written: unquoted +E.164 and keys with a leading zero', () => {
    const [spec] = parseSpecs('name: n\ncall: { app: 3000, from: +15558675310 }\nsteps:\n  - press: 007\n', 'a.yaml');
    expect(spec!.from).toBe('+15558675310');
    expect(spec!.app).toBe('3000');
    expect(spec!.steps[0]).toMatchObject({ input: { kind: 'press', digits: '007' } });
  });

  it('reads JSON: one spec or a list', () => {
    const one = JSON.stringify({
      name: 'j',
      text: { app: 'http://localhost:3000/sms' },
      steps: [{ send: 'hi', media: ['https://example.com/a.png'] }, { expect: 'noReply' }],
    });
    const [spec] = parseSpecs(one, 'a.json');
    expect(spec!.steps[0]).toMatchObject({ input: { kind: 'send', body: 'hi', media: ['https://example.com/a.png'] } });
    const list = JSON.stringify([
      { name: 'a', call: { app: '3000' }, steps: ['hangup'] },
      { name: 'b', call: { app: '3000' }, steps: [{ wait: 3 }] },
    ]);
    expect(parseSpecs(list, 'b.json').map((s) => s.name)).toEqual(['a', 'b']);
  });

  it.each([
    ['name: a\ncall: { app: 3000 }\nsteps:\n  - press: "1x"\n', 4, /press takes keypad keys/],
    ['name: a\ncall: { app: 3000 }\nsteps:\n  - expect: { sing: "la" }\n', 4, /expect: sing\? It takes say/],
    ['name: a\ncall: { app: 3000 }\nsteps:\n  - expect: { say: hi }\n  - send: hi\n', 5, /send is a text input/],
    ['name: a\ntext: { app: 3000 }\nsteps:\n  - press: "1"\n', 4, /press is a call input/],
    ['name: a\ntext: { app: 3000 }\nsteps:\n  - expect: { say: hi }\n', 4, /say happens on calls/],
    ['name: a\ncall: { app: 3000, colour: red }\nsteps: [hangup]\n', 2, /unknown key "colour" in call:/],
    ['name: a\ncall: { app: 3000 }\nsteps:\n  - expect: { say: "/(/" }\n', 4, /not a valid regular expression/],
    ['name: a\ncall: { app: 3000 }\nsteps:\n  - dial: maybe\n', 4, /dial: is the dialled party's answer/],
    ['name: a\ncall: { app: 3000 }\nsteps:\n  - press: "1"\n    speak: hi\n', 5, /one thing per step/],
    ['name: a\ncall: { app: 3000 }\nsteps: []\n', 3, /steps: is empty/],
    ['name: a\nsteps: [hangup]\n', 1, /say what this spec runs/],
    ['name: a\ncall: { app: 3000 }\nsteps:\n  - expect: { say: hi, play: x }\n', 4, /one expectation per expect/],
    ['name: a\ncall: { app: 3000 }\nsteps:\n  - expect: { say: [unclosed\n', 5, /not valid YAML/],
    [
      'name: a\ncall: { app: 3000 }\nsteps: [hangup]\n---\nname: a\ncall: { app: 3000 }\nsteps: [hangup]\n',
      5,
      /a second spec named "a"/,
    ],
    ['name: a\ncall: { app: 3000 }\nsteps:\n  - record: -1\n', 4, /record must be a number of seconds/],
    ['name: a\ncall: { app: 3000 }\nsteps:\n  - dequeue: { when: 3 }\n', 4, /dequeue: takes after and seconds/],
    ['name: a\ntext: { app: 3000 }\nsteps:\n  - dequeue: 3\n', 4, /dequeue is a call input/],
  ])('refuses an invalid spec with file:line (%#)', (text, line, problem) => {
    const err = specError(text);
    expect(err.exitCode).toBe(2);
    expect(err.at.line).toBe(line);
    expect(err.message).toMatch(/^specs\/x\.yaml:\d+: /);
    expect(err.problem).toMatch(problem);
  });

  it('dequeue: when an agent takes the queued caller, and how long they talk', () => {
    const [spec] = parseSpecs(
      'name: q\ncall: { app: 3000 }\nsteps:\n  - dequeue: 45\n  - dequeue: { after: 10, seconds: 60 }\n  - dequeue\n',
      'q.yaml',
    );
    expect(spec!.steps.map((s) => (s as InputStep).input)).toEqual([
      { kind: 'dequeue', after: 45 },
      { kind: 'dequeue', after: 10, seconds: 60 },
      { kind: 'dequeue' },
    ]);
  });

  it('says a file with no spec is not a spec file', () => {
    expect(specError('', 'empty.yaml').message).toMatch(/empty\.yaml:1: no spec in this file/);
    expect(specError('{"a": 1}', 'package.json').message).toMatch(/package\.json:1: unknown key "a"/);
  });
});

describe('matching', () => {
  const spec = (steps: string) => parseSpecs(`name: m\ncall: { app: 3000 }\nsteps:\n${steps}`, 'm.yaml')[0]!;

  it('passes the issue example on what the call did', () => {
    const [call] = parseSpecs(ISSUE_EXAMPLE.replace('{ say: /busy/i }', '{ say: /busy/i }'), 'ivr.yaml');
    // press used while waiting at the gather (2 events so far); dial when the Dial asked (4 events).
    expect(checkSteps(call!.steps, CALL, usedAt(call!.steps, [2, 4]))).toBeUndefined();
  });

  it('matches substrings, /regex/flags and attributes', () => {
    const s = spec(
      [
        '  - expect: { say: "Press 1" }',
        '  - expect: { say: /LINE IS BUSY/i }',
        '  - expect: { gather: { numDigits: 1, input: dtmf, result: { digits: "1" } } }',
        '  - expect: { dial: { to: ["+15551230000"], outcome: busy } }',
        '  - expect: { request: { path: /menu, status: 200 } }',
        '  - expect: { end: { status: completed, reason: hangup } }',
        '',
      ].join('\n'),
    );
    expect(checkSteps(s.steps, CALL, new Map())).toBeUndefined();
  });

  it('compares a request path whole: /voice does not match /voice/menu', () => {
    const events = [req(0, '/voice/menu')];
    const s = spec('  - expect: { request: { path: /voice } }\n');
    expect(checkSteps(s.steps, events, new Map())?.message).toMatch(
      /expected request .*got request POST \/voice\/menu → 200/,
    );
  });

  it('each expectation takes the next unmatched event of its type, in order', () => {
    const twice = spec('  - expect: { say: busy }\n  - expect: { say: Welcome }\n');
    // "busy" is the second say: the first say after it is none.
    const failure = checkSteps(twice.steps, CALL, new Map());
    expect(failure?.step.at.line).toBe(5);
    expect(failure?.message).toMatch(/expected say Welcome: no say came after that point/);
  });

  it('an expectation after an input only sees what happened after it was used', () => {
    const s = spec('  - press: "1"\n  - expect: { say: Welcome }\n');
    const failure = checkSteps(s.steps, CALL, usedAt(s.steps, [2]));
    expect(failure?.step.at.line).toBe(5);
  });

  it('an input the call never asked for fails at its line', () => {
    const s = spec('  - press: "1"\n  - press: "2"\n');
    const failure = checkSteps(s.steps, CALL, usedAt(s.steps, [2]));
    expect(failure?.step.at.line).toBe(5);
    expect(failure?.message).toMatch(
      /press: "2" was never used: the call ended first \(hangup\); it answers a <Gather>/,
    );
  });

  it('says what came instead', () => {
    const s = spec('  - expect: { dial: "+15559999999" }\n');
    expect(checkSteps(s.steps, CALL, new Map())?.message).toBe('expected dial +15559999999: got dial +15551230000');
  });

  it('noReply: nothing came back between a message and the next', () => {
    const [s] = parseSpecs(
      'name: t\ntext: { app: 3000 }\nsteps:\n  - send: hi\n  - expect: noReply\n  - send: again\n  - expect: noReply\n',
      't.yaml',
    );
    const events: SimEvent[] = [
      { type: 'inbound', t: 0, from: '+1', to: '+2', body: 'hi', media: [] },
      req(0, '/sms'),
      { type: 'inbound', t: 1, from: '+1', to: '+2', body: 'again', media: [] },
      req(1, '/sms'),
      { type: 'message', t: 1, from: '+2', to: '+1', body: 'Got it', media: [] },
    ];
    const failure = checkSteps(s!.steps, events, usedAt(s!.steps, [0, 2]));
    expect(failure?.step.at.line).toBe(7);
    expect(failure?.message).toBe('expected no reply, got "Got it"');
  });
});

describe('--save writes a spec the same run passes', () => {
  it('a call: inputs where they were used, defaults written out', () => {
    const events: SimEvent[] = [
      ...CALL.slice(0, 3),
      req(5, '/menu'),
      {
        type: 'gather',
        t: 10,
        input: 'speech',
        finishOnKey: '#',
        timeout: 5,
        action: 'http://localhost:3000/speech',
        result: null,
      },
      { type: 'record', t: 15, action: 'http://localhost:3000/rec', maxLength: 60, result: { duration: 5 } },
      { type: 'say', t: 15, text: '/not a regex/', loop: 1 },
      { type: 'end', t: 16, status: 'completed', duration: 16, requests: 2, reason: 'end-of-document' },
    ];
    const used: UsedInput<unknown>[] = [{ input: { kind: 'press', digits: '1' }, at: 2 }];
    const yaml = specYaml(
      { name: 'menu', channel: 'call', app: 'http://localhost:3000/voice', from: '+15558675310', to: '+15017122661' },
      events,
      used,
      'specs/menu.yaml',
    );
    expect(yaml).toContain('  - expect: { gather: { input: dtmf, numDigits: 1 } }\n  - press: "1"\n');
    expect(yaml).toContain('  - wait: 5\n');
    expect(yaml).toContain('  - record: 5\n');
    expect(yaml).toContain('twhook test specs/menu.yaml');
    const [spec] = parseSpecs(yaml, 'menu.yaml');
    expect(spec!.from).toBe('+15558675310');
    // The rerun uses the written inputs at the same points: the press at 2, the wait at 4, the record at 5.
    expect(checkSteps(spec!.steps, events, usedAt(spec!.steps, [2, 4, 5]))).toBeUndefined();
  });

  it('a conversation: sends, replies, and noReply where nothing came back', () => {
    const events: SimEvent[] = [
      { type: 'inbound', t: 0, from: '+1', to: '+2', body: 'hi', media: ['https://example.com/a.png'] },
      req(0, '/sms'),
      { type: 'message', t: 0, from: '+2', to: '+1', body: 'Menu: 1 hours, 2 orders', media: [] },
      { type: 'inbound', t: 1, from: '+1', to: '+2', body: 'x', media: [] },
      req(1, '/sms'),
      { type: 'end', t: 1, status: 'completed', duration: 1, requests: 2, reason: 'no-more-messages' },
    ];
    const used: UsedInput<unknown>[] = [
      { input: { body: 'hi', media: ['https://example.com/a.png'] }, at: 0 },
      { input: { body: 'x' }, at: 3 },
    ];
    const yaml = specYaml(
      { name: 'bot', channel: 'text', app: 'http://localhost:3000/sms', from: '+1', to: '+2' },
      events,
      used,
    );
    expect(yaml).toContain('  - send: hi\n    media: [ https://example.com/a.png ]\n');
    expect(yaml).toMatch(/- send: x\n {2}- expect: noReply\n/);
    const [spec] = parseSpecs(yaml, 'bot.yaml');
    expect(checkSteps(spec!.steps, events, usedAt(spec!.steps, [0, 3]))).toBeUndefined();
  });
});

describe('app targets', () => {
  it('a port or a URL with no path gets /voice or /sms; a path is kept', () => {
    expect(appUrl('3000', 'call')).toBe('http://localhost:3000/voice');
    expect(appUrl('3000', 'text')).toBe('http://localhost:3000/sms');
    expect(appUrl('http://127.0.0.1:3000', 'call')).toBe('http://127.0.0.1:3000/voice');
    expect(appUrl('http://127.0.0.1:3000/', 'text')).toBe('http://127.0.0.1:3000/sms');
    expect(appUrl('localhost:3000/ivr', 'call')).toBe('http://localhost:3000/ivr');
    expect(appUrl('https://example.com/twilio/voice#rc=2', 'call')).toBe('https://example.com/twilio/voice#rc=2');
    expect(() => appUrl('start', 'call')).toThrow(/neither a port nor a URL/);
    expect(() => appUrl('70000', 'call')).toThrow(/not a port/);
    expect(() => appUrl('ftp://x/voice', 'call')).toThrow(/http or https/);
  });

  it('callbacks: a path on the app, or a URL', () => {
    expect(webhookUrl('/status', 'http://localhost:3000/voice', '--status-callback')).toBe(
      'http://localhost:3000/status',
    );
    expect(webhookUrl('https://example.com/s', 'http://localhost:3000/voice', '--status-callback')).toBe(
      'https://example.com/s',
    );
    expect(() => webhookUrl('status', 'http://localhost:3000/voice', '--fallback')).toThrow(
      /--fallback takes a URL or a path/,
    );
  });
});

import { describe, expect, it } from 'vitest';
import { checkTwimlAnswer, inspectTwimlAnswer, type TwimlAnswer } from '../../src/webhooks/twiml.js';
import { memoTwimlCheck, memoTwimlInspection } from '../../src/webhooks/twiml-memo.js';

const answers: TwimlAnswer[] = [
  {
    status: 200,
    contentType: 'text/xml',
    body: '<?xml version="1.0"?><Response><Message>Hi</Message></Response>',
    channel: 'messaging',
  },
  {
    status: 200,
    contentType: 'text/xml',
    body: '<?xml version="1.0"?><Response><Message>Hi</Message></Response>',
    channel: 'voice',
  },
  {
    status: 200,
    contentType: 'text/html',
    body: '<?xml version="1.0"?><Response><Message>Hi</Message></Response>',
    channel: 'messaging',
  },
  { status: 500, contentType: 'text/xml', body: '<Response/>', channel: 'messaging' },
  { status: 200, contentType: 'text/xml', body: '<Response><Say>unclosed</Response>', channel: 'voice' },
  { status: 200, contentType: 'text/xml', body: Buffer.from('<Response><Say>café</Say></Response>'), channel: 'voice' },
  {
    status: 200,
    contentType: 'text/xml',
    body: Buffer.from('<Response><Say>caf\xe9</Say></Response>', 'latin1'),
    channel: 'voice',
  },
  { status: 204, contentType: null, body: '', channel: 'messaging' },
  { status: 200, contentType: 'text/plain', body: 'Thanks!', channel: 'messaging' },
  {
    status: 200,
    contentType: 'text/xml',
    body: `<Response><Message>${'x'.repeat(9000)}</Message></Response>`,
    channel: 'messaging',
  },
];

describe('memoTwimlCheck', () => {
  it('gives what checkTwimlAnswer gives, first time and remembered, for every kind of answer', () => {
    const memo = memoTwimlCheck();
    for (let round = 0; round < 2; round++) {
      for (const answer of answers) expect(memo.check(answer)).toEqual(checkTwimlAnswer(answer));
    }
  });

  it('tells apart answers that differ only in status, type, channel or one byte', () => {
    const memo = memoTwimlCheck();
    const verdicts = answers.slice(0, 7).map((a) => memo.check(a));
    expect(new Set(verdicts.map((v) => JSON.stringify(v))).size).toBeGreaterThan(3);
    expect(memo.check(answers[6]!)).toEqual(checkTwimlAnswer(answers[6]!));
    expect(memo.check(answers[5]!)).toEqual(checkTwimlAnswer(answers[5]!));
  });

  it('hands each caller its own copy: changing one result never changes the next', () => {
    const memo = memoTwimlCheck();
    const bad = answers[4]!;
    const first = memo.check(bad);
    first.problems.push('changed');
    first.ok = !first.ok;
    if (first.twilioError) first.twilioError.code = 1;
    expect(memo.check(bad)).toEqual(checkTwimlAnswer(bad));
  });

  it('shared(): one frozen verdict per distinct answer (replay serializes each once), the same as check()', () => {
    const memo = memoTwimlCheck();
    for (const answer of answers) expect(memo.shared(answer)).toEqual(checkTwimlAnswer(answer));
    const bad = answers[4]!;
    const first = memo.shared(bad);
    expect(memo.shared({ ...bad })).toBe(first);
    expect(() => first.problems.push('changed')).toThrow(TypeError);
    expect(() => {
      first.ok = !first.ok;
    }).toThrow(TypeError);
    // check() still hands out copies a caller may change.
    const copy = memo.check(bad);
    expect(copy).not.toBe(first);
    copy.problems.push('changed');
    expect(memo.shared(bad).problems).toEqual(checkTwimlAnswer(bad).problems);
    // Too large to remember: checked each time, still frozen.
    const large = answers[answers.length - 1]!;
    expect(Object.isFrozen(memo.shared(large))).toBe(true);
    expect(memo.shared(large)).toEqual(checkTwimlAnswer(large));
  });
});

describe('memoTwimlInspection', () => {
  it('gives what inspectTwimlAnswer gives (check, kind, parsed verbs, text), first time and remembered', () => {
    const inspect = memoTwimlInspection();
    for (let round = 0; round < 2; round++) {
      for (const answer of answers) expect(inspect(answer)).toEqual(inspectTwimlAnswer(answer));
    }
  });

  it('parses each distinct answer once and shares it frozen: no caller can change what the next one reads', () => {
    const inspect = memoTwimlInspection();
    const answer = {
      status: 200,
      contentType: 'text/xml',
      body: Buffer.from('<Response><Gather action="/menu"><Say>Hi</Say></Gather></Response>'),
      channel: 'voice' as const,
    };
    const first = inspect(answer);
    expect(inspect({ ...answer, body: Buffer.from(answer.body) })).toBe(first);
    const gather = first.root!.children[0]!;
    expect(() => {
      gather.attributes.action = '/elsewhere';
    }).toThrow(TypeError);
    expect(() => gather.children.push(gather)).toThrow(TypeError);
    expect(() => first.check.problems.push('changed')).toThrow(TypeError);
    expect(inspect(answer).root!.children[0]!.attributes.action).toBe('/menu');
    // One byte apart: parsed on its own.
    const other = inspect({
      ...answer,
      body: Buffer.from('<Response><Gather action="/menv"><Say>Hi</Say></Gather></Response>'),
    });
    expect(other.root!.children[0]!.attributes.action).toBe('/menv');
  });
});

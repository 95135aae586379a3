import { describe, expect, it } from 'vitest';
import { verifyOptions, type VerifyOptions } from '../../src/commands/verify.js';
import { UsageError } from '../../src/errors.js';

const refuses = (flags: VerifyOptions, message: RegExp) => {
  expect(() => verifyOptions(flags)).toThrow(UsageError);
  expect(() => verifyOptions(flags)).toThrow(message);
};

describe('verifyOptions', () => {
  it('capture files: the base, the report and the switches', () => {
    expect(verifyOptions({ captures: ['a.jsonl', '-'] })).toEqual({
      mode: 'files',
      captures: ['a.jsonl', '-'],
      strict: false,
      allowUnsigned: false,
      allowEmpty: false,
    });
    expect(
      verifyOptions({
        captures: ['a.har'],
        publicUrlBase: 'https://abc.ngrok.app',
        junit: 'out.xml',
        strict: true,
        allowUnsigned: true,
        allowEmpty: true,
      }),
    ).toEqual({
      mode: 'files',
      captures: ['a.har'],
      publicUrlBase: 'https://abc.ngrok.app',
      junit: 'out.xml',
      strict: true,
      allowUnsigned: true,
      allowEmpty: true,
    });
    expect(() => verifyOptions({ url: 'https://x.test/sms', signature: 'sig', allowEmpty: true })).toThrow(
      '--allow-empty is for capture files',
    );
  });

  it('one request: the URL, signature, body or body file, and content type', () => {
    expect(verifyOptions({ url: 'https://x.test/sms', signature: 'sig' })).toEqual({
      mode: 'one',
      url: 'https://x.test/sms',
      signature: 'sig',
      body: { text: '' },
      strict: false,
    });
    expect(
      verifyOptions({
        url: 'https://x.test/e',
        signature: 's',
        bodyFile: '-',
        contentType: 'application/json',
        strict: true,
      }),
    ).toEqual({
      mode: 'one',
      url: 'https://x.test/e',
      signature: 's',
      body: { file: '-' },
      contentType: 'json',
      strict: true,
    });
    expect(verifyOptions({ url: 'https://x.test/e', signature: 's', body: 'A=1', contentType: 'FORM' })).toMatchObject({
      body: { text: 'A=1' },
      contentType: 'form',
    });
  });

  it('probe: the endpoint, the URL to sign for (the endpoint by default) and the kind', () => {
    expect(verifyOptions({ endpoint: 'http://localhost:3000/sms' })).toEqual({
      mode: 'probe',
      endpoint: 'http://localhost:3000/sms',
      publicUrl: 'http://localhost:3000/sms',
      kind: 'sms',
    });
    expect(
      verifyOptions({
        endpoint: 'http://localhost:3000/e',
        publicUrl: 'https://abc.ngrok.app/e',
        kind: 'Event-Streams',
      }),
    ).toMatchObject({
      publicUrl: 'https://abc.ngrok.app/e',
      kind: 'event-streams',
    });
  });

  it('refuses no mode or more than one', () => {
    refuses({}, /nothing to verify/);
    refuses({ captures: ['a.jsonl'], url: 'https://x.test/', signature: 's' }, /use one of/);
    refuses({ url: 'https://x.test/', endpoint: 'http://localhost:3000/' }, /use one of/);
  });

  it('refuses a flag that belongs to another mode, naming it', () => {
    refuses({ url: 'https://x.test/', signature: 's', junit: 'r.xml' }, /--junit is for capture files/);
    refuses(
      { endpoint: 'http://localhost:3000/', publicUrlBase: 'https://b.test' },
      /--public-url-base is for capture files/,
    );
    refuses({ url: 'https://x.test/', signature: 's', allowUnsigned: true }, /--allow-unsigned is for capture files/);
    refuses({ captures: ['a.jsonl'], publicUrl: 'https://b.test/' }, /--public-url is for --endpoint/);
    refuses({ captures: ['a.jsonl'], signature: 's' }, /--signature is for one request/);
    refuses({ captures: ['a.jsonl'], bodyFile: 'b' }, /--body-file is for one request/);
  });

  it('refuses bad values with the fix', () => {
    refuses(
      { url: 'https://x.test/', signature: 's', contentType: 'xml' },
      /--content-type is form or json, not "xml"/,
    );
    refuses({ url: '/sms', signature: 's' }, /--url needs an absolute URL such as https:/);
    refuses({ url: 'https://x.test/' }, /--url needs --signature/);
    refuses({ url: 'https://x.test/', signature: 's', body: 'a', bodyFile: 'b' }, /give the body once/);
    refuses({ captures: ['a.jsonl'], publicUrlBase: 'abc.ngrok.app' }, /--public-url-base needs an absolute/);
    refuses({ endpoint: 'ftp://x.test/' }, /--endpoint must be an http:\/\/ or https:\/\/ URL, not ftp:/);
    refuses(
      { endpoint: 'http://localhost:3000/', kind: 'fax' },
      /--kind is one of sms, voice, status, event-streams, not "fax"/,
    );
  });

  it('never quotes a URL password in an error', () => {
    expect(() => verifyOptions({ url: 'https://user:hunter2@/x', signature: 's' })).toThrow(/user:\*\*\*@/);
    expect(() => verifyOptions({ url: 'https://user:hunter2@/x', signature: 's' })).not.toThrow(/hunter2/);
  });
});

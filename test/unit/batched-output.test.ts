import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { SecretRedactor } from '../../src/redact.js';
import { batchedOutput } from '../../src/ui/batched-output.js';
import { Output } from '../../src/ui/output.js';

function setup() {
  const writes: string[] = [];
  const stream = (name: string) =>
    new Writable({
      write(chunk, _encoding, callback) {
        writes.push(`${name}:${String(chunk)}`);
        callback();
      },
    });
  const redactor = new SecretRedactor();
  redactor.add('s3cret-token');
  const out = new Output(
    {
      stdin: process.stdin,
      stdout: stream('out'),
      stderr: stream('err'),
      isStdinTTY: false,
      isStdoutTTY: false,
      isStderrTTY: false,
    },
    { json: false, color: false, redactor },
  );
  return { writes, batched: batchedOutput(out) };
}

describe('batchedOutput (dev log lines)', () => {
  it('writes the lines of one turn at its end, one write per run of a stream, in order', async () => {
    const { writes, batched } = setup();
    batched.out.print('one');
    batched.out.print('two');
    batched.out.warn('careful');
    batched.out.print('three');
    expect(writes).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toEqual(['out:one\ntwo\n', 'err:warning: careful\n', 'out:three\n']);
    batched.close();
  });

  it('close() writes what is waiting, and later lines go out at once; secrets stay redacted', () => {
    const { writes, batched } = setup();
    batched.out.print('token s3cret-token');
    batched.close();
    expect(writes).toEqual(['out:token [redacted]\n']);
    batched.out.print('after');
    expect(writes).toEqual(['out:token [redacted]\n', 'out:after\n']);
  });
});

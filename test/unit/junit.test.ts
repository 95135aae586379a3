import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JunitWriter } from '../../src/capture/junit.js';
import { UsageError } from '../../src/errors.js';
import { tempDir } from '../support/run-cli.js';

describe('JunitWriter', () => {
  it('writes generic cases into one suite named like the report, counting each outcome', async () => {
    const dir = tempDir();
    const path = join(dir, 'report.xml');
    const w = await JunitWriter.open(path, 'twhook verify');
    w.add({ classname: 'a.jsonl', name: 'R1 sms' });
    w.add({
      classname: 'a.jsonl',
      name: 'R2 sms',
      failure: { message: 'bad <sig> & "more"', type: 'invalid', details: 'bad' },
    });
    w.add({ classname: 'a.jsonl', name: 'R3', skipped: { message: 'unsigned' } });
    w.add({ classname: 'a.jsonl', name: 'a.jsonl:4', error: { message: 'not JSON\u0001', type: 'malformed' } });
    await w.close();
    expect(await readFile(path, 'utf8')).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
        '<testsuites name="twhook verify" tests="4" failures="1" errors="1" skipped="1">\n' +
        '  <testsuite name="twhook verify" tests="4" failures="1" errors="1" skipped="1">\n' +
        '    <testcase classname="a.jsonl" name="R1 sms"/>\n' +
        '    <testcase classname="a.jsonl" name="R2 sms"><failure message="bad &lt;sig&gt; &amp; &quot;more&quot;" type="invalid">bad</failure></testcase>\n' +
        '    <testcase classname="a.jsonl" name="R3"><skipped message="unsigned"/></testcase>\n' +
        '    <testcase classname="a.jsonl" name="a.jsonl:4"><error message="not JSON" type="malformed"/></testcase>\n' +
        '  </testsuite>\n' +
        '</testsuites>\n',
    );
    expect(await readdir(dir)).toEqual(['report.xml']);
  });

  it('keeps several suites apart, each with its own counts and times', async () => {
    const path = join(tempDir(), 'r.xml');
    const w = await JunitWriter.open(path, 'twhook test');
    w.suite('first.yaml');
    w.add({ classname: 'first.yaml', name: 'answers', time: 0.0125 });
    w.suite('second.yaml');
    w.add({ classname: 'second.yaml', name: 'hangs up', failure: { message: 'no <Hangup>' } });
    w.add({ classname: 'second.yaml', name: 'ü', time: 1 });
    await w.close();
    const text = await readFile(path, 'utf8');
    expect(text).toContain('<testsuites name="twhook test" tests="3" failures="1" errors="0" skipped="0">');
    expect(text).toContain(
      '  <testsuite name="first.yaml" tests="1" failures="0" errors="0" skipped="0">\n' +
        '    <testcase classname="first.yaml" name="answers" time="0.013"/>\n  </testsuite>\n',
    );
    expect(text).toContain(
      '  <testsuite name="second.yaml" tests="2" failures="1" errors="0" skipped="0">\n' +
        '    <testcase classname="second.yaml" name="hangs up"><failure message="no &lt;Hangup&gt;"/></testcase>\n' +
        '    <testcase classname="second.yaml" name="ü" time="1.000"/>\n  </testsuite>\n</testsuites>\n',
    );
  });

  it('abort leaves nothing behind; an unwritable path is a UsageError', async () => {
    const dir = tempDir();
    const w = await JunitWriter.open(join(dir, 'r.xml'), 'x');
    w.add({ classname: 'c', name: 'n' });
    await w.abort();
    expect(await readdir(dir)).toEqual([]);
    await expect(JunitWriter.open(join(dir, 'missing', 'r.xml'), 'x')).rejects.toThrow(UsageError);
    await expect(JunitWriter.open(join(dir, 'missing', 'r.xml'), 'x')).rejects.toThrow(/folder does not exist/);
  });
});

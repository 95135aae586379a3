#!/usr/bin/env node
// Writes dist/help.txt: `twhook --help` rendered at build time, so that the bin can print it
// without loading commander (start-up is a product promise: see bench/startup.mjs).
import { writeFileSync } from 'node:fs';
import { Writable, PassThrough } from 'node:stream';

const { main } = await import(new URL('../dist/cli.js', import.meta.url).href);
let text = '';
const stdout = new Writable({
  write(chunk, _enc, cb) {
    text += chunk;
    cb();
  },
});
const code = await main(['--help'], {
  io: {
    stdin: new PassThrough(),
    stdout,
    stderr: process.stderr,
    isStdinTTY: false,
    isStdoutTTY: false,
    isStderrTTY: false,
  },
  env: {},
  cwd: process.cwd(),
  clock: { now: () => new Date() },
  signal: new AbortController().signal,
});
if (code !== 0 || !text.includes('Usage: twhook')) {
  console.error('build-help: `twhook --help` did not render');
  process.exit(1);
}
writeFileSync(new URL('../dist/help.txt', import.meta.url), text);

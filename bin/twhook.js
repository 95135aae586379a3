#!/usr/bin/env node
// The two commands people run most often to see whether a tool works answer from files, without
// loading the CLI (see scripts/build-help.mjs); everything else goes to dist/cli.js.
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const only = args.length === 1 ? args[0] : undefined;
let answered = false;
if (only === '--version' || only === '-V') {
  try {
    process.stdout.write(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version + '\n');
    answered = true;
  } catch {
    // fall through to the full CLI
  }
} else if (only === '--help' || only === '-h') {
  try {
    process.stdout.write(readFileSync(new URL('../dist/help.txt', import.meta.url), 'utf8'));
    answered = true;
  } catch {
    // no prebuilt help (a development build): the full CLI renders it
  }
}
if (!answered) {
  const { run } = await import('../dist/cli.js');
  await run();
}

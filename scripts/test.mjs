#!/usr/bin/env node
// Runs the whole suite (vitest, after a build so the e2e tests spawn the current bin) and ends
// with the plain count line CI reads: "N passed, N failed". Extra arguments go to vitest.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) {
  console.log('0 passed, 1 failed');
  process.exit(1);
}
// Lint (eslint, prettier's check, the import-loop check) before vitest: a lint failure fails the run.
const lint = spawnSync('npm', ['run', 'lint', '--silent'], { cwd: root, stdio: 'inherit' });
const lintFailed = lint.status === 0 ? 0 : 1;
if (lintFailed) console.error('lint failed: run `npm run lint` (and `npm run format` for formatting)');
const dir = mkdtempSync(join(tmpdir(), 'twhook-vitest-'));
const report = join(dir, 'report.json');
const run = spawnSync(
  'npx',
  ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)],
  { cwd: root, stdio: 'inherit', env: { ...process.env, FORCE_COLOR: process.env.FORCE_COLOR ?? '0' } },
);
let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const json = JSON.parse(readFileSync(report, 'utf8'));
  passed = json.numPassedTests;
  // A file that failed without a failed test (it did not load) counts once; others count by their tests.
  const brokenFiles = (json.testResults ?? []).filter(
    (file) => file.status === 'failed' && !(file.assertionResults ?? []).some((t) => t.status === 'failed'),
  ).length;
  failed = json.numFailedTests + brokenFiles;
  skipped = (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0);
} catch {
  failed = Math.max(1, failed);
}
rmSync(dir, { recursive: true, force: true });
failed += lintFailed;
const status = run.status === 0 && failed === 0 ? 0 : 1;
if (status !== 0 && failed === 0) failed = 1;
// Skipped tests are named on their own line: CI reads the last line as the count alone.
if (skipped) console.log(`${skipped} skipped`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(status);

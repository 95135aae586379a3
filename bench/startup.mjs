#!/usr/bin/env node
// Start-up time of the built CLI against a bare `node -e 0` on the same machine, in one run.
// Prints a markdown section. Target: `twhook --help` at most 1.5x `node -e 0`.
// Usage: node bench/startup.mjs [runs]   (build first: npx tsc -p tsconfig.build.json)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/twhook.js', import.meta.url));
const dist = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
if (!existsSync(dist)) {
  console.error('bench/startup: dist/ is missing; run `npx tsc -p tsconfig.build.json` first');
  process.exit(1);
}
const runs = Number(process.argv[2] ?? 30);
const env = { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' };

// A second reference: a bare commander program with a dozen commands, what --help cannot beat.
const dir = mkdtempSync(join(tmpdir(), 'twhook-bench-'));
const bare = join(dir, 'bare-commander.mjs');
const commander = new URL('../node_modules/commander/esm.mjs', import.meta.url).href;
writeFileSync(
  bare,
  `import { Command } from ${JSON.stringify(commander)};\n` +
    `const program = new Command('bare');\n` +
    `for (let i = 0; i < 12; i++) program.command('command' + i).description('does thing number ' + i);\n` +
    `program.parse();\n`,
);
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const cases = [
  { label: '`node -e 0`', args: ['-e', '0'] },
  { label: 'bare commander, 12 commands, `--help`', args: [bare, '--help'] },
  { label: '`twhook --help`', args: [bin, '--help'] },
  { label: '`twhook --version`', args: [bin, '--version'] },
];

function once(args) {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

// Warm the file cache, then interleave the cases so drift on a shared machine hits all equally.
for (const c of cases) once(c.args);
const times = cases.map(() => []);
for (let i = 0; i < runs; i++) cases.forEach((c, j) => times[j].push(once(c.args)));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (ms) => `${ms.toFixed(1)} ms`;
const base = median(times[0]);

const lines = [
  '## Start-up',
  '',
  `Median of ${runs} interleaved runs each (spawn to exit, output discarded).`,
  '',
  '| command | median | min | vs `node -e 0` |',
  '|---|---:|---:|---:|',
  ...cases.map(
    (c, j) =>
      `| ${c.label} | ${fmt(median(times[j]))} | ${fmt(Math.min(...times[j]))} | ${(median(times[j]) / base).toFixed(2)}x |`,
  ),
  '',
  `\`twhook --help\` / \`node -e 0\`: **${(median(times[2]) / base).toFixed(2)}x**`,
  '',
  `Target (issue 2): \`twhook --help\` at most 1.5x \`node -e 0\`: ${median(times[2]) / base <= 1.5 ? 'met' : 'missed'}.`,
  '',
];
console.log(lines.join('\n'));

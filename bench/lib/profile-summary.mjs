#!/usr/bin/env node
// Summarises V8 CPU profiles (`node --cpu-prof`) in a terminal, where the machines have no
// DevTools: self time by function and by file, and total (inclusive) time by function.
// Usage: node bench/lib/profile-summary.mjs FILE.cpuprofile|DIR [--top N] [--filter TEXT]
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const value = args[i + 1];
  args.splice(i, 2);
  return value;
};
const top = Number(option('--top', '30'));
const filter = option('--filter', undefined);
const target = args[0];
if (!target) {
  console.error('usage: profile-summary.mjs FILE.cpuprofile|DIR [--top N] [--filter TEXT]');
  process.exit(2);
}

const files = statSync(target).isDirectory()
  ? readdirSync(target)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => join(target, f))
  : [target];

const cwd = process.cwd();
const place = (frame) => {
  const url = frame.url.replace(/^file:\/\//, '');
  const file = url ? relative(cwd, url) || url : '(native)';
  return { file, where: url ? `${file}:${frame.lineNumber + 1}` : '(native)' };
};

for (const file of files) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Sample counts per node, weighted by the time until the next sample.
  const selfUs = new Map();
  const deltas = profile.timeDeltas ?? [];
  profile.samples.forEach((id, i) => {
    const dt = deltas[i + 1] ?? deltas[i] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
  });
  let total = 0;
  for (const v of selfUs.values()) total += v;

  const selfByFn = new Map();
  const selfByFile = new Map();
  const totalByFn = new Map();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    const { file: f, where } = place(node.callFrame);
    const key = `${node.callFrame.functionName || '(anonymous)'}  ${where}`;
    selfByFn.set(key, (selfByFn.get(key) ?? 0) + us);
    selfByFile.set(f, (selfByFile.get(f) ?? 0) + us);
    // Inclusive time: each distinct function on the stack once.
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur);
      const k = `${n.callFrame.functionName || '(anonymous)'}  ${place(n.callFrame).where}`;
      if (seen.has(k)) continue;
      seen.add(k);
      totalByFn.set(k, (totalByFn.get(k) ?? 0) + us);
    }
  }
  const show = (title, map) => {
    console.log(`\n${title}`);
    [...map]
      .filter(([k]) => !filter || k.includes(filter))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .forEach(([k, us]) =>
        console.log(`${((100 * us) / total).toFixed(1).padStart(6)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`),
      );
  };
  console.log(`${relative(cwd, file)}: ${(total / 1000).toFixed(0)} ms sampled`);
  show('self time by function', selfByFn);
  show('self time by file', selfByFile);
  show('total time by function (callees included)', totalByFn);
}

// Fails when two source files import each other in a loop (type-only imports excepted): the
// modules of src/ form a tree of layers. Usage: node scripts/check-cycles.mjs [dir]
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const root = resolve(process.argv[2] ?? 'src');
const files = readdirSync(root, { recursive: true })
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
  .map((f) => join(root, f));
const graph = new Map();
// Static value imports and re-exports. A dynamic import() is left out: it runs after every module
// has been evaluated (the registry's lazy command loaders), so it cannot cause the evaluation-order
// faults a static loop does.
const IMPORT = /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^'"]*?\sfrom\s+)?['"](\.[^'"]+)['"]/g;
for (const file of files) {
  const deps = new Set();
  for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
    if (m[2]) continue;
    const spec = m[3];
    deps.add(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
  }
  graph.set(
    file,
    [...deps].filter((d) => graph.has(d) || files.includes(d)),
  );
}
// Tarjan's strongly connected components: any with more than one file is a loop.
let index = 0;
const stack = [];
const info = new Map();
const loops = [];
function visit(v) {
  info.set(v, { index, low: index, on: true });
  index++;
  stack.push(v);
  for (const w of graph.get(v) ?? []) {
    if (!info.has(w)) {
      visit(w);
      info.get(v).low = Math.min(info.get(v).low, info.get(w).low);
    } else if (info.get(w).on) info.get(v).low = Math.min(info.get(v).low, info.get(w).index);
  }
  if (info.get(v).low === info.get(v).index) {
    const scc = [];
    let w;
    do {
      w = stack.pop();
      info.get(w).on = false;
      scc.push(w);
    } while (w !== v);
    if (scc.length > 1) loops.push(scc.map((f) => f.slice(root.length + 1)).sort());
  }
}
for (const file of files) if (!info.has(file)) visit(file);
for (const loop of loops) console.error(`import loop: ${loop.join(' <-> ')}`);
if (loops.length) process.exitCode = 1;
else console.log(`no import loops among ${files.length} files`);

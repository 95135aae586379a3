#!/usr/bin/env node
// The web inspector: what the browser downloads, and how fast the page is with 1,000 requests
// (the most it holds). `twhook inspect` (the built bin) serves a capture of 1,000 requests (200
// calls of 3 requests, 200 message exchanges of 2); Debian's chromium (playwright-core) opens the
// page. Figures are medians of 5 page loads.
import { spawn } from 'node:child_process';
import * as require_fs from 'node:fs';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = fileURLToPath(new URL('..', import.meta.url));
const web = join(root, 'dist', 'inspector', 'web');
const files = ['index.html', 'app.js', 'app.css', 'favicon.svg'];
const sizes = files.map((f) => {
  const data = readFileSync(join(web, f));
  return { file: f, raw: data.length, gzip: gzipSync(data, { level: 9 }).length };
});
const total = sizes.reduce((a, s) => ({ raw: a.raw + s.raw, gzip: a.gzip + s.gzip }), { raw: 0, gzip: 0 });
const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;

const lines = [
  '## inspector: the web page',
  '',
  'What the browser downloads to open the inspector (served uncompressed from loopback; no framework, no CDN):',
  '',
  '| file | bytes | gzip -9 (for reference) |',
  '|---|---:|---:|',
  ...sizes.map((s) => `| ${s.file} | ${kb(s.raw)} | ${kb(s.gzip)} |`),
  `| **total** | **${kb(total.raw)}** | ${kb(total.gzip)} |`,
  '',
];

const chromiumPath = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
if (!chromiumPath) {
  lines.push('The page timings need Chromium (apt-get install chromium): skipped.', '');
  console.log(lines.join('\n'));
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'twhook-bench-inspector-'));
const capture = join(dir, 'cap.jsonl');
const records = [];
const at = (i) => new Date(Date.UTC(2026, 10, 27, 10, 0, 0, i * 250)).toISOString();
let n = 0;
for (let c = 0; c < 200; c++) {
  const sid = `CA${String(c).padStart(32, '0')}`;
  const base = `AccountSid=AC00000000000000000000000000000000&CallSid=${sid}&From=%2B1555000${String(c).padStart(4, '0')}&To=%2B15017122661`;
  const twiml =
    '<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="/gather" numDigits="1"><Say>Press 1 for sales, 2 for support.</Say></Gather></Response>';
  for (const [path, body, response] of [
    [
      '/voice',
      `${base}&CallStatus=ringing&Direction=inbound`,
      { status: 200, headers: { 'content-type': 'text/xml' }, body: twiml, ms: 12 },
    ],
    [
      '/gather',
      `${base}&CallStatus=in-progress&Digits=1`,
      {
        status: 200,
        headers: { 'content-type': 'text/xml' },
        body: '<Response><Say>Connecting</Say><Dial>+15005550006</Dial></Response>',
        ms: 9,
      },
    ],
    [
      '/status',
      `${base}&CallStatus=completed&CallDuration=31&SequenceNumber=2&CallbackSource=call-progress-events`,
      { status: 204, ms: 3 },
    ],
  ]) {
    records.push({
      v: 1,
      id: `req_${String(n).padStart(5, '0')}`,
      receivedAt: at(n++),
      method: 'POST',
      url: `https://dev.example.test${path}`,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': 'bm90IGEgcmVhbCBzaWduYXR1cmU=',
      },
      body,
      response,
    });
  }
}
for (let m = 0; m < 200; m++) {
  const from = `%2B1555100${String(m).padStart(4, '0')}`;
  records.push({
    v: 1,
    id: `req_${String(n).padStart(5, '0')}`,
    receivedAt: at(n++),
    method: 'POST',
    url: 'https://dev.example.test/sms',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `AccountSid=AC00000000000000000000000000000000&MessageSid=SM${String(m).padStart(32, '0')}&From=${from}&To=%2B15017122661&Body=Hello+number+${m}&NumMedia=0`,
    response: {
      status: 200,
      headers: { 'content-type': 'text/xml' },
      body: `<Response><Message>Thanks ${m}</Message></Response>`,
      ms: 7,
    },
  });
  records.push({
    v: 1,
    id: `req_${String(n).padStart(5, '0')}`,
    receivedAt: at(n++),
    method: 'POST',
    url: 'https://dev.example.test/status',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `AccountSid=AC00000000000000000000000000000000&MessageSid=SM9${String(m).padStart(31, '0')}&MessageStatus=delivered&From=%2B15017122661&To=${from}`,
    response: { status: 204, ms: 2 },
  });
}
writeFileSync(capture, records.map((r) => JSON.stringify(r) + '\n').join(''));

const child = spawn(process.execPath, [join(root, 'bin', 'twhook.js'), 'inspect', capture, '--port', '0', '--json'], {
  cwd: dir,
  env: { PATH: process.env.PATH, HOME: dir, NO_COLOR: '1' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const url = await new Promise((resolve, reject) => {
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
    const line = out.split('\n').find((l) => l.includes('"ready"'));
    if (line) resolve(JSON.parse(line).url);
  });
  child.on('exit', (code) => reject(new Error(`twhook inspect exited ${code}`)));
});

/** CPU seconds (user + system) of Chromium's processes: the browser started with `profile`, and its descendants. */
function chromiumCpuMs(profile) {
  const { readdirSync } = require_fs;
  const procs = new Map();
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      procs.set(pid, { ppid: fields[1], cpu: Number(fields[11]) + Number(fields[12]), cmd });
    } catch {
      // gone
    }
  }
  const roots = [...procs].filter(([, p]) => p.cmd.includes(profile)).map(([pid]) => pid);
  const inTree = new Set(roots);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, p] of procs)
      if (!inTree.has(pid) && inTree.has(p.ppid)) {
        inTree.add(pid);
        grew = true;
      }
  }
  let ticks = 0;
  for (const pid of inTree) ticks += procs.get(pid).cpu;
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

const { chromium } = await import('playwright-core');
const profile = mkdtempSync(join(tmpdir(), 'twhook-bench-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: chromiumPath,
  headless: true,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
  viewport: { width: 1440, height: 900 },
});
const page = context.pages()[0] ?? (await context.newPage());
const runs = { listed: [], groups: [], filter: [], detail: [], bytes: [], cpuLoad: [], cpuGroups: [] };
const load = loadavg()[0];
for (let i = 0; i < 5; i++) {
  let bytes = 0;
  const onResponse = async (r) => {
    const body = await r.body().catch(() => Buffer.alloc(0));
    bytes += body.length;
  };
  page.on('response', onResponse);
  const cpu0 = chromiumCpuMs(profile);
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForFunction(() => document.querySelectorAll('#rows tr').length === 1000, null, { timeout: 60_000 });
  runs.listed.push(await page.evaluate(() => performance.now()));
  runs.cpuLoad.push(chromiumCpuMs(profile) - cpu0);
  const cpu1 = chromiumCpuMs(profile);
  page.off('response', onResponse);
  runs.bytes.push(bytes);
  runs.groups.push(
    await page.evaluate(async () => {
      const t = performance.now();
      document.getElementById('tab-groups').click();
      await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      const took = performance.now() - t;
      document.getElementById('tab-list').click();
      return took;
    }),
  );
  runs.cpuGroups.push(chromiumCpuMs(profile) - cpu1);
  runs.filter.push(
    await page.evaluate(async () => {
      const input = document.getElementById('f-text');
      const t = performance.now();
      input.value = 'number 17';
      input.dispatchEvent(new Event('input'));
      await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      const took = performance.now() - t;
      input.value = '';
      input.dispatchEvent(new Event('input'));
      return took;
    }),
  );
  runs.detail.push(
    await page.evaluate(async () => {
      const t = performance.now();
      document.querySelector('#detail').replaceChildren();
      document.querySelector('#rows tr:nth-child(500)').click();
      while (!document.querySelector('#detail .detail-head')) await new Promise((r) => setTimeout(r, 1));
      return performance.now() - t;
    }),
  );
}
const heap = await page.evaluate(() => performance.memory?.usedJSHeapSize ?? 0);
// The snapshot is the event stream's first message: the same list as GET /api/requests.
const snapshot = (await (await fetch(new URL('/api/requests', url))).arrayBuffer()).byteLength;
await context.close();
rmSync(profile, { recursive: true, force: true });
child.kill('SIGINT');
rmSync(dir, { recursive: true, force: true });

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
lines.push(
  `With 1,000 requests listed (the most the inspector keeps), median of 5 loads in headless Chromium (${chromiumPath}),`,
  `wall times measured in the page (load average ${load.toFixed(1)} when it started: on a busy machine wall times stretch, the`,
  'CPU time of all Chromium processes for the step is steadier):',
  '',
  '| step | median |',
  '|---|---:|',
  `| navigation to 1,000 rows drawn (page, script, snapshot over server-sent events) | ${median(runs.listed).toFixed(0)} ms (Chromium CPU ${median(runs.cpuLoad).toFixed(0)} ms) |`,
  `| bytes of the page and its assets for that load | ${kb(median(runs.bytes))} |`,
  `| bytes of the 1,000-request snapshot (the event stream's first message) | ${kb(snapshot)} |`,
  `| switch to Conversations (400 timelines) and back | ${median(runs.groups).toFixed(0)} ms (Chromium CPU ${median(runs.cpuGroups).toFixed(0)} ms, with the filter below) |`,
  `| free-text filter over 1,000 rows | ${median(runs.filter).toFixed(0)} ms |`,
  `| click a row to its detail drawn (one API call) | ${median(runs.detail).toFixed(0)} ms |`,
  `| JS heap after the runs | ${heap ? `${(heap / 2 ** 20).toFixed(1)} MiB` : 'n/a'} |`,
  '',
);
console.log(lines.join('\n'));

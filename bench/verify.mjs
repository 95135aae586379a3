#!/usr/bin/env node
// bench/verify: `twhook verify` over 100,000 captured inbound-SMS requests (realistic 20-field
// bodies, ~90 MB of JSONL), end to end through the built CLI, next to the least work any verifier
// does in the same run: read the file line by line, parse each body, compute HMAC-SHA1.
// Targets (issue 16): peak RSS at most 64 MiB, at no loss of speed: verify (and verify --json)
// at least 100% of that loop's requests/s.
//
//   npm run build && node bench/verify.mjs [--count 100000] [--runs 3]
//
// Each measurement runs in its own child process (the same node, same file, output to
// /dev/null): verify is the built bin itself (`node bin/twhook.js verify FILE`), timed with
// /usr/bin/time -v for its peak RSS (without /usr/bin/time: in-process, resourceUsage().maxRSS).
import { spawnSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, mkdtempSync, openSync, rmSync, statSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : args[i + 1];
};
const TOKEN = 'f00dfeedf00dfeedf00dfeedf00dfeed';

async function baseline(file) {
  // The reference: the plain loop. JSON.parse gets the body out of each line, URLSearchParams
  // parses it, and the HMAC covers the URL and the sorted parameters, as Twilio signs them.
  const rl = createInterface({ input: createReadStream(file, { highWaterMark: 1 << 20 }), crlfDelay: Infinity });
  let n = 0;
  let ok = 0;
  for await (const line of rl) {
    if (!line) continue;
    const record = JSON.parse(line);
    const params = new URLSearchParams(record.body);
    const keys = [...new Set(params.keys())].sort();
    let data = record.url;
    for (const k of keys) data += k + params.get(k);
    const mac = createHmac('sha1', TOKEN).update(data).digest('base64');
    if (mac === record.headers['x-twilio-signature']) ok++;
    n++;
  }
  return { n, ok };
}

if (args[0] === '--child-baseline') {
  const t0 = process.hrtime.bigint();
  const { n, ok } = await baseline(args[1]);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  process.stdout.write(JSON.stringify({ n, ok, ms, maxRssKb: process.resourceUsage().maxRSS }) + '\n');
  process.exit(0);
}

if (args[0] === '--child-verify') {
  // The CLI end to end, in-process so maxRSS is read at the end: same as `node bin/twhook.js verify FILE`.
  const { systemDeps } = await import(join(root, 'dist/system.js'));
  const { main } = await import(join(root, 'dist/cli.js'));
  const t0 = process.hrtime.bigint();
  const deps = systemDeps();
  const devnull = (await import('node:fs')).createWriteStream('/dev/null');
  const io = { ...deps.io, stdout: devnull, isStdoutTTY: false };
  const code = await main(['verify', args[1], '--auth-token', TOKEN, ...(args[2] === 'json' ? ['--json'] : [])], {
    ...deps,
    io,
    env: { ...deps.env, NO_COLOR: '1' },
  });
  await new Promise((resolve) => devnull.end(resolve));
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  process.stderr.write(JSON.stringify({ code, ms, maxRssKb: process.resourceUsage().maxRSS }) + '\n');
  process.exit(0);
}

if (!existsSync(join(root, 'dist/cli.js'))) {
  console.error('build first: npm run build');
  process.exit(2);
}

const count = Number(arg('--count', '100000'));
const runs = Number(arg('--runs', '3'));
const dir = mkdtempSync(join(tmpdir(), 'twhook-bench-verify-'));
// --keep PATH writes the captures there and leaves them (to profile verify by hand).
const file = arg('--keep', join(dir, 'captures.jsonl'));

function sid(prefix) {
  return prefix + randomBytes(16).toString('hex');
}
function sign(url, params) {
  let data = url;
  for (const k of Object.keys(params).sort()) data += k + params[k];
  return createHmac('sha1', TOKEN).update(data).digest('base64');
}

// Realistic inbound SMS: Twilio's 20 fields, varied numbers, bodies and cities.
const CITIES = [
  ['SAN FRANCISCO', 'CA', '94105'],
  ['SEATTLE', 'WA', '98101'],
  ['NEW YORK', 'NY', '10001'],
  ['AUSTIN', 'TX', '73301'],
  ['CHICAGO', 'IL', '60601'],
];
const WORDS =
  'ahoy hello order status please confirm my appointment for tomorrow at noon thanks stop help yes no reschedule delivery'.split(
    ' ',
  );
const fd = openSync(file, 'w');
const account = sid('AC');
let buffer = '';
const started = new Date('2026-11-27T10:00:00.000Z').getTime();
for (let i = 0; i < count; i++) {
  const sm = sid('SM');
  const [fromCity, fromState, fromZip] = CITIES[i % CITIES.length];
  const [toCity, toState, toZip] = CITIES[(i * 7 + 3) % CITIES.length];
  const words = [];
  for (let w = 0; w < 2 + (i % 10); w++) words.push(WORDS[(i * 13 + w * 7) % WORDS.length]);
  const params = {
    ToCountry: 'US',
    ToState: toState,
    SmsMessageSid: sm,
    NumMedia: '0',
    ToCity: toCity,
    FromZip: fromZip,
    SmsSid: sm,
    FromState: fromState,
    SmsStatus: 'received',
    FromCity: fromCity,
    Body: words.join(' ') + (i % 11 === 0 ? ' 😀 café' : ''),
    FromCountry: 'US',
    To: '+15017122661',
    MessagingServiceSid: 'MG' + 'c'.repeat(32),
    ToZip: toZip,
    NumSegments: '1',
    MessageSid: sm,
    AccountSid: account,
    From: `+1555${String(1000000 + i).slice(-7)}`,
    ApiVersion: '2010-04-01',
  };
  const url = 'https://abc123.ngrok.app/sms';
  const body = new URLSearchParams(params).toString();
  const record = {
    v: 1,
    id: `req_${i.toString(36).padStart(8, '0')}`,
    receivedAt: new Date(started + i * 250).toISOString(),
    method: 'POST',
    url,
    headers: {
      host: 'abc123.ngrok.app',
      'user-agent': 'TwilioProxy/1.1',
      'content-type': 'application/x-www-form-urlencoded',
      'i-twilio-idempotency-token': randomBytes(16).toString('hex'),
      'x-forwarded-proto': 'https',
      'x-twilio-signature': sign(url, params),
    },
    body,
  };
  buffer += JSON.stringify(record) + '\n';
  if (buffer.length > 1 << 20) {
    writeSync(fd, buffer);
    buffer = '';
  }
}
writeSync(fd, buffer);
closeSync(fd);
const size = statSync(file).size;
if (args.includes('--generate-only')) {
  console.log(`${file}: ${count} captures, ${(size / 1e6).toFixed(1)} MB`);
  process.exit(0);
}

const TIME = '/usr/bin/time';
const haveTime = existsSync(TIME);

/**
 * Runs one measurement in a child: wall time around the whole process (node start included, for
 * both sides), peak RSS from /usr/bin/time -v (or from the child's own resourceUsage()).
 */
function child(kind, extra) {
  const devnull = openSync('/dev/null', 'w');
  const argv =
    kind === 'verify' && haveTime
      ? [join(root, 'bin/twhook.js'), 'verify', file, '--auth-token', TOKEN, ...(extra === 'json' ? ['--json'] : [])]
      : [
          fileURLToPath(import.meta.url),
          kind === 'verify' ? '--child-verify' : '--child-baseline',
          file,
          ...(extra ? [extra] : []),
        ];
  const command = haveTime ? TIME : process.execPath;
  const args = haveTime ? ['-v', process.execPath, ...argv] : argv;
  const t0 = process.hrtime.bigint();
  const r = spawnSync(command, args, {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    stdio: ['ignore', kind === 'verify' && haveTime ? devnull : 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  closeSync(devnull);
  if (haveTime) {
    const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
    const status = /Exit status: (\d+)/.exec(r.stderr);
    if (!rss) throw new Error(`${kind} failed: ${r.stderr}`);
    const out = kind === 'baseline' ? JSON.parse(r.stdout.trim().split('\n').pop()) : {};
    const user = Number(/User time \(seconds\): ([\d.]+)/.exec(r.stderr)?.[1] ?? NaN);
    const sys = Number(/System time \(seconds\): ([\d.]+)/.exec(r.stderr)?.[1] ?? NaN);
    return { ...out, code: Number(status?.[1] ?? r.status), ms, cpuMs: (user + sys) * 1000, maxRssKb: Number(rss[1]) };
  }
  const text = (kind === 'verify' ? r.stderr : r.stdout).trim().split('\n').pop();
  try {
    return { ...JSON.parse(text), ms };
  } catch {
    throw new Error(`${kind} failed: ${r.stderr || r.stdout}`);
  }
}

const best = (list) => list.reduce((a, b) => (b.ms < a.ms ? b : a));
const base = [];
const verify = [];
const verifyJson = [];
for (let r = 0; r < runs; r++) {
  base.push(child('baseline'));
  verify.push(child('verify'));
  verifyJson.push(child('verify', 'json'));
}
rmSync(dir, { recursive: true, force: true });

const b = best(base);
const v = best(verify);
const vj = best(verifyJson);
if (b.ok !== count) console.error(`warning: the reference loop matched ${b.ok} of ${count} signatures`);
if (v.code !== 0 || vj.code !== 0)
  console.error(`warning: verify exited ${v.code}/${vj.code} (expected 0: every request is valid)`);
const rate = (x) => count / (x.ms / 1000);
const mib = (kb) => (kb / 1024).toFixed(1);
const pct = (x) => ((rate(x) / rate(b)) * 100).toFixed(1);
console.log(
  `bench/verify: ${count} inbound-SMS captures, ${(size / 1e6).toFixed(1)} MB, best of ${runs} runs, node ${process.version}`,
);
console.log(
  `  each side is a whole process (node start included), output to /dev/null; peak RSS from ${haveTime ? '/usr/bin/time -v' : 'process.resourceUsage()'}`,
);
console.log(
  `  reference loop (readline + JSON.parse + URLSearchParams + HMAC-SHA1): ${Math.round(rate(b))} req/s, peak RSS ${mib(b.maxRssKb)} MiB`,
);
console.log(
  `  twhook verify FILE (rows to /dev/null):                     ${Math.round(rate(v))} req/s, peak RSS ${mib(v.maxRssKb)} MiB, ${pct(v)}% of the reference`,
);
console.log(
  `  twhook verify --json (to /dev/null):                        ${Math.round(rate(vj))} req/s, peak RSS ${mib(vj.maxRssKb)} MiB, ${pct(vj)}% of the reference`,
);
if (haveTime) {
  // On a shared machine wall time swings with the neighbours' load; CPU time much less.
  const cpuBest = (list) => Math.min(...list.map((x) => x.cpuMs));
  const cb = cpuBest(base);
  console.log(
    `  by CPU time (user+sys, best of ${runs}): reference ${Math.round(cb)} ms, verify ${Math.round(cpuBest(verify))} ms (${((cb / cpuBest(verify)) * 100).toFixed(1)}%), verify --json ${Math.round(cpuBest(verifyJson))} ms (${((cb / cpuBest(verifyJson)) * 100).toFixed(1)}%)`,
  );
}
const okRate = Number(pct(v)) >= 100 && Number(pct(vj)) >= 100;
const okMem = v.maxRssKb <= 64 * 1024 && vj.maxRssKb <= 64 * 1024;
console.log(
  `  Target (issue 16): peak RSS ≤ 64 MiB: ${okMem ? 'met' : 'missed'} (${mib(v.maxRssKb)} MiB, --json ${mib(vj.maxRssKb)} MiB); verify ≥ 100% of the reference loop: ${okRate ? 'met' : 'missed'} (${pct(v)}%, --json ${pct(vj)}%)`,
);

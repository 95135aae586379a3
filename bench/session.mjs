#!/usr/bin/env node
// A long `twhook dev` session: 200,000 signed inbound-SMS POSTs through one session (the built
// bin with `--public-url`, an auth token so every request gets the SDK's verdict, a capture file,
// the log to /dev/null), at concurrency 10, loopback, in blocks of 10,000. After each block the
// session's RSS (VmRSS from /proc) is read and the block's latencies summed up. Nothing in a
// session should grow per request except the capture file: the idempotency tokens it remembers
// and the ids it keeps for retries are bounded, and every request carries a new token, as
// Twilio's do.
// Targets (issue 16): RSS after the last block within 20 MiB of RSS after the first, and the
// p99 latency of the last block within 1.5x of the first's. A bench, not a timed test.
// Prints a markdown section.
// Usage: node bench/session.mjs [requests]   (build first: npm run build)
import { spawn } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { quantile, sendAll, signedSmsRequests } from './lib/sms-load.mjs';

const self = fileURLToPath(import.meta.url);
const bin = fileURLToPath(new URL('../bin/twhook.js', import.meta.url));
const TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Thanks, got it</Message></Response>';
const TOKEN = 'f00dfeedf00dfeedf00dfeedf00dfeed';
const PUBLIC = 'https://bench.example.test';
const BLOCK = 10_000;
const CONCURRENCY = 10;

if (process.argv[2] === 'app') runApp();
else await runBench(Number(process.argv[2] ?? 200_000));

function runApp() {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'Content-Type': 'text/xml', 'Content-Length': Buffer.byteLength(TWIML) });
      res.end(TWIML);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
}

function startApp() {
  const child = spawn(process.execPath, [self, 'app'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the app exited with ${code}`)));
    child.stdout.once('data', (d) => resolve({ child, port: Number(String(d).trim()) }));
  });
}

function startDev(appPort, dir) {
  const child = spawn(
    process.execPath,
    [bin, 'dev', `http://127.0.0.1:${appPort}`, '--public-url', PUBLIC, '--capture', join(dir, 'capture.jsonl')],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, TWILIO_AUTH_TOKEN: TOKEN, TWHOOK_CONFIG_DIR: join(dir, 'config'), NO_COLOR: '1' },
    },
  );
  let stderr = '';
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`twhook dev exited with ${code}: ${stderr.trim()}`)));
    child.stderr.on('data', (d) => {
      stderr += d;
      const m = / → http:\/\/127\.0\.0\.1:(\d+) → /.exec(stderr);
      if (m && /Waiting for webhooks/.test(stderr)) {
        child.stderr.removeAllListeners('data');
        child.stderr.resume();
        resolve({ child, port: Number(m[1]) });
      }
    });
  });
}

/** Resident set size of a process, bytes (Linux /proc). */
function rssOf(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** BLOCK different signed requests; each block sends them again with new idempotency tokens. */
function makeRequests() {
  return signedSmsRequests(BLOCK, TOKEN, PUBLIC);
}

/** One block through `pool`: its p50 and p99 latency (ms) and its rate. */
async function block(pool, requests, n) {
  const { latencies, seconds, failures } = await sendAll(pool, requests, CONCURRENCY, `session-${n}`);
  if (failures) throw new Error(`block ${n}: ${failures} requests failed`);
  const sorted = Array.from(latencies).sort((a, b) => a - b);
  return { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), rps: requests.length / seconds };
}

async function countLines(path) {
  let lines = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
  }
  return lines;
}

async function runBench(total) {
  if (!existsSync(fileURLToPath(new URL('../dist/cli.js', import.meta.url)))) {
    console.error('bench/session: dist/ is missing; run `npm run build` first');
    process.exit(1);
  }
  if (!Number.isInteger(total) || total < 2 * BLOCK || total % BLOCK) {
    console.error(`bench/session: give a multiple of ${BLOCK} from ${2 * BLOCK}`);
    process.exit(2);
  }
  const { Pool } = await import('undici');
  const dir = mkdtempSync(join(tmpdir(), 'twhook-bench-session-'));
  const requests = await makeRequests();
  const app = await startApp();
  const dev = await startDev(app.port, dir);
  const pool = new Pool(`http://127.0.0.1:${dev.port}`, {
    connections: CONCURRENCY,
    pipelining: 1,
    keepAliveTimeout: 60_000,
  });
  const blocks = [];
  const rssAtStart = rssOf(dev.child.pid);
  try {
    for (let n = 0; n < total / BLOCK; n++) {
      const result = await block(pool, requests, n);
      result.rss = rssOf(dev.child.pid);
      blocks.push(result);
    }
  } finally {
    await pool.close();
    app.child.removeAllListeners('exit');
    app.child.kill('SIGTERM');
    dev.child.removeAllListeners('exit');
    await new Promise((resolve) => {
      dev.child.once('exit', resolve);
      dev.child.kill('SIGINT');
    });
  }
  const capturePath = join(dir, 'capture.jsonl');
  const captured = await countLines(capturePath);
  const captureBytes = statSync(capturePath).size;
  rmSync(dir, { recursive: true, force: true });
  if (captured !== total) throw new Error(`bench/session: the capture holds ${captured} requests, ${total} were sent`);

  const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  const ms = (n) => `${n.toFixed(2)} ms`;
  const first = blocks[0];
  const last = blocks[blocks.length - 1];
  const grew = last.rss - first.rss;
  const p99Ratio = last.p99 / first.p99;
  const okRss = grew <= 20 * 2 ** 20;
  const okP99 = p99Ratio <= 1.5;
  const shown = blocks
    .map((b, i) => ({ ...b, upTo: (i + 1) * BLOCK }))
    .filter((b, i) => i === 0 || i === blocks.length - 1 || (i + 1) % Math.max(1, Math.floor(blocks.length / 8)) === 0);
  const lines = [
    '## session: one `twhook dev` session, 200,000 requests',
    '',
    `${total.toLocaleString('en-US')} signed inbound-SMS POSTs through one \`twhook dev\` session as a user runs it (the built bin with \`--public-url\`, an auth token, a capture file, the log to /dev/null), at concurrency ${CONCURRENCY}, loopback, in blocks of ${BLOCK.toLocaleString('en-US')}; each request has its own idempotency token, as Twilio's do. RSS of the dev process (VmRSS) after each block; latency from the load generator. The capture file holds every request at the end (${captured.toLocaleString('en-US')} lines, ${mib(captureBytes)}), and is the only thing that should grow. RSS when the session was ready: ${mib(rssAtStart)}.`,
    '',
    '| requests so far | RSS of dev | block p50 | block p99 | block req/s |',
    '|---:|---:|---:|---:|---:|',
    ...shown.map(
      (b) =>
        `| ${b.upTo.toLocaleString('en-US')} | ${mib(b.rss)} | ${ms(b.p50)} | ${ms(b.p99)} | ${Math.round(b.rps)} |`,
    ),
    '',
    `RSS after the last block ${mib(last.rss)}, after the first ${mib(first.rss)}: ${grew >= 0 ? '+' : ''}${mib(grew)} (target: at most +20 MiB). ` +
      `p99 of the last block ${ms(last.p99)}, of the first ${ms(first.p99)}: ${p99Ratio.toFixed(2)}x (target: at most 1.5x). ` +
      `The first block also carries the warm-up (JIT); against the second block (${ms(blocks[1].p99)}), the last is at ${(last.p99 / blocks[1].p99).toFixed(2)}x.`,
    '',
    `Load average when it ran: ${loadavg()
      .map((n) => n.toFixed(1))
      .join(', ')} on ${cpus().length} cores.`,
    '',
    `Target (issue 16): RSS after ${total.toLocaleString('en-US')} requests within 20 MiB of RSS after the first ${BLOCK.toLocaleString('en-US')}: ${okRss ? 'met' : 'missed'} (${grew >= 0 ? '+' : ''}${mib(grew)}); p99 of the last ${BLOCK.toLocaleString('en-US')} within 1.5x of the first ${BLOCK.toLocaleString('en-US')}: ${okP99 ? 'met' : 'missed'} (${p99Ratio.toFixed(2)}x).`,
  ];
  console.log(lines.join('\n'));
  process.exitCode = okRss && okP99 ? 0 : 1;
}

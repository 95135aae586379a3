#!/usr/bin/env node
// What the `twhook dev` proxy costs: latency added (p50, p99) and requests/s through it against
// straight to the app, in the same run, 10,000 realistic inbound-SMS POSTs at concurrency 10 and
// 50, loopback only. The app, the proxy and the load generator are three processes, so none
// steals the others' event loop. Targets: p50 added at most 1 ms, throughput at least 50% of
// direct. Also prints the CPU time each process spends per request (process.cpuUsage over the
// measured rows), which stays meaningful when other work shares the machine. Prints a markdown
// section.
// Usage: node bench/proxy.mjs [requests]   (build first: npx tsc -p tsconfig.build.json)
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
const distProxy = new URL('../dist/proxy/server.js', import.meta.url);
const distKinds = new URL('../dist/webhooks/kinds.js', import.meta.url);
const TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Thanks, got it</Message></Response>';

const role = process.argv[2];
// Children answer "cpu" with their CPU time so far (µs), over the IPC channel.
process.on('message', (m) => {
  if (m === 'cpu') {
    const u = process.cpuUsage();
    process.send({ cpu: u.user + u.system });
  }
});
if (role === 'app') await runApp();
else if (role === 'proxy') await runProxy(Number(process.argv[3]));
else if (role === 'bare') await runBareForwarder(Number(process.argv[3]));
else await runBench(Number(process.argv[2] ?? 10_000));

/** The app: reads the body, answers TwiML. */
async function runApp() {
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

/** The proxy as dev runs it: classify each request, build the event, serialize it (as --json would). */
async function runProxy(appPort) {
  const { startProxy } = await import(distProxy.href);
  const { classify } = await import(distKinds.href);
  let bytes = 0;
  const proxy = await startProxy({
    target: `http://127.0.0.1:${appPort}`,
    inspect: ({ method, path, headers, body }) => {
      const c = classify({ method, url: path, headers, body: body.toString('utf8') });
      return { kind: c.kind, gist: c.gist, expectsTwiml: c.expectsTwiml };
    },
    onEvent: (event) => {
      bytes += JSON.stringify(event).length;
    },
  });
  proxy.setPublicUrl('https://bench.example.test');
  process.stdout.write(`${proxy.port}\n`);
  process.on('SIGTERM', () => process.exit(bytes > 0 ? 0 : 1));
}

/**
 * The least any forwarder does (read the body, pass it with undici, stream the answer back), as a
 * reference for what a proxy hop costs on this machine whatever it inspects.
 */
async function runBareForwarder(appPort) {
  const { Pool } = await import('undici');
  const pool = new Pool(`http://127.0.0.1:${appPort}`);
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const headers = [];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        if (req.rawHeaders[i].toLowerCase() !== 'connection') headers.push(req.rawHeaders[i], req.rawHeaders[i + 1]);
      }
      pool.dispatch(
        { method: req.method, path: req.url, headers, body: Buffer.concat(chunks) },
        {
          onRequestStart() {},
          onResponseStart(c, status, _h, message) {
            const raw = c.rawHeaders.map((b) => b.toString('latin1'));
            const out = [];
            for (let i = 0; i < raw.length; i += 2) if (!/^(connection|keep-alive)$/i.test(raw[i])) out.push(raw[i], raw[i + 1]);
            res.writeHead(status, message, out);
          },
          onResponseData(_c, chunk) {
            res.write(chunk);
          },
          onResponseEnd() {
            res.end();
          },
          onResponseError() {
            res.statusCode = 502;
            res.end();
          },
        },
      );
    });
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
  process.on('SIGTERM', () => process.exit(0));
}

function startChild(args) {
  const child = spawn(process.execPath, [self, ...args], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${args[0]} exited with ${code}`)));
    child.stdout.once('data', (d) => resolve({ child, port: Number(String(d).trim()) }));
  });
}

function smsBody(i) {
  const p = new URLSearchParams({
    ToCountry: 'US', ToState: 'CA', SmsMessageSid: `SM${String(i).padStart(32, '0')}`, NumMedia: '0', ToCity: 'SAN FRANCISCO',
    FromZip: '94105', SmsSid: `SM${String(i).padStart(32, '0')}`, FromState: 'CA', SmsStatus: 'received', FromCity: 'SAN FRANCISCO',
    Body: `Hello from the benchmark, message ${i}`, FromCountry: 'US', To: '+15017122661', ToZip: '94105', NumSegments: '1',
    MessageSid: `SM${String(i).padStart(32, '0')}`, AccountSid: 'AC0123456789abcdef0123456789abcdef', From: '+15551234567', ApiVersion: '2010-04-01',
  });
  return p.toString();
}

function cpuOf(child) {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m.cpu));
    child.send('cpu');
  });
}

async function load(Pool, port, total, concurrency) {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: concurrency, pipelining: 1 });
  const latencies = new Float64Array(total);
  let next = 0;
  let failures = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= total) return;
      const body = smsBody(i);
      const t0 = process.hrtime.bigint();
      const res = await pool.request({
        method: 'POST',
        path: '/sms',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'bench=', host: 'bench.example.test' },
        body,
      });
      await res.body.text();
      latencies[i] = Number(process.hrtime.bigint() - t0) / 1e6;
      if (res.statusCode !== 200) failures++;
    }
  };
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await pool.close();
  if (failures) throw new Error(`${failures} requests failed`);
  const sorted = Array.from(latencies).sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { p50: at(0.5), p99: at(0.99), rps: total / seconds };
}

async function runBench(total) {
  if (!existsSync(fileURLToPath(distProxy))) {
    console.error('bench/proxy: dist/ is missing; run `npx tsc -p tsconfig.build.json` first');
    process.exit(1);
  }
  if (!Number.isInteger(total) || total < 100 || total > 100_000) {
    console.error('bench/proxy: give a request count from 100 to 100000');
    process.exit(2);
  }
  const { Pool } = await import('undici');
  const app = await startChild(['app']);
  const proxy = await startChild(['proxy', String(app.port)]);
  const bare = await startChild(['bare', String(app.port)]);
  const rows = [];
  let ok = true;
  try {
    for (const concurrency of [10, 50]) {
      // Warm both paths (JIT, connections), then measure direct and proxied back to back.
      await load(Pool, app.port, 1_000, concurrency);
      await load(Pool, proxy.port, 1_000, concurrency);
      await load(Pool, bare.port, 1_000, concurrency);
      const appBefore = await cpuOf(app.child);
      const direct = await load(Pool, app.port, total, concurrency);
      const appMid = await cpuOf(app.child);
      const proxyBefore = await cpuOf(proxy.child);
      const proxied = await load(Pool, proxy.port, total, concurrency);
      const proxyAfter = await cpuOf(proxy.child);
      const bareBefore = await cpuOf(bare.child);
      const forwarder = await load(Pool, bare.port, total, concurrency);
      forwarder.cpu = ((await cpuOf(bare.child)) - bareBefore) / total;
      direct.appCpu = (appMid - appBefore) / total;
      proxied.proxyCpu = (proxyAfter - proxyBefore) / total;
      const added50 = proxied.p50 - direct.p50;
      const added99 = proxied.p99 - direct.p99;
      const ratio = proxied.rps / direct.rps;
      const pass = added50 <= 1 && ratio >= 0.5;
      ok &&= pass;
      rows.push({ concurrency, direct, proxied, forwarder, added50, added99, ratio, pass });
    }
  } finally {
    proxy.child.removeAllListeners('exit');
    bare.child.removeAllListeners('exit');
    bare.child.kill('SIGTERM');
    app.child.removeAllListeners('exit');
    proxy.child.kill('SIGTERM');
    app.child.kill('SIGTERM');
  }
  const ms = (n) => `${n.toFixed(2)} ms`;
  const lines = [
    '## proxy: what `twhook dev` adds between Twilio and the app',
    '',
    `${total.toLocaleString('en-US')} inbound-SMS POSTs (19-field form, TwiML answer) per row, loopback; app, proxy and load generator in separate processes. Targets: p50 added ≤ 1 ms, throughput ≥ 50% of direct.`,
    '',
    '| concurrency | direct p50 | direct p99 | direct req/s | proxied p50 | proxied p99 | proxied req/s | p50 added | p99 added | throughput | target | CPU/req: app | CPU/req: proxy |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---|---:|---:|',
    ...rows.map((r) =>
      `| ${r.concurrency} | ${ms(r.direct.p50)} | ${ms(r.direct.p99)} | ${Math.round(r.direct.rps)} | ${ms(r.proxied.p50)} | ${ms(r.proxied.p99)} | ${Math.round(r.proxied.rps)} | ${ms(r.added50)} | ${ms(r.added99)} | ${(r.ratio * 100).toFixed(0)}% | ${r.pass ? 'met' : 'missed'} | ${r.direct.appCpu.toFixed(0)} µs | ${r.proxied.proxyCpu.toFixed(0)} µs |`,
    ),
    '',
    'Reference, same run: a bare undici forwarder that inspects nothing (what any proxy hop costs here):',
    '',
    '| concurrency | p50 | p99 | req/s | throughput vs direct | CPU/req |',
    '|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.concurrency} | ${ms(r.forwarder.p50)} | ${ms(r.forwarder.p99)} | ${Math.round(r.forwarder.rps)} | ${((r.forwarder.rps / r.direct.rps) * 100).toFixed(0)}% | ${r.forwarder.cpu.toFixed(0)} µs |`),
    '',
    `Load average when it ran: ${loadavg().map((n) => n.toFixed(1)).join(', ')} on ${cpus().length} cores (the three processes need three cores to run unhindered).`,
  ];
  console.log(lines.join('\n'));
  process.exitCode = ok ? 0 : 1;
}

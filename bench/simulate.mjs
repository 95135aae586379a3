#!/usr/bin/env node
// The simulator's throughput against autocannon at the same concurrency on the same app (issue
// 13). A fast local app (its own process) answers a six-document call: /voice (a Gather), /menu,
// /s2, /s3, /s4 (Redirects, a Pause), /s5 (Say, Hangup). The engine runs calls of those 6 requests
// each, 8 at a time (`twhook test --jobs 8`), signed, with cookies, TwiML parsed and executed, a
// --json-sized event stream, one connection pool shared by the jobs; autocannon sends one fixed
// signed POST /voice over 8 connections, the same number of requests. Each runs in a process of
// its own, alternating, three rounds; the best round counts. Also measured: the engine's CPU per
// request (its process only; the app is elsewhere). Target: the engine at >= 50% of autocannon's
// requests per second. Prints a markdown section.
// Usage: node bench/simulate.mjs [calls]   (build first: npm run build)
//        node bench/simulate.mjs profile DIR [calls]   only the engine, under --cpu-prof: its V8
//        profile lands in DIR (node bench/lib/profile-summary.mjs DIR, or Chrome's DevTools)
import { spawn } from 'node:child_process';
import { createServer, get } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
const dist = (path) => new URL(`../dist/${path}`, import.meta.url).href;
const TOKEN = 'f00dfeedf00dfeedf00dfeedf00dfeed';
const JOBS = 8;
const REQUESTS_PER_CALL = 6;
const ROUNDS = 3;
/** Requests each side makes before it is measured. */
const WARMUP_REQUESTS = 12_000;
const CALLS = Number(process.argv[2]) > 0 ? Number(process.argv[2]) : 2000;

const DOCS = {
  '/voice':
    '<Gather numDigits="1" action="/menu" timeout="3"><Say>Welcome. Press 1 for sales.</Say></Gather><Say>Goodbye.</Say>',
  '/menu': '<Say>Sales it is.</Say><Redirect>s2</Redirect>',
  '/s2': '<Redirect>s3</Redirect>',
  '/s3': '<Say>One moment.</Say><Redirect>s4</Redirect>',
  '/s4': '<Pause length="2"/><Redirect>s5</Redirect>',
  '/s5': '<Say>Thanks for calling.</Say><Hangup/>',
};

function runApp() {
  const bodies = Object.fromEntries(
    Object.entries(DOCS).map(([path, inner]) => [
      path,
      Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><Response>${inner}</Response>`),
    ]),
  );
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/__cpu') {
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(process.cpuUsage()));
        return;
      }
      const body = bodies[req.url.split('?')[0]];
      if (!body) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, {
        'Content-Type': 'text/xml',
        'Content-Length': body.length,
        'Set-Cookie': 'session=abc123; Path=/',
      });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
}

/** The app's CPU time so far (µs), for its CPU per request over a measured run. */
function appCpu(port) {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/__cpu', agent: false }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        const { user, system } = JSON.parse(text);
        resolve(user + system);
      });
    }).on('error', reject);
  });
}

function startApp() {
  const child = spawn(process.execPath, [self, 'app'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the app exited with ${code}`)));
    child.stdout.once('data', (d) => resolve({ child, port: Number(String(d).trim()) }));
  });
}

/** Child role: CALLS calls through the engine, JOBS at a time, over one shared pool. */
async function runEngine(port, calls) {
  const { simulateCall } = await import(dist('simulate/voice.js'));
  const { Agent } = await import('undici');
  const dispatcher = new Agent({ connections: JOBS, keepAliveTimeout: 10_000 });
  const url = `http://127.0.0.1:${port}/voice`;
  const one = async () => {
    let lines = 0;
    const r = await simulateCall({
      app: url,
      authToken: TOKEN,
      inputs: [{ kind: 'press', digits: '1' }],
      dispatcher,
      onEvent: (e) => (lines += JSON.stringify(e).length > 0 ? 1 : 0),
    });
    if (!r.ok || r.end.requests !== REQUESTS_PER_CALL)
      throw new Error(`a call ended ${r.end.reason} after ${r.end.requests} requests`);
  };
  const run = async (count) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: JOBS }, async () => {
        while (next < count) {
          next++;
          await one();
        }
      }),
    );
  };
  // Warm-up, as much as autocannon gets: the pool, and the JIT's tiers (a shorter warm-up measures
  // the engine half-compiled: its first 6,000 requests cost up to twice its steady CPU per request).
  await run(Math.ceil(WARMUP_REQUESTS / REQUESTS_PER_CALL));
  const appBefore = await appCpu(port);
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  await run(calls);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  const appUsed = (await appCpu(port)) - appBefore;
  await dispatcher.close();
  const requests = calls * REQUESTS_PER_CALL;
  process.stdout.write(
    JSON.stringify({
      rps: requests / seconds,
      cpuUsPerRequest: (used.user + used.system) / requests,
      systemUsPerRequest: used.system / requests,
      appCpuUsPerRequest: appUsed / requests,
      seconds,
    }) + '\n',
  );
}

/** Child role: autocannon (its API), JOBS connections, the same number of requests. */
async function runAutocannon(port, calls) {
  const { default: autocannon } = await import('autocannon');
  const { signRequest } = await import(dist('webhooks/signature.js'));
  const { encodeForm } = await import(dist('webhooks/form.js'));
  const url = `http://127.0.0.1:${port}/voice`;
  const params = {
    AccountSid: `AC${'0'.repeat(32)}`,
    CallSid: `CA${'1'.repeat(32)}`,
    CallStatus: 'ringing',
    From: '+15558675310',
    To: '+15017122661',
    Direction: 'inbound',
    ApiVersion: '2010-04-01',
  };
  const { signature } = signRequest({ authToken: TOKEN, url, params });
  const request = {
    url,
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': signature,
      'user-agent': 'TwilioProxy/1.1',
    },
    body: encodeForm(params),
  };
  const amount = calls * REQUESTS_PER_CALL;
  await autocannon({ ...request, connections: JOBS, amount: WARMUP_REQUESTS, sampleInt: 10 });
  const appBefore = await appCpu(port);
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const result = await autocannon({ ...request, connections: JOBS, amount, sampleInt: 10 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  const appUsed = (await appCpu(port)) - appBefore;
  if (result.non2xx || result.errors)
    throw new Error(`autocannon: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  process.stdout.write(
    JSON.stringify({
      rps: amount / seconds,
      cpuUsPerRequest: (used.user + used.system) / amount,
      appCpuUsPerRequest: appUsed / amount,
      seconds,
    }) + '\n',
  );
}

function child(role, port, calls, nodeArgs = []) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [...nodeArgs, self, role, String(port), String(calls)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.once('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop())) : reject(new Error(`${role} exited with ${code}`)),
    );
  });
}

async function main() {
  const calls = CALLS;
  const { child: app, port } = await startApp();
  const engine = [];
  const cannon = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      engine.push(await child('engine', port, calls));
      cannon.push(await child('autocannon', port, calls));
    }
  } finally {
    app.kill();
  }
  const best = (runs) => runs.reduce((a, b) => (b.rps > a.rps ? b : a));
  const least = (runs, field) => Math.min(...runs.map((r) => r[field]));
  const e = best(engine);
  const a = best(cannon);
  const ratio = e.rps / a.rps;
  // With a core for each process, requests per second follow the busiest process's CPU per request
  // (the driver's or the app's): the least each needed over the rounds, as noise only adds.
  const bound = (runs) => 1e6 / Math.max(least(runs, 'cpuUsPerRequest'), least(runs, 'appCpuUsPerRequest'));
  const estimate = bound(engine) / bound(cannon);
  const fmt = (n) => Math.round(n).toLocaleString('en-US');
  const us = (n) => `${Math.round(n)} µs`;
  const lines = [
    '## simulate: `twhook call` / `twhook test --jobs 8` against autocannon',
    '',
    `${fmt(calls)} calls of ${REQUESTS_PER_CALL} requests each (${fmt(calls * REQUESTS_PER_CALL)} requests), ${JOBS} at a time, against a local app`,
    'answering TwiML (a Gather, Redirects, a Pause, a Hangup) from its own process. The engine signs each request,',
    'keeps cookies, parses and runs the TwiML and emits the events; autocannon sends one fixed signed POST over',
    `${JOBS} connections. Best of ${ROUNDS} rounds, alternating, each in a fresh process after a warm-up of`,
    `${fmt(WARMUP_REQUESTS)} requests (the same for both).`,
    '',
    "| | requests/s | CPU per request (its process) | the app's CPU per request |",
    '|---|---:|---:|---:|',
    `| simulator (simulateCall, jobs ${JOBS}) | ${fmt(e.rps)} | ${us(e.cpuUsPerRequest)} | ${us(e.appCpuUsPerRequest)} |`,
    `| autocannon (-c ${JOBS}) | ${fmt(a.rps)} | ${us(a.cpuUsPerRequest)} | ${us(a.appCpuUsPerRequest)} |`,
    '',
    `Rounds: simulator ${engine.map((r) => `${fmt(r.rps)}/s at ${us(r.cpuUsPerRequest)}`).join(', ')}; autocannon ${cannon.map((r) => `${fmt(r.rps)}/s at ${us(r.cpuUsPerRequest)}`).join(', ')}.`,
    '',
    `Load average at the end: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(
        ', ',
      )} on ${cpus().length} cores (a shared machine: wall-clock rates move with the neighbours; CPU per request is steadier).`,
    '',
    `From the CPU figures (the least of the rounds), with a core for each process: the simulator's rate is bounded by`,
    `${fmt(bound(engine))} requests/s, autocannon's by ${fmt(bound(cannon))} (the busiest of driver and app): ${(estimate * 100).toFixed(0)}%.`,
    '',
    `Target: the simulator at >= 50% of autocannon's rate: ${(ratio * 100).toFixed(0)}%, ${ratio >= 0.5 ? 'met' : 'missed'}.`,
    '',
    // From profiles (node bench/simulate.mjs profile DIR; the engine against an in-memory
    // dispatcher for its own share), 2026-12-06 at load 10 on this 2-core machine.
    "Where the simulator's CPU per request goes (profiles of 2026-12-06, ~108 µs a request at load 10): about 60 µs",
    "is the HTTP client itself, undici's dispatch and the loopback socket's syscalls (undici alone, the same requests",
    'and nothing else, measures 53-81 µs a request here; autocannon writes one prebuilt request and parses answers',
    "with its own light parser). The engine's own ~40 µs: signing 16% (the SDK's HMAC over the sorted parameters),",
    'garbage collection 12%, events 12% (password masking, and this bench consuming them as JSON like `--json`),',
    "cookies 9% (tough-cookie's setCookie once per call), running the TwiML ~6%, the rest spread thinly. Each answer",
    'is parsed once per distinct document, verb readings and cookie headers are reused, forms encode each repeated',
    'parameter once. Before this work the same bench measured 217-242 µs a request (17% by the CPU bound).',
  ];
  process.stdout.write(lines.join('\n') + '\n');
  if (ratio < 0.5) process.exitCode = 1;
}

/** The engine alone under --cpu-prof: where its CPU per request goes. */
async function runProfile(dir, calls) {
  if (!dir) throw new Error('usage: node bench/simulate.mjs profile DIR [calls]');
  const { child: app, port } = await startApp();
  try {
    const e = await child('engine', port, calls, ['--cpu-prof', '--cpu-prof-dir', dir]);
    process.stdout.write(
      `engine: ${Math.round(e.rps)} requests/s, ${Math.round(e.cpuUsPerRequest)} µs CPU per request (profiled); ` +
        `profile in ${dir}: node bench/lib/profile-summary.mjs ${dir}\n`,
    );
  } finally {
    app.kill();
  }
}

const role = process.argv[2];
if (role === 'app') runApp();
else if (role === 'profile') await runProfile(process.argv[3], Number(process.argv[4] ?? 3000));
else if (role === 'engine') await runEngine(Number(process.argv[3]), Number(process.argv[4]));
else if (role === 'autocannon') await runAutocannon(Number(process.argv[3]), Number(process.argv[4]));
else await main();

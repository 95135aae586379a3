#!/usr/bin/env node
// `twhook replay` throughput: 10,000 captured requests (inbound SMS, which get a TwiML check,
// and message status callbacks) replayed to a local app at concurrency 50, against a plain
// undici loop sending the same requests (same method, URL, headers and bodies, already built)
// with the same concurrency, in the same run. Replay is measured end to end, in process:
// reading the capture file, classifying, selecting, signing each request again, sending,
// checking the TwiML, comparing with the captured answer and writing a --json line per request.
// The app, the loop and the replay each run in their own process (so neither measurement carries
// the other's heap), one after the other, alternating. Target: replay at least 70% of the plain
// loop's requests/s.
// Prints a markdown section.
// Usage: node bench/replay.mjs [requests]   (build first: npx tsc -p tsconfig.build.json)
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
const dist = (path) => new URL(`../dist/${path}`, import.meta.url);
const TOKEN = 'f00dfeedf00dfeedf00dfeedf00dfeed';
const PUBLIC = 'https://abc123.ngrok.app';
const TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Thanks, got it</Message></Response>';
const CONCURRENCY = 50;
/** Runs in each process: the first is cold (a fresh process, as a user runs it), the last three warm. */
const RUNS_PER_PROCESS = 6;
const ROUNDS = 3;

/** The app: reads the body, answers TwiML to /sms and 204 to status callbacks. */
function runApp() {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url.startsWith('/sms')) {
        res.writeHead(200, { 'Content-Type': 'text/xml', 'Content-Length': Buffer.byteLength(TWIML) });
        res.end(TWIML);
      } else {
        res.writeHead(204);
        res.end();
      }
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

/** Capture records as `dev` writes them: signed for the public URL, with the app's answer. */
async function makeCapture(total) {
  const { buildEvent, signSynthetic } = await import(dist('trigger/build.js').href);
  const { findFixture } = await import(dist('trigger/fixtures.js').href);
  const sms = findFixture('sms');
  const status = findFixture('message-status');
  const now = new Date('2026-11-27T10:00:00.000Z');
  const lines = [];
  for (let i = 0; lines.length < total; i++) {
    // Three inbound messages, then the four status callbacks of one reply.
    const built = i % 2 === 0 ? buildEvent(sms, { now, seed: i, vars: { body: `Hello from the benchmark, message ${i}` } }) : buildEvent(status, { now, seed: i });
    const path = i % 2 === 0 ? '/sms' : '/status';
    for (const request of built.requests) {
      if (lines.length >= total) break;
      const out = signSynthetic(request, { to: `${PUBLIC}${path}`, authToken: TOKEN });
      const headers = { host: 'abc123.ngrok.app', 'x-forwarded-proto': 'https', 'x-forwarded-for': '54.172.60.1' };
      for (const [name, value] of Object.entries(out.headers)) headers[name.toLowerCase()] = value;
      const response = path === '/sms' ? { status: 200, headers: { 'content-type': 'text/xml' }, body: TWIML, ms: 4 } : { status: 204, headers: {}, ms: 2 };
      lines.push(JSON.stringify({ v: 1, id: `req_${lines.length}`, receivedAt: now.toISOString(), method: out.method, url: out.url, headers, body: out.body, response }));
    }
  }
  return lines;
}

/** The reference: the same requests, prepared beforehand, sent by CONCURRENCY workers over one pool. */
async function plainLoop(Agent, requests) {
  const agent = new Agent({ connections: CONCURRENCY });
  let next = 0;
  let failures = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= requests.length) return;
      const res = await agent.request(requests[i]);
      await res.body.text();
      if (res.statusCode >= 400) failures++;
    }
  };
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  await agent.close();
  if (failures) throw new Error(`plain loop: ${failures} requests failed`);
  return { rps: requests.length / seconds, cpu: (used.user + used.system) / requests.length };
}

/** Child role: the loop. Prepares the requests from the capture (untimed), then runs RUNS_PER_PROCESS times. */
async function runLoop(file, port) {
  const { Agent } = await import('undici');
  const { rebaseUrl } = await import(dist('webhooks/signature.js').href);
  const origin = `http://127.0.0.1:${port}`;
  const { readFileSync } = await import('node:fs');
  // The same requests as replay sends them (same URL, headers and body), built before timing.
  const requests = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const r = JSON.parse(line);
      const url = new URL(rebaseUrl(r.url, origin));
      const headers = { ...r.headers };
      for (const name of ['host', 'x-forwarded-proto', 'x-forwarded-for', 'x-forwarded-host']) delete headers[name];
      return { origin, path: url.pathname + url.search, method: r.method, headers, body: r.body };
    });
  const runs = [];
  for (let i = 0; i < RUNS_PER_PROCESS; i++) runs.push(await plainLoop(Agent, requests));
  process.stdout.write(JSON.stringify(runs) + '\n');
}

/**
 * Child role: replay's own sender (src/replay/http.js) sending the same requests, prepared and
 * signed by replay's preparer before timing: what sending costs replay, without reading,
 * classifying, signing, checking or printing. Explains the gap to the loop when the target is missed.
 */
async function runSenderChild(file, port) {
  const { createSender } = await import(dist('replay/http.js').href);
  const { createPreparer } = await import(dist('replay/prepare.js').href);
  const { describeRecord } = await import(dist('replay/select.js').href);
  const { readFileSync } = await import('node:fs');
  const prepare = createPreparer({ to: `http://127.0.0.1:${port}`, mode: 'resign', authToken: TOKEN });
  const records = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));
  // Preparing is re-signing (the SDK's getExpectedTwilioSignature, with the parameters that
  // classification parsed, as replay does) and copying headers: timed warm, as a part of what
  // replay does beside sending.
  const params = records.map((record) => describeRecord(record).params);
  let requests = records.map((record, i) => prepare(record, params[i]));
  const prepareCpu = process.cpuUsage();
  requests = records.map((record, i) => prepare(record, params[i]));
  const prepareUsed = process.cpuUsage(prepareCpu);
  const runs = [];
  for (let r = 0; r < RUNS_PER_PROCESS; r++) {
    const sender = await createSender({ connections: CONCURRENCY });
    let next = 0;
    let failures = 0;
    const worker = async () => {
      for (;;) {
        const i = next++;
        if (i >= requests.length) return;
        const sent = await sender.send(requests[i]);
        if (sent.failure || sent.answer.status >= 400) failures++;
      }
    };
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const used = process.cpuUsage(cpu);
    await sender.close();
    if (failures) throw new Error(`sender: ${failures} requests failed`);
    runs.push({ rps: requests.length / seconds, cpu: (used.user + used.system) / requests.length, prepareCpu: (prepareUsed.user + prepareUsed.system) / requests.length });
  }
  process.stdout.write(JSON.stringify(runs) + '\n');
}

class Sink extends Writable {
  lines = 0;
  last = '';
  _write(chunk, _enc, cb) {
    this.lines++;
    this.last = String(chunk);
    cb();
  }
}

/** `twhook replay FILE --to URL --concurrency 50 --json`, in process, output to a sink. */
async function replayRun(main, file, port, total) {
  const stdout = new Sink();
  const deps = {
    io: { stdin: new PassThrough(), stdout, stderr: new Sink(), isStdinTTY: false, isStdoutTTY: false, isStderrTTY: false },
    env: { TWILIO_AUTH_TOKEN: TOKEN },
    cwd: process.cwd(),
    clock: { now: () => new Date() },
    signal: new AbortController().signal,
    configDir: mkdtempSync(join(tmpdir(), 'twhook-bench-config-')),
  };
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const code = await main(['replay', file, '--to', `http://127.0.0.1:${port}`, '--concurrency', String(CONCURRENCY), '--json'], deps);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  const summary = JSON.parse(stdout.last).summary;
  if (code !== 0 || summary?.ok !== total) throw new Error(`replay: exit ${code}, ${JSON.stringify(summary)}`);
  return { rps: total / seconds, cpu: (used.user + used.system) / total };
}

/** Child role: the replay, RUNS_PER_PROCESS times in one process; prints each run's req/s and CPU. */
async function runReplayChild(file, port, total) {
  const { main } = await import(dist('cli.js').href);
  const runs = [];
  for (let i = 0; i < RUNS_PER_PROCESS; i++) runs.push(await replayRun(main, file, port, total));
  process.stdout.write(JSON.stringify(runs) + '\n');
}

function measure(role, file, port, total) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [self, role, file, String(port), String(total)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`${role} exited with ${code}`));
      const runs = JSON.parse(out.trim());
      const warm = runs.slice(-3).reduce((a, b) => (b.rps > a.rps ? b : a));
      resolve({ cold: runs[0], warm });
    });
  });
}

async function runBench(total) {
  if (!existsSync(fileURLToPath(dist('cli.js')))) {
    console.error('bench/replay: dist/ is missing; run `npx tsc -p tsconfig.build.json` first');
    process.exit(1);
  }
  if (!Number.isInteger(total) || total < 100 || total > 200_000) {
    console.error('bench/replay: give a request count from 100 to 200000');
    process.exit(2);
  }
  const dir = mkdtempSync(join(tmpdir(), 'twhook-bench-replay-'));
  const file = join(dir, 'capture.jsonl');
  writeFileSync(file, (await makeCapture(total)).join('\n') + '\n');
  const app = await startApp();
  const plain = [];
  const replayed = [];
  const senderOnly = [];
  try {
    // Alternate processes, and compare the best rounds: the machine may be shared, and the best
    // round is the one least disturbed, for both.
    for (let round = 0; round < ROUNDS; round++) {
      plain.push(await measure('loop', file, app.port, total));
      replayed.push(await measure('replay', file, app.port, total));
      senderOnly.push(await measure('sender', file, app.port, total));
    }
  } finally {
    app.child.removeAllListeners('exit');
    app.child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
  const best = (runs) => runs.reduce((a, b) => (b.rps > a.rps ? b : a));
  const warm = { loop: best(plain.map((r) => r.warm)), replay: best(replayed.map((r) => r.warm)), sender: best(senderOnly.map((r) => r.warm)) };
  const cold = { loop: best(plain.map((r) => r.cold)), replay: best(replayed.map((r) => r.cold)) };
  const ratio = warm.replay.rps / warm.loop.rps;
  const pass = ratio >= 0.7;
  const us = (n) => `${n.toFixed(1)} µs`;
  const lines = [
    '## replay: `twhook replay` against a plain undici loop',
    '',
    `${total.toLocaleString('en-US')} captured requests (inbound SMS with a TwiML check, and message status callbacks) at concurrency ${CONCURRENCY}, loopback. The app, the loop and the replay each run in their own process; each process runs ${RUNS_PER_PROCESS} times: the first is cold (a fresh process, as a user runs it), the best of the last three is warm. ${ROUNDS} alternating rounds; the best round of each is shown. Replay is end to end (read and classify the capture, re-sign every request, send, check the TwiML, compare with the captured answer, a --json line each); the loop sends the same requests, prepared before timing. CPU is the client process's user + system time per request. Target: warm replay ≥ 70% of the warm loop.`,
    '',
    '| | plain undici loop | twhook replay | ratio |',
    '|:---|---:|---:|---:|',
    `| warm req/s | ${Math.round(warm.loop.rps)} | ${Math.round(warm.replay.rps)} | ${(ratio * 100).toFixed(0)}% (${pass ? 'target met' : 'target missed'}) |`,
    `| warm CPU per request | ${us(warm.loop.cpu)} | ${us(warm.replay.cpu)} | |`,
    `| cold req/s (first run in a fresh process) | ${Math.round(cold.loop.rps)} | ${Math.round(cold.replay.rps)} | ${((cold.replay.rps / cold.loop.rps) * 100).toFixed(0)}% |`,
    '',
    `Warm rounds (req/s): loop ${plain.map((r) => Math.round(r.warm.rps)).join(', ')}; replay ${replayed.map((r) => Math.round(r.warm.rps)).join(', ')}.`,
    '',
    `Reference, same run: replay's own sender sending the same requests, prepared and signed before timing: ${Math.round(warm.sender.rps)} req/s, ${us(warm.sender.cpu)} per request (${((warm.sender.rps / warm.loop.rps) * 100).toFixed(0)}% of the loop).`,
  ];
  if (!pass) {
    // The client is the bottleneck (the app has the other core): req/s follows its CPU per request.
    const budget = warm.loop.cpu / 0.7;
    const rest = warm.replay.cpu - warm.sender.cpu;
    lines.push(
      '',
      `Why missed: 70% of the loop needs replay to spend at most ${us(budget)} of CPU per request (the loop spends ${us(warm.loop.cpu)}; the client process is the bottleneck, the app has the other core). ` +
        `Sending alone costs replay ${us(warm.sender.cpu)}, which leaves ${us(Math.max(0, budget - warm.sender.cpu))} for everything else; reading and classifying the capture, re-signing with the SDK, checking the TwiML, comparing with the captured answer and the --json line cost ${us(rest)}, ` +
        `of which re-signing each request (the twilio SDK's getExpectedTwilioSignature, which every verdict and signature must come from) and copying its headers alone take ${us(warm.sender.prepareCpu)}.`,
    );
  }
  lines.push('', `Target (issue 7): warm replay ≥ 70% of the plain loop: ${pass ? 'met' : 'missed'} (${(ratio * 100).toFixed(0)}%).`);
  console.log(lines.join('\n'));
  process.exitCode = pass ? 0 : 1;
}

const [role, roleFile, rolePort, roleTotal] = process.argv.slice(2);
if (role === 'app') runApp();
else if (role === 'loop') await runLoop(roleFile, Number(rolePort));
else if (role === 'replay') await runReplayChild(roleFile, Number(rolePort), Number(roleTotal));
else if (role === 'sender') await runSenderChild(roleFile, Number(rolePort));
else await runBench(Number(role ?? 10_000));

#!/usr/bin/env node
// `twhook replay` throughput against what a user would pick instead: autocannon (a devDependency)
// sending one fixed request to the same app at the same concurrency, in the same run. 20,000
// captured inbound SMS (each gets a TwiML check) at concurrency 50, loopback, measured two ways:
// - whole process, start included: `twhook replay FILE --to URL --concurrency 50 --json` (the
//   built bin, output to /dev/null) against the `autocannon -c 50 -a 20000` command, spawn to exit;
// - warm: each in a process of its own that runs it six times (replay in-process through the
//   CLI's main(), autocannon through its API); the best of the last three counts.
// A plain undici loop sending the same requests (prepared before timing) runs beside them as the
// least any client does. Replay is end to end: reading the capture file, classifying, selecting,
// signing each request again, sending, checking the TwiML, comparing with the captured answer
// and a --json line per request. App, loop, autocannon and replay run in separate processes, one
// after the other, alternating. Target (issue 16): replay at least 70% of autocannon's rate,
// whole process and warm. Prints a markdown section.
// Usage: node bench/replay.mjs [requests]   (build first: npm run build)
//        node bench/replay.mjs profile DIR [requests]   only the warm replay child, under --cpu-prof:
//        its V8 profile lands in DIR (read it with bench/lib/profile-summary.mjs DIR)
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
const bin = fileURLToPath(new URL('../bin/twhook.js', import.meta.url));
const autocannonBin = fileURLToPath(new URL('../node_modules/autocannon/autocannon.js', import.meta.url));
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

/** Capture records as `dev` writes them: inbound SMS signed for the public URL, with the app's answer. */
async function makeCapture(total) {
  const { buildEvent, signSynthetic } = await import(dist('trigger/build.js').href);
  const { findFixture } = await import(dist('trigger/fixtures.js').href);
  const sms = findFixture('sms');
  const now = new Date('2026-11-27T10:00:00.000Z');
  const lines = [];
  for (let i = 0; lines.length < total; i++) {
    const built = buildEvent(sms, { now, seed: i, vars: { body: `Hello from the benchmark, message ${i}` } });
    for (const request of built.requests) {
      if (lines.length >= total) break;
      const out = signSynthetic(request, { to: `${PUBLIC}/sms`, authToken: TOKEN });
      const headers = { host: 'abc123.ngrok.app', 'x-forwarded-proto': 'https', 'x-forwarded-for': '54.172.60.1' };
      for (const [name, value] of Object.entries(out.headers)) headers[name.toLowerCase()] = value;
      const response = { status: 200, headers: { 'content-type': 'text/xml' }, body: TWIML, ms: 4 };
      lines.push(
        JSON.stringify({
          v: 1,
          id: `req_${lines.length}`,
          receivedAt: now.toISOString(),
          method: out.method,
          url: out.url,
          headers,
          body: out.body,
          response,
        }),
      );
    }
  }
  return lines;
}

/** The one request autocannon sends over and over: the capture's first, signed for the app's URL. */
async function fixedRequest(file, port) {
  const { readFileSync } = await import('node:fs');
  const { createPreparer } = await import(dist('replay/prepare.js').href);
  const record = JSON.parse(readFileSync(file, 'utf8').split('\n', 1)[0]);
  const prepared = createPreparer({ to: `http://127.0.0.1:${port}`, mode: 'resign', authToken: TOKEN })(record);
  return { url: prepared.url, method: prepared.method, headers: prepared.headers, body: prepared.body };
}

/** Child role: autocannon through its API, RUNS_PER_PROCESS times in one process. */
async function runAutocannonChild(file, port, total) {
  const { default: autocannon } = await import('autocannon');
  const request = await fixedRequest(file, port);
  const runs = [];
  for (let i = 0; i < RUNS_PER_PROCESS; i++) {
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    // sampleInt: autocannon notices it is done at its next sample; every 10 ms rather than its
    // default 1 s, which would round every run up to a whole second.
    const result = await autocannon({ ...request, connections: CONCURRENCY, amount: total, sampleInt: 10 });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const used = process.cpuUsage(cpu);
    if (result.non2xx || result.errors)
      throw new Error(`autocannon: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
    runs.push({ rps: total / seconds, cpu: (used.user + used.system) / total });
  }
  process.stdout.write(JSON.stringify(runs) + '\n');
}

/** A whole process, spawn to exit, output to /dev/null; its CPU from the kernel's accounting. */
function wholeProcess(argv, env) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, argv, {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...env },
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('exit', (code) => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      if (code !== 0) return reject(new Error(`${argv.slice(0, 2).join(' ')} exited with ${code}: ${stderr.trim()}`));
      resolve(seconds);
    });
  });
}

async function wholeReplay(file, port, total) {
  const seconds = await wholeProcess(
    [bin, 'replay', file, '--to', `http://127.0.0.1:${port}`, '--concurrency', String(CONCURRENCY), '--json'],
    { TWILIO_AUTH_TOKEN: TOKEN, NO_COLOR: '1' },
  );
  return { rps: total / seconds, seconds };
}

async function wholeAutocannon(request, total) {
  const headers = Object.entries(request.headers).flatMap(([name, value]) => ['-H', `${name}=${value}`]);
  const seconds = await wholeProcess(
    [
      autocannonBin,
      '-c',
      String(CONCURRENCY),
      '-a',
      String(total),
      '-L',
      '10',
      '-m',
      request.method,
      ...headers,
      '-b',
      request.body,
      '-n',
      request.url,
    ],
    {},
  );
  return { rps: total / seconds, seconds };
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
  const { rebaseUrl } = await import(dist('webhooks/url.js').href);
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
 * Child role: replay's own sender (src/send/http.js) sending the same requests, prepared and
 * signed by replay's preparer before timing: what sending costs replay, without reading,
 * classifying, signing, checking or printing. Explains the gap to the loop when the target is missed.
 */
async function runSenderChild(file, port) {
  const { createSender } = await import(dist('send/http.js').href);
  const { createPreparer } = await import(dist('replay/prepare.js').href);
  const { describeRecord } = await import(dist('replay/select.js').href);
  const { checkRecord } = await import(dist('capture/format.js').href);
  const { readFileSync } = await import('node:fs');
  const prepare = createPreparer({ to: `http://127.0.0.1:${port}`, mode: 'resign', authToken: TOKEN });
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  // The stages replay runs on each request beside sending, timed warm here one by one (CPU per
  // request, the best of three passes): parsing the capture line, classifying it (the form parse
  // that signing reuses), and preparing, which is re-signing (the SDK's getExpectedTwilioSignature,
  // with the parameters classification parsed, as replay does) and copying headers. 256 lines at a
  // time, dropped after, as replay streams them: holding all 20,000 would time the garbage
  // collector copying them instead.
  const cpuNow = () => {
    const used = process.cpuUsage();
    return used.user + used.system;
  };
  const stages = { parseCpu: Infinity, classifyCpu: Infinity, prepareCpu: Infinity };
  for (let pass = 0; pass < 3; pass++) {
    let parse = 0;
    let classify = 0;
    let prep = 0;
    for (let from = 0; from < lines.length; from += 256) {
      const t0 = cpuNow();
      const chunk = lines.slice(from, from + 256).map((line) => checkRecord(JSON.parse(line)));
      const t1 = cpuNow();
      const chunkParams = chunk.map((record) => describeRecord(record).params);
      const t2 = cpuNow();
      chunk.forEach((record, i) => prepare(record, chunkParams[i]));
      const t3 = cpuNow();
      parse += t1 - t0;
      classify += t2 - t1;
      prep += t3 - t2;
    }
    stages.parseCpu = Math.min(stages.parseCpu, parse / lines.length);
    stages.classifyCpu = Math.min(stages.classifyCpu, classify / lines.length);
    stages.prepareCpu = Math.min(stages.prepareCpu, prep / lines.length);
  }
  const records = lines.map((line) => checkRecord(JSON.parse(line)));
  const requests = records.map((record) => prepare(record, describeRecord(record).params));
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
    runs.push({
      rps: requests.length / seconds,
      cpu: (used.user + used.system) / requests.length,
      ...stages,
    });
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
    io: {
      stdin: new PassThrough(),
      stdout,
      stderr: new Sink(),
      isStdinTTY: false,
      isStdoutTTY: false,
      isStderrTTY: false,
    },
    env: { TWILIO_AUTH_TOKEN: TOKEN },
    cwd: process.cwd(),
    clock: { now: () => new Date() },
    signal: new AbortController().signal,
    configDir: mkdtempSync(join(tmpdir(), 'twhook-bench-config-')),
  };
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const code = await main(
    ['replay', file, '--to', `http://127.0.0.1:${port}`, '--concurrency', String(CONCURRENCY), '--json'],
    deps,
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  rmSync(deps.configDir, { recursive: true, force: true });
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

function measure(role, file, port, total, nodeFlags = []) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeFlags, self, role, file, String(port), String(total)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
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
    console.error('bench/replay: dist/ is missing; run `npm run build` first');
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
  const request = await fixedRequest(file, app.port);
  const warm = { loop: [], replay: [], autocannon: [], sender: [] };
  const whole = { replay: [], autocannon: [] };
  try {
    // Alternate, and compare per round: the machine may be shared, and the two sides of a round
    // are measured seconds apart.
    for (let round = 0; round < ROUNDS; round++) {
      whole.autocannon.push(await wholeAutocannon(request, total));
      whole.replay.push(await wholeReplay(file, app.port, total));
      warm.autocannon.push((await measure('autocannon', file, app.port, total)).warm);
      warm.replay.push((await measure('replay', file, app.port, total)).warm);
      warm.loop.push((await measure('loop', file, app.port, total)).warm);
      warm.sender.push((await measure('sender', file, app.port, total)).warm);
    }
  } finally {
    app.child.removeAllListeners('exit');
    app.child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const ratio = (a, b) => median(a.map((x, i) => x.rps / b[i].rps));
  const best = (runs) => runs.reduce((a, b) => (b.rps > a.rps ? b : a));
  const wholeRatio = ratio(whole.replay, whole.autocannon);
  const warmRatio = ratio(warm.replay, warm.autocannon);
  const pass = wholeRatio >= 0.7 && warmRatio >= 0.7;
  const us = (n) => `${n.toFixed(1)} µs`;
  const rps = (runs) => Math.round(median(runs.map((r) => r.rps)));
  const lines = [
    '## replay: `twhook replay` against autocannon',
    '',
    `${total.toLocaleString('en-US')} captured inbound SMS (each answer gets a TwiML check) at concurrency ${CONCURRENCY}, loopback, against autocannon ${packageVersion('autocannon')} sending one fixed request (the first of the capture, signed) to the same app at the same concurrency. ` +
      `Whole process: the built \`twhook replay FILE --to URL --concurrency ${CONCURRENCY} --json\` and the \`autocannon -c ${CONCURRENCY} -a ${total} -L 10\` command (sampling every 10 ms: at its default 1 s it notices the end only at the next whole second), spawn to exit (node start included), output to /dev/null. ` +
      `Warm: each in its own process running it ${RUNS_PER_PROCESS} times (replay through the CLI's main(), autocannon through its API), the best of the last three. ` +
      `Replay is end to end (read and classify the capture, re-sign every request with the SDK, send, check the TwiML, compare with the captured answer, a --json line each). ${ROUNDS} alternating rounds; req/s is the median round, the ratio the median of the per-round ratios. CPU is the client process's user + system time per request.`,
    '',
    '| | autocannon | twhook replay | replay ÷ autocannon | target |',
    '|:---|---:|---:|---:|:---|',
    `| whole process, req/s | ${rps(whole.autocannon)} | ${rps(whole.replay)} | ${(wholeRatio * 100).toFixed(0)}% | ≥ 70%: ${wholeRatio >= 0.7 ? 'met' : 'missed'} |`,
    `| warm, req/s | ${rps(warm.autocannon)} | ${rps(warm.replay)} | ${(warmRatio * 100).toFixed(0)}% | ≥ 70%: ${warmRatio >= 0.7 ? 'met' : 'missed'} |`,
    `| warm, CPU per request | ${us(median(warm.autocannon.map((r) => r.cpu)))} | ${us(median(warm.replay.map((r) => r.cpu)))} | | |`,
    '',
    `Rounds (req/s): whole process: autocannon ${whole.autocannon.map((r) => Math.round(r.rps)).join(', ')}; replay ${whole.replay.map((r) => Math.round(r.rps)).join(', ')}. Warm: autocannon ${warm.autocannon.map((r) => Math.round(r.rps)).join(', ')}; replay ${warm.replay.map((r) => Math.round(r.rps)).join(', ')}.`,
    '',
    `References, same run (warm): a plain undici loop sending the same requests prepared before timing: ${rps(warm.loop)} req/s, ${us(median(warm.loop.map((r) => r.cpu)))} per request (replay at ${(ratio(warm.replay, warm.loop) * 100).toFixed(0)}% of it); ` +
      `replay's own sender sending them prepared and signed: ${rps(warm.sender)} req/s, ${us(median(warm.sender.map((r) => r.cpu)))} per request.`,
  ];
  if (!pass) {
    const replayCpu = median(warm.replay.map((r) => r.cpu));
    const senderCpu = median(warm.sender.map((r) => r.cpu));
    const acCpu = median(warm.autocannon.map((r) => r.cpu));
    const stages = best(warm.sender);
    const stageCpu = stages.parseCpu + stages.classifyCpu + stages.prepareCpu;
    const rest = replayCpu - senderCpu - stageCpu;
    const left = acCpu / 0.7 - senderCpu;
    lines.push(
      '',
      `Where the time goes (warm CPU per request; \`node bench/replay.mjs profile DIR\` writes the whole profile): where replay has a core of its own, req/s follows its CPU per request, and 70% of autocannon's rate at autocannon's ${us(acCpu)} needs at most ${us(acCpu / 0.7)}. ` +
        `Replay spends ${us(replayCpu)}. Sending alone, by its sender with every request prepared beforehand, spends ${us(senderCpu)} at ${rps(warm.sender)} req/s (undici's dispatch and the kernel's loopback write and read, which autocannon pays too), and more at replay's lower rate, with fewer answers per turn of the event loop. ` +
        `Timed apart, streamed as replay streams them: parsing the capture line ${us(stages.parseCpu)}, classifying it ${us(stages.classifyCpu)} (the form parse that signing reuses), re-signing with the SDK and copying the headers ${us(stages.prepareCpu)}; ` +
        `the other ${us(Math.max(0, rest))} is reading and splitting the file, the TwiML check (once per distinct answer), the comparison, the --json line, the in-order hand-off, the garbage collection of all that, and sending's higher cost at the lower rate. ` +
        `Sending alone takes ${((100 * senderCpu) / (acCpu / 0.7)).toFixed(0)}% of the budget, leaving ${us(left)}; ` +
        (stageCpu > left
          ? `that is less than parsing, classifying and signing cost (${us(stageCpu)}), and those are what replay is for: every captured line is read, and every request is different and signed again by the SDK (an HMAC each). `
          : `that holds parsing, classifying and signing (${us(stageCpu)}), which replay cannot skip (every captured line is read, and every request is different and signed again by the SDK, an HMAC each), but not the other ${us(Math.max(0, rest))}. `) +
        `Closing the gap takes both: less of the other work (in the profile, mostly garbage collection, the file reader and the hand-off between reader, workers and output) and a cheaper sender than undici, one that writes prebuilt request bytes on raw sockets as autocannon does. ` +
        `On this shared machine the rates also move with the neighbours' load (see the rounds), which is why each ratio is taken within a round.`,
    );
  }
  lines.push(
    '',
    `Load average when it ran: ${loadavg()
      .map((n) => n.toFixed(1))
      .join(', ')} on ${cpus().length} cores.`,
  );
  lines.push(
    '',
    `Target (issue 16): replay ≥ 70% of autocannon's req/s: whole process ${wholeRatio >= 0.7 ? 'met' : 'missed'} (${(wholeRatio * 100).toFixed(0)}%), warm ${warmRatio >= 0.7 ? 'met' : 'missed'} (${(warmRatio * 100).toFixed(0)}%).`,
  );
  console.log(lines.join('\n'));
  process.exitCode = pass ? 0 : 1;
}

function packageVersion(name) {
  try {
    return JSON.parse(
      readFileSync(fileURLToPath(new URL(`../node_modules/${name}/package.json`, import.meta.url)), 'utf8'),
    ).version;
  } catch {
    return '';
  }
}

/**
 * The replay child (RUNS_PER_PROCESS runs in one process, the first cold) under V8's sampling
 * profiler: the profile, written when the child exits, lands in `profileDir`.
 */
async function runProfile(profileDir, total) {
  if (!profileDir) {
    console.error('usage: node bench/replay.mjs profile DIR [requests]');
    process.exit(2);
  }
  const dir = mkdtempSync(join(tmpdir(), 'twhook-bench-replay-'));
  const file = join(dir, 'capture.jsonl');
  writeFileSync(file, (await makeCapture(total)).join('\n') + '\n');
  const app = await startApp();
  try {
    const run = await measure('replay', file, app.port, total, ['--cpu-prof', '--cpu-prof-dir', profileDir]);
    console.log(
      `replay warm: ${Math.round(run.warm.rps)} req/s, ${run.warm.cpu.toFixed(1)} µs of CPU per request (profiler on); ` +
        `profile in ${profileDir}: node bench/lib/profile-summary.mjs ${profileDir}`,
    );
  } finally {
    app.child.removeAllListeners('exit');
    app.child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

const [role, roleFile, rolePort, roleTotal] = process.argv.slice(2);
if (role === 'app') runApp();
else if (role === 'loop') await runLoop(roleFile, Number(rolePort));
else if (role === 'replay') await runReplayChild(roleFile, Number(rolePort), Number(roleTotal));
else if (role === 'sender') await runSenderChild(roleFile, Number(rolePort));
else if (role === 'autocannon') await runAutocannonChild(roleFile, Number(rolePort), Number(roleTotal));
else if (role === 'profile') await runProfile(roleFile, Number(rolePort ?? 20_000));
else await runBench(Number(role ?? 20_000));

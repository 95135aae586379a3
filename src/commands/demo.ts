/**
 * `twhook demo`: the main job with no account and no network. Everything runs on 127.0.0.1: the
 * Twilio emulator stands in for the account and its number, a built-in app answers the webhooks,
 * a local forwarder stands in for ngrok, and the simulator (src/simulate) plays Twilio. The dev
 * session in the middle is the real one (src/proxy/session.ts), as is the closing `verify`.
 */
import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { Wire } from './registry.js';
import type { Ctx } from '../ctx.js';
import { CheckFailed } from '../errors.js';
import type { DevEvent, ReadyEvent, RequestEvent } from '../dev/events.js';
import type { OutgoingRequest } from '../send/http.js';
import type { SimEvent } from '../simulate/events.js';

export interface DemoFlags {
  verbose?: boolean;
}

export const DEMO_NUMBER = '+15017122661';
const CALLER = '+15558675310';
const ORIGINAL = { smsUrl: 'https://shop.example.com/twilio/sms', voiceUrl: 'https://shop.example.com/twilio/voice' };

export function register(cmd: Command, wire: Wire): void {
  cmd
    .description('see twhook work with no Twilio account: a dev session, live view, capture and verify, all offline')
    .option('--verbose', 'show headers and bodies of each request')
    .addHelpText(
      'after',
      `
Everything runs on this machine: a Twilio API emulator with one number, a small webhook app that
checks signatures, a local stand-in for the ngrok tunnel, and the simulator playing Twilio (an
SMS and its reply's status callbacks, a call with a key press, and one forged request). The capture it
writes stays for you to try \`twhook verify\` and \`twhook replay\` on.

Examples:
  $ twhook demo
  $ twhook demo --json | jq -c 'select(.type == "request") | {kind, status, verdict: .verdict.status}'
`,
    )
    .action(wire(async (ctx, flags: DemoFlags) => runDemo(ctx, flags)));
}

const FORGED_TOKEN = 'f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0';

export async function runDemo(ctx: Ctx, flags: DemoFlags): Promise<number> {
  const [
    { startEmulator },
    { createTwilioPort },
    { startDevSession },
    { createRenderer },
    { buildTrigger },
    { startDemoApp },
    { standInTunnels },
    { runVerify },
    { simulateCall },
    { simulateText },
  ] = await Promise.all([
    import('../emulator/server.js'),
    import('../twilio/client.js'),
    import('../dev/session.js'),
    import('../ui/live-view.js'),
    import('../trigger/build.js'),
    import('../demo/app.js'),
    import('../demo/tunnel.js'),
    import('./verify.js'),
    import('../simulate/voice.js'),
    import('../simulate/messaging.js'),
  ]);
  const out = ctx.out;
  const workDir = mkdtempSync(join(tmpdir(), 'twhook-demo-'));
  const capture = join(workDir, 'capture.jsonl');

  const emulator = await startEmulator({
    numbers: [{ phoneNumber: DEMO_NUMBER, friendlyName: 'Demo shop line', ...ORIGINAL }],
  });
  out.redactor.add(emulator.authToken);
  const app = await startDemoApp(emulator.authToken);
  const tunnels = standInTunnels();
  const credentials = {
    accountSid: { value: emulator.accountSid, source: 'flag' as const },
    authTokens: [{ value: emulator.authToken, source: 'flag' as const }],
  };
  const port = createTwilioPort({ credentials, apiUrl: emulator.url, env: {} });
  const requests: RequestEvent[] = [];
  let ready: ReadyEvent | undefined;
  let restoredSeen = false;
  let onRequest: (() => void) | undefined;

  out.note(out.c.bold('twhook demo: a whole dev session, offline. Nothing here talks to Twilio or ngrok.'));
  out.note(
    `  emulated account ${out.c.dim(emulator.accountSid.slice(0, 2) + '…' + emulator.accountSid.slice(-4))}, number ${DEMO_NUMBER} (SMS URL ${ORIGINAL.smsUrl})`,
  );
  out.note(`  demo app on ${app.url}: answers with TwiML and refuses requests whose signature is wrong\n`);

  const session = startDevSession(
    {
      target: app.url,
      targetLabel: app.url.replace(/^http:\/\//, ''),
      numbers: [DEMO_NUMBER],
      paths: { sms: '/sms', voice: '/voice', voiceStatus: '/status' },
      tunnel: { kind: 'ngrok' },
      capture,
      authTokens: [emulator.authToken],
      drainMs: 1000,
    },
    {
      twilio: () => port,
      tunnel: tunnels.factory,
      configDir: join(workDir, 'config'),
      cwd: workDir,
      clock: ctx.clock,
      signal: ctx.signal,
      env: {},
    },
  );
  const render = createRenderer(out, { verbose: flags.verbose });
  const readyOrEnd = new Promise<void>((resolve) => {
    session.subscribe((event: DevEvent) => {
      render(event);
      if (event.type === 'ready') {
        ready = event;
        resolve();
      } else if (event.type === 'request') {
        requests.push(event);
        onRequest?.();
      } else if (event.type === 'restored') {
        restoredSeen = true;
      }
    });
    session.done.then(
      () => resolve(),
      () => resolve(),
    );
  });

  const problems: string[] = [];
  try {
    await readyOrEnd;
    if (!ready) throw new CheckFailed('the demo session did not start');
    const tunnel = tunnels.current()!;
    const numberNow = await (await port).numbers.list({ phoneNumber: DEMO_NUMBER });
    const smsUrl = numberNow[0]?.smsUrl ?? '';
    out.note(`\n  ${DEMO_NUMBER} now sends SMS to ${smsUrl}\n`);

    // "Twilio" is the simulator: it sends each request to the tunnel's edge, signed for the
    // public URL, exactly as Twilio would reach ngrok, and runs the app's TwiML.
    const waitForRequests = async (count: number) => {
      if (requests.length >= count) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => (onRequest = () => requests.length >= count && resolve())),
        new Promise((resolve) => (timer = setTimeout(resolve, 5000))),
      ]);
      clearTimeout(timer);
    };
    const common = {
      publicUrl: ready.publicUrl,
      authToken: emulator.authToken,
      accountSid: emulator.accountSid,
      from: CALLER,
      to: DEMO_NUMBER,
      signal: ctx.signal,
    };
    const narrate = (event: SimEvent) => {
      if (event.type === 'message') out.note(out.c.dim(`  your app replies: "${event.body}"`));
      else if (event.type === 'say') out.note(out.c.dim(`  the caller hears: "${event.text}"`));
      else if (event.type === 'gather' && event.result && 'digits' in event.result)
        out.note(out.c.dim(`  the caller presses ${event.result.digits}`));
      else if (event.type === 'error') out.note(out.c.red(`  Twilio error ${event.code}: ${event.message}`));
    };

    out.note(out.c.cyan('→ A customer texts your number; Twilio reports on the reply'));
    const text = await simulateText({
      ...common,
      app: { url: `${tunnel.edge}/sms` },
      messages: [{ body: 'Hi! Is my order ready?' }],
      onEvent: narrate,
    });
    if (!text.ok) problems.push(`the message: ${text.end.reason}`);
    await waitForRequests(text.end.requests);

    if (!ctx.signal.aborted) {
      out.note(out.c.cyan('→ The customer calls and presses 1'));
      const call = await simulateCall({
        ...common,
        app: { url: `${tunnel.edge}/voice` },
        inputs: [{ kind: 'press', digits: '1' }],
        onEvent: narrate,
      });
      if (!call.ok || call.end.reason !== 'hangup') problems.push(`the call: ended by ${call.end.reason}`);
      await waitForRequests(text.end.requests + call.end.requests);
    }
    for (const event of requests) {
      if (
        event.verdict.status !== 'valid' ||
        event.status < 200 ||
        event.status >= 300 ||
        (event.twiml && !event.twiml.ok)
      ) {
        problems.push(`${event.request.path}: got ${event.status}, signature ${event.verdict.status}`);
      }
    }

    if (!ctx.signal.aborted) {
      out.note(out.c.cyan('→ Someone who is not Twilio posts a fake SMS to your public URL'));
      const seen = requests.length;
      const forged = buildTrigger({
        event: 'sms',
        to: `${ready.publicUrl}/sms`,
        authToken: FORGED_TOKEN,
        accountSid: emulator.accountSid,
        vars: { from: '+15550000000', to: DEMO_NUMBER, body: 'Reset the admin password' },
        now: ctx.clock.now(),
      });
      for (const { outgoing } of forged.signed) await sendThrough(tunnel.edge, outgoing);
      await waitForRequests(seen + 1);
      const event = requests[seen];
      if (!event) problems.push('the forged SMS: the proxy reported nothing');
      else if (event.verdict.status !== 'invalid' || event.status !== 403)
        problems.push(`the forged SMS: got ${event.status}, signature ${event.verdict.status}`);
    }
  } finally {
    out.note('');
    await session.stop('demo finished').catch(() => undefined);
    await app.close();
  }

  const after = (await (await port).numbers.list({ phoneNumber: DEMO_NUMBER }))[0];
  await emulator.close();
  if (!restoredSeen || after?.smsUrl !== ORIGINAL.smsUrl || after?.voiceUrl !== ORIGINAL.voiceUrl) {
    problems.push(`the number was not restored (SMS URL is ${after?.smsUrl ?? 'unknown'})`);
  } else {
    out.note(`  ${DEMO_NUMBER} is back to ${ORIGINAL.smsUrl}\n`);
  }

  out.note(out.c.bold(`twhook verify ${capture}`));
  const demoCtx: Ctx = { ...ctx, credentials: () => ({ ...credentials, authTokens: credentials.authTokens }) };
  const verifyCode = await runVerify(demoCtx, { captures: [capture] });
  // One forged request is in the capture on purpose: verify must flag exactly that one.
  if (verifyCode !== 1) problems.push(`verify of the capture exited ${verifyCode}, expected 1 (the forged request)`);

  if (problems.length) throw new CheckFailed(`the demo did not go as expected: ${problems.join('; ')}`);
  out.note(
    `\nThat was twhook. The capture stays at ${capture}: try \`twhook verify\` or \`twhook replay\` on it.\n` +
      `With your own account: \`twhook dev 3000 --number +1…\` (needs NGROK_AUTHTOKEN and TWILIO_* credentials).`,
  );
  return 0;
}

/** Sends a request meant for the public URL to the tunnel's edge, as DNS would route it. */
function sendThrough(edge: string, outgoing: OutgoingRequest): Promise<number> {
  const target = new URL(outgoing.url);
  const via = new URL(edge);
  const body = outgoing.body === undefined ? undefined : Buffer.from(outgoing.body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: via.hostname,
        port: via.port,
        method: outgoing.method,
        path: target.pathname + target.search,
        headers: { ...outgoing.headers, host: target.host, ...(body ? { 'content-length': String(body.length) } : {}) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * A whole `twhook dev` session as an engine: restore what an earlier session left, start the
 * proxy, open the tunnel, point the numbers at it (journaled first), run extensions and the app,
 * emit events until stopped, then undo everything in a `finally`. The command (src/commands/dev.ts)
 * only parses flags and renders; `twhook demo` runs the same engine in-process against the
 * emulator with a `public-url` tunnel.
 */
import { join } from 'node:path';
import { CRASH, type Clock, type ExitReports } from '../ctx.js';
import { RemoteError, UsageError } from '../errors.js';
import { resolveNumber } from '../twilio/resolve-number.js';
import { maskSid } from '../redact.js';
import { CaptureWriter } from '../capture/writer.js';
import { steadyOldGeneration } from '../capture/memory.js';
import { newCaptureId, normalizeHeaders, type CaptureRecord, type CaptureResponse } from '../capture/format.js';
import { currentOwner, isOwnerAlive, Journal, newBatchId, type JournalEntry } from '../state/journal.js';
import { applyNumberChange } from '../state/number-change.js';
import { maskUrl } from '../webhooks/url.js';
import { prepareNumbersForSession, restoreEntries, type RestoreReport, type RestoreResult } from '../state/restore.js';
import type { IncomingNumber, NumberField, NumberUpdate, TwilioPort } from '../twilio/port.js';
import type { Tunnel, TunnelFactory, TunnelRequest } from '../tunnel/types.js';
import { bodyFormParams, classify } from '../webhooks/kinds.js';
import { withOverrides, type Overrides } from '../webhooks/overrides.js';
import { credentialedShape, verifyWithBasicAuth } from '../webhooks/basic-auth.js';
import { EventChannel } from './channel.js';
import { numberPath, planPaths } from './paths.js';
import type { DevEvent, ReadyNumber, RequestEvent, RestoredNumber, SignatureVerdict } from './events.js';
import { startApp, type AppProcess } from './exec.js';
import { recordApp, stopLeftoverApps, type LeftoverOutcome } from './app-records.js';
import {
  DEFAULT_BODY_LIMIT,
  MAX_REMEMBERED_TOKENS,
  startProxy,
  TWILIO_TIMEOUT_MS,
  type InspectInput,
  type Inspection,
  type ProxyServer,
  type VerifyInput,
} from './server.js';

/** Where each kind of webhook goes on the app. `null` leaves that field of the number alone. */
export interface DevPaths {
  sms: string | null;
  voice: string | null;
  voiceStatus?: string;
  smsFallback?: string;
  voiceFallback?: string;
}

export interface DevSessionOptions {
  /** The app: http://localhost:3000 (with a base path if it has one). */
  target: string;
  /** How to name the app in messages: "localhost:3000". */
  targetLabel?: string;
  /** +E164 numbers or PN SIDs to point at the session. */
  numbers: string[];
  paths: DevPaths;
  overrides?: Overrides;
  tunnel: { kind: 'ngrok'; domain?: string; authtoken?: string } | { kind: 'public-url'; url: string };
  /** The proxy's port; 0 or absent picks a free one. */
  listenPort?: number;
  bodyLimit?: number;
  /** The capture file; null for none. */
  capture: string | null;
  enforceSignatures?: boolean;
  basicAuth?: { username: string; password: string };
  /** The auth tokens that sign webhooks; none: verdicts are "unchecked". */
  authTokens: string[];
  /** Starts the app as a child with TWHOOK_PUBLIC_URL. */
  exec?: string;
  /** Extra setup and teardown steps (e.g. `--events`: a temporary sink and subscription). */
  extensions?: SessionExtension[];
  /** How long requests in flight may finish when the session stops. */
  drainMs?: number;
  /**
   * Called with each request and its capture record (the same id as in the capture file, even
   * with no capture file): the web inspector keeps these.
   */
  onRecord?: (event: RequestEvent, record: CaptureRecord, inspection: Inspection) => void;
}

/** What an extension's setup receives: everything it needs to change the account safely. */
export interface ExtensionContext {
  publicUrl: string;
  /** The public URL with the app's base path: where a webhook the app receives unchanged points. */
  webhookBase: string;
  proxyUrl: string;
  /** The REST port (lazy: calling it loads the SDK). */
  twilio(): Promise<TwilioPort>;
  /** The write-ahead journal: journal every change before making it, with these ids. */
  journal: Journal;
  batch: string;
  session: string;
  owner: ReturnType<typeof currentOwner>;
  signal: AbortSignal;
  emit(event: DevEvent): void;
  now(): Date;
}

export interface ExtensionHandle {
  /** Fields added to the `ready` event (under the extension's name). */
  ready?: Record<string, unknown>;
  /** Undoes the setup; runs in the session's `finally`, in reverse order of setup. */
  teardown(): Promise<void>;
}

export interface SessionExtension {
  name: string;
  setup(context: ExtensionContext): Promise<ExtensionHandle | void>;
}

/** What the engine needs from the context (a subset of Ctx, so demo can build one). */
export interface SessionDeps {
  twilio(): Promise<TwilioPort>;
  tunnel: TunnelFactory;
  configDir: string;
  cwd: string;
  clock: Clock;
  signal: AbortSignal;
  env: Record<string, string | undefined>;
  /** Where to leave a note of what is still changed if the process exits before restoring. */
  exitReports?: ExitReports;
}

export interface SessionSummary {
  /** Why it ended: interrupted, stopped, tunnel lost... */
  reason: string;
  requests: number;
  restore: RestoreReport;
}

export interface DevSession {
  /** Every event, in order, ending after the session's last one. Read it once. */
  readonly events: AsyncIterable<DevEvent>;
  /** Resolves when the session has ended and restored everything; rejects on a fatal error (after restoring). */
  readonly done: Promise<SessionSummary>;
  /** Ends the session (restores, closes); resolves like `done`. */
  stop(reason?: string): Promise<SessionSummary>;
  /** Calls `listener` synchronously with each event as it is emitted (in addition to `events`). */
  subscribe(listener: (event: DevEvent) => void): void;
}

/** The default capture file: .twhook/captures/<date>.jsonl in the working folder. */
export function defaultCapturePath(cwd: string, now: Date): string {
  return join(cwd, '.twhook', 'captures', `${now.toISOString().slice(0, 10)}.jsonl`);
}

/**
 * Which number fields a session sets, and the URL each points at: the public URL with the app's
 * base path (`target`), so the path Twilio signs is the path the app receives (src/dev/paths.ts).
 */
export function numberUpdateFor(
  publicUrl: string,
  paths: DevPaths,
  overrides: Overrides | undefined,
  basicAuth?: { username: string; password: string },
  target?: string,
): { update: NumberUpdate; urls: Partial<Record<NumberField, string>> } {
  const plan = planPaths(publicUrl, target ?? 'http://localhost');
  const base = new URL(plan.publicOrigin);
  if (basicAuth) {
    base.username = encodeURIComponent(basicAuth.username);
    base.password = encodeURIComponent(basicAuth.password);
  }
  const withCredentials = base.href.replace(/\/+$/, '');
  const url = (path: string, root: string) =>
    withOverrides(root + numberPath(plan, normalizePath(path)), overrides ?? {});
  const update: NumberUpdate = {};
  const urls: Partial<Record<NumberField, string>> = {};
  const set = (field: NumberField, method: NumberField | undefined, path: string | null | undefined) => {
    if (path === null || path === undefined) return;
    update[field] = url(path, withCredentials);
    urls[field] = url(path, plan.publicOrigin);
    if (method) update[method] = 'POST';
  };
  set('smsUrl', 'smsMethod', paths.sms);
  set('smsFallbackUrl', 'smsFallbackMethod', paths.smsFallback);
  set('voiceUrl', 'voiceMethod', paths.voice);
  set('voiceFallbackUrl', 'voiceFallbackMethod', paths.voiceFallback);
  set('statusCallback', 'statusCallbackMethod', paths.voiceStatus);
  return { update, urls };
}

/** The public URL under which the app's paths are: its origin and the path numbers get before /sms. */
export function webhookBase(publicUrl: string, target: string): string {
  const plan = planPaths(publicUrl, target);
  return plan.publicOrigin + numberPath(plan, '');
}

export function normalizePath(path: string): string {
  return path.startsWith('/') ? path : `/${path}`;
}

/**
 * Starts a session. Setup failures (a number not found, ngrok refusing) reject `done` after
 * whatever was already changed is put back; nothing is left changed whatever happens.
 */
export function startDevSession(options: DevSessionOptions, deps: SessionDeps): DevSession {
  const channel = new EventChannel<DevEvent>();
  const now = () => deps.clock.now();
  const time = () => now().toISOString();
  const emit = (event: DevEvent) => channel.push(event);
  const stopController = new AbortController();
  let stopReason = 'stopped';
  const stop = (reason: string) => {
    if (stopController.signal.aborted) return;
    stopReason = reason;
    stopController.abort();
  };
  /** The process crashed (an uncaught exception): the session ends as on a fatal error of its own. */
  let crash: unknown;
  const onSignal = () => {
    const reason: unknown = deps.signal.reason;
    if (reason instanceof Error && reason.name === CRASH) {
      crash = reason.cause ?? reason;
      stop('fatal error');
    } else stop('interrupted');
  };
  /** The numbers this session set out to change (PN SID -> number), for messages that name them. */
  const changedNumbers = new Map<string, { phoneNumber: string; accountSid: string }>();
  if (deps.signal.aborted) stop('interrupted');
  else deps.signal.addEventListener('abort', onSignal, { once: true });

  const done = run().finally(() => {
    deps.signal.removeEventListener('abort', onSignal);
    channel.close();
  });
  // `done` is also returned; this keeps an unobserved rejection from crashing the process.
  done.catch(() => undefined);

  return {
    events: channel,
    done,
    async stop(reason = 'stopped') {
      stop(reason);
      return done;
    },
    subscribe: (listener) => channel.subscribe(listener),
  };

  async function run(): Promise<SessionSummary> {
    // A session runs for hours: its memory should not swing with the garbage it makes (see
    // capture/memory.ts).
    const oldGeneration = steadyOldGeneration();
    const journal = new Journal(deps.configDir, { now });
    const batch = newBatchId();
    const session = newBatchId();
    const owner = currentOwner();
    let port: TwilioPort | undefined;
    const twilio = async () => (port ??= await deps.twilio());
    let proxy: ProxyServer | undefined;
    let tunnel: Tunnel | undefined;
    let capture: CaptureWriter | undefined;
    let app: AppProcess | undefined;
    const teardowns: { name: string; teardown: () => Promise<void> }[] = [];
    let requests = 0;
    let fatal: unknown;
    // One object, filled in by the `finally` below: a `return { ..., restore }` would be
    // evaluated before the finally restores, and report an empty restore (exit 0 on failure).
    const summary: SessionSummary = {
      reason: stopReason,
      requests: 0,
      restore: { results: [], restored: [], failed: [] },
    };
    const finish = () => Object.assign(summary, { reason: stopReason, requests });
    const removeExitReport = deps.exitReports?.add(() => leftChanged(journal, session));

    let forgetApp: (() => void) | undefined;

    try {
      await stopLeftovers();
      await recoverEndedSessions(journal, twilio, options.numbers.length > 0);
      const numbers: IncomingNumber[] = [];
      if (options.numbers.length) {
        const api = await twilio();
        for (const given of options.numbers) {
          const number = await resolveNumber(api.numbers, api.accountSid, given);
          if (!numbers.some((n) => n.sid === number.sid)) numbers.push(number);
        }
        const report = await prepareNumbersForSession(api, journal, numbers, { signal: deps.signal });
        reportRecovery(report);
      }
      checkStopped();

      if (options.capture) {
        const path = options.capture;
        // A write that fails (disk full) is said once per failed batch of records, not once a record.
        const onError = (err: Error) =>
          emit({ type: 'warning', time: time(), message: `cannot write to the capture file ${path}: ${err.message}` });
        capture = await CaptureWriter.open(path, { onError }).catch((err: NodeJS.ErrnoException) => {
          throw new UsageError(
            `cannot write the capture file ${path}: ${err.code ?? err.message}; pass --capture FILE elsewhere, or --no-capture`,
          );
        });
      }
      const captureIds = new Map<number, string>();
      const timeouts = {
        readMs: Math.min(options.overrides?.readTimeout ?? TWILIO_TIMEOUT_MS, TWILIO_TIMEOUT_MS),
        totalMs: Math.min(options.overrides?.totalTimeout ?? TWILIO_TIMEOUT_MS, TWILIO_TIMEOUT_MS),
      };
      const verify = options.authTokens.length ? verifier(options.authTokens, options.basicAuth) : undefined;
      if (options.enforceSignatures && !verify) {
        throw new UsageError(
          '--enforce-signatures needs the auth token to check signatures: set TWILIO_AUTH_TOKEN or pass --auth-token',
        );
      }
      proxy = await startProxy({
        target: options.target,
        targetLabel: options.targetLabel,
        port: options.listenPort ?? 0,
        bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
        timeoutsFor: () => timeouts,
        enforceSignatures: options.enforceSignatures,
        basicAuth: options.basicAuth,
        inspect,
        verify,
        now,
        onEvent: (event, info) => {
          requests++;
          if (capture || options.onRecord) {
            const id = newCaptureId(info.receivedAt);
            // Only a first request with an idempotency token can be named by a later retryOf;
            // remembered as long as the proxy remembers tokens (twice over: events complete
            // out of arrival order), so a long session does not keep one entry per request.
            if (event.idempotencyToken !== undefined && event.retryOf === undefined) {
              if (captureIds.size >= 2 * MAX_REMEMBERED_TOKENS) captureIds.delete(captureIds.keys().next().value!);
              captureIds.set(event.id, id);
            }
            const record = captureRecord(
              event,
              id,
              event.retryOf !== undefined ? captureIds.get(event.retryOf) : undefined,
              options.basicAuth?.username,
            );
            // Written at the end of this turn of the event loop, with the other requests of the
            // turn (the answer has gone out by then); a failure is reported by onError.
            void capture?.append(record);
            options.onRecord?.(event, record, info.inspection);
          }
          emit(event);
        },
      }).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'EADDRINUSE')
          throw new UsageError(`port ${options.listenPort} is in use: pick another --listen port`);
        throw err;
      });
      checkStopped();

      tunnel = await deps.tunnel(tunnelRequest(options.tunnel, proxy.url));
      const publicUrl = tunnel.url;
      proxy.setPublicUrl(publicUrl);
      if (options.tunnel.kind === 'public-url' && /^http:\/\//i.test(publicUrl)) {
        // As `configure` warns: Twilio sends to http URLs, but nothing protects what it sends.
        emit({
          type: 'warning',
          time: time(),
          message: `--public-url ${publicUrl} is plain http: requests, and the signed parameters in them, cross the internet unencrypted; use https`,
        });
      }
      const lostTunnel = new Promise<string>((resolve) => tunnel!.onLost(resolve));
      void lostTunnel.then((reason) => {
        fatal = new RemoteError(`the tunnel was lost: ${reason}`, { service: 'ngrok' });
        emit({ type: 'error', time: time(), message: `the tunnel was lost: ${reason}`, fatal: true });
        stop('tunnel lost');
      });
      checkStopped();

      if (options.exec) {
        app = startApp({
          command: options.exec,
          cwd: deps.cwd,
          env: { ...deps.env, TWHOOK_PUBLIC_URL: publicUrl },
          onLine: (stream, line) => emit({ type: 'app-output', time: time(), stream, line }),
        });
        // On disk at once: if this process is SIGKILLed, the next session stops the app.
        if (app.pid !== undefined) {
          try {
            forgetApp = recordApp(deps.configDir, session, {
              pid: app.pid,
              command: options.exec,
              cwd: deps.cwd,
              startedAt: time(),
            });
          } catch (err) {
            emit({
              type: 'warning',
              time: time(),
              message: `cannot record the app's pid in ${deps.configDir}: ${(err as Error).message}; if twhook is killed, stop the app yourself (pid ${app.pid})`,
            });
          }
        }
        void app.exited.then(({ code, signal }) => {
          if (stopController.signal.aborted) return;
          emit({
            type: 'warning',
            time: time(),
            message: `the app (${options.exec}) exited ${signal ? `on ${signal}` : `with code ${code}`}: requests now get 502 until it is back`,
          });
        });
      }

      const readyNumbers: ReadyNumber[] = [];
      for (const known of numbers) {
        checkStopped();
        // Fetched again right before the change: the recovery may have changed it, and so may
        // the user (the Console) while the tunnel was starting. Its values are the backup.
        const number = await (await twilio()).numbers.fetch(known.sid);
        warnApplications(number);
        const { update, urls } = numberUpdateFor(
          publicUrl,
          options.paths,
          options.overrides,
          options.basicAuth,
          options.target,
        );
        changedNumbers.set(number.sid, { phoneNumber: number.phoneNumber, accountSid: (await twilio()).accountSid });
        await applyNumberChange({
          port: await twilio(),
          journal,
          number,
          update,
          origin: 'dev',
          batch,
          session,
          owner,
        });
        readyNumbers.push({ sid: number.sid, phoneNumber: number.phoneNumber, urls: paramNames(urls) });
      }

      const readyExtras: Record<string, unknown> = {};
      for (const extension of options.extensions ?? []) {
        checkStopped();
        const handle = await extension.setup({
          publicUrl,
          webhookBase: webhookBase(publicUrl, options.target),
          proxyUrl: proxy.url,
          twilio,
          journal,
          batch,
          session,
          owner,
          signal: stopController.signal,
          emit,
          now,
        });
        if (handle) {
          teardowns.push({ name: extension.name, teardown: handle.teardown });
          if (handle.ready) readyExtras[extension.name] = handle.ready;
        }
      }
      checkStopped();

      emit({
        type: 'ready',
        time: time(),
        publicUrl,
        webhookBase: webhookBase(publicUrl, options.target),
        proxyUrl: proxy.url,
        target: options.target,
        tunnel: tunnel.provider ?? options.tunnel.kind,
        numbers: readyNumbers,
        capture: capture?.path ?? null,
        signatures: verify ? 'checked' : 'unchecked',
        enforceSignatures: !!options.enforceSignatures,
        basicAuth: !!options.basicAuth,
        ...readyExtras,
      });

      await new Promise<void>((resolve) => {
        if (stopController.signal.aborted) resolve();
        else stopController.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      fatal ??= crash;
      if (fatal) throw fatal;
      return finish();
    } catch (err) {
      if (err instanceof Stopped) {
        fatal ??= crash;
        if (fatal) throw fatal;
        return finish();
      }
      fatal = err;
      throw err;
    } finally {
      // Everything below runs whatever happened above; each step on its own, so one failing
      // never keeps the next (above all the restore) from running.
      for (const { name, teardown } of teardowns.reverse()) {
        await teardown().catch((err: Error) =>
          emit({
            type: 'error',
            time: time(),
            message: `${name}: cleanup failed: ${err.message} (run \`twhook restore\`)`,
            fatal: false,
          }),
        );
      }
      const reason = fatal ? (stopReason === 'tunnel lost' ? 'tunnel lost' : 'fatal error') : stopReason;
      summary.restore = await restoreSession(journal, twilio, session, reason, fatal !== undefined);
      // What the restore could not put back is reported by the session's end (and kept in the journal).
      removeExitReport?.();
      if (proxy) await proxy.close(options.drainMs ?? 2_000).catch(() => undefined);
      if (tunnel)
        await tunnel
          .close()
          .catch((err: Error) =>
            emit({ type: 'warning', time: time(), message: `closing the tunnel: ${err.message}` }),
          );
      if (app) {
        await app.stop().catch(() => undefined);
        try {
          forgetApp?.();
        } catch {
          /* a record left behind names a process that is gone: the next session just forgets it */
        }
      }
      if (capture) await capture.close().catch(() => undefined);
      oldGeneration.release();
    }
  }

  function checkStopped(): void {
    if (stopController.signal.aborted) throw new Stopped();
  }

  /** Stops the apps that `--exec` started for sessions that were killed (the app outlived them). */
  async function stopLeftovers(): Promise<void> {
    let outcomes: LeftoverOutcome[];
    try {
      outcomes = await stopLeftoverApps(deps.configDir);
    } catch (err) {
      emit({
        type: 'warning',
        time: time(),
        message: `cannot check for apps left by an earlier dev session: ${(err as Error).message}`,
      });
      return;
    }
    for (const { record, result } of outcomes) {
      const what = `the app \`${record.command}\` (pid ${record.pid}) that an earlier dev session started at ${record.startedAt}`;
      if (result === 'stopped')
        emit({ type: 'warning', time: time(), message: `stopped ${what} and left running when it was killed` });
      else if (result === 'unverifiable') {
        emit({
          type: 'warning',
          time: time(),
          message: `${what} may still be running (its session was killed); twhook cannot tell it is the same process here: stop it yourself if it holds the app's port`,
        });
      }
    }
  }

  /** Puts back what sessions that ended without restoring (SIGKILL, power cut) left. */
  async function recoverEndedSessions(
    journal: Journal,
    twilio: () => Promise<TwilioPort>,
    haveCredentials: boolean,
  ): Promise<void> {
    const me = currentOwner();
    const ended = journal
      .unrestored({ origin: 'dev' })
      .filter((e) => !(e.owner && e.owner.pid === me.pid && e.owner.host === me.host) && !isOwnerAlive(e.owner));
    if (!ended.length) return;
    let api: TwilioPort;
    try {
      api = await twilio();
    } catch (err) {
      if (haveCredentials) throw err;
      emit({
        type: 'warning',
        time: time(),
        message: `an earlier dev session ended without restoring ${describeEntries(ended)}; run \`twhook restore\` with the account's credentials (${(err as Error).message})`,
      });
      return;
    }
    const mine = ended.filter((e) => e.accountSid === api.accountSid);
    const others = ended.filter((e) => e.accountSid !== api.accountSid);
    for (const accountSid of new Set(others.map((e) => e.accountSid))) {
      const left = others.filter((e) => e.accountSid === accountSid);
      emit({
        type: 'warning',
        time: time(),
        message: `an earlier dev session ended without restoring ${describeEntries(left)} on account ${maskSid(accountSid)}; run \`twhook restore\` with that account's credentials`,
      });
    }
    if (!mine.length) return;
    const report = await restoreEntries(api, journal, mine, {
      mode: 'if-unchanged',
      note: 'restored by the next dev session (the previous one ended without restoring)',
      signal: deps.signal,
    });
    reportRecovery(report);
  }

  function reportRecovery(report: RestoreReport): void {
    for (const r of report.restored) {
      const what = r.kind === 'number' ? r.phoneNumber : `${r.kind} ${r.sid ?? ''}`.trim();
      emit({
        type: 'warning',
        time: time(),
        message: `restored ${what}, left changed by an earlier dev session that did not end cleanly`,
      });
    }
    for (const r of report.failed) {
      const what = r.kind === 'number' ? r.phoneNumber : `${r.kind} ${r.sid ?? ''}`.trim();
      emit({
        type: 'warning',
        time: time(),
        message: `could not restore ${what} left by an earlier dev session: ${r.error} (run \`twhook restore\`)`,
      });
    }
  }

  async function restoreSession(
    journal: Journal,
    twilio: () => Promise<TwilioPort>,
    session: string,
    reason: string,
    failed: boolean,
  ): Promise<RestoreReport> {
    // When the restore cannot even start, every number this session changed is named (the
    // phone number, not only its SID) as failed, so the session ends in error, not in a silent 0.
    const allFailed = (error: string): RestoreReport => {
      const results: RestoreResult[] = [...changedNumbers].map(([numberSid, n]) => ({
        kind: 'number',
        accountSid: n.accountSid,
        numberSid,
        phoneNumber: n.phoneNumber,
        entryIds: [],
        status: 'failed',
        changes: [],
        kept: [],
        error,
      }));
      return { results, restored: [], failed: results };
    };
    let entries: JournalEntry[] = [];
    let report: RestoreReport = { results: [], restored: [], failed: [] };
    try {
      entries = journal.unrestored({ session });
    } catch (err) {
      const names = [...changedNumbers.values()].map((n) => n.phoneNumber).join(', ');
      emit({
        type: 'error',
        time: time(),
        message: `cannot read the journal to restore${names ? ` ${names}` : ''}: ${(err as Error).message}; run \`twhook restore\``,
        fatal: false,
      });
      report = allFailed('the journal could not be read');
    }
    if (entries.length) {
      try {
        // A change of this session that timed out may still be applied by Twilio: finding it not
        // (yet) made must not close its backup.
        report = await restoreEntries(await twilio(), journal, entries, {
          note: `restored at the end of dev session ${session} (${reason})`,
          keepTimedOut: true,
        });
      } catch (err) {
        emit({
          type: 'error',
          time: time(),
          message: `restoring ${describeEntries(entries)} failed: ${(err as Error).message}; run \`twhook restore\``,
          fatal: false,
        });
        report = allFailed((err as Error).message);
      }
    }
    const numbers: RestoredNumber[] = [];
    for (const r of report.results) {
      if (r.kind !== 'number') {
        // After a fatal error nothing else reports it (`dev` ends with that error).
        if (r.error && failed)
          emit({
            type: 'error',
            time: time(),
            message: `could not delete ${r.kind} ${r.sid ?? '(SID unknown)'}: ${r.error} (run \`twhook restore\`)`,
            fatal: false,
          });
        continue;
      }
      const fields: Record<string, string | null> = {};
      // A URL put back may carry a basic-auth password: every renderer shows it masked.
      for (const change of r.changes) fields[change.field] = change.to === null ? null : maskUrl(change.to);
      numbers.push({
        sid: r.numberSid,
        phoneNumber: r.phoneNumber,
        fields,
        ...(r.error ? { error: `${r.error} (run \`twhook restore\`)` } : {}),
      });
      for (const kept of r.kept) {
        emit({
          type: 'warning',
          time: time(),
          message: `${r.phoneNumber}: ${kept.field} was changed by someone else during the session; left as it is`,
        });
      }
    }
    emit({ type: 'restored', time: time(), numbers, reason });
    return report;
  }

  /** The last words of a process that exits with this session's changes in place (see ExitReports). */
  function leftChanged(journal: Journal, session: string): string[] {
    let entries: JournalEntry[];
    try {
      entries = journal.unrestored({ session });
    } catch {
      return [...changedNumbers.values()].map(
        (n) =>
          `twhook: ${n.phoneNumber} may still point at this session: check it with \`twhook restore --list\`, put it back with \`twhook restore ${n.phoneNumber}\``,
      );
    }
    const lines: string[] = [];
    const numbers = new Map<string, Set<string>>();
    for (const e of entries) {
      if (e.kind !== 'number') {
        lines.push(
          `twhook: the ${e.kind.replace('-', ' ')} ${e.sid ?? '(SID unknown)'} this session created still exists: delete it with \`twhook restore --id ${e.id}\``,
        );
        continue;
      }
      const fields = numbers.get(e.phoneNumber) ?? new Set<string>();
      for (const f of Object.keys(e.after)) if (!f.endsWith('Method')) fields.add(PARAM_NAMES[f] ?? f);
      numbers.set(e.phoneNumber, fields);
    }
    const numberLines = [...numbers].map(
      ([phone, fields]) =>
        `twhook: ${phone} still points at this session (${[...fields].join(', ')}): put it back with \`twhook restore ${phone}\``,
    );
    if (!numberLines.length && !lines.length) return [];
    return ['twhook: exited before the restore finished.', ...numberLines, ...lines];
  }

  function warnApplications(number: IncomingNumber): void {
    if (number.smsApplicationSid && options.paths.sms !== null) {
      emit({
        type: 'warning',
        time: time(),
        message: `${number.phoneNumber} sends SMS to TwiML app ${number.smsApplicationSid}: Twilio ignores its SMS URL, so messages will not reach this session`,
      });
    }
    if (number.voiceApplicationSid && options.paths.voice !== null) {
      emit({
        type: 'warning',
        time: time(),
        message: `${number.phoneNumber} sends calls to TwiML app ${number.voiceApplicationSid}: Twilio ignores its voice URL, so calls will not reach this session`,
      });
    }
  }
}

class Stopped extends Error {}

function tunnelRequest(tunnel: DevSessionOptions['tunnel'], proxyUrl: string): TunnelRequest {
  if (tunnel.kind === 'public-url') return { kind: 'public-url', url: tunnel.url };
  return {
    kind: 'ngrok',
    addr: proxyUrl,
    ...(tunnel.domain ? { domain: tunnel.domain } : {}),
    ...(tunnel.authtoken ? { authtoken: tunnel.authtoken } : {}),
  };
}

const PARAM_NAMES: Record<string, string> = {
  smsUrl: 'SmsUrl',
  smsFallbackUrl: 'SmsFallbackUrl',
  voiceUrl: 'VoiceUrl',
  voiceFallbackUrl: 'VoiceFallbackUrl',
  statusCallback: 'StatusCallback',
};

function paramNames(urls: Partial<Record<NumberField, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(urls).map(([field, url]) => [PARAM_NAMES[field] ?? field, url]));
}

function describeEntries(entries: JournalEntry[]): string {
  const names = [...new Set(entries.map((e) => (e.kind === 'number' ? e.phoneNumber : e.kind)))];
  return names.join(', ');
}

function inspect(input: InspectInput): Inspection {
  const c = classify({
    method: input.method,
    url: input.path,
    headers: input.headers,
    body: input.text ?? input.body.toString('utf8'),
  });
  const channel =
    c.kind === 'inbound-sms' || c.kind === 'inbound-mms'
      ? 'messaging'
      : c.kind === 'inbound-call' || c.kind === 'gather'
        ? 'voice'
        : undefined;
  const inspection: Inspection = { kind: c.kind, gist: c.gist, expectsTwiml: c.expectsTwiml };
  if (channel) inspection.channel = channel;
  // The body parsed as a form: the signature check reuses it instead of parsing it again.
  const params = bodyFormParams(c);
  if (params) inspection.params = params;
  return inspection;
}

/** The signature check: the SDK's verdict, with the URL with and without basic-auth credentials. */
function verifier(
  authTokens: string[],
  basicAuth: DevSessionOptions['basicAuth'],
): (input: VerifyInput) => SignatureVerdict {
  const context = basicAuth ? { credentials: basicAuth } : {};
  return (input) => {
    const v = verifyWithBasicAuth(
      {
        url: input.url,
        signature: firstValue(input.headers['x-twilio-signature']),
        body: input.body,
        headers: input.headers,
        authTokens,
        method: input.method,
        explain: true,
        ...(input.params ? { params: input.params } : {}),
      },
      context,
    );
    const verdict: SignatureVerdict = {
      status: v.verdict,
      reason: v.reason ?? (v.valid ? 'signature matches' : 'invalid signature'),
    };
    if (v.basicAuth === 'with-credentials' || v.basicAuth === 'without-credentials') verdict.matchedUrl = v.basicAuth;
    return verdict;
  };
}

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function captureRecord(
  event: RequestEvent,
  id: string,
  retryOf: string | undefined,
  basicAuthUser: string | undefined,
): CaptureRecord {
  const request = event.request;
  // Assigned in the file's key order (no spreads: one record a request).
  const record: CaptureRecord = {
    v: 1,
    id,
    receivedAt: event.time,
    method: request.method,
    url: request.url,
    headers: normalizeHeaders(request.headers),
  };
  if (request.bodyEncoding === 'base64') record.bodyBase64 = request.body;
  else if (request.body) record.body = request.body;
  const r = event.response;
  if (r) {
    const response: CaptureResponse = { status: event.status, headers: normalizeHeaders(r.headers) };
    if (r.bodyEncoding === 'base64') response.bodyBase64 = r.body;
    else if (r.body) response.body = r.body;
    response.ms = event.latencyMs;
    record.response = response;
  } else {
    record.response = { status: event.status, ms: event.latencyMs };
  }
  if (retryOf) record.retryOf = retryOf;
  // What verify needs to agree with the live view: the URL Twilio was given, password masked.
  if (basicAuthUser !== undefined) {
    record.credentialedUrl = credentialedShape(request.url, basicAuthUser);
    if (event.verdict.matchedUrl) record.matchedUrl = event.verdict.matchedUrl;
  }
  if (event.outcome !== 'answered') record.note = event.failure ?? event.outcome;
  return record;
}

/**
 * Runs one spec through the engine and checks it: the spec's inputs become a scripted caller or
 * texter, the events are matched against its expectations (src/simulate/match.ts). Each run is
 * isolated: its own CallSid, cookies and clock (the engine makes them per run).
 */
import type { CaptureRecord } from '../capture/format.js';
import type {
  AppTarget,
  CallInput,
  SimulateCallOptions,
  SimulateTextOptions,
  SimulationResult,
  TextInput,
} from './api.js';
import type { SimEvent } from './events.js';
import { checkSteps } from './match.js';
import { describeRequest, ScriptedCallInputs, ScriptedTextInputs } from './inputs.js';
import type { InputStep, Spec, SpecStep } from './spec.js';
import { appUrl, DEFAULT_FROM, DEFAULT_TO, webhookUrl } from './target.js';
import { UsageError } from '../errors.js';

export interface SimEngine {
  simulateCall(options: SimulateCallOptions): Promise<SimulationResult>;
  simulateText(options: SimulateTextOptions): Promise<SimulationResult>;
}

export interface RunSpecOptions {
  engine: SimEngine;
  /** --app: replaces the spec's app. */
  app?: string;
  authToken?: string;
  accountSid?: string;
  publicUrl?: string;
  realtime?: boolean;
  signal?: AbortSignal;
  onExchange?: (record: CaptureRecord) => void;
  /** One connection pool for every spec of a run (--jobs). */
  dispatcher?: SimulateCallOptions['dispatcher'];
}

export interface SpecResult {
  spec: Spec;
  ok: boolean;
  events: SimEvent[];
  /** The step that broke (or, with `step` undefined, what broke outside the steps). */
  failure?: { step?: SpecStep; message: string; index: number };
  /** Wall-clock milliseconds. */
  ms: number;
}

/** The app target of a spec (after --app), checked before anything runs. */
export function specTarget(spec: Spec, override?: string): AppTarget {
  const raw = override ?? spec.app;
  if (!raw)
    throw new UsageError(
      `${spec.at.file}:${spec.at.line}: spec "${spec.name}" names no app: add ${spec.channel}: { app: http://localhost:3000${spec.channel === 'call' ? '/voice' : '/sms'} } or pass --app`,
    );
  let url = appUrl(raw, spec.channel, override ? '--app' : `${spec.at.file}:${spec.at.line}: ${spec.channel}.app`);
  // --app with no path (a port, an origin) moves the spec's own URL there, path kept: one suite,
  // several environments. With a path, it is the URL.
  if (override && spec.app && !hasPath(override)) {
    const own = new URL(appUrl(spec.app, spec.channel, `${spec.at.file}:${spec.at.line}: ${spec.channel}.app`));
    const base = new URL(url);
    own.protocol = base.protocol;
    own.hostname = base.hostname;
    own.port = base.port;
    own.username = base.username;
    own.password = base.password;
    if (base.hash) own.hash = base.hash;
    url = own.href;
  }
  const target: AppTarget = { url, ...(spec.method ? { method: spec.method } : {}) };
  if (spec.fallback)
    target.fallback = {
      url: webhookUrl(spec.fallback.url, url, 'fallback'),
      ...(spec.fallback.method ? { method: spec.fallback.method } : {}),
    };
  if (spec.statusCallback) {
    target.statusCallback = {
      url: webhookUrl(spec.statusCallback.url, url, 'statusCallback'),
      ...(spec.statusCallback.method ? { method: spec.statusCallback.method } : {}),
    };
  }
  if (spec.statusEvents) target.statusEvents = spec.statusEvents;
  return target;
}

function hasPath(app: string): boolean {
  if (/^\d+$/.test(app.trim())) return false;
  try {
    const u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(app) ? app : `http://${app}`);
    return u.pathname !== '/';
  } catch {
    return false;
  }
}

export async function runSpec(spec: Spec, options: RunSpecOptions): Promise<SpecResult> {
  const started = performance.now();
  const app = specTarget(spec, options.app);
  const events: SimEvent[] = [];
  const controller = new AbortController();
  const onAbort = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const inputSteps = spec.steps.filter((s): s is InputStep => s.kind === 'input');
  const common = {
    app,
    from: spec.from ?? DEFAULT_FROM,
    to: spec.to ?? DEFAULT_TO,
    accountSid: options.accountSid,
    authToken: options.authToken,
    publicUrl: options.publicUrl,
    maxRequests: spec.maxRequests,
    realtime: options.realtime,
    onEvent: (event: SimEvent) => events.push(event),
    onExchange: options.onExchange,
    signal: controller.signal,
    dispatcher: options.dispatcher,
  };
  const usedAt = new Map<SpecStep, number>();
  let failure: SpecResult['failure'];
  try {
    if (spec.channel === 'call') {
      const script = inputSteps.map((step) => ({ input: step.input as CallInput, tag: step as SpecStep }));
      const source = new ScriptedCallInputs<SpecStep>(script, () => events.length, {
        onMismatch: () => controller.abort(new Error('input mismatch')),
      });
      await options.engine.simulateCall({
        ...common,
        inputs: source,
        hangupAfter: spec.hangupAfter,
        dialSeconds: spec.dialSeconds,
        recordSeconds: spec.recordSeconds,
      });
      for (const used of source.used) if (used.tag) usedAt.set(used.tag, used.at);
      if (source.mismatch) {
        const step = source.mismatch.tag;
        failure = {
          step,
          message: `${(step as InputStep).text} came next, but the call asked for ${describeRequest(source.mismatch.request)}`,
          index: Math.max(0, events.length - 1),
        };
      }
    } else {
      const script = inputSteps.map((step) => {
        const { kind: _kind, ...message } = step.input as { kind: 'send' } & TextInput;
        return { input: message as TextInput, tag: step as SpecStep };
      });
      const source = new ScriptedTextInputs<SpecStep>(script, () => events.length);
      await options.engine.simulateText({ ...common, messages: source, delivery: spec.delivery });
      for (const used of source.used) if (used.tag) usedAt.set(used.tag, used.at);
    }
  } catch (err) {
    if (!(options.signal?.aborted || failure)) {
      failure = { message: `the simulation stopped: ${(err as Error).message}`, index: Math.max(0, events.length - 1) };
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  if (!failure && options.signal?.aborted) failure = { message: 'interrupted', index: Math.max(0, events.length - 1) };
  failure ??= checkSteps(spec.steps, events, usedAt);
  failure ??= unexpectedError(spec, events);
  return { spec, ok: !failure, events, failure, ms: performance.now() - started };
}

/** A Twilio error the spec does not expect fails it: CI must not pass over an 11200. */
function unexpectedError(spec: Spec, events: SimEvent[]): SpecResult['failure'] {
  if (spec.steps.some((s) => s.kind === 'expect' && s.type === 'error')) return undefined;
  const index = events.findIndex((e) => e.type === 'error');
  if (index < 0) return undefined;
  const error = events[index] as Extract<SimEvent, { type: 'error' }>;
  return {
    message: `the app caused Twilio error ${error.code} (${error.message}) at ${error.url}; add - expect: { error: { code: ${error.code} } } if it is meant to`,
    index,
  };
}

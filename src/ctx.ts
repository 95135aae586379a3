/**
 * The one context every command receives (the style card's `Ctx`). Commands use neither
 * process.*, console.*, Date.now() nor a global chalk: all of it comes from here, so tests run a
 * command with memory streams, a fixed clock, a temporary config folder and fake factories.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { UsageError } from './errors.js';
import type { Credentials, Sourced } from './twilio/credentials.js';
import { parseEnvFile, profileSecrets, resolveCredentials } from './twilio/credentials.js';
import { readTwilioCliConfig, type TwilioCliConfig } from './twilio/profiles.js';
import type { TwilioPort } from './twilio/port.js';
import type { TunnelFactory } from './tunnel/types.js';
import { SecretRedactor } from './redact.js';
import { Output } from './ui/output.js';
import { inquirerPrompter, type Prompter } from './ui/prompter.js';

export interface Io {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  isStdinTTY: boolean;
  isStdoutTTY: boolean;
  isStderrTTY: boolean;
}

export interface Clock {
  now(): Date;
  /** Waits for real (`call --realtime`); absent: a timer. Tests give one that records instead. */
  sleep?(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * Last words for an exit that cuts cleanup short (a second Ctrl-C, a crash while restoring): a
 * command holding temporary changes adds a report of what is still changed and how to undo it,
 * and removes it once undone. The real process prints every report left when it exits.
 */
export interface ExitReports {
  /** `report` returns the lines to print (none when nothing is left); the result removes it. */
  add(report: () => string[]): () => void;
}

/** The name of the abort reason `systemDeps` gives when the process crashed (an uncaught exception). */
export const CRASH = 'TwhookCrash';

/** The global options, parsed by commander before or after the command name. */
export interface GlobalOptions {
  json?: boolean;
  color?: boolean;
  accountSid?: string;
  authToken?: string[];
  apiKey?: string;
  apiSecret?: string;
  envFile?: string;
  apiUrl?: string;
  /** A twilio-cli profile name (env TWHOOK_PROFILE). */
  profile?: string;
  /** Twilio region and edge of REST calls (env TWILIO_REGION, TWILIO_EDGE). */
  region?: string;
  /** Not `--edge`: configure and dev use that for the webhooks' egress-edge override. */
  apiEdge?: string;
  debug?: boolean;
}

export interface TwilioFactoryOptions {
  credentials: Credentials;
  /** Base URL replacing api.twilio.com and events.twilio.com (an emulator, a test server). */
  apiUrl?: string;
  env: Record<string, string | undefined>;
}

export type TwilioFactory = (options: TwilioFactoryOptions) => Promise<TwilioPort>;

/** What the process (or a test) provides; `makeCtx` adds the parsed global options. */
export interface Deps {
  io: Io;
  env: Record<string, string | undefined>;
  cwd: string;
  clock: Clock;
  signal: AbortSignal;
  /** Where backups and journals live; default XDG_CONFIG_HOME/twhook or ~/.config/twhook. */
  configDir?: string;
  twilioFactory?: TwilioFactory;
  tunnelFactory?: TunnelFactory;
  prompter?: Prompter;
  exitReports?: ExitReports;
}

export interface Ctx {
  readonly io: Io;
  /** The environment: process variables over those of the env file. */
  readonly env: Record<string, string | undefined>;
  readonly cwd: string;
  readonly clock: Clock;
  readonly signal: AbortSignal;
  readonly configDir: string;
  readonly globals: GlobalOptions;
  readonly out: Output;
  /** True when a prompt can be shown: stdin and stderr are terminals and --json is off. */
  readonly canPrompt: boolean;
  /** The API base URL replacing Twilio's, and where it was set (--api-url, TWHOOK_API_URL, the env file). */
  readonly apiUrl?: Sourced;
  credentials(): Credentials;
  twilio(): Promise<TwilioPort>;
  readonly tunnel: TunnelFactory;
  readonly prompter: Prompter;
  readonly exitReports: ExitReports;
}

export function defaultConfigDir(env: Record<string, string | undefined>, platform = process.platform): string {
  if (env.TWHOOK_CONFIG_DIR) return env.TWHOOK_CONFIG_DIR;
  if (platform === 'win32' && env.APPDATA) return join(env.APPDATA, 'twhook');
  if (env.XDG_CONFIG_HOME) return join(env.XDG_CONFIG_HOME, 'twhook');
  return join(env.HOME || homedir(), '.config', 'twhook');
}

function readEnvFile(cwd: string, explicit: string | undefined): { path?: string; values: Record<string, string> } {
  const path = explicit ? resolve(cwd, explicit) : join(cwd, '.env');
  if (!explicit && !existsSync(path)) return { values: {} };
  try {
    return { path, values: parseEnvFile(readFileSync(path, 'utf8')) };
  } catch (err) {
    throw new UsageError(
      `cannot read the env file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

export function makeCtx(deps: Deps, globals: GlobalOptions): Ctx {
  const envFile = readEnvFile(deps.cwd, globals.envFile);
  const env = { ...envFile.values, ...deps.env };
  const noColor = globals.color === false || (env.NO_COLOR !== undefined && env.NO_COLOR !== '');
  const forceColor = env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== '';
  const redactor = new SecretRedactor();
  const out = new Output(deps.io, {
    json: !!globals.json,
    color: !noColor && (forceColor || deps.io.isStdoutTTY),
    redactor,
  });
  // Resolved up front (it only reads what was already loaded): every secret the process knows of
  // is redacted from all output, whatever path it takes.
  // twilio-cli's config.json is read only when a profile may be needed; every API secret in it is
  // then redacted, whichever profile is used.
  let twilioCli: TwilioCliConfig | undefined;
  const credentials: Credentials = resolveCredentials(globals, deps.env, envFile.values, envFile.path, () => {
    twilioCli = readTwilioCliConfig(env);
    return twilioCli;
  });
  for (const token of credentials.authTokens) redactor.add(token.value);
  redactor.add(credentials.apiSecret?.value);
  for (const secret of profileSecrets(twilioCli)) redactor.add(secret);
  redactor.add(env.NGROK_AUTHTOKEN);

  let port: Promise<TwilioPort> | undefined;
  const apiUrl = globals.apiUrl ?? env.TWHOOK_API_URL;
  const apiUrlSource: Sourced['source'] =
    globals.apiUrl !== undefined ? 'flag' : deps.env.TWHOOK_API_URL !== undefined ? 'env' : 'env-file';
  const canPrompt = deps.io.isStdinTTY && deps.io.isStderrTTY && !globals.json;
  return {
    io: deps.io,
    env,
    cwd: deps.cwd,
    clock: deps.clock,
    signal: deps.signal,
    configDir: deps.configDir ?? defaultConfigDir(env),
    globals,
    out,
    canPrompt,
    ...(apiUrl !== undefined ? { apiUrl: { value: apiUrl, source: apiUrlSource } } : {}),
    credentials: () => credentials,
    twilio() {
      port ??= (deps.twilioFactory ?? defaultTwilioFactory)({ credentials, apiUrl, env });
      return port;
    },
    tunnel: deps.tunnelFactory ?? defaultTunnelFactory,
    prompter: deps.prompter ?? inquirerPrompter(deps.io, deps.signal),
    exitReports: deps.exitReports ?? { add: () => () => undefined },
  };
}

const defaultTwilioFactory: TwilioFactory = async (options) => {
  const { createTwilioPort } = await import('./twilio/client.js');
  return createTwilioPort(options);
};

const defaultTunnelFactory: TunnelFactory = async (request) => {
  const { openTunnel } = await import('./tunnel/index.js');
  return openTunnel(request);
};

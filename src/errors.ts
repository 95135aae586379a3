/**
 * The error types every command throws. Only `main()` in src/cli.ts turns them into exit codes,
 * so commands never call process.exit and tests can assert on the type.
 */

export type ErrorType = 'usage' | 'remote' | 'check' | 'cancel' | 'internal';

export abstract class TwhookError extends Error {
  abstract readonly exitCode: number;
  abstract readonly type: ErrorType;
  /** Extra fields for the `--json` error object (never secrets). */
  details(): Record<string, unknown> {
    return {};
  }
}

/** Bad flags, arguments, files or credentials the user can fix: exit 2. */
export class UsageError extends TwhookError {
  readonly exitCode = 2;
  readonly type = 'usage' as const;
}

export interface RemoteErrorInfo {
  /** Twilio's error code (20404, 21402...) or an ngrok code (ERR_NGROK_4018), or a network code (ECONNREFUSED). */
  code?: number | string;
  /** HTTP status of the failed call, when there was one. */
  status?: number;
  /** Twilio's more_info link. */
  moreInfo?: string;
  /** Which service failed: twilio, ngrok, network, app. */
  service?: string;
}

/** Twilio, ngrok or the network failed (including 401 from Twilio): exit 3. */
export class RemoteError extends TwhookError {
  readonly exitCode = 3;
  readonly type = 'remote' as const;
  readonly info: RemoteErrorInfo;
  constructor(message: string, info: RemoteErrorInfo = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.info = info;
  }
  override details(): Record<string, unknown> {
    const { code, status, moreInfo, service } = this.info;
    return { code, status, moreInfo, service };
  }
}

/** A check ran and failed (verify found an invalid signature, a probe found forgeries): exit 1. */
export class CheckFailed extends TwhookError {
  readonly exitCode = 1;
  readonly type = 'check' as const;
}

/** The user cancelled at a prompt (Ctrl-C): exit 130. */
export class CancelError extends TwhookError {
  readonly exitCode = 130;
  readonly type = 'cancel' as const;
  constructor(message = 'cancelled') {
    super(message);
  }
}

/** Why a file could not be read, in words, for a one-line error: `cannot read FILE: <this>`. */
export function unreadableReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'it is a folder';
  return (err as Error).message ?? code ?? String(err);
}

export function exitCodeOf(err: unknown): number {
  if (err instanceof TwhookError) return err.exitCode;
  return 1;
}

/** The `{"error": {...}}` object printed with --json. */
export function errorJson(err: unknown): { error: Record<string, unknown> } {
  if (err instanceof TwhookError) {
    const details = Object.fromEntries(Object.entries(err.details()).filter(([, v]) => v !== undefined));
    return { error: { type: err.type, message: err.message, exitCode: err.exitCode, ...details } };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { error: { type: 'internal', message, exitCode: 1 } };
}

/**
 * The real process as `Deps`. Kept apart from ctx.ts, and free of imports beyond Node's, so that
 * `twhook --help` and `--version` load nothing but commander.
 */
import { getEventListeners } from 'node:events';
import { writeSync } from 'node:fs';
import type { Deps, ExitReports } from './ctx.js';

/** ctx.ts's CRASH (not imported: this module loads nothing but Node's own). */
const CRASH = 'TwhookCrash';

export function systemDeps(): Deps {
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (name: NodeJS.Signals) => {
    const cleaning = controller.signal.aborted;
    if (name === 'SIGINT') interrupts += 1;
    // Nobody listening (a command with nothing to clean up): stop now, as a program without
    // handlers would. A second Ctrl-C while cleanup runs is the user insisting: stop too (the
    // journal lets the next run finish the restore). Any other signal during cleanup (the
    // terminal closing after Ctrl-C sends SIGHUP) must not cut the restore short: ignore it.
    if (!cleaning && getEventListeners(controller.signal, 'abort').length === 0) {
      process.exit(name === 'SIGINT' ? 130 : name === 'SIGTERM' ? 143 : 129);
    }
    if (cleaning) {
      if (name === 'SIGINT' && interrupts > 1) process.exit(130);
      return;
    }
    controller.abort(new Error(name));
  };
  for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(name, onSignal);

  // Whatever ends the process while a command still holds changes (a second Ctrl-C, a crash during
  // the restore), the user is told what is left and how to put it back: on 'exit', synchronously.
  const reports = new Set<() => string[]>();
  const exitReports: ExitReports = {
    add(report) {
      reports.add(report);
      return () => void reports.delete(report);
    },
  };
  process.on('exit', () => {
    for (const report of reports) {
      try {
        const lines = report();
        if (lines.length) writeSync(2, lines.join('\n') + '\n');
      } catch {
        /* the last words must not throw on the way out */
      }
    }
    reports.clear();
  });

  // A bug (an uncaught exception or rejection) with cleanup to do: stop as on a fatal error, so the
  // numbers are restored first; the command then ends with the error (exit 1). A crash with
  // nothing to clean up, or during the cleanup itself, exits at once (after the reports above).
  let crashed = false;
  const onCrash = (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    if (!crashed && !controller.signal.aborted && getEventListeners(controller.signal, 'abort').length > 0) {
      crashed = true;
      writeSync(2, `twhook: unexpected error: ${message}; restoring before exiting\n`);
      const reason = new Error(message, { cause: err });
      reason.name = CRASH;
      controller.abort(reason);
      return;
    }
    writeSync(2, `twhook: unexpected error: ${message}\n`);
    process.exit(1);
  };
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  // `twhook ... | head` closes the pipe early (EPIPE), and a closed terminal fails writes (EIO):
  // the reader is gone, which is not a failure. A command with cleanup to do (dev restoring
  // numbers) is stopped like by Ctrl-C instead, and later write errors are ignored so the
  // cleanup can finish.
  for (const stream of [process.stdout, process.stderr]) {
    let closed = false;
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (closed) return;
      if (err.code === 'EPIPE' || err.code === 'EIO') {
        closed = true;
        if (controller.signal.aborted) return;
        if (getEventListeners(controller.signal, 'abort').length > 0) return controller.abort(new Error('EPIPE'));
        process.exit(process.exitCode ?? 0);
      }
      throw err;
    });
  }
  return {
    io: {
      stdin: process.stdin,
      stdout: process.stdout,
      stderr: process.stderr,
      isStdinTTY: !!process.stdin.isTTY,
      isStdoutTTY: !!process.stdout.isTTY,
      isStderrTTY: !!process.stderr.isTTY,
    },
    env: process.env,
    cwd: process.cwd(),
    clock: { now: () => new Date() },
    signal: controller.signal,
    exitReports,
  };
}

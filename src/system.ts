/**
 * The real process as `Deps`. Kept apart from ctx.ts, and free of imports beyond Node's, so that
 * `twhook --help` and `--version` load nothing but commander.
 */
import { getEventListeners } from 'node:events';
import type { Deps } from './ctx.js';

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
  };
}

/**
 * The simulated clock: Pause, Gather timeouts, recordings and dials move it forward without
 * waiting, so a five-minute IVR runs in milliseconds; CallDuration and Timestamps follow it.
 * `realtime` waits for real (`twhook call --realtime`), for a person listening along.
 */
import { setTimeout as timer } from 'node:timers/promises';

/** How `realtime` waits: resolves after `ms`, rejects when the signal aborts. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

const realSleep: Sleep = async (ms, signal) => {
  await timer(ms, undefined, { signal });
};

/** The run was stopped (Ctrl-C, the caller's AbortSignal) while it waited or a request was out. */
export class SimAborted extends Error {
  constructor() {
    super('stopped');
  }
}

export class SimClock {
  /** Simulated seconds since the start. */
  private seconds = 0;
  readonly startedAt: Date;

  constructor(
    private readonly options: { realtime?: boolean; signal?: AbortSignal; start?: Date; sleep?: Sleep } = {},
  ) {
    this.startedAt = options.start ?? new Date();
  }

  /** Seconds since the start, to the millisecond. */
  get t(): number {
    return Math.round(this.seconds * 1000) / 1000;
  }

  /** The wall-clock time the simulation is at (start + simulated seconds). */
  now(): Date {
    return new Date(this.startedAt.getTime() + this.seconds * 1000);
  }

  /** Moves on `seconds`; throws SimAborted if the signal aborts (before, or during a realtime wait). */
  async advance(seconds: number): Promise<void> {
    if (!(seconds > 0)) return;
    const signal = this.options.signal;
    if (signal?.aborted) throw new SimAborted();
    if (this.options.realtime) {
      try {
        await (this.options.sleep ?? realSleep)(seconds * 1000, signal);
      } catch (err) {
        if (signal?.aborted) throw new SimAborted();
        throw err;
      }
    }
    this.seconds += seconds;
  }
}

/** Twilio's Timestamp format in status callbacks: "Sun, 06 Dec 2026 14:00:00 +0000". */
export function rfc2822(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}

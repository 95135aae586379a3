/**
 * The simulated clock: Pause, Gather timeouts, recordings and dials move it forward without
 * waiting, so a five-minute IVR runs in milliseconds; CallDuration and Timestamps follow it.
 * `realtime` waits for real (`twhook call --realtime`), for a person listening along.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export class SimClock {
  /** Simulated seconds since the start. */
  private seconds = 0;
  readonly startedAt: Date;

  constructor(private readonly options: { realtime?: boolean; signal?: AbortSignal; start?: Date } = {}) {
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

  async advance(seconds: number): Promise<void> {
    if (!(seconds > 0)) return;
    if (this.options.realtime) await sleep(seconds * 1000, undefined, { signal: this.options.signal });
    this.seconds += seconds;
  }
}

/** Twilio's Timestamp format in status callbacks: "Sun, 06 Dec 2026 14:00:00 +0000". */
export function rfc2822(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}

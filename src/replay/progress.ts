/**
 * A one-line progress bar on stderr for long replays, on a terminal only (off a TTY: none, so
 * logs stay clean). It waits a moment before drawing, so short replays never flash it, and
 * redraws at most ten times a second.
 */
import type { Writable } from 'node:stream';
import type { ChalkInstance } from 'chalk';

const WIDTH = 24;
const FIRST_DRAW_MS = 300;
const REDRAW_MS = 100;

export class ProgressBar {
  private readonly started = performance.now();
  private lastDraw = 0;
  private drawn = false;
  private done = 0;
  private failed = 0;

  /** Unknown (shown as …) until the reader has seen the whole capture. */
  private total: number | undefined;

  constructor(
    private readonly stream: Writable,
    private readonly c: ChalkInstance,
    private readonly label = 'replaying',
  ) {}

  setTotal(total: number): void {
    this.total = total;
  }

  update(done: number, failed: number): void {
    this.done = done;
    this.failed = failed;
    const now = performance.now();
    if (now - this.started < FIRST_DRAW_MS || now - this.lastDraw < REDRAW_MS) return;
    this.draw(now);
  }

  /** Erases the bar, before a line is printed on the same terminal. */
  clear(): void {
    if (!this.drawn) return;
    this.stream.write('\r\u001b[2K');
    this.drawn = false;
  }

  /** Draws again at once (after a line was printed). */
  redraw(): void {
    if (performance.now() - this.started >= FIRST_DRAW_MS) this.draw(performance.now());
  }

  finish(): void {
    this.clear();
  }

  private draw(now: number): void {
    this.lastDraw = now;
    const ratio = this.total === undefined ? 0 : this.total ? Math.min(1, this.done / this.total) : 1;
    const filled = Math.round(ratio * WIDTH);
    const bar = this.c.green('█'.repeat(filled)) + this.c.dim('░'.repeat(WIDTH - filled));
    const seconds = (now - this.started) / 1000;
    const rate = seconds > 0 ? Math.round(this.done / seconds) : 0;
    const failed = this.failed ? ` · ${this.c.red(`${this.failed} failed`)}` : '';
    this.stream.write(`\r\u001b[2K${this.label} ${bar} ${this.done}/${this.total ?? '…'} · ${rate}/s${failed}`);
    this.drawn = true;
  }
}

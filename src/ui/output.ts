import { Chalk, type ChalkInstance } from 'chalk';
import type { Io } from '../ctx.js';
import { SecretRedactor } from '../redact.js';

export interface Column<T> {
  header: string;
  value: (row: T) => string;
}

export interface OutputOptions {
  json: boolean;
  color: boolean;
  redactor?: SecretRedactor;
}

/**
 * Where every command writes. Data goes to stdout (a table on a TTY, TSV when piped, one JSON
 * object a line with --json); notes, warnings and progress go to stderr so pipes stay clean.
 * Everything passes through the secret redactor.
 */
export class Output {
  readonly json: boolean;
  readonly c: ChalkInstance;
  readonly redactor: SecretRedactor;

  constructor(
    readonly io: Io,
    options: OutputOptions,
  ) {
    this.json = options.json;
    this.c = new Chalk({ level: options.color ? 1 : 0 });
    this.redactor = options.redactor ?? new SecretRedactor();
  }

  /** A line of human data on stdout. */
  print(text = ''): void {
    this.io.stdout.write(this.redactor.redact(text) + '\n');
  }

  /** One JSON value as one line on stdout. */
  emit(value: unknown): void {
    this.io.stdout.write(this.redactor.redact(JSON.stringify(value)) + '\n');
  }

  /** One line of JSON already serialized (a hot path's own JSON.stringify), on stdout. */
  emitJson(json: string): void {
    this.io.stdout.write(this.redactor.redact(json) + '\n');
  }

  /** A human note on stderr (progress, context). Silent with --json, whose stdout is the record. */
  note(text: string): void {
    if (this.json) return;
    this.io.stderr.write(this.redactor.redact(text) + '\n');
  }

  /** A warning on stderr, shown in every mode because it may change what the user does next. */
  warn(text: string): void {
    this.io.stderr.write(this.redactor.redact(`${this.c.yellow('warning:')} ${text}`) + '\n');
  }

  /** The one-line error of a failed command. */
  error(text: string): void {
    this.io.stderr.write(this.redactor.redact(`${this.c.red('error:')} ${text}`) + '\n');
  }

  /** With --json emits `value`, otherwise runs the human renderer. */
  result(value: unknown, human: () => void): void {
    if (this.json) this.emit(value);
    else human();
  }

  /** An aligned table with a bold header on a TTY; tab-separated rows without header when piped. */
  table<T>(columns: Column<T>[], rows: T[]): void {
    const cells = rows.map((row) => columns.map((col) => clean(col.value(row))));
    if (!this.io.isStdoutTTY) {
      for (const line of cells) this.print(line.join('\t'));
      return;
    }
    const widths = columns.map((col, i) =>
      Math.max(col.header.length, ...cells.map((line) => visibleLength(line[i]!))),
    );
    const pad = (text: string, i: number) =>
      i === columns.length - 1 ? text : text + ' '.repeat(widths[i]! - visibleLength(text));
    this.print(this.c.bold(columns.map((col, i) => pad(col.header, i)).join('  ')));
    for (const line of cells) this.print(line.map(pad).join('  '));
  }
}

function clean(text: string): string {
  return text.replace(/[\t\r\n]+/g, ' ');
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
export function visibleLength(text: string): number {
  return text.replace(ANSI, '').length;
}

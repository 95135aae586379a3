/**
 * Scripted callers and texters: inputs handed to the engine in order, each remembered with the
 * number of events there were when the engine took it (an expectation written after an input only
 * looks at what happened after it; `--save` writes each input at that point). Used by `twhook test`
 * (inputs from a spec), `twhook call` (from the command line, then a terminal prompt) and `twhook
 * text`.
 */
import type { CallInput, CallInputSource, InputRequest, TextInput, TextInputSource } from './api.js';

/** An input the engine took, and how many events had happened by then. */
export interface UsedInput<T> {
  input: CallInput | TextInput;
  at: number;
  /** The script item it came from (a spec step, a flag); undefined when asked at a prompt or a default. */
  tag?: T;
}

export interface InputMismatch<T> {
  tag: T;
  input: CallInput;
  request: InputRequest;
}

/** Whether an input answers what the call waits for. A hangup answers anything. */
export function inputFits(input: CallInput, request: InputRequest): boolean {
  switch (input.kind) {
    case 'hangup':
      return true;
    case 'press':
    case 'speak':
      return request.kind === 'gather';
    case 'wait':
      return request.kind === 'gather' || request.kind === 'record';
    case 'dial':
      return request.kind === 'dial';
    case 'record':
      return request.kind === 'record';
    case 'dequeue':
      return request.kind === 'enqueue';
  }
}

/** What the call waited for, in words: "a <Gather> (dtmf, 1 digit)". */
export function describeRequest(request: InputRequest): string {
  switch (request.kind) {
    case 'gather': {
      const g = request.gather;
      const digits = g.numDigits !== undefined ? `, ${g.numDigits} digit${g.numDigits === 1 ? '' : 's'}` : '';
      return `a <Gather> (${g.input}${digits})`;
    }
    case 'dial':
      return `a <Dial> to ${request.to.join(', ') || 'nobody'}`;
    case 'record':
      return `a <Record> (up to ${request.maxLength} s)`;
    case 'enqueue':
      return `an <Enqueue> (queue ${request.queue})`;
  }
}

export class ScriptedCallInputs<T> implements CallInputSource {
  readonly used: UsedInput<T>[] = [];
  mismatch?: InputMismatch<T>;
  private index = 0;

  constructor(
    private readonly script: Array<{ input: CallInput; tag: T }>,
    private readonly eventCount: () => number,
    private readonly options: {
      /** Asked when the script is used up (a terminal prompt); undefined: nothing more. */
      ask?: (request: InputRequest) => Promise<CallInput | undefined>;
      /** A scripted input that does not fit the request: the run should stop. */
      onMismatch?: (mismatch: InputMismatch<T>) => void;
    } = {},
  ) {}

  /** The scripted inputs not used (the call ended before they were asked for). */
  get left(): Array<{ input: CallInput; tag: T }> {
    return this.script.slice(this.index);
  }

  async next(request: InputRequest): Promise<CallInput | undefined> {
    if (this.mismatch) return { kind: 'hangup' };
    const at = this.eventCount();
    const item = this.script[this.index];
    // An Enqueue takes a dequeue (or hangup) only when it comes next; anything else waits for its turn.
    if (request.kind === 'enqueue' && (!item || !inputFits(item.input, request))) return undefined;
    if (item) {
      if (!inputFits(item.input, request)) {
        this.mismatch = { tag: item.tag, input: item.input, request };
        this.options.onMismatch?.(this.mismatch);
        // The caller leaves: the run is stopped and reported as a mismatch, not as a result.
        return { kind: 'hangup' };
      }
      this.index += 1;
      this.used.push({ input: item.input, at, tag: item.tag });
      return item.input;
    }
    const asked = await this.options.ask?.(request);
    if (asked) this.used.push({ input: asked, at });
    return asked;
  }
}

export class ScriptedTextInputs<T> implements TextInputSource {
  readonly used: UsedInput<T>[] = [];
  private index = 0;

  constructor(
    private readonly script: Array<{ input: TextInput; tag: T }>,
    private readonly eventCount: () => number,
    private readonly ask?: () => Promise<TextInput | undefined>,
  ) {}

  get left(): Array<{ input: TextInput; tag: T }> {
    return this.script.slice(this.index);
  }

  async next(): Promise<TextInput | undefined> {
    const at = this.eventCount();
    const item = this.script[this.index];
    if (item) {
      this.index += 1;
      this.used.push({ input: item.input, at, tag: item.tag });
      return item.input;
    }
    const asked = await this.ask?.();
    if (asked) this.used.push({ input: asked, at });
    return asked;
  }
}

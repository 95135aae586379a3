import type { Io } from '../ctx.js';
import { CancelError } from '../errors.js';

export interface Choice<T> {
  name: string;
  value: T;
  description?: string;
  checked?: boolean;
}

export interface Prompter {
  input(opts: { message: string; default?: string; validate?: (value: string) => true | string }): Promise<string>;
  confirm(opts: { message: string; default?: boolean }): Promise<boolean>;
  /** Input shown masked (secrets such as a Segment write key); optional for prompters that cannot hide input. */
  password?(opts: { message: string; validate?: (value: string) => true | string }): Promise<string>;
  /** `default`: the value Enter picks (the cursor starts on it). */
  select<T>(opts: { message: string; choices: Choice<T>[]; default?: T }): Promise<T>;
  checkbox<T>(opts: { message: string; choices: Choice<T>[]; required?: boolean }): Promise<T[]>;
  /** A filtered pick-one list: `source` gets what the user typed so far. */
  search<T>(opts: {
    message: string;
    source: (term: string | undefined) => Promise<Choice<T>[]> | Choice<T>[];
  }): Promise<T>;
}

/**
 * Prompts from @inquirer/prompts, read from stdin and drawn on stderr so stdout stays data.
 * The module is loaded on first use: commands that never prompt never pay for it.
 */
export function inquirerPrompter(io: Io, signal: AbortSignal): Prompter {
  const context = { input: io.stdin, output: io.stderr, signal } as never;
  const load = () => import('@inquirer/prompts');
  const guard = async <T>(ask: () => Promise<T>): Promise<T> => {
    try {
      return await ask();
    } catch (err) {
      const name = (err as Error)?.name;
      if (name === 'ExitPromptError' || name === 'AbortPromptError' || name === 'CancelPromptError')
        throw new CancelError();
      throw err;
    }
  };
  return {
    input: (opts) => guard(async () => (await load()).input(opts, context)),
    confirm: (opts) => guard(async () => (await load()).confirm(opts, context)),
    password: (opts) => guard(async () => (await load()).password({ ...opts, mask: true }, context)),
    select: (opts) => guard(async () => (await load()).select(opts as never, context) as never),
    checkbox: (opts) => guard(async () => (await load()).checkbox(opts as never, context) as never),
    search: (opts) => guard(async () => (await load()).search(opts as never, context) as never),
  };
}

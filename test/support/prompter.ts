import type { Choice, Prompter } from '../../src/ui/prompter.js';

export interface PromptRecord {
  kind: keyof Prompter;
  message: string;
  choices?: string[];
  /** What Enter would pick. */
  default?: unknown;
}

/** A scripted answer: press Enter on the prompt's default. */
export const ENTER = Symbol('enter');

/**
 * A prompter that answers from a script, in order, and records what was asked. An answer may be
 * a function of the choices offered (to pick by label). Running out of answers fails the test.
 */
export function scriptedPrompter(answers: unknown[]): Prompter & { asked: PromptRecord[] } {
  const asked: PromptRecord[] = [];
  const next = async <T>(kind: keyof Prompter, message: string, choices?: Choice<T>[], byDefault?: T): Promise<T> => {
    asked.push({
      kind,
      message,
      choices: choices?.map((c) => c.name),
      ...(byDefault !== undefined ? { default: byDefault } : {}),
    });
    if (answers.length === 0) throw new Error(`no scripted answer for ${kind} "${message}"`);
    const answer = answers.shift();
    if (answer === ENTER) return (byDefault ?? (kind === 'input' ? '' : undefined)) as T;
    return (typeof answer === 'function' ? (answer as (c?: Choice<T>[]) => T)(choices) : answer) as T;
  };
  return {
    asked,
    async input(opts) {
      const value = await next<string>('input', opts.message, undefined, opts.default);
      const verdict = opts.validate?.(value);
      if (typeof verdict === 'string') throw new Error(`scripted input "${value}" rejected: ${verdict}`);
      return value;
    },
    confirm: (opts) => next('confirm', opts.message, undefined, opts.default),
    async password(opts) {
      const value = await next<string>('password', opts.message);
      const verdict = opts.validate?.(value);
      if (typeof verdict === 'string') throw new Error(`scripted password rejected: ${verdict}`);
      return value;
    },
    select: (opts) => next('select', opts.message, opts.choices, opts.default),
    checkbox: (opts) => next('checkbox', opts.message, opts.choices) as never,
    async search(opts) {
      const choices = await opts.source(undefined);
      return next('search', opts.message, choices);
    },
  };
}

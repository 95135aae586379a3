/**
 * The commander program. Only the command being run is loaded: every other command is a
 * one-line stub for the help listing, so `twhook --help` costs commander and nothing else.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import type { Ctx, Deps, GlobalOptions } from './ctx.js';
import { COMMANDS, type Wire } from './commands/registry.js';
export { COMMANDS, type CommandEntry, type CommandModule, type Handler, type Wire } from './commands/registry.js';
import { collect } from './commands/shared/collect.js';

/** Global options that take a value: needed to find the command name in argv before parsing. */
const VALUE_OPTIONS = new Set([
  '--account-sid',
  '--auth-token',
  '--api-key',
  '--api-secret',
  '--env-file',
  '--api-url',
  '--profile',
  '--region',
  '--api-edge',
]);

export function findCommandName(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return undefined;
    if (arg.startsWith('-')) {
      if (VALUE_OPTIONS.has(arg)) i++;
      continue;
    }
    if (arg === 'help') return argv.slice(i + 1).find((a) => !a.startsWith('-'));
    return arg;
  }
  return undefined;
}

function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
      .version;
  } catch {
    return '0.0.0';
  }
}

export function buildProgram(deps: Deps, state: { ctx?: Ctx; exitCode: number }): Command {
  const program = new Command('twhook');
  program
    .description('Build, test and run Twilio webhook endpoints: tunnel, inspect, verify, replay, restore.')
    .version(version(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .option('--json', 'machine-readable output: one JSON object (a line each for streams)')
    .option('--no-color', 'no colour (also NO_COLOR=1)')
    .option('--account-sid <sid>', 'Twilio account SID (env TWILIO_ACCOUNT_SID)')
    .option('--auth-token <token>', 'Twilio auth token (env TWILIO_AUTH_TOKEN); repeat to check several', collect)
    .option('--api-key <sid>', 'API key SID for REST calls (env TWILIO_API_KEY)')
    .option('--api-secret <secret>', 'API key secret (env TWILIO_API_SECRET)')
    .option('--env-file <path>', 'read credentials from this file (default: ./.env when it exists)')
    .option('--profile <name>', 'use this twilio-cli profile (`twilio login`) (env TWHOOK_PROFILE)')
    .option('--region <id>', 'Twilio region of the account: ie1, au1… (env TWILIO_REGION; default us1)')
    .option('--api-edge <id>', "Twilio edge for REST calls: dublin, sydney… (env TWILIO_EDGE; default: the region's)")
    .option('--api-url <url>', 'send REST calls to this base URL instead of Twilio (env TWHOOK_API_URL)')
    .addOption(new Option('--debug', 'show stack traces').hideHelp())
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => deps.io.stdout.write(text),
      writeErr: (text) => deps.io.stderr.write(text),
      // reportError() prints commander's errors as one line with the way out.
      outputError: () => undefined,
    });
  if (COMMANDS.length) {
    program.addHelpText(
      'after',
      `\nExamples:\n${COMMANDS.map((c) => `  $ ${c.example}`).join('\n')}\n\nDocs: https://www.npmjs.com/package/twhook`,
    );
  }

  state.exitCode = 0;
  return program;
}

export function wireFor(deps: Deps, state: { ctx?: Ctx; exitCode: number }): Wire {
  return (handler) =>
    async (...args) => {
      const command = args[args.length - 1] as Command;
      const globals = command.optsWithGlobals() as GlobalOptions;
      const { makeCtx } = await import('./ctx.js');
      const ctx = makeCtx(deps, globals);
      state.ctx = ctx;
      const code = await handler(ctx, ...args.slice(0, -1));
      state.exitCode = typeof code === 'number' ? code : 0;
    };
}

/** Runs twhook with `argv` (without node and the script) and returns the exit code. */
export async function main(argv: string[], deps: Deps): Promise<number> {
  const state: { ctx?: Ctx; exitCode: number } = { exitCode: 0 };
  const program = buildProgram(deps, state);
  const wire = wireFor(deps, state);
  const target = findCommandName(argv);
  for (const entry of COMMANDS) {
    const cmd = program.command(entry.name).description(entry.summary);
    if (entry.name === target) {
      (await entry.load()).register(cmd, wire);
      cmd.addHelpText(
        'afterAll',
        '\nGlobal options (before or after the command): --json --no-color --account-sid --auth-token --api-key --api-secret --env-file --profile --region --api-edge --api-url',
      );
    }
  }
  try {
    // commander answers `help <unknown>` with the full help and exit 0: a typo would pass unseen.
    if (target !== undefined && argv.includes('help') && !COMMANDS.some((c) => c.name === target)) {
      throw new CommanderError(2, 'commander.unknownCommand', `error: unknown command '${target}'`);
    }
    await program.parseAsync(argv, { from: 'user' });
    return state.exitCode;
  } catch (err) {
    return reportError(err, argv, deps, state.ctx, program);
  }
}

/**
 * commander's message as one line that says the way out: its "(Did you mean …?)" joined on, or
 * else where the usage is (`twhook sinks create --help`).
 */
export function commanderMessage(err: CommanderError, argv: string[], program: Command): string {
  const [first = '', ...rest] = err.message
    .replace(/^error: /, '')
    .trim()
    .split('\n');
  const suggestion = rest
    .join(' ')
    .trim()
    .match(/^\(Did you mean (.+)\?\)$/);
  const what = first.replace(/\.$/, '');
  if (suggestion) return `${what}: did you mean ${suggestion[1]}?`;
  const path = ['twhook'];
  let cmd: Command | undefined = program;
  for (let i = 0; i < argv.length && cmd; i++) {
    const arg = argv[i]!;
    if (arg === '--') break;
    if (arg.startsWith('-')) {
      if (VALUE_OPTIONS.has(arg)) i++;
      continue;
    }
    const sub: Command | undefined = cmd.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
    if (!sub) break;
    path.push(sub.name());
    cmd = sub;
  }
  return `${what}: see \`${path.join(' ')} --help\``;
}

async function reportError(
  err: unknown,
  argv: string[],
  deps: Deps,
  ctx: Ctx | undefined,
  program: Command,
): Promise<number> {
  const json = ctx?.globals.json ?? argv.includes('--json');
  if (err instanceof CommanderError) {
    // Help and version are "errors" only to exitOverride.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help')
      return 0;
    const message = commanderMessage(err, argv, program);
    if (json) deps.io.stdout.write(JSON.stringify({ error: { type: 'usage', message, exitCode: 2 } }) + '\n');
    deps.io.stderr.write(`error: ${message}\n`);
    return 2;
  }
  const { errorJson, exitCodeOf, TwhookError } = await import('./errors.js');
  const code = exitCodeOf(err);
  const message = err instanceof Error ? err.message : String(err);
  const line =
    err instanceof TwhookError ? message : `unexpected failure: ${message} (run again with --debug for details)`;
  if (ctx) {
    if (json) ctx.out.emit(errorJson(err));
    ctx.out.error(line.split('\n')[0]!);
    if (ctx.globals.debug && err instanceof Error && err.stack)
      ctx.io.stderr.write(ctx.out.redactor.redact(err.stack) + '\n');
  } else {
    if (json) deps.io.stdout.write(JSON.stringify(errorJson(err)) + '\n');
    deps.io.stderr.write(`error: ${line.split('\n')[0]}\n`);
  }
  return code;
}

export async function run(): Promise<void> {
  const { systemDeps } = await import('./system.js');
  process.exitCode = await main(process.argv.slice(2), systemDeps());
}

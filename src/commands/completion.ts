import type { Command } from 'commander';
import type { Wire } from './registry.js';
import { UsageError } from '../errors.js';
import type { Ctx } from '../ctx.js';

export interface CompletionNode {
  name: string;
  options: string[];
  children: CompletionNode[];
}

const SHELLS = ['bash', 'zsh', 'fish'] as const;

export function register(cmd: Command, wire: Wire): void {
  cmd
    .argument('<shell>', `bash, zsh or fish`)
    .addHelpText(
      'after',
      `
Examples:
  $ twhook completion bash > /etc/bash_completion.d/twhook
  $ twhook completion zsh > "\${fpath[1]}/_twhook"
  $ twhook completion fish > ~/.config/fish/completions/twhook.fish
`,
    )
    .action(wire(async (ctx: Ctx, shell: string) => runCompletion(ctx, shell)));
}

export async function runCompletion(ctx: Ctx, shell: string): Promise<void> {
  if (!(SHELLS as readonly string[]).includes(shell)) {
    throw new UsageError(`no completion for "${shell}": use bash, zsh or fish`);
  }
  const tree = await commandTree();
  const script = shell === 'bash' ? bashScript(tree) : shell === 'zsh' ? zshScript(tree) : fishScript(tree);
  if (ctx.out.json) ctx.out.emit({ shell, script });
  else ctx.io.stdout.write(script);
}

/** Loads every command (completion is the one place that may) and walks commander's tree. */
export async function commandTree(): Promise<CompletionNode> {
  const { buildProgram, COMMANDS } = await import('../cli.js');
  const sink = { write: () => true } as never;
  const program = buildProgram(
    {
      io: { stdin: sink, stdout: sink, stderr: sink, isStdinTTY: false, isStdoutTTY: false, isStderrTTY: false },
      env: {},
      cwd: '.',
      clock: { now: () => new Date(0) },
      signal: new AbortController().signal,
    },
    { exitCode: 0 },
  );
  const noop: Wire = () => async () => {};
  for (const entry of COMMANDS) {
    const cmd = program.command(entry.name).description(entry.summary);
    if (entry.name !== 'completion') (await entry.load()).register(cmd, noop);
  }
  const walk = (c: Command): CompletionNode => ({
    name: c.name(),
    options: c.options.flatMap((o) => [o.long, o.short].filter((f): f is string => !!f)),
    children: c.commands.map(walk),
  });
  return walk(program);
}

function paths(node: CompletionNode, prefix: string[] = []): { path: string[]; node: CompletionNode }[] {
  return [{ path: prefix, node }, ...node.children.flatMap((child) => paths(child, [...prefix, child.name]))];
}

function bashScript(tree: CompletionNode): string {
  const globals = tree.options.join(' ');
  const cases = paths(tree)
    .filter((p) => p.path.length > 0)
    .map(({ path, node }) => {
      const words = [...node.children.map((c) => c.name), ...node.options.filter((o) => !tree.options.includes(o))];
      return `    "${path.join(' ')}") words="${words.join(' ')}" ;;`;
    })
    .join('\n');
  return `# bash completion for twhook
_twhook() {
  local cur path word words i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  path=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    [[ "$word" == -* ]] && continue
    if [[ -z "$path" ]]; then candidate="$word"; else candidate="$path $word"; fi
    case "$candidate" in
${paths(tree)
  .filter((p) => p.path.length > 0)
  .map(({ path }) => `      "${path.join(' ')}") path="$candidate" ;;`)
  .join('\n')}
    esac
  done
  case "$path" in
    "") words="${tree.children.map((c) => c.name).join(' ')}" ;;
${cases}
  esac
  COMPREPLY=($(compgen -W "$words ${globals}" -- "$cur"))
}
complete -o default -F _twhook twhook
`;
}

function zshScript(tree: CompletionNode): string {
  return `#compdef twhook
# zsh completion for twhook: the bash completion through bashcompinit.
autoload -U +X bashcompinit && bashcompinit
${bashScript(tree)}`;
}

function fishScript(tree: CompletionNode): string {
  const lines = ['# fish completion for twhook', 'complete -c twhook -f'];
  for (const option of tree.options.filter((o) => o.startsWith('--'))) {
    lines.push(`complete -c twhook -l ${option.slice(2)}`);
  }
  for (const { path, node } of paths(tree)) {
    const condition =
      path.length === 0 ? '__fish_use_subcommand' : `__fish_seen_subcommand_from ${path[path.length - 1]}`;
    for (const child of node.children) lines.push(`complete -c twhook -n '${condition}' -a ${child.name}`);
    if (path.length > 0) {
      for (const option of node.options.filter((o) => o.startsWith('--'))) {
        lines.push(`complete -c twhook -n '${condition}' -l ${option.slice(2)}`);
      }
    }
  }
  return lines.join('\n') + '\n';
}

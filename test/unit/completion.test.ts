import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli.js';
import { runCli, tempDir } from '../support/run-cli.js';

/** Sources the bash script and asks it to complete `words` (the last one being typed). */
function bashComplete(script: string, words: string[]): string[] {
  const file = join(tempDir(), 'twhook.bash');
  writeFileSync(file, script);
  const program = `source ${file}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _twhook; printf '%s\\n' "\${COMPREPLY[@]}"`;
  return execFileSync('bash', ['-c', program], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

describe('twhook completion', () => {
  it('completes command names and global options in bash', async () => {
    const r = await runCli(['completion', 'bash']);
    expect(r.code).toBe(0);
    const names = bashComplete(r.stdout, ['twhook', '']);
    for (const entry of COMMANDS) expect(names).toContain(entry.name);
    expect(bashComplete(r.stdout, ['twhook', '--js'])).toEqual(['--json']);
    expect(bashComplete(r.stdout, ['twhook', 'compl'])).toEqual(['completion']);
  });

  it('writes zsh and fish scripts naming every command', async () => {
    for (const shell of ['zsh', 'fish']) {
      const r = await runCli(['completion', shell]);
      expect(r.code).toBe(0);
      for (const entry of COMMANDS) expect(r.stdout).toContain(entry.name);
    }
    expect((await runCli(['completion', 'fish'])).stdout).toContain(
      "complete -c twhook -n '__fish_use_subcommand' -a completion",
    );
  });

  it('refuses an unknown shell with exit 2', async () => {
    const r = await runCli(['completion', 'powershell']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: no completion for "powershell": use bash, zsh or fish\n');
  });
});

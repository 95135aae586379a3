/**
 * The package as users get it: a copy of the working tree (with a .env and a capture lying
 * around, as in a developer's checkout) is built with `npm run build`, packed with `npm pack`,
 * and the tarball installed into an empty folder; `twhook --help`, `--version` and `demo` then
 * run from node_modules/.bin. The tarball holds bin/, dist/, README.md, LICENSE and package.json
 * only: no sources, tests, source maps, env files, captures or secrets.
 *
 * Built in its own folder so the shared dist/ other tests spawn is never rewritten under them.
 * Every child process has a deadline, so a stuck npm fails the test instead of hanging the run.
 */
import { spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../support/run-cli.js';
import { ROOT } from '../support/run-bin.js';

/** Fake secrets planted in the checkout: none may reach the tarball. */
const DECOY_TOKEN = 'deadbeefdecoy0123456789abcdef0123';
const DECOY_NGROK = '2DecoyNgrokAuthtoken_0123456789abcdefXYZ';
const DECOY_BASIC = 'DecoyBasicPassw0rd';

interface Done {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command with a deadline (SIGKILL after `timeoutMs`): never hangs the suite. */
function run(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<Done> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stderr =
        Buffer.concat(err).toString('utf8') + (signal ? `\n[killed by ${signal} after ${options.timeoutMs} ms]` : '');
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr });
    });
  });
}

/**
 * The environment npm runs in: this process's, without the npm_* variables `npm test` sets (a
 * npm_config_local_prefix would point the install at the repository), with the user's cache.
 */
function npmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (
      key.toLowerCase().startsWith('npm_') &&
      !['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig'].includes(key.toLowerCase())
    )
      continue;
    env[key] = value;
  }
  return { ...env, npm_config_update_notifier: 'false', npm_config_loglevel: 'error', npm_config_progress: 'false' };
}

function walk(root: string): string[] {
  const out: string[] = [];
  const visit = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) visit(path);
      else out.push(relative(root, path));
    }
  };
  visit(root);
  return out;
}

/** The stage, the install (46 MB of node_modules) and the tarball are removed after the test. */
const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function scratch(prefix: string): string {
  const dir = tempDir(prefix);
  made.push(dir);
  return dir;
}

/** A developer's checkout: the working tree's sources, tests and configs, plus a .env and a capture. */
function stageCheckout(): string {
  const stage = scratch('twhook-pack-stage-');
  for (const dir of ['bin', 'src', 'scripts', 'test', 'bench', 'docs']) {
    if (existsSync(join(ROOT, dir))) cpSync(join(ROOT, dir), join(stage, dir), { recursive: true });
  }
  for (const file of [
    'package.json',
    'package-lock.json',
    'README.md',
    'LICENSE',
    'tsconfig.json',
    'tsconfig.build.json',
    'vitest.config.ts',
    '.gitignore',
  ]) {
    if (existsSync(join(ROOT, file))) cpSync(join(ROOT, file), join(stage, file));
  }
  writeFileSync(
    join(stage, '.env'),
    `TWILIO_ACCOUNT_SID=AC${'0'.repeat(32)}\nTWILIO_AUTH_TOKEN=${DECOY_TOKEN}\nNGROK_AUTHTOKEN=${DECOY_NGROK}\n`,
  );
  mkdirSync(join(stage, '.twhook', 'captures'), { recursive: true });
  writeFileSync(
    join(stage, '.twhook', 'captures', '2026-11-27.jsonl'),
    JSON.stringify({
      v: 1,
      url: `https://dev:${DECOY_BASIC}@example.com/sms`,
      headers: { 'x-twilio-signature': 'x' },
      body: `token=${DECOY_TOKEN}`,
    }) + '\n',
  );
  // The build's compiler and types, without copying them.
  symlinkSync(join(ROOT, 'node_modules'), join(stage, 'node_modules'), 'dir');
  return stage;
}

describe('the npm package', () => {
  it('packs only what users need, installs into an empty folder, and runs --help, --version and demo', async () => {
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    const env = npmEnv();
    const nodeDir = dirname(process.execPath);
    env.PATH = `${nodeDir}:${env.PATH ?? '/usr/bin:/bin'}`;

    // Build and pack, as a publisher would.
    const stage = stageCheckout();
    const build = await run('npm', ['run', 'build', '--silent'], { cwd: stage, env, timeoutMs: 120_000 });
    expect(build.code, build.stderr).toBe(0);
    rmSync(join(stage, 'node_modules'));
    const packDir = scratch('twhook-pack-out-');
    const pack = await run('npm', ['pack', '--json', '--pack-destination', packDir], {
      cwd: stage,
      env,
      timeoutMs: 60_000,
    });
    expect(pack.code, pack.stderr).toBe(0);
    const packed = (JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[])[0]!;
    const tarball = join(packDir, packed.filename.replace(/^@.*\//, ''));
    expect(existsSync(tarball)).toBe(true);
    const files = packed.files.map((f) => f.path).sort();

    // Only bin/, dist/, README.md, LICENSE, package.json.
    const outside = files.filter(
      (f) => !/^(bin|dist)\//.test(f) && !['README.md', 'LICENSE', 'package.json'].includes(f),
    );
    expect(outside).toEqual([]);
    expect(files).toEqual(
      expect.arrayContaining([
        'bin/twhook.js',
        'dist/cli.js',
        'dist/index.js',
        'dist/index.d.ts',
        'dist/help.txt',
        'README.md',
        'LICENSE',
        'package.json',
      ]),
    );
    // The web inspector's page: every asset it serves ships (no CDN).
    expect(files).toEqual(
      expect.arrayContaining([
        'dist/inspector/server.js',
        ...['index.html', 'app.js', 'app.css', 'favicon.svg'].map((f) => `dist/inspector/web/${f}`),
      ]),
    );
    // No TypeScript sources (declarations are intended), no source maps (sourceMap is off), no tests.
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    expect(files.filter((f) => /\.(map|tsbuildinfo)$/.test(f))).toEqual([]);
    expect(
      files.filter((f) => /(^|\/)(test|tests|__tests__|bench|src)\//.test(f) || /\.test\.[cm]?[jt]s$/.test(f)),
    ).toEqual([]);
    // No env files, captures or tarballs.
    expect(
      files.filter((f) => /(^|\/)\.env/.test(f) || /\.(jsonl|har|tgz)$/.test(f) || f.includes('.twhook/')),
    ).toEqual([]);
    // Every trigger fixture ships, with the prebuilt help.
    const fixtures = readdirSync(join(ROOT, 'src', 'fixtures')).filter((f) => f.endsWith('.json'));
    expect(fixtures.length).toBeGreaterThan(0);
    expect(files).toEqual(expect.arrayContaining(fixtures.map((f) => `dist/fixtures/${f}`)));

    // Install the tarball into an empty folder: from the npm cache when it can, the registry otherwise.
    const app = scratch('twhook-pack-install-');
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'twhook-install-check', version: '1.0.0', private: true }) + '\n',
    );
    const install = await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], {
      cwd: app,
      env,
      timeoutMs: 200_000,
    });
    expect(install.code, install.stderr).toBe(0);
    const installed = join(app, 'node_modules', 'twhook');
    // What was installed is the tarball's content, byte for byte what users get.
    expect(walk(installed).sort()).toEqual(files);
    // Runtime dependencies only: no compiler, no test runner.
    for (const dev of ['typescript', 'vitest', 'fast-check', '@types/node'])
      expect(existsSync(join(app, 'node_modules', dev)), dev).toBe(false);

    // No secret anywhere in the package: neither the planted ones nor secret-looking assignments.
    for (const file of files) {
      const text = readFileSync(join(installed, file), 'utf8');
      for (const decoy of [DECOY_TOKEN, DECOY_NGROK, DECOY_BASIC])
        expect(text.includes(decoy), `${file} holds a planted secret`).toBe(false);
      expect(text, file).not.toMatch(/(TWILIO_AUTH_TOKEN|TWILIO_API_SECRET|NGROK_AUTHTOKEN)=[A-Za-z0-9_]{16,}/);
    }

    // Run it from there: the bin link, its shebang and the runtime dependencies.
    const bin = join(app, 'node_modules', '.bin', 'twhook');
    const home = scratch('twhook-pack-home-');
    const userEnv = { PATH: env.PATH, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), NO_COLOR: '1' };
    const cwd = scratch('twhook-pack-cwd-');

    const help = await run(bin, ['--help'], { cwd, env: userEnv, timeoutMs: 20_000 });
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toContain('Usage: twhook');
    expect(help.stdout).toContain('demo');
    expect(help.stdout).toBe(readFileSync(join(installed, 'dist', 'help.txt'), 'utf8'));

    const ver = await run(bin, ['--version'], { cwd, env: userEnv, timeoutMs: 20_000 });
    expect(ver.code, ver.stderr).toBe(0);
    expect(ver.stdout.trim()).toBe(version);

    // A command through the full CLI (commander, the command module), not the prebuilt answers.
    const signHelp = await run(bin, ['sign', '--help'], { cwd, env: userEnv, timeoutMs: 20_000 });
    expect(signHelp.code, signHelp.stderr).toBe(0);
    expect(signHelp.stdout).toContain('--url');

    const demo = await run(bin, ['demo'], { cwd, env: userEnv, timeoutMs: 90_000 });
    expect(demo.code, demo.stderr).toBe(0);
    expect(demo.stderr).not.toContain('error:');
    expect(demo.stderr).toContain('7 requests: 6 valid, 1 invalid, 0 unsigned');
    expect(demo.stdout.split('\n').filter((l) => /^\d{4}-\d\d-\d\dT/.test(l))).toHaveLength(7);
  }, 240_000);
});

/**
 * `twhook test [files|folders…]`: runs conversation specs (YAML or JSON, the format `call --save`
 * writes) against the app, each through the engine with its own CallSid, cookies and clock, and
 * says which step broke. Every spec is parsed and checked before any runs: an invalid one is exit
 * 2 with file:line; a failed spec is exit 1.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { Chalk } from 'chalk';
import type { Command } from 'commander';
import type { Wire } from './registry.js';
import type { Ctx } from '../ctx.js';
import { UsageError } from '../errors.js';
import { JunitWriter } from '../capture/junit.js';
import type { SimEvent } from '../simulate/events.js';
import { readSpecFile, type Spec } from '../simulate/spec.js';
import { runSpec, specTarget, type SpecResult } from '../simulate/run-spec.js';
import { checkAbsoluteUrl, parsePositiveInt } from './shared/flags.js';
import { transcriptLine } from '../ui/sim-transcript.js';
import { checkListening, loadEngine, simulationSigning } from './shared/simulate.js';

export interface TestFlags {
  app?: string;
  jobs?: string;
  junit?: string;
  bail?: boolean;
  publicUrl?: string;
}

const SPEC_FILE = /\.(ya?ml|json)$/i;

export function register(cmd: Command, wire: Wire): void {
  cmd
    .argument('[paths...]', 'spec files (.yaml, .yml, .json) or folders of them (default: ./specs)')
    .option('--app <url>', "run every spec against this app instead of the spec's own (a port or a URL)")
    .option('--jobs <n>', 'run this many specs at once, each isolated (own CallSid, cookies, clock)', '1')
    .option('--junit <file>', 'also write a JUnit XML report (one test case per spec)')
    .option('--bail', 'stop at the first failed spec')
    .option('--public-url <base>', 'sign for this public base URL (the one the app believes it serves)')
    .addHelpText(
      'after',
      `
A spec (YAML; several in a file separated by ---):
  name: sales line is busy
  call: { app: http://localhost:3000/voice }
  steps:
    - expect: { say: "Welcome" }          # a substring, or /regex/flags
    - expect: { gather: { numDigits: 1 } }
    - press: "1"
    - dial: busy
    - expect: { say: /busy/i }
    - expect: hangup

Inputs: press, speak, dial, record, hangup, wait (calls); send (+ media) (texts). Expectations:
say, play, gather, record, dial, message/reply, redirect, hangup, reject, request {path, status},
end, error {code}, noReply. Each expect matches the next event of its type not matched yet;
after an input, only what happened after it.

Exit: 0 every spec passed, 1 one failed, 2 an invalid spec (file:line), 3 nothing listens at an app.

Examples:
  $ twhook test specs/
  $ twhook test specs/ivr.yaml --app http://localhost:8080/voice
  $ twhook test specs/ --jobs 8 --junit reports/twhook.xml
  $ twhook call 3000 --press 1 --save specs/menu.yaml && twhook test specs/menu.yaml
`,
    )
    .action(wire(async (ctx: Ctx, paths: string[], flags: TestFlags) => runTest(ctx, paths, flags)));
}

/** The spec files named: files as given, folders searched (sorted, without dot folders and node_modules). */
export function specFiles(ctx: Ctx, paths: string[]): string[] {
  const given = paths.length ? paths : ['specs'];
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && SPEC_FILE.test(entry.name)) files.push(path);
    }
  };
  for (const path of given) {
    const full = resolve(ctx.cwd, path);
    let stat;
    try {
      stat = statSync(full);
    } catch {
      throw new UsageError(
        paths.length
          ? `${path}: no such file or folder`
          : 'which specs? twhook test specs/ (files .yaml, .yml or .json, or folders of them); ./specs does not exist',
      );
    }
    if (stat.isDirectory()) {
      const before = files.length;
      walk(full);
      if (files.length === before) throw new UsageError(`${path}: no spec files (.yaml, .yml, .json) in this folder`);
    } else files.push(full);
  }
  return [...new Set(files)];
}

export async function runTest(ctx: Ctx, paths: string[], flags: TestFlags): Promise<number> {
  const jobs = parsePositiveInt(flags.jobs ?? '1', '--jobs', 1);
  const publicUrl = flags.publicUrl
    ? checkAbsoluteUrl(flags.publicUrl, '--public-url', 'https://abc123.ngrok.app')
    : undefined;
  // Everything is read and checked before anything runs.
  const specs: Spec[] = [];
  for (const file of specFiles(ctx, paths)) specs.push(...readSpecFile(file, relative(ctx.cwd, file) || file));
  const apps = new Set<string>();
  for (const spec of specs) apps.add(specTarget(spec, flags.app).url);
  const signing = simulationSigning(ctx);
  for (const app of apps) await checkListening(app, ctx.signal);
  const engine = await loadEngine();
  const junit = flags.junit ? await JunitWriter.open(resolve(ctx.cwd, flags.junit), 'twhook test') : undefined;

  // One connection pool for the run: --jobs specs share keep-alive connections to the app.
  const { Agent } = await import('undici');
  const dispatcher = new Agent({ keepAliveTimeout: 4_000, connect: { timeout: 10_000 } });
  const results: Array<SpecResult | undefined> = new Array(specs.length);
  let shown = 0;
  let stop = false;
  const show = () => {
    while (shown < specs.length && results[shown]) {
      report(ctx, results[shown]!);
      shown += 1;
    }
  };
  let nextIndex = 0;
  const worker = async () => {
    while (!stop && !ctx.signal.aborted && nextIndex < specs.length) {
      const index = nextIndex++;
      const result = await runSpec(specs[index]!, {
        engine,
        app: flags.app,
        ...signing,
        publicUrl,
        signal: ctx.signal,
        dispatcher,
      });
      results[index] = result;
      if (!result.ok && flags.bail) stop = true;
      show();
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(jobs, specs.length) }, worker));
  } catch (err) {
    await junit?.abort();
    throw err;
  } finally {
    await dispatcher.close();
  }
  const done = results.filter((r): r is SpecResult => !!r);
  // Shown in spec order: with --bail and --jobs, a later spec may have finished before one that was stopped.
  for (const r of results.slice(shown)) if (r) report(ctx, r);
  const failed = done.filter((r) => !r.ok).length;
  const skipped = specs.length - done.length;
  if (junit) {
    for (let i = 0; i < specs.length; i++) {
      const spec = specs[i]!;
      const r = results[i];
      const classname = spec.at.file;
      if (!r)
        junit.add({
          classname,
          name: spec.name,
          skipped: { message: ctx.signal.aborted ? 'interrupted' : 'not run (--bail)' },
        });
      else if (r.ok) junit.add({ classname, name: spec.name, time: r.ms / 1000 });
      else {
        const place = r.failure?.step
          ? `${r.failure.step.at.file}:${r.failure.step.at.line}`
          : `${spec.at.file}:${spec.at.line}`;
        junit.add({
          classname,
          name: spec.name,
          time: r.ms / 1000,
          failure: {
            message: `${place}: ${r.failure?.message ?? 'failed'}`,
            type: 'step',
            details: around(r)
              .map((e) => plainLine(e))
              .join('\n'),
          },
        });
      }
    }
    await junit.close();
  }
  const summary = { passed: done.length - failed, failed, skipped, total: specs.length };
  if (ctx.out.json) ctx.out.emit({ type: 'summary', ...summary });
  else {
    const c = ctx.out.c;
    const parts = [
      c.green(`${summary.passed} passed`),
      failed ? c.red(`${failed} failed`) : '',
      skipped ? c.yellow(`${skipped} not run`) : '',
    ].filter(Boolean);
    ctx.out.print(`\n${parts.join(', ')} (${specs.length} spec${specs.length === 1 ? '' : 's'})`);
  }
  if (ctx.signal.aborted) return 130;
  return failed ? 1 : 0;
}

/** The events around a failure, as a short transcript (requests and callbacks only when they are the point). */
function around(result: SpecResult): SimEvent[] {
  const index = result.failure?.index ?? 0;
  const type = result.failure?.step?.kind === 'expect' ? result.failure.step.type : undefined;
  const keep = (e: SimEvent) =>
    (e.type !== 'request' && e.type !== 'callback') || e.type === type || (e.type === 'request' && e.status >= 400);
  const before = result.events.slice(0, index).filter(keep).slice(-4);
  const after = result.events.slice(index).filter(keep).slice(0, 5);
  return [...before, ...after];
}

const noColour = new Chalk({ level: 0 });
function plainLine(event: SimEvent): string {
  return transcriptLine(event, noColour);
}

function report(ctx: Ctx, r: SpecResult): void {
  const where = `${r.spec.at.file}:${r.spec.at.line}`;
  if (ctx.out.json) {
    ctx.out.emit({
      type: 'spec',
      name: r.spec.name,
      file: r.spec.at.file,
      line: r.spec.at.line,
      ok: r.ok,
      ms: Math.round(r.ms),
      ...(r.failure
        ? {
            failure: {
              file: r.failure.step?.at.file ?? r.spec.at.file,
              line: r.failure.step?.at.line ?? r.spec.at.line,
              step: r.failure.step?.text ?? null,
              message: r.failure.message,
              events: around(r),
            },
          }
        : {}),
    });
    return;
  }
  const c = ctx.out.c;
  if (r.ok) {
    ctx.out.print(`${c.green('✓')} ${r.spec.name} ${c.dim(`${where}  ${Math.round(r.ms)} ms`)}`);
    return;
  }
  ctx.out.print(`${c.red('✗')} ${c.bold(r.spec.name)} ${c.dim(where)}`);
  const step = r.failure?.step;
  if (step)
    ctx.out.print(
      `    step ${step.at.file}:${step.at.line}  ${c.bold(step.kind === 'expect' ? `expect ${step.text}` : step.text)}`,
    );
  ctx.out.print(`    ${c.red(r.failure?.message ?? 'failed')}`);
  const events = around(r);
  if (events.length) {
    ctx.out.print(c.dim('    around it:'));
    for (const e of events) ctx.out.print(`  ${transcriptLine(e, c)}`);
  }
}

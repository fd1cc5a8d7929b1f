// `stackscale --version` and `--help` must start fast: they may not load the SSH library, the prompt library, or any
// command module. The CLI is one CommonJS bundle (dist/main.cjs, scripts/bundle.mjs) in which every module that is
// imported with `import()` sits in an init function esbuild names after its source (`__esm({ "src/...ts"() {...} })`)
// and runs on first use. The test runs a copy of the bundle whose `__esm` helper logs each init, with Node's
// Module._load hooked to log every package required from outside the bundle (ssh2, @inquirer/prompts).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const bundle = join(root, 'dist/main.cjs');
// Beside the real bundle, so it finds the package's files as the real one does; removed after the tests.
const probe = join(root, 'dist', `main.lazy-probe-${process.pid}.cjs`);
const ESM_HELPER = 'var __esm = (fn, res, err) => function __init() {';
let dir: string;

beforeAll(() => {
  // The bin runs dist/: build it when a plain `vitest run` comes before `npm run build`.
  if (!existsSync(bundle)) execFileSync('node', ['scripts/bundle.mjs'], { cwd: root, stdio: 'ignore' });
  const source = readFileSync(bundle, 'utf8');
  expect(source.split(ESM_HELPER)).toHaveLength(2);
  writeFileSync(
    probe,
    source.replace(ESM_HELPER, `${ESM_HELPER}\n  if (fn) require('node:fs').appendFileSync(process.env.STACKSCALE_LOAD_LOG, 'init ' + __getOwnPropNames(fn)[0] + '\\n');`),
  );
  dir = mkdtempSync(join(tmpdir(), 'stackscale-lazy-'));
  writeFileSync(
    join(dir, 'run.cjs'),
    `const Module = require('node:module');
const fs = require('node:fs');
const load = Module._load;
Module._load = function (request, parent, isMain) {
  if (!request.startsWith('node:') && !request.startsWith('.') && !request.startsWith('/')) fs.appendFileSync(process.env.STACKSCALE_LOAD_LOG, 'require ' + request + '\\n');
  return load.apply(this, arguments);
};
const [file, ...args] = process.argv.slice(2);
require(file).main(args).then((code) => { process.exitCode = code; });
`,
  );
});
afterAll(() => {
  rmSync(probe, { force: true });
  rmSync(dir, { recursive: true, force: true });
});

function loaded(args: string[]): { lines: string[]; status: number | null; stdout: string } {
  const log = join(dir, `load-${args.join('_').replace(/\W/g, '')}.log`);
  writeFileSync(log, '');
  const r = spawnSync(process.execPath, [join(dir, 'run.cjs'), probe, ...args], { encoding: 'utf8', env: { ...process.env, STACKSCALE_LOAD_LOG: log }, timeout: 10_000 });
  return { lines: readFileSync(log, 'utf8').split('\n').filter(Boolean), status: r.status, stdout: r.stdout };
}

const HEAVY = [/^require ssh2$/, /^require @inquirer\//, /^init src\/transport\/ssh\.ts$/, /^init src\/cli\/commands\//, /^init src\/cli\/prompts\.ts$/];

describe('fast start: lazy imports', () => {
  it.each([[['--version']], [['--help']], [['init', '--help']], [['apply', '--help']]])('stackscale %j loads no SSH, prompt or command module', (args) => {
    const { lines, status, stdout } = loaded(args);
    expect(status).toBe(0);
    expect(stdout.length).toBeGreaterThan(0);
    expect(lines.filter((l) => HEAVY.some((re) => re.test(l)))).toEqual([]);
  });

  it('the check would see them: `profiles` runs its command module from its init function (control)', () => {
    const { lines, status } = loaded(['profiles']);
    expect(status).toBe(0);
    expect(lines).toContain('init src/cli/commands/profiles.ts');
  });

  it('the check would see them: ssh2 required from the bundle is logged (control)', () => {
    const log = join(dir, 'control.log');
    writeFileSync(log, '');
    const r = spawnSync(process.execPath, ['-e', `const M = require('node:module'); const fs = require('node:fs'); const l = M._load; M._load = function (q) { fs.appendFileSync(process.env.STACKSCALE_LOAD_LOG, 'require ' + q + '\\n'); return l.apply(this, arguments); }; M.createRequire(${JSON.stringify(bundle)})('ssh2');`], {
      env: { ...process.env, STACKSCALE_LOAD_LOG: log },
      timeout: 10_000,
    });
    expect(r.status).toBe(0);
    expect(readFileSync(log, 'utf8')).toContain('require ssh2\n');
  });
});

describe('the code cache (bin/code-cache.cjs)', () => {
  it('the bundle has no import(): code loaded from a V8 code cache cannot import on Node 20', () => {
    const source = readFileSync(bundle, 'utf8');
    expect(source.match(/[^\w$.]import\(/g)).toBeNull();
    expect(source).toContain('require("@inquirer/prompts")');
  });


  const run = (cache: string, ...args: string[]) =>
    spawnSync(process.execPath, [join(root, 'bin/stackscale.js'), ...args], { encoding: 'utf8', env: { ...process.env, STACKSCALE_CODE_CACHE: cache }, timeout: 10_000 });

  it('writes one private cache per command after the first run, uses it after, and runs the same without it', () => {
    const cache = join(dir, 'cache');
    const first = run(cache, '--version');
    expect(first.status).toBe(0);
    const files = execFileSync('ls', ['-la', cache], { encoding: 'utf8' });
    expect(files).toMatch(/^-rw------- .* none-\d+-\d+-v[\d.]+-\w+\.bin$/m);
    expect(run(cache, '--version').stdout).toBe(first.stdout);
    expect(run('off', '--version').stdout).toBe(first.stdout);
    expect(run(cache, 'profiles').status).toBe(0);
    expect(execFileSync('ls', [cache], { encoding: 'utf8' })).toMatch(/^profiles-/m);
  });

  it('never reads a cache directory others may write to', () => {
    const open = join(dir, 'open');
    execFileSync('sh', ['-c', `mkdir -p '${open}' && chmod 777 '${open}' && printf garbage > '${open}/x.bin'`]);
    const r = run(open, '--version');
    expect(r.status).toBe(0);
    // Nothing written there either.
    expect(execFileSync('ls', [open], { encoding: 'utf8' })).toBe('x.bin\n');
  });
});

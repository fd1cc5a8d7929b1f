// `stackscale --version` and `--help` must start fast: they may not load the SSH library, the prompt library, or any
// command module. A module-resolution hook records every file the real CLI (the bundle in dist/, as the bin runs it)
// loads; dist/meta.json (esbuild's metafile) says which sources each bundled file holds.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const bin = join(root, 'bin/stackscale.js');
let dir: string;

beforeAll(() => {
  // The bin runs dist/: build it when a plain `vitest run` comes before `npm run build`.
  if (!existsSync(join(root, 'dist/meta.json'))) execFileSync('node', ['scripts/bundle.mjs'], { cwd: root, stdio: 'ignore' });
  dir = mkdtempSync(join(tmpdir(), 'stackscale-lazy-'));
  writeFileSync(
    join(dir, 'hooks.mjs'),
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(process.env.STACKSCALE_LOAD_LOG, r.url + '\\n');
  return r;
}
`,
  );
  writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The sources behind each loaded file: a bundled file stands for the sources in it, anything else for itself. */
function sourcesOf(urls: string[]): string[] {
  const meta = JSON.parse(readFileSync(join(root, 'dist/meta.json'), 'utf8')) as { outputs: Record<string, { inputs: Record<string, unknown> }> };
  return urls.flatMap((u) => {
    const rel = u.startsWith('file://') ? relative(root, fileURLToPath(u)) : u;
    const out = meta.outputs[rel];
    return out ? Object.keys(out.inputs) : [rel];
  });
}

function loaded(args: string[]): { urls: string[]; status: number | null; stdout: string } {
  const log = join(dir, `load-${args.join('_').replace(/\W/g, '')}.log`);
  writeFileSync(log, '');
  const r = spawnSync(process.execPath, ['--import', join(dir, 'register.mjs'), bin, ...args], {
    encoding: 'utf8',
    env: { ...process.env, STACKSCALE_LOAD_LOG: log },
    timeout: 10_000,
  });
  return { urls: readFileSync(log, 'utf8').split('\n').filter(Boolean), status: r.status, stdout: r.stdout };
}

const HEAVY = [/node_modules\/ssh2\//, /node_modules\/@inquirer\//, /^src\/transport\/ssh\.ts$/, /^src\/cli\/commands\//, /^src\/cli\/prompts\.ts$/];

describe('fast start: lazy imports', () => {
  it.each([[['--version']], [['--help']], [['init', '--help']], [['apply', '--help']]])('stackscale %j loads no SSH, prompt or command module', (args) => {
    const { urls, status, stdout } = loaded(args);
    expect(status).toBe(0);
    expect(stdout.length).toBeGreaterThan(0);
    const sources = sourcesOf(urls);
    // The hook saw the CLI itself (so the check is not vacuous) ...
    expect(urls.some((u) => u.endsWith('/dist/main.js'))).toBe(true);
    expect(sources).toContain('src/cli/main.ts');
    // ... and nothing heavy.
    expect(sources.filter((u) => HEAVY.some((re) => re.test(u)))).toEqual([]);
  });

  it('the check would see them: `profiles` loads its command module from a bundled chunk (control)', () => {
    const { urls, status } = loaded(['profiles']);
    expect(status).toBe(0);
    expect(urls.some((u) => u.includes('/dist/chunks/'))).toBe(true);
    expect(sourcesOf(urls)).toContain('src/cli/commands/profiles.ts');
  });

  it('the check would see them: a command that connects does load ssh2 lazily (control)', () => {
    // `init --non-interactive` with bad flags fails before any host; `plan` loads the SSH library only when it connects.
    // The control: importing the prompts module from the hook-instrumented process records @inquirer.
    const log = join(dir, 'control.log');
    writeFileSync(log, '');
    spawnSync(process.execPath, ['--import', join(dir, 'register.mjs'), '--input-type=module', '-e', `await import(${JSON.stringify(join(root, 'node_modules/@inquirer/prompts/dist/esm/index.js'))});`], {
      env: { ...process.env, STACKSCALE_LOAD_LOG: log },
      timeout: 10_000,
    });
    expect(readFileSync(log, 'utf8')).toMatch(/node_modules\/@inquirer\/core\//);
  });
});

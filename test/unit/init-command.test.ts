// `stackscale init` as a command, in-process with a scripted prompter on a pretend terminal: what is written, when,
// and the exit codes (0 written or declined, 130 cancelled, 3 bad flags).
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { usePrompter } from '../../src/cli/prompts.js';
import { loadSite } from '../../src/config/site.js';
import { cli } from './cli-helpers.js';
import { CANCEL, DEFAULT, ScriptedPrompter, type Step } from './init-script.js';

let dir: string;
let restore: (() => void) | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stackscale-init-cmd-'));
});
afterEach(() => {
  restore?.();
  restore = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function script(steps: Step[]): ScriptedPrompter {
  const p = new ScriptedPrompter(steps);
  restore = usePrompter(p);
  return p;
}

const questions: Step[] = [
  [/^How are the roles/, DEFAULT],
  [/^Name/, DEFAULT],
  [/^Address of vps1/, '203.0.113.10'],
  [/^SSH port/, DEFAULT],
  [/^SSH user/, DEFAULT],
  [/^SSH private key/, ''],
  [/^Connect/, false],
  [/^Memory of vps1/, '16G'],
  [/^Cores of vps1/, '8'],
  [/^Capacity profile/, DEFAULT],
  [/^App database name/, 'restro'],
  [/^App database user/, DEFAULT],
  [/^redis_password/, DEFAULT],
  [/^app_db_password/, DEFAULT],
  [/^proxysql_admin_password/, DEFAULT],
  [/^proxysql_monitor_password/, DEFAULT],
];

describe('stackscale init (command)', () => {
  it('writes a valid site file, recommends 1000 for 16G/8 cores, and offers plan (no while secrets are unset)', async () => {
    const p = script([...questions, [/^Run `stackscale plan --site stackscale.yaml` now/, DEFAULT]]);
    const r = await cli(['init'], { cwd: dir, isTTY: true, env: { NO_COLOR: '1' } });
    expect(r.code).toBe(0);
    expect(p.remaining).toBe(0);
    expect(p.asked.at(-1)?.default).toBe(false);
    expect(r.stdout).toMatch(/^Recommended profile: 1000 /m);
    expect(r.stdout).toMatch(/^wrote stackscale.yaml: valid for profile 1000 \(1 host\)$/m);
    expect(r.stdout).toMatch(/^next: stackscale plan --site stackscale.yaml$/m);
    const site = loadSite(join(dir, 'stackscale.yaml'));
    expect(site.profile).toBe('1000');
    expect(site.hosts[0].size).toEqual({ memory: 16 * 2 ** 30, cores: 8 });
    expect(readdirSync(dir)).toEqual(['stackscale.yaml']);
  });

  it('Ctrl-C: exit 130, nothing written', async () => {
    script([...questions.slice(0, 12), [/^redis_password/, CANCEL]]);
    const r = await cli(['init', '--out', 'site.yaml'], { cwd: dir, isTTY: true });
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/init: cancelled; nothing was written/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('an existing file: declined -> another name -> written there, the original untouched', async () => {
    writeFileSync(join(dir, 'stackscale.yaml'), 'not: a site file\n');
    const p = script([
      ...questions.map((s): Step => (/Address/.test(s[0].source) ? [s[0], '203.0.113.10'] : s)),
      [/^stackscale.yaml exists. Overwrite it\?/, DEFAULT],
      [/^Write to which file instead/, 'other.yaml'],
      [/^Run `stackscale plan --site other.yaml`/, false],
    ]);
    const r = await cli(['init'], { cwd: dir, isTTY: true });
    expect(r.code).toBe(0);
    expect(p.asked.find((a) => /Overwrite/.test(a.message))?.default).toBe(false);
    // The existing file did not load: said so, and not used for defaults.
    expect(r.stdout).toMatch(/stackscale.yaml exists but does not load/);
    expect(readFileSync(join(dir, 'stackscale.yaml'), 'utf8')).toBe('not: a site file\n');
    expect(loadSite(join(dir, 'other.yaml')).app.database).toBe('restro');
  });

  it('answer flags without --non-interactive on a terminal: exit 3, told to add it', async () => {
    const r = await cli(['init', '--host', 'a=1.2.3.4'], { cwd: dir, isTTY: true });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/--host: answers given as flags are read only with --non-interactive/);
  });

  it('--non-interactive: the file, then `next: stackscale plan`; a profile that does not fit the given size is refused with the numbers, nothing written', async () => {
    const ok = await cli(['init', '--non-interactive', '--profile', '300', '--host', 'a=10.0.0.1', '--role', 'a=web,cache', '--size', 'a=4G,2'], { cwd: dir });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^next: stackscale plan --site stackscale.yaml$/m);
    const tooSmall = await cli(['init', '--non-interactive', '--out', 'small.yaml', '--profile', '1000', '--host', 'a=10.0.0.1', '--role', 'a=web,cache,proxysql,db-primary', '--size', 'a=2G,2'], { cwd: dir });
    expect(tooSmall.code).toBe(3);
    expect(tooSmall.stderr).toMatch(/^error: a: not enough memory: the 1000 profile needs [\d.]+ GiB on host a but its 2 GiB RAM/m);
    expect(readdirSync(dir)).toEqual(['stackscale.yaml']);
  });
});

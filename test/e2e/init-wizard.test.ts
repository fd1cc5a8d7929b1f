// The wizard in a real pseudo-terminal (tmux), typed into as a user would: an all-in-one site against a test host
// (host key shown, confirmed and pinned; memory and cores read; the recommended profile is the largest that fits that
// memory), written, validated and planned; Ctrl-C leaves nothing; an existing file is kept unless the user says yes.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { testHost } from '../hosts/context.js';
import { ssh } from '../hosts/ssh.js';
import { loadSite } from '../../src/config/site.js';
import { parseSize } from '../../src/config/size.js';
import { loadSizingModel, modelTrial, recommendProfile, siteFromAnswers } from '../../src/init/recommend.js';
import { formatSize } from '../../src/init/site-file.js';
import { TmuxSession } from './init-tmux.js';

const root = resolve(import.meta.dirname, '../..');
const bin = join(root, 'bin/stackscale.js');
const SECRETS = {
  REDIS_PASSWORD: 'redis-pw-e2e',
  APP_DB_PASSWORD: 'app-pw-e2e',
  PROXYSQL_ADMIN_PASSWORD: 'padmin-pw-e2e',
  PROXYSQL_MONITOR_PASSWORD: 'pmon-pw-e2e',
};

let sessions: TmuxSession[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const s of sessions) s.kill();
  sessions = [];
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function workDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'stackscale-init-e2e-'));
  dirs.push(d);
  return d;
}

/** `stackscale init` on a terminal of its own; HOME is the work dir (empty known_hosts, no ssh config, no agent). */
function wizard(dir: string, args: string[] = [], env: Record<string, string> = {}): TmuxSession {
  const s = TmuxSession.start([process.execPath, bin, 'init', ...args], { cwd: dir, env: { HOME: dir, ...env } });
  sessions.push(s);
  return s;
}

describe('stackscale init on a terminal', () => {
  it('all-in-one against a test host: key confirmed and pinned, size read, recommendation fits its memory, file validates and plans', async () => {
    const h1 = testHost('h1');
    const dir = workDir();
    const t = wizard(dir, [], SECRETS);
    await t.answer(/How are the roles spread over your hosts\?/, ''); // all-in-one is the default
    await t.answer(/Name/, '');
    await t.answer(/Address of vps1/, h1.address);
    await t.answer(/SSH port/, h1.port === 22 ? '' : String(h1.port));
    await t.answer(/SSH user/, '');
    await t.answer(/SSH private key file/, h1.rootKey);
    await t.answer(/Connect to the hosts now/, 'y');
    const shown = await t.question(/Trust this key for vps1/);
    // The key shown is the host's own, and the user is told it is not in known_hosts.
    expect(shown).toContain(`vps1 presents ssh-ed25519 key ${h1.hostKeyFingerprint}`);
    expect(shown).toMatch(/not in your known_hosts/);
    t.type('y');
    t.keys('Enter');
    const atProfile = await t.question(/Capacity profile/, 30_000);
    expect(atProfile).toMatch(/^vps1: \d+\.\d GiB, \d+ cores/m);
    expect(atProfile).toMatch(/^Recommended profile: (1000|700|300) /m);
    const recommended = /^Recommended profile: (\d+)/m.exec(atProfile)![1];
    t.keys('Enter'); // take the recommendation
    await t.answer(/App database name/, 'restro');
    await t.answer(/App database user/, '');
    for (const key of ['redis_password', 'app_db_password', 'proxysql_admin_password', 'proxysql_monitor_password']) {
      await t.answer(new RegExp(key), '');
    }
    const wrote = await t.question(/Run `stackscale plan --site stackscale.yaml` now\?/);
    expect(wrote).toMatch(new RegExp(`^wrote stackscale.yaml: valid for profile ${recommended} \\(1 host\\)`, 'm'));
    t.type('y');
    t.keys('Enter');
    const planned = await t.waitFor(/^plan: 1 host, /m, 60_000);
    expect(planned).toMatch(/^== vps1/m);
    expect(await t.exitCode()).toBe(0);

    const file = join(dir, 'stackscale.yaml');
    const site = loadSite(file);
    const host = site.hosts[0];
    expect(host).toMatchObject({ name: 'vps1', address: h1.address, port: h1.port, user: 'root', identity: h1.rootKey, hostKey: h1.hostKeyFingerprint });
    expect(host.roles).toEqual(['web', 'cache', 'proxysql', 'db-primary']);
    expect(site.app).toMatchObject({ database: 'restro', dbUser: 'restro' });
    expect(readFileSync(file, 'utf8')).not.toMatch(/-pw-e2e/);

    // The size written is the host's own, and the recommendation is the largest shipped profile that fits it.
    const memKiB = Number(/MemTotal:\s+(\d+)/.exec((await ssh(h1, 'cat /proc/meminfo')).stdout)![1]);
    const cores = Number((await ssh(h1, 'nproc')).stdout.trim());
    const memory = parseSize(formatSize(memKiB * 1024))!;
    expect(host.size).toEqual({ memory, cores });
    const model = await loadSizingModel();
    const expected = recommendProfile(
      modelTrial(model, siteFromAnswers({ profile: '1000', hosts: [{ name: 'vps1', address: h1.address, port: 22, user: 'root', roles: host.roles, size: { memory, cores } }], app: { database: 'restro', dbUser: 'restro' }, secrets: {} }), dir),
    );
    expect(site.profile).toBe(expected.profile);
    expect(recommended).toBe(expected.profile);

    // And it is what `validate` accepts.
    expect(execFileSync(process.execPath, [bin, 'validate', '--no-secrets', '--site', file], { encoding: 'utf8' })).toMatch(/valid for profile/);
  }, 120_000);

  it('Ctrl-C in the middle: exit 130, nothing written, no temp file', async () => {
    const dir = workDir();
    const t = wizard(dir);
    await t.answer(/How are the roles spread/, '');
    await t.answer(/Name/, '');
    await t.question(/Address of vps1/);
    t.type('10.0.0');
    t.keys('C-c');
    expect(await t.exitCode()).toBe(130);
    expect(t.screen()).toMatch(/init: cancelled; nothing was written/);
    expect(readdirSync(dir).filter((f) => !f.startsWith('.ssh'))).toEqual([]);
  }, 60_000);

  it('Ctrl-C at the very last question (after the file was validated in memory) still leaves nothing', async () => {
    const dir = workDir();
    const t = wizard(dir);
    await t.answer(/How are the roles spread/, '');
    await t.answer(/Name/, '');
    await t.answer(/Address of vps1/, '203.0.113.10');
    await t.answer(/SSH port/, '');
    await t.answer(/SSH user/, '');
    await t.answer(/SSH private key file/, '');
    await t.answer(/Connect to the hosts now/, 'n');
    await t.answer(/Memory of vps1/, '16G');
    await t.answer(/Cores of vps1/, '8');
    await t.answer(/Capacity profile/, '');
    await t.answer(/App database name/, '');
    await t.answer(/App database user/, '');
    await t.answer(/redis_password/, '');
    await t.answer(/app_db_password/, '');
    await t.answer(/proxysql_admin_password/, '');
    await t.question(/proxysql_monitor_password/);
    t.keys('C-c');
    expect(await t.exitCode()).toBe(130);
    expect(readdirSync(dir)).toEqual([]);
  }, 60_000);

  it('an existing site file gives the defaults and is not overwritten without a yes; with a yes it is', async () => {
    const dir = workDir();
    const file = join(dir, 'stackscale.yaml');
    execFileSync(process.execPath, [bin, 'init', '--non-interactive', '--out', file, '--profile', '300', '--host', 'box=203.0.113.7:2222', '--role', 'box=web,cache', '--role', 'box=proxysql,db-primary', '--user', 'box=deploy', '--size', 'box=8G,4', '--database', 'restro'], { cwd: dir });
    const before = readFileSync(file);

    const runThrough = async (t: TmuxSession, database: string): Promise<void> => {
      await t.answer(/How are the roles spread/, '');
      const named = await t.question(/Name/);
      expect(named).toMatch(/stackscale.yaml exists: its values are offered as the defaults/);
      expect(named).toMatch(/^\? Name .*box/m);
      t.keys('Enter');
      const addr = await t.question(/Address of box/);
      expect(addr).toMatch(/^\? Address of box .*203\.0\.113\.7/m);
      t.keys('Enter');
      await t.answer(/SSH port/, '');
      await t.answer(/SSH user/, '');
      await t.answer(/SSH private key file/, '');
      await t.answer(/Connect to the hosts now/, 'n');
      const prof = await t.question(/Capacity profile/);
      expect(prof).toMatch(/box: 8\.0 GiB, 4 cores \(from the existing site file\)/);
      t.keys('Enter');
      await t.answer(/App database name/, database);
      await t.answer(/App database user/, '');
      for (const key of ['redis_password', 'app_db_password', 'proxysql_admin_password', 'proxysql_monitor_password']) await t.answer(new RegExp(key), '');
    };

    const no = wizard(dir);
    await runThrough(no, 'restro');
    await no.answer(/stackscale.yaml exists. Overwrite it\?/, ''); // default: no
    await no.answer(/Write to which file instead\?/, '');
    expect(await no.exitCode()).toBe(0);
    expect(no.screen()).toMatch(/init: nothing was written/);
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(readdirSync(dir).filter((f) => f !== '.ssh')).toEqual(['stackscale.yaml']);

    const yes = wizard(dir);
    await runThrough(yes, 'restro2');
    await yes.answer(/stackscale.yaml exists. Overwrite it\?/, 'y');
    await yes.answer(/Run `stackscale plan/, 'n');
    expect(await yes.exitCode()).toBe(0);
    const site = loadSite(file);
    expect(site.app.database).toBe('restro2');
    expect(site.hosts[0]).toMatchObject({ name: 'box', address: '203.0.113.7', port: 2222, user: 'deploy', roles: ['web', 'cache', 'proxysql', 'db-primary'] });
    // 300, not 700: on 8 GiB all-in-one the 700 profile no longer fits once OPcache, the web server, MySQL's fixed
    // buffers and a buffer pool floor are counted (issue 11).
    expect(site.profile).toBe('300');
  }, 90_000);
});

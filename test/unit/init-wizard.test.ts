import { describe, expect, it } from 'vitest';
import { runWizard, type Prober, type WizardDeps } from '../../src/init/wizard.js';
import type { SizingModel } from '../../src/init/recommend.js';
import type { InitAnswers } from '../../src/init/answers.js';
import type { Profile } from '../../src/config/types.js';
import type { SiteSizing } from '../../src/sizing/types.js';
import { UnreachableError } from '../../src/errors.js';
import { PromptCancelled } from '../../src/cli/prompts.js';
import { CANCEL, DEFAULT, ScriptedPrompter, type Step } from './init-script.js';

const GiB = 2 ** 30;
const FP = 'SHA256:' + 'k'.repeat(43);
const plain = { bold: (s: string) => s, red: (s: string) => s, green: (s: string) => s, yellow: (s: string) => s, dim: (s: string) => s, cyan: (s: string) => s };

/** N users need N/100 GiB per host (a toy model: the wizard's choices are under test, not the sizing). */
const model: SizingModel = {
  loadProfile: (name) => ({ name, workload: { concurrentUsers: Number(name) } }) as unknown as Profile,
  sizeSite: (site, profile) =>
    ({
      profile,
      hosts: site.hosts.map((host) => ({ host, memory: { total: host.size!.memory, reserve: GiB, budget: host.size!.memory - GiB, used: GiB, lines: [] } })),
      notes: [],
    }) as unknown as SiteSizing,
  checkSizing: (s) =>
    s.hosts.filter((h) => h.host.size!.memory < (s.profile.workload.concurrentUsers / 100) * GiB).map((h) => ({ where: h.host.name, message: 'too small' })),
};

function prober(memory: number, options: { known?: boolean; unreachable?: string[] } = {}): Prober & { logins: string[] } {
  const logins: string[] = [];
  return {
    logins,
    readHostKey: async (h) => {
      if (options.unreachable?.includes(h.name)) throw new UnreachableError(h.name, `no answer from ${h.address}:${h.port} within 10000 ms`);
      return { type: 'ssh-ed25519', fingerprint: FP, knownHosts: options.known ? 'known' : 'unknown' };
    },
    probeSize: async (h, fp) => {
      logins.push(`${h.user}@${h.name} pinned ${fp}`);
      return { memory, cores: 4, os: 'Debian GNU/Linux 12 (bookworm)' };
    },
  };
}

function deps(script: Step[], p: Prober): WizardDeps & { lines: string[]; ask: ScriptedPrompter } {
  const lines: string[] = [];
  return {
    ask: new ScriptedPrompter(script),
    say: (l) => lines.push(l),
    lines,
    style: plain,
    model,
    prober: p,
    probeOptions: { env: {} },
    baseDir: '/tmp',
    parseSize: (t) => (/^\d+G$/.test(t) ? Number(t.slice(0, -1)) * GiB : undefined),
  };
}

const allInOneHost: Step[] = [
  [/^How are the roles spread/, 'all-in-one'],
  [/^Name/, DEFAULT],
  [/^Address of vps1/, '10.77.0.11'],
  [/^SSH port/, DEFAULT],
  [/^SSH user/, DEFAULT],
  [/^SSH private key file/, '/keys/id_ed25519'],
];
const appAndSecrets: Step[] = [
  [/^App database name/, 'restro'],
  [/^App database user/, DEFAULT],
  [/^redis_password/, DEFAULT],
  [/^app_db_password/, 'file:/run/secrets/db'],
  [/^proxysql_admin_password/, DEFAULT],
  [/^proxysql_monitor_password/, DEFAULT],
];

describe('the init wizard, scripted', () => {
  it('all-in-one, probed: key shown and pinned, the largest profile that fits recommended and taken', async () => {
    const p = prober(8 * GiB);
    const d = deps(
      [...allInOneHost, [/^Connect to the hosts now/, true], [/^Trust this key for vps1/, true], [/^Capacity profile/, DEFAULT], ...appAndSecrets],
      p,
    );
    const { answers, recommendation } = await runWizard(d);
    expect(d.ask.remaining).toBe(0);
    expect(answers).toEqual<InitAnswers>({
      profile: '700',
      hosts: [
        { name: 'vps1', address: '10.77.0.11', port: 22, user: 'root', identity: '/keys/id_ed25519', hostKey: FP, roles: ['web', 'cache', 'proxysql', 'db-primary'], size: { memory: 8 * GiB, cores: 4 } },
      ],
      app: { database: 'restro', dbUser: 'restro' },
      secrets: {
        redis_password: 'env:REDIS_PASSWORD',
        app_db_password: 'file:/run/secrets/db',
        proxysql_admin_password: 'env:PROXYSQL_ADMIN_PASSWORD',
        proxysql_monitor_password: 'env:PROXYSQL_MONITOR_PASSWORD',
      },
    });
    expect(recommendation?.profile).toBe('700');
    expect(p.logins).toEqual([`root@vps1 pinned ${FP}`]);
    expect(d.lines).toContain(`vps1 presents ssh-ed25519 key ${FP}`);
    expect(d.lines.some((l) => l.startsWith('Recommended profile: 700'))).toBe(true);
    expect(d.lines).toContain('profile 1000 does not fit: too small');
    // The profile question offers the recommendation as its default and marks it.
    const q = d.ask.asked.find((a) => a.message === 'Capacity profile');
    expect(q).toMatchObject({ default: '700', choices: ['1000', '700', '300', 'file'] });
    // An unknown key is not trusted by default; the user had to say yes.
    expect(d.ask.asked.find((a) => /^Trust/.test(a.message))?.default).toBe(false);
  });

  it('a key the user does not trust: no login, no pin; the size is asked instead', async () => {
    const p = prober(8 * GiB);
    const d = deps(
      [
        ...allInOneHost,
        [/^Connect/, true],
        [/^Trust/, false],
        [/^Memory of vps1/, '16G'],
        [/^Cores of vps1/, '8'],
        [/^Capacity profile/, DEFAULT],
        ...appAndSecrets,
      ],
      p,
    );
    const { answers } = await runWizard(d);
    expect(p.logins).toEqual([]);
    expect(answers.hosts[0].hostKey).toBeUndefined();
    expect(answers.hosts[0].size).toEqual({ memory: 16 * GiB, cores: 8 });
    expect(answers.profile).toBe('1000');
  });

  it('an unreachable host is reported and the wizard goes on; without sizes there is no recommendation', async () => {
    const d = deps(
      [...allInOneHost, [/^Connect/, true], [/^Memory of vps1/, ''], [/^Capacity profile/, '300'], ...appAndSecrets],
      prober(8 * GiB, { unreachable: ['vps1'] }),
    );
    const { answers, recommendation } = await runWizard(d);
    expect(recommendation).toBeUndefined();
    expect(answers.hosts[0].size).toBeUndefined();
    expect(answers.profile).toBe('300');
    expect(d.lines).toContain('vps1: no answer from 10.77.0.11:22 within 10000 ms');
  });

  it('a public address in a site of several hosts: the private address is asked and written (issue 11)', async () => {
    const d = deps(
      [
        [/^How are the roles/, 'web-data'],
        [/^Name/, DEFAULT],
        [/^Address of web1/, '203.0.113.10'],
        [/^SSH port/, DEFAULT],
        [/^SSH user/, DEFAULT],
        [/^SSH private key file/, ''],
        [/^Private address of web1/, ''],
        [/^Name/, DEFAULT],
        [/^Address of db1/, '203.0.113.31'],
        [/^SSH port/, DEFAULT],
        [/^SSH user/, DEFAULT],
        [/^SSH private key file/, ''],
        [/^Private address of db1/, '10.0.0.31'],
        [/^Connect/, false],
        [/^Memory of web1/, '8G'],
        [/^Cores of web1/, '4'],
        [/^Memory of db1/, '8G'],
        [/^Cores of db1/, '4'],
        [/^Capacity profile/, DEFAULT],
        ...appAndSecrets.filter(([q]) => !/proxysql_admin|proxysql_monitor/.test(String(q))),
        [/^proxysql_admin_password/, DEFAULT],
        [/^proxysql_monitor_password/, DEFAULT],
      ],
      prober(0),
    );
    const { answers } = await runWizard(d);
    expect(answers.hosts.map((h) => [h.name, h.address, h.privateAddress])).toEqual([
      ['web1', '203.0.113.10', undefined],
      ['db1', '203.0.113.31', '10.0.0.31'],
    ]);
  });

  it('four-host layout without probing: each host asked in turn, replication secret asked', async () => {
    const hostSteps = (name: string, addr: string): Step[] => [
      [/^Name/, DEFAULT],
      [new RegExp(`^Address of ${name}`), addr],
      [/^SSH port/, DEFAULT],
      [/^SSH user/, 'deploy'],
      [/^SSH private key file/, ''],
    ];
    const d = deps(
      [
        [/^How are the roles/, 'web-proxy-primary-replica'],
        ...hostSteps('web1', '10.0.0.10'),
        ...hostSteps('proxy1', '10.0.0.20'),
        ...hostSteps('db1', '10.0.0.31'),
        ...hostSteps('db2', '10.0.0.32'),
        [/^Connect/, false],
        [/^Memory of web1/, '16G'],
        [/^Cores of web1/, '8'],
        [/^Memory of proxy1/, '4G'],
        [/^Cores of proxy1/, '2'],
        [/^Memory of db1/, '8G'],
        [/^Cores of db1/, '4'],
        [/^Memory of db2/, '8G'],
        [/^Cores of db2/, '4'],
        [/^Capacity profile/, DEFAULT],
        [/^App database name/, DEFAULT],
        [/^App database user/, DEFAULT],
        [/^redis_password/, DEFAULT],
        [/^app_db_password/, DEFAULT],
        [/^replication_password/, DEFAULT],
        [/^proxysql_admin_password/, DEFAULT],
        [/^proxysql_monitor_password/, DEFAULT],
      ],
      prober(0),
    );
    const { answers } = await runWizard(d);
    expect(answers.hosts.map((h) => [h.name, h.user, h.identity, h.roles])).toEqual([
      ['web1', 'deploy', undefined, ['web']],
      ['proxy1', 'deploy', undefined, ['proxysql', 'cache']],
      ['db1', 'deploy', undefined, ['db-primary']],
      ['db2', 'deploy', undefined, ['db-replica']],
    ]);
    expect(answers.profile).toBe('300'); // proxy1's 4 GiB holds 300 users in the toy model
    expect(answers.secrets.replication_password).toBe('env:REPL_PASSWORD');
  });

  it('an existing site file gives the defaults: layout, host details, pinned key (matched), profile, app, secrets', async () => {
    const existing: InitAnswers = {
      profile: '300',
      hosts: [{ name: 'box', address: '10.77.0.11', port: 2222, user: 'deploy', identity: '/k', hostKey: FP, roles: ['db-primary', 'web', 'cache', 'proxysql'], size: { memory: 32 * GiB, cores: 16 } }],
      app: { database: 'restro', dbUser: 'restro_app' },
      secrets: { redis_password: 'env:R', app_db_password: 'env:A', proxysql_admin_password: 'env:PA', proxysql_monitor_password: 'env:PM' },
    };
    const d = deps(
      [
        [/^How are the roles/, DEFAULT],
        [/^Name/, DEFAULT],
        [/^Address/, DEFAULT],
        [/^SSH port/, DEFAULT],
        [/^SSH user/, DEFAULT],
        [/^SSH private key/, DEFAULT],
        [/^Connect/, true],
        [/^Trust/, DEFAULT],
        [/^Capacity profile/, DEFAULT],
        [/^App database name/, DEFAULT],
        [/^App database user/, DEFAULT],
        [/^redis_password/, DEFAULT],
        [/^app_db_password/, DEFAULT],
        [/^proxysql_admin_password/, DEFAULT],
        [/^proxysql_monitor_password/, DEFAULT],
      ],
      prober(4 * GiB),
    );
    const { answers } = await runWizard(d, existing);
    expect(d.ask.asked[0].default).toBe('all-in-one');
    expect(d.ask.asked.find((a) => /^Trust/.test(a.message))?.default).toBe(true);
    expect(d.lines).toContain('  it matches the host_key the existing site file pins');
    // The probe replaces the old size; the recommendation (300 for 4 GiB) becomes the default.
    expect(answers).toEqual({ ...existing, hosts: [{ ...existing.hosts[0], roles: ['web', 'cache', 'proxysql', 'db-primary'], size: { memory: 4 * GiB, cores: 4 } }] });
  });

  it("the existing file's profile stays the default while it fits; when it no longer fits, the recommendation", async () => {
    const existing: InitAnswers = {
      profile: '1000',
      hosts: [{ name: 'vps1', address: '10.77.0.11', port: 22, user: 'root', roles: ['web', 'cache', 'proxysql', 'db-primary'], size: { memory: 32 * GiB, cores: 8 } }],
      app: { database: 'app', dbUser: 'app' },
      secrets: {},
    };
    const script = (probe: boolean): Step[] => [
      [/^How are the roles/, DEFAULT], [/^Name/, DEFAULT], [/^Address/, DEFAULT], [/^SSH port/, DEFAULT], [/^SSH user/, DEFAULT], [/^SSH private key/, DEFAULT],
      [/^Connect/, probe], ...(probe ? ([[/^Trust/, true]] as Step[]) : []), [/^Capacity profile/, DEFAULT],
      [/^App database name/, DEFAULT], [/^App database user/, DEFAULT], [/^redis_password/, DEFAULT], [/^app_db_password/, DEFAULT], [/^proxysql_admin_password/, DEFAULT], [/^proxysql_monitor_password/, DEFAULT],
    ];
    expect((await runWizard(deps(script(false), prober(0)), existing)).answers.profile).toBe('1000'); // 32 GiB from the file: fits
    expect((await runWizard(deps(script(true), prober(8 * GiB)), existing)).answers.profile).toBe('700'); // probed 8 GiB: does not
  });

  it('custom layout: roles picked per host', async () => {
    const d = deps(
      [
        [/^How are the roles/, 'custom'],
        [/^How many hosts/, '2'],
        [/^Name/, 'a'],
        [/^Address of a/, '10.0.0.1'],
        [/^SSH port/, DEFAULT],
        [/^SSH user/, DEFAULT],
        [/^SSH private key/, ''],
        [/^Roles of a/, ['web', 'cache']],
        [/^Name/, 'b'],
        [/^Address of b/, '10.0.0.2'],
        [/^SSH port/, DEFAULT],
        [/^SSH user/, DEFAULT],
        [/^SSH private key/, ''],
        [/^Roles of b/, ['db-primary']],
        [/^Connect/, false],
        [/^Memory of a/, ''],
        [/^Memory of b/, ''],
        [/^Capacity profile/, DEFAULT],
        [/^App database name/, DEFAULT],
        [/^App database user/, DEFAULT],
        [/^redis_password/, DEFAULT],
        [/^app_db_password/, DEFAULT],
      ],
      prober(0),
    );
    const { answers } = await runWizard(d);
    expect(answers.hosts.map((h) => [h.name, h.roles])).toEqual([['a', ['web', 'cache']], ['b', ['db-primary']]]);
    expect(answers.profile).toBe('1000');
  });

  it('a literal typed as a secret is refused by the question itself', async () => {
    const d = deps([...allInOneHost, [/^Connect/, false], [/^Memory/, ''], [/^Capacity/, DEFAULT], [/^App database name/, DEFAULT], [/^App database user/, DEFAULT], [/^redis_password/, 'hunter2']], prober(0));
    await expect(runWizard(d)).rejects.toThrow(/"hunter2" to "redis_password .*" is refused: write where the secret is/);
  });

  it('Ctrl-C at any question ends the wizard with PromptCancelled', async () => {
    const d = deps([...allInOneHost.slice(0, 3), [/^SSH port/, CANCEL]], prober(0));
    await expect(runWizard(d)).rejects.toBeInstanceOf(PromptCancelled);
  });
});

// The slow log on a stock Debian 12 host: MariaDB's package does not create /var/log/mysql, so a server pointed at
// /var/log/mysql/mariadb-slow.log logs nothing, silently. apply must create the directory (mysql:adm, 2750) and its
// health check must prove a slow statement lands in the file. A host of this file's own, whose /var has no
// /var/log/mysql (removed inside the host to be sure).
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slowLogWorks } from '../../src/apply/services.js';
import type { HostFacts } from '../../src/facts/types.js';
import { connectSsh } from '../../src/transport/ssh.js';
import { runCli, SECRET_ENV, writeSite } from '../helpers/cli.js';
import { startHosts, stopHosts, type TestHost } from '../hosts/harness.js';
import { ssh } from '../hosts/ssh.js';

const LOG_DIR = '/var/log/mysql';
const SLOW_LOG = '/var/log/mysql/mariadb-slow.log';
const CNF = '/etc/mysql/mariadb.conf.d/60-stackscale.cnf';
let host: TestHost;
let site: string;
const env = { HOME: '/nonexistent', ...SECRET_ENV };

beforeAll(async () => {
  [host] = await startHosts([{ name: 'slowdir1', services: ['mariadb', 'redis'] }]);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'stackscale-slowdir-'));
  site = writeSite(path.join(dir, 'stackscale.yaml'), '1000', [
    { name: 'slowdir1', address: host.address, user: 'root', identity: host.rootKey, hostKey: host.hostKeyFingerprint, roles: ['cache', 'db-primary'] },
  ]);
}, 120_000);
afterAll(async () => {
  if (host) await stopHosts([host]);
});

async function sh(cmd: string, input?: string): Promise<string> {
  const r = await ssh(host, cmd, { input });
  if (r.code !== 0) throw new Error(`${cmd}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

const cli = (args: string[]) => runCli([...args, '--site', site, '--json'], { env });

interface PlanDoc {
  hosts: { dirs?: { path: string; status: string; mode: number; owner: string; group: string }[]; actions: { service: string; kind: string; settings?: { name: string }[] }[] }[];
}
interface ApplyDoc {
  ok: boolean;
  hosts: { steps: { step: string; ok: boolean; detail: string }[] }[];
}

/** A statement just over the deployed long_query_time, with a marker; true when the marker reaches the slow log. */
async function slowStatementLogged(marker: string): Promise<boolean> {
  const lqt = Number(/^long_query_time = (\S+)$/m.exec(await sh(`cat ${CNF}`))?.[1]);
  expect(lqt).toBeGreaterThan(0);
  await sh('mariadb --batch', `SELECT SLEEP(${lqt + 0.05}), '${marker}';\n`);
  for (let i = 0; i < 20; i++) {
    if ((await ssh(host, `grep -qF -- '${marker}' ${SLOW_LOG}`)).code === 0) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

describe('apply on a host without /var/log/mysql (and /var/log/redis)', () => {
  it('plans the directory, creates it 2750 mysql:adm, and the health check proves the slow log is written', async () => {
    await sh(`rm -rf ${LOG_DIR} /var/log/redis; test ! -e ${LOG_DIR}`);

    const plan = await cli(['plan']);
    expect(plan.code, plan.stderr).toBe(0);
    const planned = (JSON.parse(plan.stdout) as PlanDoc).hosts[0].dirs ?? [];
    expect(planned).toContainEqual(expect.objectContaining({ path: LOG_DIR, status: 'new', mode: 0o2750, owner: 'mysql', group: 'adm' }));
    expect(planned).toContainEqual(expect.objectContaining({ path: '/var/log/redis', service: 'redis', status: 'new', mode: 0o2750, owner: 'redis', group: 'adm' }));
    expect(planned).toContainEqual(expect.objectContaining({ path: '/var/lib/redis', status: 'unchanged' }));

    const apply = await cli(['apply', '--yes']);
    expect(apply.code, apply.stderr).toBe(0);
    const doc = JSON.parse(apply.stdout) as ApplyDoc;
    const steps = doc.hosts[0].steps;
    expect(steps.find((s) => s.step === `dir ${LOG_DIR}`)).toMatchObject({ ok: true });
    expect(steps.find((s) => s.step === 'health mysql')?.detail).toMatch(/slow log: a statement over [\d.]+ s was written to \/var\/log\/mysql\/mariadb-slow\.log/);

    expect((await sh(`stat -c '%a %U %G' ${LOG_DIR}`)).trim()).toBe('2750 mysql adm');
    expect((await sh(`stat -c '%a %U %G' /var/log/redis`)).trim()).toBe('2750 redis adm');
    // Redis opens its logfile for each line: a background save is logged there now.
    await sh('redis-cli -h 127.0.0.1 >/dev/null', `AUTH ${SECRET_ENV.REDIS_PASSWORD}\nBGSAVE\n`);
    let redisLog = '';
    for (let i = 0; i < 20 && !/Background saving/.test(redisLog); i++) {
      redisLog = (await ssh(host, 'cat /var/log/redis/redis-server.log')).stdout;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(redisLog).toMatch(/Background saving/);
    // The health check's own statement is in the file, and so is one of ours.
    expect(await sh(`grep -c stackscale-slowlog-check- ${SLOW_LOG}`)).not.toBe('0\n');
    expect(await slowStatementLogged('e2e-slow-after-apply')).toBe(true);

    // Nothing left to do: the directory is as planned.
    const again = await cli(['plan', '--detailed-exitcode']);
    expect(again.code, again.stdout).toBe(0);
  }, 120_000);

  it('a deployed host whose directory went missing gets it back and its slow log reopened, without a restart', async () => {
    // Deployed, whatever the test before left (a no-op when it is).
    const deployed = await cli(['apply', '--yes']);
    expect(deployed.code, deployed.stderr).toBe(0);
    await sh(`rm -rf ${LOG_DIR}; service mariadb restart >/dev/null 2>&1`);
    // The server cannot open the file: nothing is logged.
    expect(await slowStatementLogged('e2e-slow-while-missing')).toBe(false);
    const pid = (await sh('cat /run/mysqld/mysqld.pid')).trim();

    const plan = await cli(['plan']);
    const hostPlan = (JSON.parse(plan.stdout) as PlanDoc).hosts[0];
    expect(hostPlan.dirs).toContainEqual(expect.objectContaining({ path: LOG_DIR, status: 'new' }));
    const mysql = hostPlan.actions.find((a) => a.service === 'mysql');
    expect(mysql?.kind).toBe('runtime');
    expect(mysql?.settings?.map((s) => s.name)).toEqual(expect.arrayContaining(['slow_query_log_file', 'slow_query_log']));

    const apply = await cli(['apply', '--yes']);
    expect(apply.code, apply.stderr).toBe(0);
    expect((await sh('cat /run/mysqld/mysqld.pid')).trim()).toBe(pid);
    expect(await slowStatementLogged('e2e-slow-after-fix')).toBe(true);
  }, 120_000);

  it('the health check fails when the slow log cannot be written', async () => {
    const t = await connectSsh({
      name: 'slowdir1', address: host.address, port: host.port, user: 'root', identity: host.rootKey,
      knownHostsFile: host.knownHosts, sshConfigFile: null, env: { HOME: '/nonexistent' },
    });
    try {
      const cnf = await sh(`cat ${CNF}`);
      const facts = { db: { flavour: 'mariadb' } } as HostFacts;
      expect(await slowLogWorks(t, facts, cnf)).toMatchObject({ ok: true });
      // The directory taken away while the server runs: the open file is gone, the server writes to a deleted inode.
      await sh(`rm -rf ${LOG_DIR}`);
      const broken = await slowLogWorks(t, facts, cnf);
      expect(broken).toMatchObject({ ok: false });
      expect(broken?.detail).toContain(`${SLOW_LOG} does not exist`);
    } finally {
      await t.close();
    }
  }, 60_000);
});

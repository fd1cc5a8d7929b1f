// Replication as a user gets it: `stackscale apply` on a two-host site (a primary that already holds the app's data,
// an empty replica), then a third host added to the site later. Hosts of this file's own.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHosts, stopHosts, type TestHost } from '../hosts/harness.js';
import { ssh, watchProcessLists } from '../hosts/ssh.js';
import { runCli, SECRET_ENV, writeSite, type SiteHost } from '../helpers/cli.js';
import { terminalPrompter, usePrompter } from '../../src/cli/prompts.js';

let hosts: TestHost[] = [];
let dir: string;
const env = { HOME: '/nonexistent', ...SECRET_ENV };

async function sh(h: TestHost, cmd: string, input?: string): Promise<string> {
  const r = await ssh(h, cmd, { input, timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`${h.name}: ${cmd}: ${r.stderr}`);
  return r.stdout;
}
const q = (h: TestHost, sql: string) => sh(h, 'mariadb --batch --skip-column-names', sql);

function site(name: string, members: TestHost[]): string {
  const list: SiteHost[] = members.map((h, i) => ({
    name: h.name,
    address: h.address,
    identity: h.rootKey,
    hostKey: h.hostKeyFingerprint,
    roles: [i === 0 ? 'db-primary' : 'db-replica'],
  }));
  return writeSite(path.join(dir, name), '300', list);
}

const cli = async (args: string[]) => {
  const r = await runCli(args, { env });
  for (const v of Object.values(SECRET_ENV)) expect(r.stdout + r.stderr).not.toContain(v);
  return r;
};

async function waitFor(what: string, fn: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  hosts = await startHosts([
    { name: 'rc1', services: ['mariadb'] },
    { name: 'rc2', services: ['mariadb'] },
    { name: 'rc3', services: ['mariadb'] },
  ]);
  dir = mkdtempSync(path.join(os.tmpdir(), 'stackscale-repl-cli-'));
  // The application's data, on the primary before stackscale ever runs.
  await q(hosts[0], "CREATE DATABASE restro; CREATE TABLE restro.orders (id INT AUTO_INCREMENT PRIMARY KEY, item VARCHAR(40)) ENGINE=InnoDB; INSERT INTO restro.orders (item) VALUES ('soup'), ('bread'), ('wine');");
}, 120_000);
afterAll(async () => {
  if (hosts.length) await stopHosts(hosts);
});

describe('stackscale apply sets up replication', () => {
  test('primary with data + empty replica: plan shows the seed; apply seeds, replicates, read-only, distinct server ids; no password in any process list', async () => {
    const [p, r] = hosts;
    const file = site('two.yaml', [p, r]);
    const plan = await cli(['plan', '--site', file]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/== rc2[\s\S]*new\s+\/etc\/mysql\/mariadb\.conf\.d\/60-stackscale\.cnf/);

    const stop = await watchProcessLists([p, r]);
    const applied = await cli(['apply', '--yes', '--site', file]);
    const seen = await stop();
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout + applied.stderr).toMatch(/replication rc2: seed/);
    expect(seen).toContain('ps -eo args');
    expect(seen).not.toContain(SECRET_ENV.REPL_PASSWORD);

    expect(await q(r, 'SELECT item FROM restro.orders ORDER BY id;')).toBe('soup\nbread\nwine\n');
    const status = await sh(r, 'mariadb', 'SHOW SLAVE STATUS\\G');
    expect(status).toMatch(/Slave_IO_Running: Yes/);
    expect(status).toMatch(/Slave_SQL_Running: Yes/);
    expect(status).toMatch(/Using_Gtid: Slave_Pos/);
    expect((await q(r, 'SELECT @@read_only, @@server_id;')).trim()).toBe('1\t2');
    expect((await q(p, 'SELECT @@read_only, @@server_id;')).trim()).toBe('0\t1');

    await q(p, "INSERT INTO restro.orders (item) VALUES ('cheese');");
    await waitFor('the new row on the replica', async () => (await q(r, "SELECT COUNT(*) FROM restro.orders WHERE item = 'cheese';")).trim() === '1');
  });

  test('a second apply re-seeds nothing and does not interrupt replication; plan then has nothing to do', async () => {
    const [p, r] = hosts;
    const file = site('two.yaml', [p, r]);
    // A STOP/START of replication opens a new relay log: the same relay log afterwards means it was never interrupted.
    const relayLog = async () => /Relay_Log_File: (\S+)/.exec(await sh(r, 'mariadb', 'SHOW SLAVE STATUS\\G'))?.[1];
    const relayBefore = await relayLog();
    const writer = (async () => {
      for (let i = 0; i < 10; i++) {
        await q(p, `INSERT INTO restro.orders (item) VALUES ('during-${i}');`);
        await new Promise((res) => setTimeout(res, 100));
      }
    })();
    const again = await cli(['apply', '--yes', '--site', file]);
    await writer;
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout + again.stderr).toMatch(/replication rc2: following the primary, nothing to do/);
    expect(again.stdout + again.stderr).not.toMatch(/seed|STOP SLAVE/);
    await waitFor('the rows written during the apply', async () => (await q(r, "SELECT COUNT(*) FROM restro.orders WHERE item LIKE 'during-%';")).trim() === '10');
    expect(await sh(r, 'mariadb', 'SHOW SLAVE STATUS\\G')).toMatch(/Slave_SQL_Running: Yes/);
    expect(relayBefore).toBeDefined();
    expect(await relayLog()).toBe(relayBefore);
    const plan = await cli(['plan', '--site', file, '--detailed-exitcode']);
    expect(plan.code, plan.stdout).toBe(0);
  });

  test('a third host added to the site later is seeded and follows', async () => {
    const [p, r, r3] = hosts;
    const file = site('three.yaml', [p, r, r3]);
    const applied = await cli(['apply', '--yes', '--site', file]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout + applied.stderr).toMatch(/replication rc3: seed/);
    expect(applied.stdout + applied.stderr).toMatch(/replication rc2: following the primary, nothing to do/);
    await q(p, "INSERT INTO restro.orders (item) VALUES ('third');");
    await waitFor('the new row on rc3', async () => (await q(r3, "SELECT COUNT(*) FROM restro.orders WHERE item = 'third';")).trim() === '1');
    expect((await q(r3, 'SELECT @@server_id, @@read_only;')).trim()).toBe('3\t1');
  });

  test('a replica stopped by hand shows in plan and apply repairs it', async () => {
    const [p, r, r3] = hosts;
    const file = site('three.yaml', [p, r, r3]);
    await q(r3, 'STOP SLAVE;');
    const plan = await cli(['plan', '--site', file, '--detailed-exitcode']);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toMatch(/== rc3[\s\S]*repair replication/);
    const applied = await cli(['apply', '--yes', '--site', file]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout + applied.stderr).toMatch(/replication rc3: repair/);
    await q(p, "INSERT INTO restro.orders (item) VALUES ('repaired');");
    await waitFor('the new row on the repaired replica', async () => (await q(r3, "SELECT COUNT(*) FROM restro.orders WHERE item = 'repaired';")).trim() === '1');
  });
});

describe('apply runs the plan it confirmed', () => {
  test('the replication state changes between the plan shown and the confirmation: apply stops, exit 1, nothing changed, told to plan again', async () => {
    const [p, r, r3] = hosts;
    const file = site('three.yaml', [p, r, r3]);
    // A change to confirm: rc2 stopped by hand, so the plan shows its repair; rc3 replicates (nothing to do).
    await q(r, 'STOP SLAVE;');
    const shown = await cli(['plan', '--site', file]);
    expect(shown.stdout).toMatch(/== rc2[\s\S]*repair replication/);
    expect(shown.stdout).not.toMatch(/== rc3[\s\S]*repair replication/);
    // While the operator reads the plan, someone stops rc3 too: the plan confirmed no longer holds.
    const asked: string[] = [];
    const restore = usePrompter({
      ...terminalPrompter,
      confirm: async (question) => {
        asked.push(question.message);
        await q(r3, 'STOP SLAVE;');
        return true;
      },
    });
    let stale;
    try {
      stale = await runCli(['apply', '--site', file], { env, isTTY: true });
    } finally {
      restore();
    }
    expect(asked).toHaveLength(1);
    expect(stale.code, stale.stdout + stale.stderr).toBe(1);
    expect(stale.stderr).toMatch(/error: replication changed since the plan was made: rc3: the plan said none \(.*\), now repair \(.*\); nothing was changed on any host/);
    expect(stale.stderr).toMatch(/run `stackscale plan` to see the new plan, then apply again/);
    expect(stale.stderr).not.toMatch(/replication rc2: repair/);
    // Nothing ran: rc2's repair (the plan's SQL) was not run either.
    expect(await sh(r, 'mariadb', 'SHOW SLAVE STATUS\\G')).toMatch(/Slave_SQL_Running: No/);
    // A new plan shows both, and apply of it repairs both.
    const again = await cli(['plan', '--site', file]);
    expect(again.stdout).toMatch(/== rc3[\s\S]*repair replication/);
    const applied = await cli(['apply', '--yes', '--site', file]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout + applied.stderr).toMatch(/replication rc2: repair/);
    expect(applied.stdout + applied.stderr).toMatch(/replication rc3: repair/);
    for (const v of Object.values(SECRET_ENV)) expect(stale.stdout + stale.stderr).not.toContain(v);
  }, 120_000);
});

describe('--host limits the run', () => {
  test('apply --host on the primary alone leaves the replicas out of it and succeeds', async () => {
    const [p, r, r3] = hosts;
    const file = site('three.yaml', [p, r, r3]);
    const applied = await cli(['apply', '--yes', '--site', file, '--host', 'rc1']);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(applied.stdout + applied.stderr).not.toMatch(/rc2|rc3/);
  });
});

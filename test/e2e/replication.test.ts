// Replication end to end on three hosts of our own (the tests stop and re-point replication, so they do not share the
// default set): a primary holding data seeded into an empty replica, a second run that changes nothing, a third host
// added later, and replicas broken by hand and repaired. Throughout, the replication password must not appear in any
// output, log line, error, or either host's process list.
// The server settings come from the render module's drop-in (renderMysqlCnf), written by hand and followed by a restart
// through the init script, as apply will do once it runs these hosts.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { renderMysqlCnf } from '../../src/render/mysql.js';
import { dialectFor } from '../../src/replication/flavour.js';
import { applyReplication, planReplication, type ReplicaOutcome } from '../../src/replication/run.js';
import type { DbNode, ReplicationSpec } from '../../src/replication/spec.js';
import type { ReplicationSecrets } from '../../src/replication/statements.js';
import type { HostSizing, MysqlSizing, SiteSizing } from '../../src/sizing/types.js';
import { connectSsh } from '../../src/transport/ssh.js';
import type { Transport } from '../../src/transport/types.js';
import { startHosts, stopHosts, type TestHost } from '../hosts/harness.js';
import { ssh, watchProcessLists } from '../hosts/ssh.js';

const PASSWORD = 'Repl-s3cret-9f2c"\\x';
const secrets: ReplicationSecrets = { replication: PASSWORD };

let hosts: TestHost[] = [];
const transports = new Map<string, Transport>();
const logs: string[] = [];

function dropIn(h: TestHost, role: 'primary' | 'replica', serverId: number): string {
  const d = <T>(value: T) => ({ value, why: 'test' });
  const m: MysqlSizing = {
    flavour: 'mariadb',
    version: '10.11',
    role,
    path: '/etc/mysql/mariadb.conf.d/60-stackscale.cnf',
    bindAddress: h.address,
    address: h.address,
    serverId: d(serverId),
    maxConnections: d(100),
    innodbBufferPoolSize: d(128 * 2 ** 20),
    longQueryTime: d(1),
    gtidDomainId: 0,
    readOnly: role === 'replica',
    reservedConnections: 10,
    threadCacheSize: d(16),
    tableOpenCache: d(400),
  };
  const hs = { host: { name: h.name } } as unknown as HostSizing;
  const sizing = { profile: { name: 'e2e' } } as unknown as SiteSizing;
  return renderMysqlCnf(hs, m, sizing).content;
}

async function sh(h: TestHost, cmd: string, input?: string): Promise<string> {
  const r = await ssh(h, cmd, { input, timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`${h.name}: ${cmd}: ${r.stderr}`);
  return r.stdout;
}
const q = (h: TestHost, sql: string) => sh(h, 'mariadb --batch --skip-column-names', sql);

function node(h: TestHost, id: number): DbNode {
  return { host: h.name, address: h.address, port: 3306, serverId: id };
}
function spec(replicas: TestHost[]): ReplicationSpec {
  return {
    dialect: dialectFor('mariadb', '10.11.19'),
    primary: node(hosts[0], 1),
    replicas: replicas.map((h) => node(h, hosts.indexOf(h) + 1)),
    replicationUser: 'repl',
    app: { database: 'restro', user: 'restro', addresses: [] },
  };
}

async function apply(replicas: TestHost[]): Promise<{ outcomes: ReplicaOutcome[]; ps: string }> {
  const stop = await watchProcessLists(hosts);
  try {
    const outcomes = await applyReplication(spec(replicas), transports, secrets, { log: (l) => logs.push(l), catchUpTimeoutMs: 30_000 });
    return { outcomes, ps: await stop() };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function eventually(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('condition not met in time');
}

const rows = (h: TestHost) => q(h, 'SELECT id, v FROM restro.orders ORDER BY id;');
const status = async (h: TestHost) => {
  const out = await sh(h, 'mariadb -e "SHOW SLAVE STATUS\\G"');
  return Object.fromEntries([...out.matchAll(/^\s*(\w+): (.*)$/gm)].map((m) => [m[1], m[2]]));
};
const counters = async (h: TestHost) => q(h, "SELECT VARIABLE_NAME, VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME IN ('COM_SLAVE_START','COM_SLAVE_STOP','COM_START_SLAVE','COM_STOP_SLAVE','COM_CHANGE_MASTER') ORDER BY 1;");

beforeAll(async () => {
  hosts = await startHosts([
    { name: 'rdb1', services: ['mariadb'] },
    { name: 'rdb2', services: ['mariadb'] },
    { name: 'rdb3', services: ['mariadb'] },
  ]);
  await Promise.all(
    hosts.map(async (h, i) => {
      await sh(h, 'cat > /etc/mysql/mariadb.conf.d/60-stackscale.cnf && service mariadb restart >/dev/null', dropIn(h, i === 0 ? 'primary' : 'replica', i + 1));
    }),
  );
  await q(hosts[0], "CREATE DATABASE restro; CREATE TABLE restro.orders (id INT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(40)); INSERT INTO restro.orders (v) VALUES ('soup'), ('bread'), ('wine');");
  // Some bulk (about 6 MB), so the seed streams more than a trivial dump.
  await q(hosts[0], 'CREATE TABLE restro.filler (id INT PRIMARY KEY, pad CHAR(100)); INSERT INTO restro.filler SELECT seq, REPEAT(CHAR(65 + seq % 26), 100) FROM restro.seq_1_to_60000;');
  for (const [i, h] of hosts.entries()) {
    // The first replica through the non-root deploy user: stream() and run() go through sudo -n.
    const user = i === 1 ? h.deployUser : h.rootUser;
    transports.set(h.name, await connectSsh({ name: h.name, address: h.address, port: h.port, user, identity: h.rootKey, knownHostsFile: h.knownHosts, sshConfigFile: null, env: {} }));
  }
}, 120_000);

afterAll(async () => {
  for (const t of transports.values()) await t.close();
  if (hosts.length) await stopHosts([hosts[0]]);
  // Nothing printed or logged holds the password, whatever happened.
  expect(logs.join('\n')).not.toContain(PASSWORD);
});

describe('MariaDB replication on real hosts', () => {
  test('an empty replica is seeded from a primary with data, follows it, and is read-only', async () => {
    const [db1, db2] = hosts;
    const { outcomes, ps } = await apply([db2]);
    expect(outcomes).toEqual([{ host: 'rdb2', action: 'seed', why: 'it has no replication position (empty or never seeded)' }]);
    expect(await rows(db2)).toBe(await rows(db1));
    expect(await q(db2, 'SELECT COUNT(*), SUM(CRC32(pad)) FROM restro.filler;')).toBe(await q(db1, 'SELECT COUNT(*), SUM(CRC32(pad)) FROM restro.filler;'));
    const s = await status(db2);
    expect([s.Slave_IO_Running, s.Slave_SQL_Running, s.Master_Host, s.Using_Gtid]).toEqual(['Yes', 'Yes', db1.address, 'Slave_Pos']);
    await q(db1, "INSERT INTO restro.orders (v) VALUES ('cake');");
    await eventually(async () => (await rows(db2)).includes('cake'), 5_000);
    expect((await q(db2, 'SELECT @@read_only, @@server_id;')).trim()).toBe('1\t2');
    expect((await q(db1, 'SELECT @@read_only, @@server_id;')).trim()).toBe('0\t1');
    // The seeding was seen in the process lists (the dump and the client), and the password never was.
    expect(ps).toMatch(/mariadb-dump --all-databases/);
    expect(ps).toMatch(/^sudo -n timeout -k 2 \d+ sh -c mariadb$/m); // the load on rdb2, through the deploy user's sudo, bounded on the host
    expect(ps).not.toContain(PASSWORD);
    expect(ps).not.toContain('Repl-s3cret');
  }, 90_000);

  test('a second run re-seeds nothing, stops nothing, and rows keep arriving meanwhile', async () => {
    const [db1, db2] = hosts;
    const before = await counters(db2);
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        await q(db1, `INSERT INTO restro.orders (v) VALUES ('during-${i}');`);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const { outcomes } = await apply([db2]);
    writing = false;
    await writer;
    expect(outcomes).toEqual([{ host: 'rdb2', action: 'none', why: `replicating from ${db1.address}:3306, both threads running` }]);
    expect(await counters(db2)).toBe(before);
    await q(db1, "INSERT INTO restro.orders (v) VALUES ('after');");
    await eventually(async () => (await rows(db2)) === (await rows(db1)), 5_000);
    const plan = await planReplication(spec([db2]), transports, secrets);
    expect([...plan.steps.keys()]).toEqual([]);
  }, 90_000);

  test('a third host added later is seeded and follows; the first is left alone', async () => {
    const [db1, db2, db3] = hosts;
    const { outcomes, ps } = await apply([db2, db3]);
    expect(outcomes.map((o) => [o.host, o.action])).toEqual([['rdb2', 'none'], ['rdb3', 'seed']]);
    expect(ps).toMatch(/mariadb-dump --all-databases/);
    expect(ps).not.toContain(PASSWORD);
    await q(db1, "INSERT INTO restro.orders (v) VALUES ('for-three');");
    await eventually(async () => (await rows(db3)).includes('for-three') && (await rows(db2)).includes('for-three'), 5_000);
    expect(await rows(db3)).toBe(await rows(db1));
    expect((await q(db3, 'SELECT @@read_only, @@server_id;')).trim()).toBe('1\t3');
  }, 90_000);

  test('replicas broken by hand (stopped; pointed elsewhere) show in plan and are repaired, not re-seeded', async () => {
    const [db1, db2, db3] = hosts;
    await q(db2, 'STOP SLAVE;');
    await q(db3, "STOP SLAVE; CHANGE MASTER TO MASTER_HOST='10.99.99.99'; START SLAVE;");
    const plan = await planReplication(spec([db2, db3]), transports, secrets);
    expect(plan.decisions.map((o) => [o.host, o.action])).toEqual([['rdb2', 'repair'], ['rdb3', 'repair']]);
    expect(plan.decisions[1].why).toContain('10.99.99.99');
    const planned = JSON.stringify(Object.fromEntries(plan.steps));
    expect(planned).toContain('CHANGE MASTER TO');
    expect(planned).toContain("MASTER_PASSWORD='********'");
    expect(planned).not.toContain(PASSWORD);

    await q(db1, "INSERT INTO restro.orders (v) VALUES ('while-broken');");
    const { outcomes, ps } = await apply([db2, db3]);
    expect(outcomes.map((o) => [o.host, o.action])).toEqual([['rdb2', 'repair'], ['rdb3', 'repair']]);
    expect(ps).not.toContain(PASSWORD);
    for (const h of [db2, db3]) {
      const s = await status(h);
      expect([h.name, s.Slave_IO_Running, s.Slave_SQL_Running, s.Master_Host]).toEqual([h.name, 'Yes', 'Yes', db1.address]);
      expect(await rows(h)).toBe(await rows(db1));
    }
    expect((await apply([db2, db3])).outcomes.map((o) => o.action)).toEqual(['none', 'none']);
  }, 120_000);
});

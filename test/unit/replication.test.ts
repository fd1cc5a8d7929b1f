// Replication without a server: exact SQL per flavour (golden files), masking, the `\G` parser on captured output, GTID
// comparison, state parsing, the decision table, and the client command (SQL and passwords on stdin, never argv).
// Refresh the golden files after an intended change: UPDATE_GOLDEN=1 npx vitest run test/unit/replication
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { parseBatch, transportSqlRunner } from '../../src/replication/client.js';
import { clientCommand, clientOptionFile } from '../../src/daemons/mysql-client.js';
import { decideReplica } from '../../src/replication/decide.js';
import { dialectFor } from '../../src/replication/flavour.js';
import { mariadbCanFollow, mysqlCanFollow, mysqlGtidSubset } from '../../src/replication/gtid.js';
import { decideReplication, missingAccountStatements, replicaStatements, replicationDrift, replicationSteps } from '../../src/replication/run.js';
import { replicationSpec, type ReplicationSpec } from '../../src/replication/spec.js';
import { sql, sqlLiteral, secret } from '../../src/replication/sql.js';
import { maskText } from '../../src/mask.js';
import { parsePrimaryState, parseReplicaState, primaryStateScript, replicaStateScript, type PrimaryState, type ReplicaState } from '../../src/replication/state.js';
import { accountsWanted, dumpCommand, pointAtPrimary, preSeedStatements, repairStatements, waitForPosition } from '../../src/replication/statements.js';
import { parseReplicaStatus, parseVertical, type ReplicaStatus } from '../../src/replication/status.js';
import { FakeTransport } from '../../src/transport/double.js';
import { referenceSite, referenceSizing } from '../fixtures/sizing.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const GOLDEN = join(HERE, '../golden/replication');
const captured = (name: string) => readFileSync(join(GOLDEN, 'captured', name), 'utf8');

function golden(name: string, actual: string): void {
  const path = join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
  }
  expect(actual).toBe(readFileSync(path, 'utf8'));
}

const PW = { replication: "r'epl\\pw", monitor: 'mon-pw', app: 'app pw' };
const SECRET_VALUES = Object.values(PW);

function spec(flavour: 'mariadb' | 'mysql', version: string): ReplicationSpec {
  const s = replicationSpec(referenceSizing(flavour, version), referenceSite());
  if (!s) throw new Error('no spec');
  s.dialect = dialectFor(flavour, version === '8.0' ? '8.0.36' : version === '8.4' ? '8.4.2' : '10.11.19');
  return s;
}

const VARIANTS = [
  ['mariadb-10.11', 'mariadb', '10.11'],
  ['mysql-8.0', 'mysql', '8.0'],
  ['mysql-8.4', 'mysql', '8.4'],
] as const;

describe.each(VARIANTS)('exact SQL for %s', (name, flavour, version) => {
  const s = spec(flavour, version);
  const d = s.dialect;

  test('golden: accounts, pointing, repair, seed, wait and state scripts (real and masked)', () => {
    const accounts = accountsWanted(s, PW);
    const seed = replicaStatements(s, { action: 'seed', why: 'empty' }, PW);
    const sections: [string, string[]][] = [
      ['accounts on the primary (masked)', accounts.flatMap((a) => a.statements.map((x) => x.masked))],
      ['accounts on the primary (real)', accounts.flatMap((a) => a.statements.map((x) => x.sql))],
      ['point a replica (real)', [pointAtPrimary(d, s.primary, 'repl', PW.replication).sql]],
      ['repair a replica (masked)', repairStatements(d, s.primary, 'repl', PW.replication).map((x) => x.masked)],
      ['seed a replica (masked)', seed.map((x) => x.masked)],
      ['dump command on the primary', [dumpCommand(d).join(' ')]],
      ['wait for catch-up', [waitForPosition(d, flavour === 'mariadb' ? '0-1-42' : '3e11fa47-71ca-11e1-9e33-c80aa9429562:1-42', 60).sql]],
      ['replica state script', [replicaStateScript(d, 'restro')]],
      ['primary state script', [primaryStateScript(d, 'restro')]],
    ];
    golden(`${name}.sql`, sections.map(([title, lines]) => `-- ${title}\n${lines.join('\n').trimEnd()}\n`).join('\n'));
  });

  test('masked statements never hold a password; real ones hold it escaped', () => {
    const all = [
      ...accountsWanted(s, PW).flatMap((a) => a.statements),
      ...repairStatements(d, s.primary, 'repl', PW.replication),
      ...replicaStatements(s, { action: 'seed', why: 'x' }, PW),
    ];
    for (const st of all) for (const v of SECRET_VALUES) expect(st.masked).not.toContain(v);
    expect(all.map((x) => x.sql).join('\n')).toContain(sqlLiteral(PW.replication));
  });
});

describe('statements', () => {
  test('literals escape quotes, backslashes and control characters', () => {
    expect(sqlLiteral("a'b\\c\nd\0")).toBe("'a\\'b\\\\c\\nd\\0'");
    expect(sql`SET x=${'v'}, y=${3}, p=${secret("it's")}`).toEqual({ sql: "SET x='v', y=3, p='it\\'s'", masked: "SET x='v', y=3, p='********'" });
  });

  test('MariaDB: replication user per replica address, monitor with SLAVE MONITOR, app user on the proxysql host only', () => {
    const s = spec('mariadb', '10.11');
    expect(accountsWanted(s, PW).map((a) => `${a.purpose} ${a.user}@${a.host}: ${a.statements[1].sql}`)).toEqual([
      "replication repl@10.0.0.32: GRANT REPLICATION SLAVE ON *.* TO 'repl'@'10.0.0.32'",
      "monitor monitor@10.0.0.20: GRANT USAGE, REPLICATION CLIENT, SLAVE MONITOR ON *.* TO 'monitor'@'10.0.0.20'",
      "app restro@10.0.0.20: GRANT ALL PRIVILEGES ON `restro`.* TO 'restro'@'10.0.0.20'",
    ]);
  });

  test('without a proxysql host the app user is restricted to the web hosts and there is no monitor', () => {
    const site = referenceSite();
    site.hosts = site.hosts.filter((h) => !h.roles.includes('proxysql'));
    const sizing = referenceSizing();
    sizing.hosts = sizing.hosts.filter((h) => !h.proxysql);
    const s = replicationSpec(sizing, site)!;
    expect(s.monitor).toBeUndefined();
    expect(accountsWanted(s, PW).map((a) => `${a.purpose} ${a.user}@${a.host}`)).toEqual(['replication repl@10.0.0.32', 'app restro@10.0.0.10']);
  });

  test('only missing accounts are created', () => {
    const s = spec('mariadb', '10.11');
    const primary = { accounts: [{ user: 'repl', host: '10.0.0.32' }, { user: 'monitor', host: '10.0.0.20' }] } as PrimaryState;
    expect(missingAccountStatements(s, primary, PW).map((x) => x.masked)).toEqual([
      "CREATE USER IF NOT EXISTS 'restro'@'10.0.0.20' IDENTIFIED BY '********'",
      "GRANT ALL PRIVILEGES ON `restro`.* TO 'restro'@'10.0.0.20'",
    ]);
  });

  test('old servers are refused', () => {
    expect(() => dialectFor('mysql', '8.0.22')).toThrow(/8.0.23/);
    expect(() => dialectFor('mariadb', '10.5.20')).toThrow(/10.6/);
    expect(dialectFor('mysql', '8.4.0').resetBinlog).toBe('RESET BINARY LOGS AND GTIDS');
    expect(dialectFor('mysql', '8.0.36').resetBinlog).toBe('RESET MASTER');
    expect(dialectFor('mariadb', '11.4.2').statusStatement).toBe('SHOW SLAVE STATUS');
  });

  test('maskText hides raw and escaped secrets in client errors', () => {
    expect(maskText("ERROR 1064 near 'r\\'epl\\\\pw' at line 1", [PW.replication])).toBe("ERROR 1064 near '********' at line 1");
  });
});

describe('status parsing on captured output', () => {
  const maria = dialectFor('mariadb', '10.11.19');
  const mysql = dialectFor('mysql', '8.4.2');

  test('MariaDB running', () => {
    const s = parseReplicaStatus(parseVertical(captured('mariadb-10.11-running.txt'))[0], maria)!;
    expect(s).toMatchObject({ ioRunning: true, sqlRunning: true, secondsBehind: 0, sourceHost: '10.77.13.21', sourcePort: 3306, sourceUser: 'repl', gtidPositioning: true, lastIoErrno: 0, gtidIoPos: '0-1-5' });
  });

  test('MariaDB IO thread stopped', () => {
    const s = parseReplicaStatus(parseVertical(captured('mariadb-10.11-io-stopped.txt'))[0], maria)!;
    expect([s.ioRunning, s.ioState, s.sqlRunning, s.secondsBehind]).toEqual([false, 'No', true, null]);
  });

  test('MariaDB pointed at an address with no server', () => {
    const s = parseReplicaStatus(parseVertical(captured('mariadb-10.11-wrong-host.txt'))[0], maria)!;
    expect([s.ioRunning, s.ioState, s.sourceHost, s.lastIoErrno]).toEqual([false, 'Connecting', '10.77.13.99', 2003]);
    expect(s.lastIoError).toMatch(/No route to host/);
  });

  test('MySQL 8.4 with a GTID set broken over two lines', () => {
    const s = parseReplicaStatus(parseVertical(captured('mysql-8.4-replica-status.txt'))[0], mysql)!;
    expect(s).toMatchObject({ ioRunning: true, sqlRunning: true, secondsBehind: 3, sourceHost: '10.0.0.31', gtidPositioning: true });
    expect(s.executedGtidSet).toBe('3e11fa47-71ca-11e1-9e33-c80aa9429562:1-12,4a6b5c2e-71ca-11e1-9e33-c80aa9429563:1-3');
  });

  test('no rows means no replication configured', () => {
    expect(parseReplicaStatus(parseVertical('')[0], maria)).toBeUndefined();
  });

  test('state scripts: rows told apart by their columns', () => {
    const out = `*************************** 1. row ***************************\n   server_id: 2\n   read_only: 1\n    position: 0-1-9\n     has_app: 1\n${captured('mariadb-10.11-running.txt')}`;
    const st = parseReplicaState(out, maria);
    expect([st.serverId, st.readOnly, st.position, st.hasAppDatabase, st.status?.ioRunning]).toEqual([2, true, '0-1-9', true, true]);
    const p = parsePrimaryState(
      [
        '*************************** 1. row ***************************',
        'server_id: 1', 'log_bin: 1', 'position: 0-1-9', 'binlog_state: 0-1-9', 'purged: ', 'has_app: 1',
        '*************************** 1. row ***************************',
        'account_user: repl', 'account_host: 10.0.0.32',
        '*************************** 1. row ***************************', 'section: binlogs',
        '*************************** 1. row ***************************', 'Log_name: mariadb-bin.000003', 'File_size: 100',
      ].join('\n'),
    );
    expect(p).toEqual({ serverId: 1, binlog: true, position: '0-1-9', binlogState: '0-1-9', purged: '', hasAppDatabase: true, accounts: [{ user: 'repl', host: '10.0.0.32' }], firstBinlog: 'mariadb-bin.000003' });
  });
});

describe('GTID comparison', () => {
  test.each([
    ['0-1-5', '', '0-1-9', true],
    ['0-1-5', '0-1-3', '0-1-9', true],
    ['0-1-5', '0-1-7', '0-1-9', false], // purged past it
    ['0-1-12', '', '0-1-9', false], // ahead of the primary
    ['0-1-5', '0-1-2,1-5-4', '0-1-9,1-5-8', false], // a purged domain it never saw
    ['0-1-5,1-5-4', '1-5-2', '0-1-9,1-5-8', true],
  ])('MariaDB replica %s, primary purged %s, state %s -> %s', (r, purged, state, ok) => {
    expect(mariadbCanFollow(r, purged, state).ok).toBe(ok);
  });

  test('MySQL sets', () => {
    const u = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
    expect(mysqlGtidSubset(`${u}:1-5`, `${u}:1-10`)).toBe(true);
    expect(mysqlGtidSubset(`${u}:1-5:7`, `${u}:1-6`)).toBe(false);
    expect(mysqlCanFollow(`${u}:1-5`, `${u}:1-3`, `${u}:1-9`).ok).toBe(true);
    expect(mysqlCanFollow(`${u}:1-2`, `${u}:1-3`, `${u}:1-9`).ok).toBe(false);
    expect(mysqlCanFollow(`${u}:1-12`, '', `${u}:1-9`).ok).toBe(false);
  });
});

describe('decision table', () => {
  const d = dialectFor('mariadb', '10.11.19');
  const target = { host: 'db1', address: '10.0.0.31', port: 3306, serverId: 1 };
  const primary: PrimaryState = { serverId: 1, binlog: true, position: '0-1-9', binlogState: '0-1-9', purged: '', hasAppDatabase: true, accounts: [] };
  const running: ReplicaStatus = {
    ioRunning: true, ioState: 'Yes', sqlRunning: true, secondsBehind: 0, sourceHost: '10.0.0.31', sourcePort: 3306, sourceUser: 'repl',
    gtidPositioning: true, lastIoErrno: 0, lastIoError: '', lastSqlErrno: 0, lastSqlError: '', gtidIoPos: '0-1-9', executedGtidSet: '',
  };
  const replica = (over: Partial<ReplicaState>, status: Partial<ReplicaStatus> | null = {}): ReplicaState => ({
    serverId: 2, readOnly: true, position: '0-1-9', hasAppDatabase: true, status: status === null ? undefined : { ...running, ...status }, ...over,
  });

  test.each<[string, ReplicaState, PrimaryState, string, RegExp]>([
    ['healthy', replica({}), primary, 'none', /both threads running/],
    ['healthy, lagging', replica({ position: '0-1-4' }, { secondsBehind: 30 }), primary, 'none', /both threads/],
    ['stopped', replica({}, { ioRunning: false, ioState: 'No', sqlRunning: false }), primary, 'repair', /IO thread No, SQL thread stopped/],
    ['pointed elsewhere', replica({}, { sourceHost: '10.9.9.9' }), primary, 'repair', /repl@10.9.9.9:3306, not repl@10.0.0.31/],
    ['without GTID positioning', replica({}, { gtidPositioning: false }), primary, 'repair', /without GTID positioning/],
    ['wrong password', replica({}, { ioRunning: false, ioState: 'Connecting', lastIoErrno: 1045 }), primary, 'repair', /error 1045/],
    ['data but no replication configured', replica({}, null), primary, 'repair', /no replication is configured/],
    ['empty', replica({ position: '', hasAppDatabase: false }, null), primary, 'seed', /no replication position/],
    ['position but no app database', replica({ hasAppDatabase: false }, null), primary, 'seed', /lacks the application database/],
    ['SQL thread error', replica({}, { sqlRunning: false, lastSqlErrno: 1062 }), primary, 'seed', /error 1062.*diverged/],
    ['primary purged what it needs', replica({ position: '0-1-3' }, { ioRunning: false, lastIoErrno: 1236 }), primary, 'seed', /error 1236/],
    ['purged, seen from positions', replica({ position: '0-1-3' }, { ioRunning: false }), { ...primary, purged: '0-1-6' }, 'seed', /purged/],
    ['ahead of the primary', replica({ position: '0-1-20' }, { sourceHost: '10.9.9.9' }), primary, 'seed', /ahead/],
  ])('%s', (_name, r, p, action, why) => {
    const got = decideReplica(d, r, p, target, 'repl');
    expect(got.action).toBe(action);
    expect(got.why).toMatch(why);
  });

  test('plan steps: one per host that needs work, masked', () => {
    const s = spec('mariadb', '10.11');
    const { steps, decisions } = replicationSteps(s, { ...primary, accounts: [] }, new Map([['db2', replica({ position: '', hasAppDatabase: false }, null)]]), PW);
    expect(decisions).toEqual([{ host: 'db2', action: 'seed', why: 'it has no replication position (empty or never seeded)' }]);
    expect([...steps.keys()]).toEqual(['db1', 'db2']);
    const text = JSON.stringify(Object.fromEntries(steps));
    for (const v of SECRET_VALUES) expect(text).not.toContain(v);
    expect(steps.get('db2')![0].statements).toContain('STOP SLAVE');
    const none = replicationSteps(s, { ...primary, accounts: accountsWanted(s, PW) }, new Map([['db2', replica({})]]), PW);
    expect(none.steps.size).toBe(0);
  });

  test('drift between the plan and the state read again: the SQL changes, not positions that move on', () => {
    const s = spec('mariadb', '10.11');
    const healthy = replicationPlanOf(s, { ...primary, accounts: accountsWanted(s, PW) }, replica({}));
    // The primary wrote on, the replica followed: same decisions, no drift.
    const later = replicationPlanOf(s, { ...primary, position: '0-1-99', binlogState: '0-1-99', accounts: accountsWanted(s, PW) }, replica({ position: '0-1-99' }));
    expect(replicationDrift(healthy, later)).toEqual([]);
    // The replica stopped meanwhile: the plan said none, now repair.
    const stopped = replicationPlanOf(s, { ...primary, accounts: accountsWanted(s, PW) }, replica({}, { ioRunning: false, sqlRunning: false }));
    expect(replicationDrift(healthy, stopped)).toEqual([expect.stringMatching(/^db2: the plan said none \(.*\), now repair \(.*\)$/)]);
    // An account dropped by hand meanwhile: the primary's SQL changes.
    const dropped = replicationPlanOf(s, { ...primary, accounts: accountsWanted(s, PW).slice(1) }, replica({}));
    expect(replicationDrift(healthy, dropped)).toEqual([expect.stringMatching(/^db1: the plan created 0 account\(s\), now 1 are missing$/)]);
    // The drift text holds no secret even though the statements do.
    for (const v of SECRET_VALUES) expect(replicationDrift(healthy, dropped).join()).not.toContain(v);
  });
});

function replicationPlanOf(s: ReplicationSpec, p: PrimaryState, r: ReplicaState) {
  return decideReplication(s, p, new Map([['db2', r]]), PW);
}

describe('the mysql client on a host', () => {
  test('SQL goes on stdin; the command line is the bare client', async () => {
    const t = new FakeTransport('db1').on(/^mariadb/, { code: 0, stdout: 'a\tb\n1\tx\\ty\n' });
    const out = await transportSqlRunner(t, 'mariadb').run("CREATE USER 'repl'@'h' IDENTIFIED BY 'pw';\n");
    expect(t.log[0]).toMatchObject({ kind: 'run', command: 'mariadb --batch', stdin: "CREATE USER 'repl'@'h' IDENTIFIED BY 'pw';\n" });
    expect(parseBatch(out)).toEqual([{ a: '1', b: 'x\ty' }]);
  });

  test('a password goes in a 0600 defaults file read from stdin with dd, never argv', async () => {
    const t = new FakeTransport('proxy1').on(() => true, { code: 0, stdout: '' });
    await transportSqlRunner(t, 'mysql', { login: { user: 'admin', password: 'p"w\\d', host: '127.0.0.1', port: 6032 } }).run('SELECT 1;\n');
    const file = clientOptionFile({ user: 'admin', password: 'p"w\\d', host: '127.0.0.1', port: 6032 });
    expect(file).toBe('[client]\nuser="admin"\npassword="p\\"w\\\\d"\nhost="127.0.0.1"\nport=6032\n');
    expect(t.log[0].command).toBe(clientCommand('mysql', ['--batch'], Buffer.byteLength(file)));
    expect(t.log[0].command).toMatch(/^umask 077; f=\$\(mktemp\).*dd bs=1 count=\d+ of="\$f".*mysql --defaults-extra-file="\$f" --batch$/);
    expect(t.log[0].command).not.toContain('p"w');
    expect(t.log[0].stdin).toBe(file + 'SELECT 1;\n');
  });

  test('client errors are masked', async () => {
    const t = new FakeTransport('db1').on(() => true, { code: 1, stderr: "ERROR 1064 (42000) at line 1: near 'sekret'" });
    await expect(transportSqlRunner(t, 'mariadb', { secrets: ['sekret'] }).run('x')).rejects.toThrow("db1: mariadb failed: ERROR 1064 (42000) at line 1: near '********'");
  });

  test('batch output: escapes and NULL', () => {
    expect(parseBatch('x\tn\ty\na\\tb\tNULL\tc\\\\d\\nl2\n')).toEqual([{ x: 'a\tb', n: null, y: 'c\\d\nl2' }]);
    expect(parseBatch('')).toEqual([]);
  });
});

describe('pre-seed', () => {
  test('stops replication and clears the binlog in each flavour', () => {
    expect(preSeedStatements(dialectFor('mariadb', '10.11.19')).map((s) => s.sql)).toEqual(['STOP SLAVE', 'RESET SLAVE ALL', 'RESET MASTER']);
    expect(preSeedStatements(dialectFor('mysql', '8.4.2')).map((s) => s.sql)).toEqual(['STOP REPLICA', 'RESET REPLICA ALL', 'RESET BINARY LOGS AND GTIDS', 'SET GLOBAL super_read_only = OFF']);
  });
});

// The directories daemons write into (log directories): planned from the rendered files against the host's stat,
// and the action that makes the daemon use them again.
import { describe, expect, test } from 'vitest';
import type { HostFacts, ManagedFileState } from '../../src/facts/types.js';
import type { RenderedFile } from '../../src/render/types.js';
import { hasChanges, planDirs, planHost, summarise } from '../../src/plan/build.js';
import { slowLogCheck } from '../../src/daemons/health.js';
import { ensureDir } from '../../src/apply/file-steps.js';
import { slowLogProbe } from '../../src/daemons/clients.js';
import { candidatePaths } from '../../src/render/paths.js';

const CNF = '/etc/mysql/mariadb.conf.d/60-stackscale.cnf';
const CONTENT = '[mysqld]\nslow_query_log = 1\nlong_query_time = 0.02\nslow_query_log_file = /var/log/mysql/mariadb-slow.log\n';
const cnf: RenderedFile = {
  host: 'db1', path: CNF, content: CONTENT, mode: 0o644, owner: 'root', group: 'root', service: 'mysql', secrets: [],
  dirs: [{ path: '/var/log/mysql', mode: 0o2750, owner: 'mysql', group: 'adm', why: 'slow_query_log_file = /var/log/mysql/mariadb-slow.log' }],
};

function facts(dir: ManagedFileState, running = true): HostFacts {
  return {
    host: 'db1', os: { id: 'debian', versionId: '12', prettyName: 'Debian 12' }, hostname: 'db1', memory: 2 ** 33, cores: 4,
    somaxconn: 4096, initSystem: 'sysv',
    db: { flavour: 'mariadb', version: '10.11.6', service: 'mariadb', serverBinary: '/usr/sbin/mariadbd', running },
    files: { [CNF]: { path: CNF, exists: true, content: CONTENT, mode: 0o644, owner: 'root', group: 'root' }, '/var/log/mysql': dir },
  };
}

describe('planDirs', () => {
  test('a missing log directory is new, and the server is told to reopen its slow log at runtime', () => {
    const f = facts({ path: '/var/log/mysql', exists: false });
    expect(planDirs([cnf], f)).toEqual([
      { path: '/var/log/mysql', service: 'mysql', status: 'new', mode: 0o2750, owner: 'mysql', group: 'adm', why: expect.stringContaining('slow_query_log_file') },
    ]);
    const plan = planHost({ name: 'db1', roles: ['db-primary'] }, [cnf], f, {});
    expect(plan.files[0].status).toBe('unchanged');
    expect(plan.actions).toEqual([
      expect.objectContaining({ service: 'mysql', kind: 'runtime', settings: [
        { name: 'slow_query_log_file', value: '/var/log/mysql/mariadb-slow.log' }, { name: 'slow_query_log', value: '1' },
      ] }),
    ]);
    expect(hasChanges(summarise('1000', [plan]))).toBe(true);
  });

  test('a directory with the wrong owner or mode is changed; a right one is unchanged and needs nothing', () => {
    const wrong = planDirs([cnf], facts({ path: '/var/log/mysql', exists: true, mode: 0o755, owner: 'root', group: 'root' }));
    expect(wrong[0]).toMatchObject({ status: 'changed', current: { mode: 0o755, owner: 'root', group: 'root' } });
    const right = facts({ path: '/var/log/mysql', exists: true, mode: 0o2750, owner: 'mysql', group: 'adm' });
    const plan = planHost({ name: 'db1', roles: ['db-primary'] }, [cnf], right, {});
    expect(plan.dirs?.[0].status).toBe('unchanged');
    expect(plan.actions).toEqual([]);
    expect(hasChanges(summarise('1000', [plan]))).toBe(false);
  });

  test('a stopped server is started by apply anyway: no runtime action for the directory', () => {
    const plan = planHost({ name: 'db1', roles: ['db-primary'] }, [cnf], facts({ path: '/var/log/mysql', exists: false }, false), {});
    expect(plan.actions).toEqual([]);
  });

  test('facts read the log directories of the roles', () => {
    expect(candidatePaths(['db-primary'])).toContain('/var/log/mysql');
    expect(candidatePaths(['cache'])).toEqual(expect.arrayContaining(['/var/log/redis', '/var/lib/redis']));
    expect(candidatePaths(['web'])).not.toContain('/var/log/mysql');
  });
});

describe('slow log proof', () => {
  test('sleeps just past a sub-second long_query_time, with the marker in the statement', () => {
    expect(slowLogCheck(CONTENT, 'M1')).toEqual({ file: '/var/log/mysql/mariadb-slow.log', threshold: 0.02, stdin: "SELECT SLEEP(0.07), 'M1';\n" });
  });
  test('a threshold above a second is lowered for the session only, so the check never waits long', () => {
    const c = slowLogCheck(CONTENT.replace('0.02', '10'), 'M2');
    expect(c?.stdin).toBe("SET SESSION long_query_time = 0.1;\nSELECT SLEEP(0.15), 'M2';\n");
  });
  test('no check when the file does not turn the slow log on', () => {
    expect(slowLogCheck('[mysqld]\nmax_connections = 10\n', 'M')).toBeUndefined();
    expect(slowLogCheck(CONTENT.replace('slow_query_log = 1', 'slow_query_log = 0'), 'M')).toBeUndefined();
  });
  test('commands: the directory and the probe as argv, the SQL on stdin', () => {
    expect(ensureDir('/var/log/mysql', 0o2750, 'mysql', 'adm')).toEqual([
      'sh', '-c', 'mkdir -p -- "$1" && chown -- "$3:$4" "$1" && chmod -- "$2" "$1"', 'stackscale-dir', '/var/log/mysql', '2750', 'mysql', 'adm',
    ]);
    expect(slowLogProbe('mariadb', '/var/log/mysql/mariadb-slow.log', 'M').slice(3)).toEqual(['stackscale-slowlog-check', '/var/log/mysql/mariadb-slow.log', 'M', 'mariadb']);
  });
});

import { describe, expect, test } from 'vitest';
import type { HostFacts } from '../../src/facts/types.js';
import type { RenderedFile } from '../../src/render/types.js';
import { hasChanges, planFile, planHost, sha256, summarise } from '../../src/plan/build.js';
import { maskText } from '../../src/mask.js';
import { decideAction } from '../../src/plan/actions.js';
import { serviceCommand } from '../../src/daemons/services.js';
import { changedKeys, parseFpmPool, parseIniOptions, parseRedisConf } from '../../src/daemons/config-files.js';

function facts(files: Record<string, string | undefined>, extra: Partial<HostFacts> = {}): HostFacts {
  const entries = Object.entries(files).map(([path, content]) => [
    path,
    content === undefined
      ? { path, exists: false }
      : { path, exists: true, content, mode: 0o644, owner: 'root', group: 'root', sha256: sha256(content) },
  ]);
  return {
    host: 'web1',
    os: { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)' },
    hostname: 'web1',
    memory: 16 * 2 ** 30,
    cores: 8,
    somaxconn: 4096,
    initSystem: 'sysv',
    php: { version: '8.2', poolDir: '/etc/php/8.2/fpm/pool.d', fpmBinary: '/usr/sbin/php-fpm8.2', service: 'php8.2-fpm', running: true },
    redis: { version: '7.0.15', service: 'redis-server', running: true },
    db: { flavour: 'mariadb', version: '10.11.19', service: 'mariadb', serverBinary: '/usr/sbin/mariadbd', running: true },
    files: Object.fromEntries(entries),
    ...extra,
  };
}

function file(path: string, content: string, service: RenderedFile['service'], secrets: RenderedFile['secrets'] = []): RenderedFile {
  return { host: 'web1', path, content, mode: 0o644, owner: 'root', group: 'root', service, secrets };
}

const POOL = '/etc/php/8.2/fpm/pool.d/www.conf';
const REDIS = '/etc/redis/redis.conf';
const CNF = '/etc/mysql/mariadb.conf.d/60-stackscale.cnf';

describe('planFile', () => {
  test('a missing file is new, with a diff from nothing', () => {
    const c = planFile(file(POOL, '[www]\npm = dynamic\n', 'php-fpm'), facts({ [POOL]: undefined }), {});
    expect(c.status).toBe('new');
    expect(c.diff).toContain('+pm = dynamic');
    expect(c.drift).toBe(false);
  });

  test('identical content is unchanged and carries no diff', () => {
    const c = planFile(file(POOL, 'x\n', 'php-fpm'), facts({ [POOL]: 'x\n' }), {});
    expect(c).toMatchObject({ status: 'unchanged', metaChanged: false });
    expect(c.diff).toBeUndefined();
  });

  test('a changed file shows the changed lines', () => {
    const c = planFile(file(POOL, '[www]\npm.max_children = 200\n', 'php-fpm'), facts({ [POOL]: '[www]\npm.max_children = 5\n' }), {});
    expect(c.status).toBe('changed');
    expect(c.diff).toContain('-pm.max_children = 5');
    expect(c.diff).toContain('+pm.max_children = 200');
  });

  test('a file holding secrets is never diffed and its values never appear', () => {
    const c = planFile(file(REDIS, 'requirepass s3cret-value\n', 'redis', ['redis_password']), facts({ [REDIS]: 'requirepass old\n' }), {
      redis_password: 's3cret-value',
    });
    expect(c.status).toBe('changed');
    expect(c.diff).toBeUndefined();
    expect(JSON.stringify(c)).not.toContain('s3cret-value');
  });

  test('hosts with the same file get the same patch; another path, another current text or other secrets get their own', () => {
    const secrets = { app_db_password: 'pw-9' };
    const planned = file(POOL, '[www]\npm.max_children = 200\n', 'php-fpm');
    const a = planFile(planned, facts({ [POOL]: '[www]\npm.max_children = 5\n' }), secrets);
    const b = planFile(planned, facts({ [POOL]: '[www]\npm.max_children = 5\n' }), secrets);
    expect(b.diff).toBe(a.diff);
    // Another current text on the next host: its own lines, not the first host's patch.
    const c = planFile(planned, facts({ [POOL]: '[www]\npm.max_children = 6\n' }), secrets);
    expect(c.diff).toContain('-pm.max_children = 6');
    expect(c.diff).not.toContain('-pm.max_children = 5');
    // The same texts at another path: that path in the headers.
    const other = '/etc/php/8.3/fpm/pool.d/www.conf';
    const d = planFile({ ...planned, path: other }, facts({ [other]: '[www]\npm.max_children = 5\n' }), secrets);
    expect(d.diff).toContain(`--- ${other} (on host)`);
    expect(d.diff).not.toContain(POOL);
    // Another run's secrets mask their own values in a patch of the same texts.
    const leaking = file(POOL, '[www]\nenv[DB] = pw-9\n', 'php-fpm');
    expect(planFile(leaking, facts({ [POOL]: '' }), secrets).diff).not.toContain('pw-9');
    expect(planFile(leaking, facts({ [POOL]: '' }), {}).diff).toContain('+env[DB] = pw-9');
  });

  test('a file edited since the recorded deployment is drift', () => {
    const deployed = '[www]\npm.max_children = 200\n';
    const f = facts(
      { [POOL]: '[www]\npm.max_children = 7\n' },
      { lastDeployment: { deployId: 'd1', time: 't', profile: '1000', toolVersion: '0.1.0', files: [{ path: POOL, sha256: sha256(deployed), backup: null }] } },
    );
    const c = planFile(file(POOL, deployed, 'php-fpm'), f, {});
    expect(c).toMatchObject({ status: 'changed', drift: true });
  });

  test('a mode or owner change counts even when the content is the same', () => {
    const r = { ...file(REDIS, 'x\n', 'redis'), mode: 0o640, owner: 'redis', group: 'redis' };
    const c = planFile(r, facts({ [REDIS]: 'x\n' }), {});
    expect(c).toMatchObject({ status: 'unchanged', metaChanged: true });
  });
});

describe('maskText', () => {
  test('replaces every occurrence of every secret value', () => {
    expect(maskText("a 'pw1' b pw1 c pw2", { redis_password: 'pw1', app_db_password: 'pw2' })).toBe("a '********' b ******** c ********");
  });
  test("also the value as a MySQL server quotes it back (backslash escapes), from a list of values too", () => {
    expect(maskText("near 'it\\'s\\\\x' at line 1", ["it's\\x", undefined])).toBe("near '********' at line 1");
  });
});

describe('config readers', () => {
  test('redis.conf keys are lowercased and repeated keys joined', () => {
    const m = parseRedisConf('# c\nMaxmemory 1gb\nsave 900 1\nsave 300 10\n');
    expect(m.get('maxmemory')).toBe('1gb');
    expect(m.get('save')).toBe('900 1 | 300 10');
  });
  test('my.cnf options of server sections only, dashes folded', () => {
    const m = parseIniOptions('[client]\nport=1\n[mysqld]\nmax-connections = 300\nskip_name_resolve\n[mysqldump]\nquick\n');
    expect([...m.entries()]).toEqual([
      ['max_connections', '300'],
      ['skip_name_resolve', 'ON'],
    ]);
  });
  test('fpm pool keys carry the pool name', () => {
    expect(parseFpmPool('[www]\npm = dynamic\n').get('www.pm')).toBe('dynamic');
  });
  test('changedKeys lists added, removed and changed', () => {
    expect(changedKeys(new Map([['a', '1'], ['b', '2']]), new Map([['b', '3'], ['c', '4']]))).toEqual(['a', 'b', 'c']);
  });
});

describe('decideAction', () => {
  const f = facts({});
  test('php-fpm reloads for pool sizes', () => {
    const a = decideAction('php-fpm', file(POOL, '[www]\npm.max_children = 200\n', 'php-fpm'), '[www]\npm.max_children = 5\n', f);
    expect(a?.kind).toBe('reload');
  });
  test('php-fpm restarts for listen.backlog, which a reload does not re-apply', () => {
    const a = decideAction('php-fpm', file(POOL, '[www]\nlisten.backlog = 4096\n', 'php-fpm'), '[www]\nlisten.backlog = 511\n', f);
    expect(a?.kind).toBe('restart');
    expect(a?.why).toContain('listen.backlog');
  });
  test('redis takes maxmemory at runtime, masking the password', () => {
    const a = decideAction('redis', file(REDIS, 'maxmemory 2gb\nrequirepass new\n', 'redis'), 'maxmemory 1gb\nrequirepass old\n', f);
    expect(a).toMatchObject({ kind: 'runtime', settings: [{ name: 'maxmemory', value: '2gb' }, { name: 'requirepass', value: '********' }] });
  });
  test('redis restarts for tcp-backlog', () => {
    const a = decideAction('redis', file(REDIS, 'maxmemory 2gb\ntcp-backlog 1024\n', 'redis'), 'maxmemory 1gb\ntcp-backlog 511\n', f);
    expect(a?.kind).toBe('restart');
    expect(a?.why).toContain('tcp-backlog');
  });
  test('mysql: dynamic variables by SET GLOBAL, log_bin needs a restart', () => {
    const dyn = decideAction('mysql', file(CNF, '[mysqld]\nmax_connections = 300\n', 'mysql'), '[mysqld]\nmax_connections = 151\n', f);
    expect(dyn).toMatchObject({ kind: 'runtime', settings: [{ name: 'max_connections', value: '300' }] });
    const bin = decideAction('mysql', file(CNF, '[mysqld]\nmax_connections = 300\nlog_bin = mysql-bin\n', 'mysql'), '[mysqld]\nmax_connections = 151\n', f);
    expect(bin?.kind).toBe('restart');
  });
  test('a long list of restart-only settings is cut to a readable line', () => {
    const before = Array.from({ length: 9 }, (_, i) => `setting-${i} ${i}`).join('\n');
    const a = decideAction('redis', file(REDIS, 'maxmemory 2gb\n', 'redis'), before, f);
    expect(a?.why).toBe('setting-0, setting-1, setting-2, setting-3, setting-4, setting-5 and 3 more cannot be changed by CONFIG SET; Redis must restart (the cache is emptied)');
  });
  test('a stopped service is started', () => {
    const stopped = facts({}, { redis: { version: '7.0.15', service: 'redis-server', running: false } });
    expect(decideAction('redis', file(REDIS, 'maxmemory 2gb\n', 'redis'), undefined, stopped)?.kind).toBe('start');
  });
  test('proxysql: running takes the admin interface; stopped is started, with --initial when its database would hide the cnf', () => {
    const cnf = file('/etc/proxysql.cnf', 'datadir="/var/lib/proxysql"\n', 'proxysql');
    const running = facts({}, { proxysql: { version: '2.4.8', running: true, database: true } });
    expect(decideAction('proxysql', cnf, undefined, running)?.kind).toBe('admin');
    const fresh = facts({}, { proxysql: { version: '2.4.8', running: false, database: false } });
    expect(decideAction('proxysql', cnf, undefined, fresh)).toMatchObject({ kind: 'start', why: expect.stringContaining('first start reads the new cnf') });
    const stopped = facts({}, { proxysql: { version: '2.4.8', running: false, database: true } });
    expect(decideAction('proxysql', cnf, undefined, stopped)).toMatchObject({ kind: 'start', why: expect.stringContaining('--initial') });
    expect(serviceCommand(fresh, 'proxysql', 'start')).toEqual(['service', 'proxysql', 'start']);
    expect(serviceCommand(stopped, 'proxysql', 'start')).toEqual(['service', 'proxysql', 'initial']);
    expect(serviceCommand({ ...stopped, initSystem: 'systemd' }, 'proxysql', 'start')).toEqual(['systemctl', 'start', 'proxysql-initial']);
    expect(serviceCommand(stopped, 'proxysql', 'restart')).toEqual(['service', 'proxysql', 'restart']);
  });
});

describe('planHost and summary', () => {
  test('one action per service, the strongest needed; no changes means exit-code 0', () => {
    const files = [file(POOL, '[www]\npm.max_children = 200\n', 'php-fpm'), file(REDIS, 'maxmemory 1gb\n', 'redis')];
    const same = planHost({ name: 'web1', roles: ['web', 'cache'] }, files, facts({ [POOL]: files[0].content, [REDIS]: files[1].content }), {});
    expect(same.actions).toEqual([]);
    expect(hasChanges(summarise('1000', [same]))).toBe(false);

    const changed = planHost({ name: 'web1', roles: ['web', 'cache'] }, files, facts({ [POOL]: '[www]\npm.max_children = 5\n', [REDIS]: files[1].content }), {});
    expect(changed.actions.map((a) => `${a.service}:${a.kind}`)).toEqual(['php-fpm:reload']);
    const plan = summarise('1000', [changed]);
    expect(plan.summary).toMatchObject({ hosts: 1, changedFiles: 1, unchangedFiles: 1, newFiles: 0, actions: 1 });
    expect(hasChanges(plan)).toBe(true);
  });
});

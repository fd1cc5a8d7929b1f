// The site file: schema (strict, all problems at once with file:line:col), cross-field checks, defaults, secrets.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { InvalidInputError, formatProblem } from '../../src/errors.js';
import { defaultSite, DEFAULT_HOST_SIZE, loadSite, parseSite } from '../../src/config/site.js';
import { requiredSecrets, resolveSecrets } from '../../src/config/secrets.js';

const FIXTURES = 'test/fixtures/config';
const GiB = 2 ** 30;

/** The problems a site text is refused with, each as the CLI prints it. */
function refusal(text: string, file = 'stackscale.yaml'): string[] {
  try {
    parseSite(text, file);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as InvalidInputError).exitCode).toBe(3);
    return (err as InvalidInputError).problems.map(formatProblem);
  }
  throw new Error('expected the site to be refused');
}

const GOOD_HOST = `hosts:
  web1:
    address: 203.0.113.10
    roles: [web]
app:
  database: restro
  db_user: restro
profile: 1000
`;

describe('loadSite', () => {
  test('the split reference site, with defaults filled in', () => {
    const site = loadSite(join(FIXTURES, 'site-split.yaml'));
    expect(site.profile).toBe('1000');
    expect(site.hosts.map((h) => [h.name, h.roles.join('+'), h.privateAddress, h.port, h.user, h.size?.memory])).toEqual([
      ['web1', 'web+cache', '10.0.0.10', 22, 'root', 16 * GiB],
      ['proxy1', 'proxysql', '10.0.0.20', 22, 'root', 4 * GiB],
      ['db1', 'db-primary', '10.0.0.31', 2222, 'deploy', 8 * GiB],
      ['db2', 'db-replica', '10.0.0.32', 22, 'root', 8 * GiB],
    ]);
    expect(site.hosts[2].identity).toBe('~/.ssh/id_ed25519');
    expect(site.hosts[2].hostKey).toBe('SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s');
    expect(site.app).toEqual({ database: 'restro', dbUser: 'restro', maxConnectionsPerHour: 500 });
    expect(site.secrets.redis_password).toEqual({ kind: 'env', name: 'REDIS_PASSWORD' });
    expect(site.secrets.replication_password).toEqual({ kind: 'file', path: 'secrets/repl' });
  });

  test('private_address defaults to address; the secrets section is optional', () => {
    const site = parseSite(GOOD_HOST, 'stackscale.yaml');
    // port and user default to 22 and root, but are marked as not given, so ~/.ssh/config may set them.
    expect(site.hosts[0]).toEqual({
      name: 'web1', address: '203.0.113.10', privateAddress: '203.0.113.10', port: 22, user: 'root', roles: ['web'], given: { port: false, user: false },
    });
    expect(parseSite(GOOD_HOST.replace('address: 203.0.113.10', 'address: 203.0.113.10\n    port: 2222'), 's.yaml').hosts[0].given).toEqual({ port: true, user: false });
    expect(site.secrets).toEqual({});
    expect(site.profile).toBe('1000');
    expect(parseSite(GOOD_HOST.replace('profile: 1000', 'profile: ./mine.yaml'), 'x.yaml').profile).toBe('./mine.yaml');
  });

  test('a database-only site is valid', () => {
    const site = parseSite('profile: 300\nhosts:\n  db1: {address: 10.0.0.5, roles: [db-primary]}\napp: {database: a, db_user: b}\n', 's.yaml');
    expect(site.hosts[0].roles).toEqual(['db-primary']);
  });

  test('every problem of the file at once, in reading order, with file:line:col, path, value, what is allowed', () => {
    let err: InvalidInputError | undefined;
    try {
      loadSite(join(FIXTURES, 'site-bad.yaml'));
    } catch (e) {
      err = e as InvalidInputError;
    }
    expect(err).toBeInstanceOf(InvalidInputError);
    const f = `${FIXTURES}/site-bad.yaml`;
    expect(err!.problems.map(formatProblem)).toEqual([
      `${f}:5:5 hosts.web1.rols: unknown key "rols" (did you mean "roles"? allowed here: address, port, user, identity, host_key, private_address, expose_public, roles, size)`,
      `${f}:6:18 hosts.web1.roles[1]: "webb" is not a role (one of: web, cache, proxysql, db-primary, db-replica, lb, monitor)`,
      `${f}:7:11 hosts.web1.port: 70000 is not a port (a whole number from 1 to 65535)`,
      `${f}:8:20 hosts.web1.size.memory: "16 gigs" is not a memory size (a size from 512 MiB to 16 TiB, written like 40M, 16G, 512MiB or bytes)`,
      `${f}:8:36 hosts.web1.size.cores: 0 is not a core count (a whole number from 1 to 1024)`,
      `${f}:14:12 hosts.db2.roles: a host cannot be both db-primary and db-replica (give it one of the two)`,
      `${f}:14:13 hosts.db2.roles[0]: a second db-primary (db1 is already the primary) (at most one db-primary: make db2 a db-replica)`,
      `${f}:15:1 app.db_user: missing (add db_user: letters, digits, _ . and -, at most 32 characters)`,
      `${f}:17:3 app.db_usr: unknown key "db_usr" (did you mean "db_user"? allowed here: database, db_user, max_connections_per_hour, server_name, root, config_file, env_file, sessions, rate_limit_allow)`,
      `${f}:19:19 secrets.redis_password: a literal secret is not allowed here, and its value is not repeated (use env:NAME for an environment variable or file:PATH for a file holding it)`,
    ]);
    // The literal secret is never echoed.
    expect(err!.message).not.toContain('hunter2');
  });

  test.each([
    ['a typo at the top level', 'profle: 1000\n' + GOOD_HOST, ['stackscale.yaml:1:1 profle: unknown key "profle" (did you mean "profile"? allowed here: profile, hosts, app, web_server, packages, repositories, database, php_version, secrets, monitor)']],
    [
      'a typo in size',
      GOOD_HOST.replace('roles: [web]', 'roles: [web]\n    size: {memroy: 8G, cores: 4}'),
      [
        // a missing key is reported where its parent is written
        'stackscale.yaml:5:5 hosts.web1.size.memory: missing (add memory: a size from 512 MiB to 16 TiB, written like 40M, 16G, 512MiB or bytes)',
        'stackscale.yaml:5:12 hosts.web1.size.memroy: unknown key "memroy" (did you mean "memory"? allowed here: memory, cores)',
      ],
    ],
    ['a port as text', GOOD_HOST.replace('roles: [web]', 'roles: [web]\n    port: twenty-two'), ['stackscale.yaml:5:11 hosts.web1.port: "twenty-two" is not a port (a whole number from 1 to 65535)']],
    ['roles not a list', GOOD_HOST.replace('roles: [web]', 'roles: web'), ['stackscale.yaml:4:12 hosts.web1.roles: "web" is not a list of roles (a list of: web, cache, proxysql, db-primary, db-replica, lb, monitor)']],
    ['no roles', GOOD_HOST.replace('roles: [web]', 'roles: []'), ['stackscale.yaml:4:12 hosts.web1.roles: a list is not an empty list (at least one of: web, cache, proxysql, db-primary, db-replica, lb, monitor)']],
    ['a role twice', GOOD_HOST.replace('roles: [web]', 'roles: [web, web]'), ['stackscale.yaml:4:18 hosts.web1.roles[1]: "web" is listed twice (list each role once)']],
    ['too little memory', GOOD_HOST.replace('roles: [web]', 'roles: [web]\n    size: {memory: 256M, cores: 1}'), ['stackscale.yaml:5:20 hosts.web1.size.memory: "256M" is not a memory size (a size from 512 MiB to 16 TiB, written like 40M, 16G, 512MiB or bytes)']],
    ['a bad host key', GOOD_HOST.replace('roles: [web]', 'roles: [web]\n    host_key: ssh-ed25519 AAAA'), ['stackscale.yaml:5:15 hosts.web1.host_key: "ssh-ed25519 AAAA" is not a host key fingerprint (SHA256:<43 base64 characters>, as `ssh-keygen -lf` prints it)']],
    ['a bad host name', GOOD_HOST.replace('web1:', '"web 1":'), ['stackscale.yaml:2:3 hosts.web 1: "web 1" is not a host name (letters, digits, . _ and -, starting with a letter or digit)']],
    [
      'a replica without a primary',
      'hosts:\n  db2:\n    address: 10.0.0.2\n    roles: [db-replica]\napp: {database: a, db_user: b}\nprofile: 300\n',
      ['stackscale.yaml:4:13 hosts.db2.roles[0]: a db-replica needs a db-primary to replicate from, and the site has none (give one host the db-primary role)'],
    ],
    [
      'two primaries on two hosts',
      'hosts:\n  db1: {address: 10.0.0.1, roles: [db-primary]}\n  db2: {address: 10.0.0.2, roles: [db-primary]}\napp: {database: a, db_user: b}\nprofile: 300\n',
      ['stackscale.yaml:3:36 hosts.db2.roles[0]: a second db-primary (db1 is already the primary) (at most one db-primary: make db2 a db-replica)'],
    ],
    ['no hosts', 'hosts: {}\napp: {database: a, db_user: b}\nprofile: 300\n', ['stackscale.yaml:1:8 hosts: no hosts (add at least one host with its address and roles)']],
    ['no app section', 'hosts:\n  web1: {address: a.example, roles: [web]}\nprofile: 300\n', ['stackscale.yaml:1:1 app: missing (add app: a map of database, db_user, max_connections_per_hour, server_name, root, config_file, env_file, sessions, rate_limit_allow)']],
    ['an unknown secret key', GOOD_HOST + 'secrets:\n  redis_pasword: env:X\n', ['stackscale.yaml:10:3 secrets.redis_pasword: unknown key "redis_pasword" (did you mean "redis_password"? allowed here: redis_password, app_db_password, replication_password, proxysql_admin_password, proxysql_monitor_password, mysqld_exporter_password, alert_webhook_url, alert_smtp_password)']],
    ['a literal number secret', GOOD_HOST + 'secrets:\n  app_db_password: 123456\n', ['stackscale.yaml:10:20 secrets.app_db_password: a literal secret is not allowed here, and its value is not repeated (use env:NAME for an environment variable or file:PATH for a file holding it)']],
    ['a bad variable name', GOOD_HOST + 'secrets:\n  app_db_password: env:1X\n', ['stackscale.yaml:10:20 secrets.app_db_password: "env:1X" is not an environment variable name (env:NAME, NAME of letters, digits and _)']],
    ['a duplicate key', GOOD_HOST + 'app:\n  database: x\n', ['stackscale.yaml:9:1: YAML: Map keys must be unique (each key once per map)']],
    ['a YAML syntax error', 'hosts:\n  web1: {address: a\n', ['stackscale.yaml:3:1: YAML: Flow map in block collection must be sufficiently indented and end with a } (fix the YAML syntax at this point)']],
    ['an empty file', '', ['stackscale.yaml:1:1: the site file is empty (see the README for the site file format, or run `stackscale init`)']],
  ])('%s', (_name, text, expected) => {
    expect(refusal(text)).toEqual(expected);
  });

  test('an unreadable site file', () => {
    expect(() => loadSite('no/such/stackscale.yaml')).toThrow('no/such/stackscale.yaml: cannot read the site file (ENOENT) (check the path given to --site)');
  });
});

describe('defaultSite', () => {
  test('one host named stackscale on 127.0.0.1 with every role one host can play, and no size (the default is used)', () => {
    const site = defaultSite();
    expect(site.file).toBeUndefined();
    expect(site.profile).toBe('1000');
    expect(site.hosts).toEqual([
      { name: 'stackscale', address: '127.0.0.1', privateAddress: '127.0.0.1', port: 22, user: 'root', roles: ['web', 'cache', 'proxysql', 'db-primary'] },
    ]);
    expect(DEFAULT_HOST_SIZE).toEqual({ memory: 16 * GiB, cores: 8 });
    expect(Object.keys(site.secrets)).toHaveLength(5);
  });
});

describe('resolveSecrets', () => {
  const env = { REDIS_PASSWORD: 'r-pw', APP_DB_PASSWORD: 'a-pw', PROXYSQL_ADMIN_PASSWORD: 'p-pw', PROXYSQL_MONITOR_PASSWORD: 'm-pw' };

  test('reads env variables and files (relative to the site file, without the trailing newline)', () => {
    const site = loadSite(join(FIXTURES, 'site-split.yaml'));
    expect(resolveSecrets(site, env)).toEqual({
      redis_password: 'r-pw',
      app_db_password: 'a-pw',
      replication_password: 'repl-secret',
      proxysql_admin_password: 'p-pw',
      proxysql_monitor_password: 'm-pw',
    });
  });

  test('only the secrets the roles need', () => {
    const site = parseSite(GOOD_HOST.replace('[web]', '[web, cache]'), 's.yaml');
    expect(requiredSecrets(site)).toEqual([{ key: 'redis_password', host: 'web1', role: 'cache' }]);
  });

  test('all problems at once, naming the key and the variable or file, never a value', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stackscale-secrets-'));
    writeFileSync(join(dir, 'empty'), '\n');
    const file = join(dir, 'stackscale.yaml');
    writeFileSync(
      file,
      'profile: 1000\nhosts:\n  h: {address: 10.0.0.1, roles: [web, cache, proxysql, db-primary]}\napp: {database: a, db_user: b}\n' +
        'secrets:\n  redis_password: env:NOT_SET_ANYWHERE\n  app_db_password: file:missing\n  proxysql_admin_password: file:empty\n  proxysql_monitor_password: env:SET\n',
    );
    const site = loadSite(file);
    let err: InvalidInputError | undefined;
    try {
      resolveSecrets(site, { SET: 'the-monitor-secret' });
    } catch (e) {
      err = e as InvalidInputError;
    }
    expect(err).toBeInstanceOf(InvalidInputError);
    const where = site.file!.startsWith(process.cwd()) ? file.slice(process.cwd().length + 1) : file;
    expect(err!.problems.map(formatProblem)).toEqual([
      `${where} secrets.redis_password: environment variable NOT_SET_ANYWHERE is not set (set NOT_SET_ANYWHERE, or point redis_password at file:PATH)`,
      `${where} secrets.app_db_password: cannot read secret file ${join(dir, 'missing')} (ENOENT) (check the path and that this user may read it)`,
      `${where} secrets.proxysql_admin_password: secret file ${join(dir, 'empty')} is empty (write the secret into it)`,
    ]);
    expect(err!.message).not.toContain('the-monitor-secret');
  });

  test('a secret the roles need but the site does not name', () => {
    const site = parseSite(GOOD_HOST.replace('[web]', '[web, cache]'), 'stackscale.yaml');
    expect(() => resolveSecrets(site, {})).toThrow('stackscale.yaml secrets.redis_password: missing: the cache role on web1 needs it (add redis_password: env:NAME or file:PATH under secrets)');
  });
});

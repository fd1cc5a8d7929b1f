import { describe, expect, it } from 'vitest';
import { LAYOUTS, layout, matchLayout } from '../../src/init/layouts.js';
import { checkSecretRef, secretsFor } from '../../src/init/answers.js';

describe('layouts -> roles', () => {
  it.each([
    ['all-in-one', [['vps1', ['web', 'cache', 'proxysql', 'db-primary']]]],
    ['web-data', [['web1', ['web', 'proxysql']], ['db1', ['cache', 'db-primary']]]],
    [
      'web-proxy-primary-replica',
      [['web1', ['web']], ['proxy1', ['proxysql', 'cache']], ['db1', ['db-primary']], ['db2', ['db-replica']]],
    ],
    ['custom', []],
  ] as const)('%s', (id, hosts) => {
    expect(layout(id).hosts.map((h) => [h.name, h.roles])).toEqual(hosts);
  });

  it('every layout has at most one primary, and a replica only with a primary', () => {
    for (const l of LAYOUTS) {
      const roles = l.hosts.flatMap((h) => h.roles);
      expect(roles.filter((r) => r === 'db-primary').length).toBeLessThanOrEqual(1);
      if (roles.includes('db-replica')) expect(roles).toContain('db-primary');
    }
  });

  it('an existing site is matched to its layout whatever the role order, else custom', () => {
    expect(matchLayout([['db-primary', 'proxysql', 'cache', 'web']])).toBe('all-in-one');
    expect(matchLayout([['proxysql', 'web'], ['db-primary', 'cache']])).toBe('web-data');
    expect(matchLayout([['web'], ['web'], ['db-primary']])).toBe('custom');
  });
});

describe('secrets', () => {
  it.each([
    [['web', 'cache', 'proxysql', 'db-primary'], ['redis_password', 'app_db_password', 'proxysql_admin_password', 'proxysql_monitor_password']],
    [['web'], []],
    [['web', 'proxysql'], ['app_db_password', 'proxysql_admin_password', 'proxysql_monitor_password']],
    [['cache'], ['redis_password']],
    [['db-primary', 'db-replica'], ['app_db_password', 'replication_password']],
  ] as const)('roles %j need %j (as plan resolves them)', (roles, keys) => {
    expect(secretsFor(roles)).toEqual(keys);
  });

  it.each(['env:REDIS_PASSWORD', 'env:_X1', 'file:/run/secrets/redis', 'file:./secrets/db pass'])('%s is a reference', (ref) => {
    expect(checkSecretRef(ref)).toBe(true);
  });

  it.each(['hunter2', 's3cr3t!', 'env:', 'env:1ABC', 'env:A-B', 'file:', 'ENV:X'])('%s is refused, and not repeated', (text) => {
    const r = checkSecretRef(text);
    expect(r).not.toBe(true);
    expect(r).toMatch(/env:/);
    if (!/^(env|file):$/.test(text)) expect(r).not.toContain(text);
  });
});

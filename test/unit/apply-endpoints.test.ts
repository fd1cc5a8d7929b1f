// Apply reaches ProxySQL's admin interface and Redis with the values the files were rendered from (apply/endpoints.ts),
// not by parsing the rendered text: for the reference site they must be exactly what a reader of those files finds.
import { describe, expect, test } from 'vitest';
import { endpointsFor } from '../../src/apply/endpoints.js';
import { redisEndpoint } from '../../src/daemons/health.js';
import { proxysqlAdminFromCnf, proxysqlInterfaces } from '../../src/proxysql/admin.js';
import { renderSite } from '../../src/render/render.js';
import { referenceSite, referenceSizing } from '../fixtures/sizing.js';

// Awkward but valid values: a redis.conf quotes this one, a proxysql.cnf holds it as written.
const SECRETS = { redis_password: 'r3dis "quoted" \\ pw', proxysql_admin_password: 'adm1n-Pw_x', proxysql_monitor_password: 'mon', app_db_password: 'app', replication_password: 'repl' };

describe('endpoints as sized equal what the rendered files say', () => {
  const sizing = referenceSizing();
  const files = renderSite(sizing, referenceSite(), SECRETS);

  test('ProxySQL: admin port, user and password; client interfaces', () => {
    const h = sizing.hosts.find((x) => x.proxysql)!;
    const cnf = files.find((f) => f.host === h.host.name && f.service === 'proxysql')!.content;
    const e = endpointsFor(h, SECRETS);
    expect(e.proxysqlAdmin).toEqual(proxysqlAdminFromCnf(cnf));
    expect(e.proxysqlAdmin?.password).toBe(SECRETS.proxysql_admin_password);
    expect(e.proxysqlInterfaces).toEqual(proxysqlInterfaces(cnf));
    expect(e.proxysqlInterfaces?.length).toBeGreaterThan(0);
  });

  test('Redis: port and password', () => {
    const h = sizing.hosts.find((x) => x.redis)!;
    const conf = files.find((f) => f.host === h.host.name && f.service === 'redis')!.content;
    const e = endpointsFor(h, SECRETS);
    expect(e.redis).toEqual(redisEndpoint(conf));
    expect(e.redis?.password).toBe(SECRETS.redis_password);
  });

  test('a host without ProxySQL or Redis gets neither', () => {
    const h = sizing.hosts.find((x) => !x.proxysql && !x.redis)!;
    expect(endpointsFor(h, SECRETS)).toEqual({});
  });
});

// How apply reaches the daemons once its files are in force: from the sizing and the secrets the files were
// rendered from, not parsed back out of the rendered text.
import { PROXYSQL_ADMIN_USER } from '../render/proxysql-state.js';
import type { SecretValues } from '../config/types.js';
import type { HostSizing } from '../sizing/types.js';
import type { ServiceEndpoints } from './types.js';

export function endpointsFor(h: HostSizing | undefined, secrets: SecretValues): ServiceEndpoints {
  const out: ServiceEndpoints = {};
  if (h?.proxysql) {
    const p = h.proxysql;
    out.proxysqlAdmin = { port: p.adminPort, user: PROXYSQL_ADMIN_USER, password: secrets.proxysql_admin_password || undefined };
    // The TCP check takes address:port pairs it can split on the one colon (as proxysqlInterfaces reads them).
    out.proxysqlInterfaces = p.bind.map((a) => `${a}:${p.mysqlPort}`).filter((s) => /^[^:\s]+:\d+$/.test(s));
  }
  if (h?.redis) out.redis = { port: h.redis.port, password: secrets.redis_password || undefined };
  return out;
}

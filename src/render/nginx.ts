// nginx for the web role (in front of PHP-FPM) and the lb role: the main nginx.conf (worker and connection settings
// live in its main and events contexts, which no conf.d drop-in can reach), one server block, the systemd drop-in for
// the open-files limit, and the sysctl file for the accept queues.
import type { HostSizing, NginxSizing, SiteSizing } from '../sizing/types.js';
import { derivationLine } from './derivation.js';
import { commentText } from './quote.js';
import { renderTemplate } from './templates.js';
import type { RenderedFile } from './types.js';
import { NGINX_LATENCY_PHP, NGINX_STATUS_PATH, NGINX_TIMING_LOG } from '../monitor/paths.js';

export const NGINX_CONF_PATH = '/etc/nginx/nginx.conf';
export const NGINX_APP_PATH = '/etc/nginx/conf.d/stackscale-app.conf';
export const NGINX_LB_PATH = '/etc/nginx/conf.d/stackscale-lb.conf';
export const NGINX_SYSTEMD_PATH = '/etc/systemd/system/nginx.service.d/stackscale-limits.conf';
export const SYSCTL_PATH = '/etc/sysctl.d/60-stackscale.conf';

const secs = (v: number): string => `${v}s`;

function mainDerivations(n: NginxSizing): string[] {
  return [
    derivationLine('worker_processes', n.workerProcesses),
    derivationLine('worker_connections', n.workerConnections),
    derivationLine('worker_rlimit_nofile', n.workerRlimitNofile),
    derivationLine('keepalive_timeout', n.keepaliveTimeout, secs(n.keepaliveTimeout.value)),
    derivationLine('keepalive_requests', n.keepaliveRequests),
  ];
}

function serverDerivations(n: NginxSizing): string[] {
  const lines = [
    derivationLine('listen backlog', n.listenBacklog),
    derivationLine(n.kind === 'web' ? 'fastcgi_read_timeout' : 'proxy_read_timeout', n.fastcgiReadTimeout, secs(n.fastcgiReadTimeout.value)),
    derivationLine('upstream keepalive', n.upstreamKeepalive),
  ];
  if (n.rateLimited) {
    lines.push(
      derivationLine('rate', n.rate, `${n.rate.value}r/m`),
      derivationLine('burst', n.burst),
      derivationLine('limit_conn', n.connPerAddress),
      commentText(`over the limit: 429 with Retry-After ${n.retryAfter}; never limited: ${n.allow.join(' ')} (${n.allowWhy})`),
    );
  } else {
    lines.push(commentText(`rate limits are on the lb (${n.realIpFrom.join(', ')}); the client address comes from its X-Forwarded-For`));
  }
  return lines;
}

function file(h: HostSizing, path: string, content: string, service: RenderedFile['service']): RenderedFile {
  return { host: h.host.name, path, content, mode: 0o644, owner: 'root', group: 'root', service, secrets: [] };
}

/**
 * With a monitor host in the site, the web server block also serves stub_status on loopback (for the nginx exporter)
 * and logs each request's time for the latency histogram; without one, neither.
 */
function nginxMonitoring(sizing: SiteSizing): { statusPath: string; timingLog: string; latencyScript: string } | false {
  if (!sizing.hosts.some((h) => h.host.roles.includes('monitor'))) return false;
  return { statusPath: NGINX_STATUS_PATH, timingLog: NGINX_TIMING_LOG, latencyScript: NGINX_LATENCY_PHP };
}

/** The nginx files of a web or lb host, nginx.conf first (the checker reads the others through it). */
export function renderNginx(h: HostSizing, n: NginxSizing, sizing: SiteSizing): RenderedFile[] {
  const header = { profile: commentText(sizing.profile.name), host: h.host.name };
  const main = renderTemplate('nginx.conf', {
    ...header,
    kind: n.kind,
    derivations: mainDerivations(n),
    workerProcesses: String(n.workerProcesses.value),
    workerRlimitNofile: String(n.workerRlimitNofile.value),
    workerConnections: String(n.workerConnections.value),
    keepaliveTimeout: String(n.keepaliveTimeout.value),
    keepaliveRequests: String(n.keepaliveRequests.value),
  });
  const view = {
    ...header,
    derivations: serverDerivations(n),
    listenBacklog: String(n.listenBacklog.value),
    serverName: n.serverName,
    root: n.root,
    rateLimited: n.rateLimited,
    allow: n.allow,
    zoneMb: String(n.zoneMb),
    rate: String(n.rate.value),
    burst: String(n.burst.value),
    connPerAddress: String(n.connPerAddress.value),
    retryAfter: String(n.retryAfter),
    realIpFrom: n.realIpFrom,
    upstreamKeepalive: String(n.upstreamKeepalive.value),
  };
  const server =
    n.kind === 'web'
      ? file(h, NGINX_APP_PATH, renderTemplate('nginx-app.conf', {
          ...view,
          fpmSocket: n.fpmSocket,
          fpmPingPath: n.fpmPingPath,
          fpmStatusPath: n.fpmStatusPath,
          fastcgiReadTimeout: String(n.fastcgiReadTimeout.value),
          monitoring: nginxMonitoring(sizing),
        }), 'nginx')
      : file(h, NGINX_LB_PATH, renderTemplate('nginx-lb.conf', {
          ...view,
          backends: n.backends,
          maxFails: String(n.maxFails),
          failTimeout: String(n.failTimeout),
          proxyReadTimeout: String(n.fastcgiReadTimeout.value),
        }), 'nginx');
  const limits = renderTemplate('nginx-systemd.conf', { limitNofile: String(n.workerRlimitNofile.value) });
  const sysctl = renderTemplate('sysctl.conf', {
    ...header,
    derivations: [derivationLine('net.core.somaxconn', n.somaxconn), derivationLine('net.ipv4.tcp_max_syn_backlog', n.synBacklog)],
    somaxconn: String(n.somaxconn.value),
    synBacklog: String(n.synBacklog.value),
  });
  return [file(h, NGINX_CONF_PATH, main, 'nginx'), server, file(h, NGINX_SYSTEMD_PATH, limits, 'nginx'), file(h, SYSCTL_PATH, sysctl, 'sysctl')];
}

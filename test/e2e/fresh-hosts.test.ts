// The fresh-image test hosts themselves (test/hosts/fresh.sh): each is a new VPS, with nothing of the stack on it.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startFreshHosts, stopFreshHosts, type FreshHost } from '../hosts/fresh.js';
import { ssh } from '../hosts/ssh.js';

let hosts: FreshHost[] = [];

beforeAll(async () => {
  hosts = await startFreshHosts(['n1', 'n2']);
}, 30 * 60_000);

afterAll(async () => {
  if (hosts.length) await stopFreshHosts(hosts);
});

test('sshd only: no PHP, Redis, MariaDB, nginx or ProxySQL, no package lists yet, only the test mirror as a source', async () => {
  const [n1] = hosts;
  const r = await ssh(n1, [
    'ps -e -o comm= | sort -u | tr "\\n" " "; echo',
    'dpkg-query -W -f "\\${Package}\\n" | grep -cE "^(php|redis|mariadb|mysql|nginx|proxysql)" || true',
    'ls /var/lib/apt/lists | grep -c _Packages || true',
    'cat /etc/apt/sources.list.d/*.list; ls /etc/apt/sources.list 2>&1 | grep -c "No such"',
    'hostname',
  ].join('; '));
  expect(r.code, r.stderr).toBe(0);
  const [procs, stackPackages, lists, source, noMainList, name] = r.stdout.trim().split('\n');
  expect(procs.trim().split(' ').filter((p) => !['ps', 'sort', 'tr', 'bash', 'sh'].includes(p))).toEqual(['sshd']);
  expect(stackPackages).toBe('0');
  expect(lists).toBe('0');
  expect(source).toBe(`deb [trusted=yes] ${n1.repos.debianUrl.replace(/\/$/, '')} ./`);
  expect(noMainList).toBe('1');
  expect(name).toBe('n1');
});

test('each host has its own host key, and the signed ProxySQL repository answers on the bridge', async () => {
  const [n1, n2] = hosts;
  expect(n1.hostKeyFingerprint).not.toBe(n2.hostKeyFingerprint);
  const r = await ssh(n2, `cat /etc/ssh/ssh_host_*_key.pub | wc -l; apt-get -q update >/dev/null 2>&1; apt-cache policy nginx | grep -c Candidate`);
  expect(r.stdout.trim().split('\n')).toEqual(['1', '1']);
  const res = await fetch(`${n1.repos.proxysqlUrl}InRelease`);
  const text = await res.text();
  expect(text).toContain('-----BEGIN PGP SIGNED MESSAGE-----');
  expect(text).toMatch(/proxysql_2\.4\.8_amd64\.deb|Packages/);
});

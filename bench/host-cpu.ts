// The CPU time a test host's processes have used, by program, read from this machine's /proc: a test host is a PID
// namespace (test/hosts/lib.sh records its inode in <state dir>/<host>/pidns), so its processes are those whose
// /proc/<pid>/ns/pid is that namespace. Each process counts its own user + system time and that of the children it
// has reaped (PHP-FPM's master reaps the workers it recycles, so their time is not lost). For benchmarks only.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { TestHost } from '../test/hosts/harness.js';

/** Clock ticks a second: Linux reports /proc/<pid>/stat times in USER_HZ, 100 on every architecture Debian ships. */
const USER_HZ = 100;

/** The program a process's name stands for: `php-fpm8.2` and `php-fpm: pool www` are both php-fpm, and so on. */
export function program(comm: string): string {
  if (comm.startsWith('php')) return 'php-fpm';
  if (comm.startsWith('mariadb') || comm.startsWith('mysqld')) return 'mariadb';
  if (comm.startsWith('redis')) return 'redis';
  if (comm.startsWith('proxysql')) return 'proxysql';
  if (comm.startsWith('nginx')) return 'nginx';
  if (comm === 'sshd' || comm === 'bash' || comm === 'sh' || comm === 'cat' || comm === 'awk') return 'ssh sampler';
  return 'other';
}

/** CPU milliseconds by program, summed over the processes of the given hosts now. */
export function hostsCpu(hosts: TestHost[]): Map<string, number> {
  const namespaces = new Set(hosts.map((h) => `pid:[${readFileSync(join(h.stateDir, h.name, 'pidns'), 'utf8').trim()}]`));
  const out = new Map<string, number>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (!namespaces.has(readlinkSync(`/proc/${pid}/ns/pid`))) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // The name is in parentheses and may hold spaces or parentheses itself: the fields after it start past the last ')'.
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // After the name: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14).
      const ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
      const name = program(comm);
      out.set(name, (out.get(name) ?? 0) + (ticks * 1000) / USER_HZ);
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return out;
}

/** What each program used between two readings, ms (a program that ended counts 0, never negative). */
export function cpuSince(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, ms] of after) out.set(name, Math.max(0, ms - (before.get(name) ?? 0)));
  return out;
}

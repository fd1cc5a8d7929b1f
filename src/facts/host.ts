// The host itself: OS, hostname, memory, CPUs, somaxconn, init system. Read with the shell's own `read` where it can
// (each `cat`, `grep` or `getconf` cost 1-3 ms on a loaded 2-core host). Not the /proc/sys files: `read` takes a byte
// at a time, and the kernel answers a sysctl read at a non-zero offset with end-of-file (`4` for 4096); one `cat`
// reads the hostname and somaxconn together.
import type { HostFacts } from './types.js';
import { first, keyValues } from './section.js';

/** `rd <file>`: print a file's lines with the shell's `read` (a last line without a newline included). */
export const READ_HELPER = `rd() { while IFS= read -r _l || [ -n "$_l" ]; do printf '%s\\n' "$_l"; done < "$1"; }`;

export const HOST_SCRIPT = `sec os
{ if [ -r /etc/os-release ]; then rd /etc/os-release; else rd /usr/lib/os-release; fi; } 2>/dev/null
_h= _s=
if [ -r /proc/sys/kernel/hostname ]; then
  { read -r _h; read -r _s; } <<EOF
$(cat /proc/sys/kernel/hostname /proc/sys/net/core/somaxconn 2>/dev/null)
EOF
fi
sec hostname
if [ -n "$_h" ]; then echo "$_h"; else uname -n 2>/dev/null; fi
sec meminfo
{ while read -r _k _v _u; do [ "$_k" = MemTotal: ] && { echo "$_k $_v $_u"; break; }; done < /proc/meminfo; } 2>/dev/null
sec cpu
{ _c=; while read -r _k _v; do [ "$_k" = Cpus_allowed_list: ] && _c=$_v; done < /proc/self/status; if [ -n "$_c" ]; then echo "allowed $_c"; else echo "nproc $(nproc)"; fi; } 2>/dev/null
sec somaxconn
[ -n "$_s" ] && echo "$_s"
sec init
{ [ -d /run/systemd/system ] && echo "run-systemd yes"; read -r _p < /proc/1/comm && echo "pid1 $_p"; } 2>/dev/null`;

/** /etc/os-release: shell-style KEY=value, values optionally quoted. */
export function parseOsRelease(lines: string[]): HostFacts['os'] {
  const vars = new Map<string, string>();
  for (const line of lines) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let value = m[2];
    const q = /^"(.*)"$/.exec(value) ?? /^'(.*)'$/.exec(value);
    if (q) value = q[1].replace(/\\(["$`\\])/g, '$1');
    vars.set(m[1], value);
  }
  const id = vars.get('ID') ?? 'unknown';
  const versionId = vars.get('VERSION_ID') ?? '';
  const os: HostFacts['os'] = { id, versionId, prettyName: vars.get('PRETTY_NAME') ?? `${id} ${versionId}`.trim() };
  const codename = vars.get('VERSION_CODENAME') || vars.get('UBUNTU_CODENAME');
  if (codename) os.codename = codename;
  return os;
}

export function parseHostname(lines: string[]): string {
  return lines.map((l) => l.trim()).find((l) => l !== '') ?? '';
}

/** `MemTotal:       24684092 kB` -> bytes. */
export function parseMemTotal(lines: string[]): number | undefined {
  for (const line of lines) {
    const m = /^MemTotal:\s+(\d+)\s*kB/i.exec(line.trim());
    if (m) return Number(m[1]) * 1024;
  }
  return undefined;
}

/** `0-3,6,8-9` (a kernel CPU list) -> 7; undefined when it is not one. */
export function cpuListCount(list: string): number | undefined {
  let n = 0;
  for (const part of list.trim().split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return undefined;
    const [a, b] = [Number(m[1]), Number(m[2] ?? m[1])];
    if (b < a) return undefined;
    n += b - a + 1;
  }
  return n > 0 ? n : undefined;
}

/**
 * The CPUs this process may use: `allowed <list>` (Cpus_allowed_list of /proc/self/status, what nproc counts) or
 * `nproc N`, before `online N` (getconf _NPROCESSORS_ONLN, printed by earlier versions of the script).
 */
export function parseCores(lines: string[]): number | undefined {
  const kv = keyValues(lines);
  const allowed = first(kv, 'allowed');
  const fromList = allowed === undefined ? undefined : cpuListCount(allowed);
  if (fromList !== undefined) return fromList;
  for (const key of ['nproc', 'online']) {
    const n = Number(first(kv, key));
    if (Number.isInteger(n) && n > 0) return n;
  }
  return undefined;
}

/** /proc/sys/net/core/somaxconn; 4096 (the Linux >= 5.4 default) when unreadable. */
export function parseSomaxconn(lines: string[]): number {
  const n = Number(parseHostname(lines));
  return Number.isInteger(n) && n > 0 ? n : 4096;
}

/** systemd only when /run/systemd/system exists AND pid 1 is systemd (sd_booted() plus a check of pid 1). */
export function parseInit(lines: string[]): HostFacts['initSystem'] {
  const kv = keyValues(lines);
  return first(kv, 'run-systemd') === 'yes' && first(kv, 'pid1') === 'systemd' ? 'systemd' : 'sysv';
}

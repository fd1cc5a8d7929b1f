// The daemons' own command-line clients and probes, as argv arrays (tests assert exact commands). What they send
// (SQL, Redis commands, passwords) travels on stdin, never in argv: argv is visible to every user of the host (`ps`).

/**
 * Proof that the slow log is written: the SQL on stdin (a statement slower than long_query_time carrying a marker)
 * goes to the server, then the log file is searched for the marker for up to about 3 s (the server writes the entry
 * as the statement ends). Exit 0 found, 1 not in the file, 2 the statement failed, 3 no file.
 */
export function slowLogProbe(flavour: 'mariadb' | 'mysql', file: string, marker: string): string[] {
  const script = [
    '"$3" --batch --skip-column-names >/dev/null || exit 2',
    'i=0',
    'while [ "$i" -lt 30 ]; do grep -qF -- "$2" "$1" 2>/dev/null && exit 0; sleep 0.1; i=$((i+1)); done',
    '[ -e "$1" ] || exit 3',
    'exit 1',
  ].join('; ');
  return ['sh', '-c', script, 'stackscale-slowlog-check', file, marker, flavour === 'mariadb' ? 'mariadb' : 'mysql'];
}

/** redis-cli reads one command per line from stdin when it is not a terminal; AUTH goes there, never in argv. */
export function redisCli(port: number): string[] {
  return ['redis-cli', '-h', '127.0.0.1', '-p', String(port)];
}

/** The MySQL/MariaDB client as root over the unix socket (Debian's root@localhost uses unix_socket auth). */
export function sqlClient(flavour: 'mariadb' | 'mysql'): string[] {
  return [flavour === 'mariadb' ? 'mariadb' : 'mysql', '--batch', '--skip-column-names'];
}

/** Exits 0 when every `address:port` accepts a TCP connection (bash's /dev/tcp, 2 s each); prints the first that does not. */
export function tcpConnect(endpoints: string[]): string[] {
  const script = 'for e in "$@"; do timeout 2 bash -c \'exec 3<>"/dev/tcp/${1%:*}/${1##*:}"\' stackscale-tcp "$e" 2>/dev/null || { echo "$e"; exit 1; }; done';
  return ['bash', '-c', script, 'stackscale-tcp', ...endpoints];
}

/** Quote one argument the way redis-cli and redis.conf read it (sdssplitargs). */
export function redisQuote(arg: string): string {
  return `"${arg.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

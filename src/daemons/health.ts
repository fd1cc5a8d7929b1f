// Health checks after a reload or restart, and what they need from the files just deployed (php-fpm's ping goes
// through the FastCGI client in fastcgi.ts). Apply runs them; `status` and the load test's sampler reuse them.
import type { HostFacts } from '../facts/types.js';
import { parseIniOptions, parseRedisConf } from './config-files.js';
import { redisCli, redisQuote, sqlClient } from './clients.js';

export interface RedisEndpoint {
  port: number;
  password?: string;
}

/** Port and password from a redis.conf: the password only ever goes to redis-cli's stdin. */
export function redisEndpoint(content: string | undefined): RedisEndpoint {
  const conf = parseRedisConf(content ?? '');
  const port = Number(conf.get('port') ?? 6379);
  const pass = conf.get('requirepass');
  return { port: port > 0 ? port : 6379, password: pass ? unquoteRedis(pass) : undefined };
}

/** redis.conf values may be quoted; CONFIG SET and AUTH want the bare value. */
export function unquoteRedis(value: string): string {
  const v = value.trim();
  if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v[v.length - 1] === v[0]) {
    return v.slice(1, -1).replace(/\\(["'\\])/g, '$1').replace(/\\n/g, '\n');
  }
  return v;
}

/** Lines for redis-cli's stdin: AUTH first when the server has a password. */
export function redisScript(password: string | undefined, commands: string[]): string {
  return [...(password ? [`AUTH ${redisQuote(password)}`] : []), ...commands].join('\n') + '\n';
}

/** redis-cli in pipe mode prints each reply on a line; errors start with ERR, WRONGPASS, NOAUTH, ... */
export function redisReplyError(stdout: string): string | undefined {
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .find((l) => /^(\(error\)|ERR|WRONGPASS|NOAUTH|WRONGTYPE|Could not connect|Error)/i.test(l));
}

export function redisPing(endpoint: RedisEndpoint): { argv: string[]; stdin: string } {
  return { argv: redisCli(endpoint.port), stdin: redisScript(endpoint.password, ['PING']) };
}

export function sqlSelectOne(facts: HostFacts): { argv: string[]; stdin: string } {
  return { argv: sqlClient(facts.db?.flavour ?? 'mariadb'), stdin: 'SELECT 1;\n' };
}

/**
 * The slow-log proof: what the deployed file asks for (file, threshold) and the statement that must land in the file.
 * The statement sleeps just past long_query_time; with a threshold above a second the session lowers its own
 * threshold instead, so a health check never waits long (the file and the switch are still what is proven).
 */
export function slowLogCheck(cnfContent: string, marker: string): { file: string; stdin: string; threshold: number } | undefined {
  const conf = parseIniOptions(cnfContent);
  const file = conf.get('slow_query_log_file')?.replace(/^["']|["']$/g, '');
  const on = conf.get('slow_query_log');
  if (!file || !on || !/^(1|on|true)$/i.test(on.trim())) return undefined;
  const lqt = Number(conf.get('long_query_time') ?? 10);
  const threshold = Number.isFinite(lqt) && lqt <= 1 ? lqt : 0.1;
  const session = threshold === lqt ? '' : `SET SESSION long_query_time = ${threshold};\n`;
  const sleep = Number((threshold + 0.05).toFixed(3));
  return { file, threshold, stdin: `${session}SELECT SLEEP(${sleep}), '${marker}';\n` };
}

/** Replica status in the host's flavour; `\G` output is parsed for the two thread states. */
export function replicaStatus(facts: HostFacts): { argv: string[]; stdin: string } {
  const mysql = facts.db?.flavour === 'mysql';
  return { argv: [mysql ? 'mysql' : 'mariadb', '--batch'], stdin: mysql ? 'SHOW REPLICA STATUS\\G\n' : 'SHOW SLAVE STATUS\\G\n' };
}

/** A my.cnf value as SET GLOBAL takes it: no K/M/G suffixes, strings quoted. */
export function setGlobalValue(value: string): string {
  const v = value.trim().replace(/^["']|["']$/g, '');
  const m = /^(\d+)([KMGT])$/i.exec(v);
  if (m) return String(Number(m[1]) * 1024 ** ('KMGT'.indexOf(m[2].toUpperCase()) + 1));
  if (/^-?\d+(\.\d+)?$/.test(v)) return v;
  if (/^(ON|OFF|TRUE|FALSE)$/i.test(v)) return v.toUpperCase();
  return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** `SET GLOBAL` statements for the named variables, values from the file just deployed. */
export function setGlobalSql(names: string[], cnfContent: string): string {
  const conf = parseIniOptions(cnfContent);
  return names
    .filter((n) => conf.has(n))
    .map((n) => `SET GLOBAL ${n} = ${setGlobalValue(conf.get(n) as string)};`)
    .join('\n') + '\n';
}

/** `CONFIG SET` lines for the named settings; a repeated key (save) is one space-joined value. */
export function configSetCommands(names: string[], confContent: string): string[] {
  const conf = parseRedisConf(confContent);
  return names
    .filter((n) => conf.has(n))
    .map((n) => {
      const value = (conf.get(n) as string).split(' | ').map(redisValueWords).join(' ');
      return `CONFIG SET ${n} ${redisQuote(value)}`;
    });
}

/** The words of a redis.conf value as one CONFIG SET argument: `127.0.0.1 -::1` stays two words, `""` is empty. */
function redisValueWords(value: string): string {
  const words: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(value)) !== null) {
    words.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2] !== undefined ? m[2] : m[3]);
  }
  return words.filter((w) => w !== '').join(' ');
}

/** An HTTP/1.0 GET to 127.0.0.1:80 with nothing but bash (its /dev/tcp): curl is not on every VPS, nor on an lb. */
export function httpGet(path: string, port = 80, address = '127.0.0.1'): string[] {
  if (!/^[A-Za-z0-9.:_-]+$/.test(address)) throw new Error(`httpGet: not an address: ${address}`);
  const script = [
    `exec 3<>/dev/tcp/${address}/${port} || exit 2`,
    `printf 'GET %s HTTP/1.0\r\nHost: localhost\r\nConnection: close\r\n\r\n' "$1" >&3`,
    'timeout 10 cat <&3',
  ].join('\n');
  return ['bash', '-c', script, 'stackscale-http', path];
}

/** Status and body of an HTTP response, or undefined when it is not one. */
export function parseHttp(text: string): { status: number; body: string } | undefined {
  const m = /^HTTP\/\d\.\d (\d{3})/.exec(text);
  if (!m) return undefined;
  const at = text.search(/\r?\n\r?\n/);
  return { status: Number(m[1]), body: at < 0 ? '' : text.slice(at).replace(/^\r?\n\r?\n/, '') };
}

// php-fpm speaks FastCGI only. Debian has no cgi-fcgi, so stackscale's ping goes through a tiny FastCGI client in
// PHP, fed to the host's own `php` on stdin (php8.2-fpm pulls in php8.2-cli). It connects to the pool's socket, which
// proves the master is up and accepting, and asks the pool's ping path (or status path, for `stackscale status`, the
// monitor host's metrics cron and the tests).
import { parseFpmPool } from './config-files.js';

/** FastCGI responder request (FastCGI spec 1.0): BEGIN_REQUEST, PARAMS, empty PARAMS, empty STDIN; reads STDOUT. */
export const FCGI_CLIENT_PHP = `<?php
$sock = $argv[1]; $path = $argv[2]; $query = $argv[3] ?? '';
$s = @stream_socket_client(str_starts_with($sock, '/') ? 'unix://' . $sock : 'tcp://' . $sock, $errno, $errstr, 5);
if (!$s) { fwrite(STDERR, "cannot connect to $sock: $errstr\\n"); exit(2); }
stream_set_timeout($s, 10);
function rec($type, $body) { return pack('CCnnCx', 1, $type, 1, strlen($body), 0) . $body; }
function len($n) { return $n < 128 ? chr($n) : pack('N', $n | 0x80000000); }
$params = ['SCRIPT_NAME' => $path, 'SCRIPT_FILENAME' => $path, 'REQUEST_URI' => $path . ($query === '' ? '' : "?$query"),
  'QUERY_STRING' => $query, 'REQUEST_METHOD' => 'GET', 'SERVER_PROTOCOL' => 'HTTP/1.1', 'GATEWAY_INTERFACE' => 'CGI/1.1'];
$p = '';
foreach ($params as $k => $v) { $p .= len(strlen($k)) . len(strlen($v)) . $k . $v; }
fwrite($s, rec(1, pack('nCx5', 1, 0)) . rec(4, $p) . rec(4, '') . rec(5, ''));
$out = ''; $err = ''; $ended = false;
while (!feof($s)) {
  $h = stream_get_contents($s, 8);
  if ($h === false || strlen($h) < 8) break;
  $r = unpack('Cv/Ct/nid/nlen/Cpad/Cres', $h);
  $body = $r['len'] > 0 ? stream_get_contents($s, $r['len']) : '';
  if ($r['pad'] > 0) stream_get_contents($s, $r['pad']);
  if ($r['t'] == 6) $out .= $body; elseif ($r['t'] == 7) $err .= $body; elseif ($r['t'] == 3) { $ended = true; break; }
}
fclose($s);
if ($err !== '') fwrite(STDERR, $err);
if (!$ended) { fwrite(STDERR, "no complete FastCGI response from $sock\\n"); exit(3); }
$parts = preg_split("/\\r?\\n\\r?\\n/", $out, 2);
echo count($parts) == 2 ? $parts[1] : $out;
`;

/** `php -- SOCKET PATH [QUERY]` with the client above on stdin. */
export function fcgiGet(socket: string, path: string, query = ''): string[] {
  return ['php', '--', socket, path, ...(query ? [query] : [])];
}

export interface FpmEndpoints {
  socket: string;
  pingPath?: string;
  pingResponse: string;
  statusPath?: string;
}

/** The pool's listen socket, ping and status paths, read from the pool file just deployed. */
export function fpmEndpoints(poolContent: string): FpmEndpoints | undefined {
  const conf = parseFpmPool(poolContent);
  const get = (key: string): string | undefined => [...conf.entries()].find(([k]) => k.endsWith(`.${key}`))?.[1];
  const socket = get('listen');
  if (!socket) return undefined;
  return { socket, pingPath: get('ping.path'), pingResponse: get('ping.response') ?? 'pong', statusPath: get('pm.status_path') };
}

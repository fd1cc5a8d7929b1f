<?php
// A stand-in for the web server in tests and benchmarks where nginx is not set up: a router script for PHP's built-in
// server that passes every request on to PHP-FPM over FastCGI, as nginx's fastcgi_pass does, so the requests are
// served by the real FPM pool (its pm.max_children, its status page, its listen queue).
//   FPM_SOCKET=/run/php/php8.2-fpm.sock APP_ROOT=/var/www/restaurant-api/public \
//   PHP_CLI_SERVER_WORKERS=64 php -S 10.0.0.10:8080 fcgi-bridge.php
// Each built-in server worker carries one request at a time, so PHP_CLI_SERVER_WORKERS bounds the requests in flight
// towards FPM (nginx has no such bound: set it well above pm.max_children).
declare(strict_types=1);

$socket = getenv('FPM_SOCKET') ?: '/run/php/php8.2-fpm.sock';
$root = rtrim(getenv('APP_ROOT') ?: __DIR__ . '/public', '/');
$uri = $_SERVER['REQUEST_URI'];
$path = parse_url($uri, PHP_URL_PATH) ?: '/';
$script = realpath($root . $path);
if ($script === false || !str_starts_with($script, $root . '/') || !str_ends_with($script, '.php')) {
    http_response_code(404);
    echo "not found\n";
    return true;
}
$body = file_get_contents('php://input');
$params = [
    'GATEWAY_INTERFACE' => 'CGI/1.1', 'SERVER_PROTOCOL' => 'HTTP/1.1', 'SERVER_SOFTWARE' => 'fcgi-bridge',
    'REQUEST_METHOD' => $_SERVER['REQUEST_METHOD'], 'REQUEST_URI' => $uri, 'QUERY_STRING' => $_SERVER['QUERY_STRING'] ?? '',
    'SCRIPT_FILENAME' => $script, 'SCRIPT_NAME' => $path, 'DOCUMENT_ROOT' => $root,
    'REMOTE_ADDR' => $_SERVER['REMOTE_ADDR'] ?? '', 'SERVER_NAME' => $_SERVER['SERVER_NAME'] ?? '', 'SERVER_PORT' => (string) ($_SERVER['SERVER_PORT'] ?? ''),
    'CONTENT_TYPE' => $_SERVER['CONTENT_TYPE'] ?? '', 'CONTENT_LENGTH' => (string) strlen($body),
];

$s = @stream_socket_client('unix://' . $socket, $errno, $errstr, 5);
if (!$s) {
    http_response_code(502);
    echo "cannot connect to $socket: $errstr\n";
    return true;
}
stream_set_timeout($s, 60);
$rec = fn (int $type, string $content): string => pack('CCnnCx', 1, $type, 1, strlen($content), 0) . $content;
$len = fn (int $n): string => $n < 128 ? chr($n) : pack('N', $n | 0x80000000);
$p = '';
foreach ($params as $k => $v) {
    $p .= $len(strlen($k)) . $len(strlen($v)) . $k . $v;
}
$out = $rec(1, pack('nCx5', 1, 0)) . $rec(4, $p) . $rec(4, '');
foreach (str_split($body, 65535) as $chunk) {
    if ($chunk !== '') {
        $out .= $rec(5, $chunk);
    }
}
fwrite($s, $out . $rec(5, ''));
$stdout = '';
$ended = false;
while (!feof($s)) {
    $h = stream_get_contents($s, 8);
    if ($h === false || strlen($h) < 8) {
        break;
    }
    $r = unpack('Cv/Ct/nid/nlen/Cpad/Cres', $h);
    $content = $r['len'] > 0 ? stream_get_contents($s, $r['len']) : '';
    if ($r['pad'] > 0) {
        stream_get_contents($s, $r['pad']);
    }
    if ($r['t'] === 6) {
        $stdout .= $content;
    } elseif ($r['t'] === 3) {
        $ended = true;
        break;
    }
}
fclose($s);
if (!$ended) {
    http_response_code(502);
    echo "no complete FastCGI answer from $socket\n";
    return true;
}
[$head, $content] = array_pad(preg_split("/\r?\n\r?\n/", $stdout, 2), 2, '');
$status = 200;
foreach (preg_split("/\r?\n/", $head) as $line) {
    if (preg_match('/^Status:\s*(\d{3})/i', $line, $m)) {
        $status = (int) $m[1];
    } elseif (str_contains($line, ':') && !preg_match('/^X-Powered-By:/i', $line)) {
        header($line, false);
    }
}
http_response_code($status);
echo $content;
return true;

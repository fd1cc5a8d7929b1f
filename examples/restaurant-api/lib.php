<?php
// Shared by every endpoint: the settings, the database and Redis connections (opened only when needed, so a cache
// hit costs no database connection), the read-through cache, and the JSON answer.
declare(strict_types=1);

/**
 * The settings: the file named by STACKSCALE_APP_CONFIG, else the one stackscale renders (/etc/stackscale/app.php),
 * else config.local.php beside this file (a plain install: the database only, no cache). Each returns the array
 * stackscale's app.php has (see README.md): db {write: {host, port}, read: [{host, port}, ...], via, user, password,
 * database}, redis {host, port, database, password} or null, cache_ttls {endpoint: seconds}, sessions.
 */
function app_config(): array
{
    static $config = null;
    if ($config !== null) {
        return $config;
    }
    $candidates = array_filter([getenv('STACKSCALE_APP_CONFIG') ?: null, '/etc/stackscale/app.php', __DIR__ . '/config.local.php']);
    foreach ($candidates as $file) {
        if (is_file($file)) {
            $config = require $file;
            if (!is_array($config) || !is_array($config['db'] ?? null) || !is_array($config['db']['write'] ?? null)) {
                throw new RuntimeException("$file does not return an array with 'db' => ['write' => [...], ...]");
            }
            return $config;
        }
    }
    throw new RuntimeException('no app config: none of ' . implode(', ', $candidates) . ' exists');
}

/**
 * A PDO connection: 'read' to one of db.read (picked at random once per request; db.write when the list is empty),
 * 'write' to db.write. One of each per request at most, opened only when used. An endpoint is {host, port}, or
 * {socket} for a plain install's local socket (config.local.php only; stackscale never writes one).
 */
function db(string $which = 'read'): PDO
{
    static $pdo = [];
    if (isset($pdo[$which])) {
        return $pdo[$which];
    }
    $c = app_config()['db'];
    $ep = $c['write'];
    if ($which === 'read' && !empty($c['read'])) {
        $ep = $c['read'][array_rand($c['read'])];
    }
    $dsn = isset($ep['socket'])
        ? "mysql:unix_socket={$ep['socket']};dbname={$c['database']};charset=utf8mb4"
        : "mysql:host={$ep['host']};port=" . (int) ($ep['port'] ?? 3306) . ";dbname={$c['database']};charset=utf8mb4";
    $pdo[$which] = new PDO($dsn, $c['user'], $c['password'] ?? '', [
        PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION,
        PDO::ATTR_DEFAULT_FETCH_MODE => PDO::FETCH_ASSOC,
        PDO::ATTR_EMULATE_PREPARES => false,
    ]);
    return $pdo[$which];
}

/** Redis when the config names one (and it answers), else null: the app then reads the database every time. */
function cache(): ?Redis
{
    static $redis = false;
    if ($redis !== false) {
        return $redis;
    }
    $redis = null;
    $c = app_config()['redis'] ?? null;
    if (!$c || !class_exists('Redis')) {
        return null;
    }
    try {
        $r = new Redis();
        $r->connect($c['host'] ?? '127.0.0.1', (int) ($c['port'] ?? 6379), 1.0);
        if (($c['password'] ?? '') !== '') {
            $r->auth($c['password']);
        }
        $r->select((int) ($c['database'] ?? 0));
        $redis = $r;
    } catch (Throwable $e) {
        error_log('restaurant-api: Redis unavailable, reading the database: ' . $e->getMessage());
    }
    return $redis;
}

/** Seconds an endpoint's answer is cached (the profile's per-endpoint TTL from cache_ttls), 0 for none. */
function ttl(string $endpoint): int
{
    return (int) (app_config()['cache_ttls'][$endpoint] ?? 0);
}

/**
 * Read-through cache: the key's value when Redis has it, else $load() stored for the endpoint's TTL. With
 * $dropOnOrder (a restaurant id), the key is also listed in that restaurant's set "orders_changed:<id>", whose keys
 * create_order deletes: the answers a new order changes (today's orders, the dashboard, the tables).
 */
function cached(string $endpoint, string $key, callable $load, ?int $dropOnOrder = null): array
{
    $redis = cache();
    $ttl = ttl($endpoint);
    if ($redis && $ttl > 0) {
        $hit = $redis->get($key);
        if ($hit !== false) {
            header('X-Cache: HIT');
            return json_decode($hit, true);
        }
    }
    $value = $load();
    if ($redis && $ttl > 0) {
        $p = $redis->multi(Redis::PIPELINE);
        $p->setex($key, $ttl, json_encode($value));
        if ($dropOnOrder !== null) {
            // The set lives as long as the longest TTL, so it never forgets a key that is still cached.
            $set = "orders_changed:$dropOnOrder";
            $p->sAdd($set, $key);
            $p->expire($set, max(array_map('intval', app_config()['cache_ttls'] ?? [])) ?: $ttl);
        }
        $p->exec();
        header('X-Cache: MISS');
    }
    return $value;
}

/** Deletes the cached answers a new order of the restaurant changes (see cached()). */
function drop_on_order(int $rid): void
{
    $redis = cache();
    if (!$redis) {
        return;
    }
    $set = "orders_changed:$rid";
    $keys = $redis->sMembers($set) ?: [];
    $redis->del([$set, ...$keys]);
}

/** The restaurant asked for, checked: a whole number from 1. */
function restaurant_id(): int
{
    $id = filter_var($_REQUEST['restaurant_id'] ?? null, FILTER_VALIDATE_INT, ['options' => ['min_range' => 1]]);
    if ($id === false || $id === null) {
        respond(['error' => 'restaurant_id: a whole number from 1 is required'], 400);
    }
    return $id;
}

/** An optional parameter that must be one of $allowed: null when absent (or $default), else 400 naming it. */
function param_choice(string $name, array $allowed, ?string $default = null): ?string
{
    $v = $_GET[$name] ?? null;
    if ($v === null || $v === '' || $v === $default) {
        return null;
    }
    if (!is_string($v) || !in_array($v, $allowed, true)) {
        respond(['error' => "$name: one of " . implode(', ', $default === null ? $allowed : [$default, ...$allowed]) . ' is required'], 400);
    }
    return $v;
}

/** An optional date (YYYY-MM-DD, a real day), today when absent: a bad one is a 400 naming it. */
function param_date(string $name = 'date'): string
{
    $v = $_GET[$name] ?? '';
    if ($v === '') {
        return date('Y-m-d');
    }
    if (!is_string($v) || !preg_match('/^(\d{4})-(\d{2})-(\d{2})$/', $v, $m) || !checkdate((int) $m[2], (int) $m[3], (int) $m[1])) {
        respond(['error' => "$name: a date YYYY-MM-DD is required"], 400);
    }
    return $v;
}

/** An optional page number, 1 when absent: 1 to 100. */
function param_page(): int
{
    $v = $_GET['page'] ?? '';
    if ($v === '') {
        return 1;
    }
    $page = is_string($v) ? filter_var($v, FILTER_VALIDATE_INT, ['options' => ['min_range' => 1, 'max_range' => 100]]) : false;
    if ($page === false) {
        respond(['error' => 'page: a whole number from 1 to 100 is required'], 400);
    }
    return $page;
}

function respond(array $body, int $status = 200): never
{
    http_response_code($status);
    header('Content-Type: application/json');
    echo json_encode($body), "\n";
    exit;
}

/** Any failure is a 500 with a short message: never a stack trace or a DSN (they would carry the endpoints). */
set_exception_handler(function (Throwable $e): void {
    error_log('restaurant-api: ' . $e->getMessage());
    http_response_code(500);
    header('Content-Type: application/json');
    echo json_encode(['error' => $e instanceof PDOException ? 'database error' : 'internal error']), "\n";
});

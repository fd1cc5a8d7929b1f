<?php
// Shared by every endpoint: the settings, the database and Redis connections (opened only when needed, so a cache
// hit costs no database connection), the read-through cache, and the JSON answer.
declare(strict_types=1);

/**
 * The settings: the file named by STACKSCALE_APP_CONFIG, else the one stackscale renders (/etc/stackscale/app.php),
 * else config.local.php beside this file (a plain install: the database only, no cache). Each returns an array
 * (see README.md for its keys).
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
            if (!is_array($config) || !isset($config['db'])) {
                throw new RuntimeException("$file does not return an array with a 'db' key");
            }
            return $config;
        }
    }
    throw new RuntimeException('no app config: none of ' . implode(', ', $candidates) . ' exists');
}

/** A PDO connection to the read endpoint (`read`) or the write endpoint; one of each per request at most. */
function db(string $which = 'read'): PDO
{
    static $pdo = [];
    if (isset($pdo[$which])) {
        return $pdo[$which];
    }
    $c = app_config()['db'];
    $host = $which === 'read' ? ($c['read_host'] ?? $c['host']) : $c['host'];
    $port = (int) ($which === 'read' ? ($c['read_port'] ?? $c['port'] ?? 3306) : ($c['port'] ?? 3306));
    $dsn = isset($c['socket'])
        ? "mysql:unix_socket={$c['socket']};dbname={$c['database']};charset=utf8mb4"
        : "mysql:host=$host;port=$port;dbname={$c['database']};charset=utf8mb4";
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
        if (!empty($c['password'])) {
            $r->auth($c['password']);
        }
        $r->select((int) ($c['db'] ?? 0));
        $redis = $r;
    } catch (Throwable $e) {
        error_log('restaurant-api: Redis unavailable, reading the database: ' . $e->getMessage());
    }
    return $redis;
}

/** Seconds an endpoint's answer is cached (the profile's per-endpoint TTL), 0 for none. */
function ttl(string $endpoint): int
{
    return (int) (app_config()['cache_ttl'][$endpoint] ?? 0);
}

/** Read-through cache: the key's value when Redis has it, else $load() stored for the endpoint's TTL. */
function cached(string $endpoint, string $key, callable $load): array
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
        $redis->setex($key, $ttl, json_encode($value));
        header('X-Cache: MISS');
    }
    return $value;
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

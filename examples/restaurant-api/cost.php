<?php
// What each request of the default load mix costs the database when it misses the cache, measured on the seeded
// data: every variant's queries (queries.php, the same functions the endpoints call) for each restaurant, uncached,
// with the wall time and the rows InnoDB read (SHOW SESSION STATUS Handler_read_* before and after). create_order is
// run in full and rolled back, so the data stay as seeded.
//   php cost.php [--restaurants 50] [--rounds 3] [--tables 20] [--menu 60]
declare(strict_types=1);
require __DIR__ . '/lib.php';
require __DIR__ . '/queries.php';

$opt = getopt('', ['restaurants:', 'rounds:', 'tables:', 'menu:']);
$nRest = (int) ($opt['restaurants'] ?? 50);
$rounds = (int) ($opt['rounds'] ?? 3);
$nTables = (int) ($opt['tables'] ?? 20);
$nMenu = (int) ($opt['menu'] ?? 60);
$db = db();
$day = fn (int $offset): string => date('Y-m-d', time() + $offset * 86400);

/** The variants of the default mix (src/loadtest/paths.ts), each a query function call for a restaurant. */
$variants = [
    'get_menu_items (whole menu)' => fn (int $r) => q_menu_items($db, $r),
    'get_menu_items category=mains' => fn (int $r) => q_menu_items($db, $r, 'mains'),
    'get_tables' => fn (int $r) => q_tables($db, $r),
    'get_orders today, all, page 1' => fn (int $r) => q_orders($db, $r, null, $day(0), 1),
    'get_orders today, status=open' => fn (int $r) => q_orders($db, $r, 'open', $day(0), 1),
    'get_orders 10 days ago, all, page 1' => fn (int $r) => q_orders($db, $r, null, $day(-10), 1),
    'get_orders 10 days ago, all, page 2' => fn (int $r) => q_orders($db, $r, null, $day(-10), 2),
    'get_orders 10 days ago, status=paid' => fn (int $r) => q_orders($db, $r, 'paid', $day(-10), 1),
    'get_reservations today' => fn (int $r) => q_reservations($db, $r, $day(0)),
    'get_reservations in 7 days' => fn (int $r) => q_reservations($db, $r, $day(7)),
    'get_dashboard_stats period=today' => fn (int $r) => q_dashboard_stats($db, $r, 'today'),
    'get_dashboard_stats period=7d' => fn (int $r) => q_dashboard_stats($db, $r, '7d'),
    'get_dashboard_stats period=30d' => fn (int $r) => q_dashboard_stats($db, $r, '30d'),
    'create_order (3 lines, rolled back)' => fn (int $r) => w_create_order(db('write'), $r, ($r - 1) * $nTables + 1,
        [($r - 1) * $nMenu + 1 => 2, ($r - 1) * $nMenu + 2 => 1, ($r - 1) * $nMenu + 3 => 1], false),
];

function rows_read(PDO $db): int
{
    $n = 0;
    foreach ($db->query("SHOW SESSION STATUS LIKE 'Handler_read%'")->fetchAll(PDO::FETCH_NUM) as [$name, $value]) {
        $n += (int) $value;
    }
    return $n;
}

printf("%-38s %9s %9s %10s %10s\n", 'request', 'mean ms', 'p95 ms', 'rows read', 'JSON bytes');
foreach ($variants as $name => $fn) {
    $conn = str_starts_with($name, 'create_order') ? db('write') : $db;
    $times = [];
    $read = 0;
    $sent = 0;
    for ($round = 0; $round < $rounds; $round++) {
        for ($rid = 1; $rid <= $nRest; $rid++) {
            $before = rows_read($conn);
            $t = hrtime(true);
            $result = $fn($rid);
            $times[] = (hrtime(true) - $t) / 1e6;
            $read += rows_read($conn) - $before;
            $sent += strlen(json_encode($result));
        }
    }
    sort($times);
    $n = count($times);
    printf("%-38s %9.2f %9.2f %10d %10d\n", $name, array_sum($times) / $n, $times[(int) floor($n * 0.95)], intdiv($read, $n), intdiv($sent, $n));
}

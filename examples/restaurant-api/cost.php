<?php
// What each read endpoint costs the database when it misses the cache, measured on the seeded data: every endpoint's
// queries (queries.php, the same functions the endpoints call) for each restaurant, uncached, with the wall time and
// the rows InnoDB read (SHOW SESSION STATUS Handler_read_* before and after).
//   php cost.php [--restaurants 50] [--rounds 3]
declare(strict_types=1);
require __DIR__ . '/lib.php';
require __DIR__ . '/queries.php';

$opt = getopt('', ['restaurants:', 'rounds:']);
$nRest = (int) ($opt['restaurants'] ?? 50);
$rounds = (int) ($opt['rounds'] ?? 3);
$db = db();

function rows_read(PDO $db): int
{
    $n = 0;
    foreach ($db->query("SHOW SESSION STATUS LIKE 'Handler_read%'")->fetchAll(PDO::FETCH_NUM) as [$name, $value]) {
        $n += (int) $value;
    }
    return $n;
}

printf("%-22s %10s %10s %12s %10s\n", 'endpoint', 'mean ms', 'p95 ms', 'rows read', 'JSON bytes');
foreach (READ_ENDPOINTS as $endpoint => $fn) {
    $times = [];
    $read = 0;
    $sent = 0;
    for ($round = 0; $round < $rounds; $round++) {
        for ($rid = 1; $rid <= $nRest; $rid++) {
            $before = rows_read($db);
            $t = hrtime(true);
            $result = $fn($db, $rid);
            $times[] = (hrtime(true) - $t) / 1e6;
            $read += rows_read($db) - $before;
            $sent += strlen(json_encode($result));
        }
    }
    sort($times);
    $n = count($times);
    printf("%-22s %10.2f %10.2f %12d %10d\n", $endpoint, array_sum($times) / $n, $times[(int) floor($n * 0.95)], intdiv($read, $n), intdiv($sent, $n));
}

<?php
// Fills the sample app's database with a repeatable data set (same seed, same rows), through the write endpoint of
// the app's own config:
//   php seed.php [--restaurants 50] [--orders 100000] [--menu 60] [--tables 20] [--reservations 20000]
// It empties the tables first. Ids are laid out per restaurant: restaurant R's tables are (R-1)*tables+1 .. R*tables,
// its menu items (R-1)*menu+1 .. R*menu (the load generator's create_order relies on it). Orders are spread over the last 90 days (open ones in the last few hours), each with 1 to
// 5 lines; reservations over 30 days back and 30 ahead.
declare(strict_types=1);
require __DIR__ . '/lib.php';

$opt = getopt('', ['restaurants:', 'orders:', 'menu:', 'tables:', 'reservations:']);
$nRest = (int) ($opt['restaurants'] ?? 50);
$nOrders = (int) ($opt['orders'] ?? 100000);
$nMenu = (int) ($opt['menu'] ?? 60);
$nTables = (int) ($opt['tables'] ?? 20);
$nRes = (int) ($opt['reservations'] ?? 20000);
mt_srand(42);

$db = db('write');
$db->exec('SET FOREIGN_KEY_CHECKS = 0');
foreach (['order_items', 'orders', 'reservations', 'tables', 'menu_items', 'restaurants'] as $t) {
    $db->exec("TRUNCATE TABLE $t");
}
$db->exec('SET FOREIGN_KEY_CHECKS = 1');

/** Multi-row INSERTs of up to 1000 rows each, in one transaction. */
function insert_rows(PDO $db, string $table, array $cols, iterable $rows): int
{
    $n = 0;
    $batch = [];
    $flush = function () use ($db, $table, $cols, &$batch): void {
        if (!$batch) {
            return;
        }
        $one = '(' . implode(',', array_fill(0, count($cols), '?')) . ')';
        $sql = "INSERT INTO $table (" . implode(',', $cols) . ') VALUES ' . implode(',', array_fill(0, count($batch), $one));
        $db->prepare($sql)->execute(array_merge(...$batch));
        $batch = [];
    };
    $db->beginTransaction();
    foreach ($rows as $row) {
        $batch[] = $row;
        $n++;
        if (count($batch) === 1000) {
            $flush();
        }
    }
    $flush();
    $db->commit();
    return $n;
}

$cities = ['Lisbon', 'Porto', 'Madrid', 'Lyon', 'Turin', 'Ghent', 'Leeds'];
$categories = ['starters', 'mains', 'pizza', 'pasta', 'salads', 'desserts', 'drinks'];
insert_rows($db, 'restaurants', ['id', 'name', 'city'], (function () use ($nRest, $cities) {
    for ($r = 1; $r <= $nRest; $r++) {
        yield [$r, "Restaurant $r", $cities[$r % count($cities)]];
    }
})());

$prices = [];
insert_rows($db, 'menu_items', ['id', 'restaurant_id', 'category', 'name', 'price', 'available'], (function () use ($nRest, $nMenu, $categories, &$prices) {
    $id = 0;
    for ($r = 1; $r <= $nRest; $r++) {
        for ($i = 1; $i <= $nMenu; $i++) {
            $id++;
            $price = mt_rand(250, 3200) / 100;
            $prices[$r][] = [$id, $price];
            // One dish in 20 is off the menu (available = 0): the 20th, 40th, 60th of each restaurant, so a load
            // generator can order what a waiter could (paths.ts's create_order draws the others).
            yield [$id, $r, $categories[$i % count($categories)], "Dish $i", $price, $i % 20 === 0 ? 0 : 1];
        }
    }
})());

insert_rows($db, 'tables', ['id', 'restaurant_id', 'number', 'seats'], (function () use ($nRest, $nTables) {
    $id = 0;
    for ($r = 1; $r <= $nRest; $r++) {
        for ($t = 1; $t <= $nTables; $t++) {
            yield [++$id, $r, $t, [2, 2, 4, 4, 6, 8][$t % 6]];
        }
    }
})());

$now = time();
$lines = [];
insert_rows($db, 'orders', ['id', 'restaurant_id', 'table_id', 'status', 'total', 'created_at'], (function () use ($nOrders, $nRest, $nTables, $now, &$prices, &$lines) {
    for ($o = 1; $o <= $nOrders; $o++) {
        $r = mt_rand(1, $nRest);
        $age = mt_rand(0, 90 * 86400);
        $status = $age < 3 * 3600 ? ['open', 'preparing', 'served'][mt_rand(0, 2)] : (mt_rand(1, 50) === 1 ? 'cancelled' : 'paid');
        $total = 0.0;
        for ($k = mt_rand(1, 5); $k > 0; $k--) {
            [$item, $price] = $prices[$r][mt_rand(0, count($prices[$r]) - 1)];
            $qty = mt_rand(1, 3);
            $total += $price * $qty;
            $lines[] = [$o, $item, $qty, $price];
        }
        yield [$o, $r, ($r - 1) * $nTables + mt_rand(1, $nTables), $status, round($total, 2), date('Y-m-d H:i:s', $now - $age)];
    }
})());
$nLines = insert_rows($db, 'order_items', ['order_id', 'menu_item_id', 'quantity', 'price'], $lines);

insert_rows($db, 'reservations', ['restaurant_id', 'table_id', 'guest_name', 'party_size', 'reserved_at'], (function () use ($nRes, $nRest, $nTables, $now) {
    for ($i = 1; $i <= $nRes; $i++) {
        $r = mt_rand(1, $nRest);
        $at = $now + mt_rand(-30, 30) * 86400;
        $at = $at - ($at % 86400) + mt_rand(11, 22) * 3600 + [0, 1800][mt_rand(0, 1)];
        yield [$r, ($r - 1) * $nTables + mt_rand(1, $nTables), "Guest $i", mt_rand(1, 8), date('Y-m-d H:i:s', $at)];
    }
})());

$db->query('ANALYZE TABLE restaurants, menu_items, tables, orders, order_items, reservations')->fetchAll();
printf("seeded %d restaurants, %d menu items, %d tables, %d orders with %d lines, %d reservations\n", $nRest, $nRest * $nMenu, $nRest * $nTables, $nOrders, $nLines, $nRes);

<?php
// A write: a new open order for a table, its lines priced from the menu, in one transaction on the write endpoint;
// then the restaurant's cached answers that a new order changes (today's orders pages, the dashboard's periods, the
// tables) are dropped, so the next read sees it.
// POST restaurant_id=1&table_id=3&items=12:2,15:1   (menu item id : quantity, comma separated)
declare(strict_types=1);
require __DIR__ . '/../lib.php';
require __DIR__ . '/../queries.php';

if (($_SERVER['REQUEST_METHOD'] ?? 'GET') !== 'POST') {
    respond(['error' => 'POST only'], 405);
}
$rid = restaurant_id();
$table = filter_var($_POST['table_id'] ?? null, FILTER_VALIDATE_INT, ['options' => ['min_range' => 1]]);
$lines = [];
foreach (explode(',', (string) ($_POST['items'] ?? '')) as $part) {
    if (preg_match('/^(\d+):(\d+)$/', trim($part), $m) && (int) $m[2] > 0) {
        $lines[(int) $m[1]] = ($lines[(int) $m[1]] ?? 0) + (int) $m[2];
    }
}
if (!$table || !$lines) {
    respond(['error' => 'table_id and items (id:quantity,...) are required'], 400);
}

$result = w_create_order(db('write'), $rid, $table, $lines);
if (isset($result['error'])) {
    respond($result, 404);
}

// Today's orders lists change first; the tables' open orders and the dashboard's figures change too.
drop_on_order($rid);
respond($result, 201);

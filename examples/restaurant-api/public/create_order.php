<?php
// A write: a new open order for a table, its lines priced from the menu, in one transaction on the write endpoint;
// then the restaurant's cached orders, tables and dashboard are dropped, so the next read sees it.
// POST restaurant_id=1&table_id=3&items=12:2,15:1   (menu item id : quantity, comma separated)
declare(strict_types=1);
require __DIR__ . '/../lib.php';

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

$db = db('write');
$db->beginTransaction();
$t = $db->prepare('SELECT id FROM tables WHERE id = ? AND restaurant_id = ?');
$t->execute([$table, $rid]);
if (!$t->fetch()) {
    $db->rollBack();
    respond(['error' => "table $table is not a table of restaurant $rid"], 404);
}
$in = implode(',', array_fill(0, count($lines), '?'));
$p = $db->prepare("SELECT id, price FROM menu_items WHERE restaurant_id = ? AND available = 1 AND id IN ($in)");
$p->execute([$rid, ...array_keys($lines)]);
$prices = array_column($p->fetchAll(), 'price', 'id');
if (count($prices) !== count($lines)) {
    $db->rollBack();
    respond(['error' => 'an item is not on this restaurant\'s menu or not available'], 404);
}
$total = 0.0;
foreach ($lines as $id => $qty) {
    $total += $prices[$id] * $qty;
}
$db->prepare("INSERT INTO orders (restaurant_id, table_id, status, total, created_at) VALUES (?, ?, 'open', ?, NOW())")->execute([$rid, $table, $total]);
$orderId = (int) $db->lastInsertId();
$ins = $db->prepare('INSERT INTO order_items (order_id, menu_item_id, quantity, price) VALUES (?, ?, ?, ?)');
foreach ($lines as $id => $qty) {
    $ins->execute([$orderId, $id, $qty, $prices[$id]]);
}
$db->commit();

// The orders list is what a new order changes first; the tables' open orders and the dashboard's counts change too.
cache()?->del("orders:$rid", "tables:$rid", "dashboard_stats:$rid");
respond(['order_id' => $orderId, 'total' => round($total, 2)], 201);

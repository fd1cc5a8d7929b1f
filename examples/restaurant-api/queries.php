<?php
// Every query the read endpoints run, one function an endpoint, so the endpoints (public/) and the cost measurement
// (cost.php) run the very same SQL. Each takes the read connection and a restaurant id.
declare(strict_types=1);

/** The menu in display order: one range on menu_items (restaurant_id, category, name). */
function q_menu_items(PDO $db, int $rid): array
{
    $q = $db->prepare('SELECT id, category, name, price, available FROM menu_items WHERE restaurant_id = ? ORDER BY category, name');
    $q->execute([$rid]);
    return ['restaurant_id' => $rid, 'items' => $q->fetchAll()];
}

/** The tables with their open orders: tables by restaurant, and per table a count on orders (table_id, status). */
function q_tables(PDO $db, int $rid): array
{
    $q = $db->prepare(
        "SELECT t.id, t.number, t.seats,
                (SELECT COUNT(*) FROM orders o WHERE o.table_id = t.id AND o.status IN ('open', 'preparing')) AS open_orders
           FROM tables t WHERE t.restaurant_id = ? ORDER BY t.number"
    );
    $q->execute([$rid]);
    return ['restaurant_id' => $rid, 'tables' => $q->fetchAll()];
}

/** The 50 latest orders with their lines: orders (restaurant_id, created_at) backwards, then order_items (order_id). */
function q_orders(PDO $db, int $rid): array
{
    $q = $db->prepare('SELECT id, table_id, status, total, created_at FROM orders WHERE restaurant_id = ? ORDER BY created_at DESC LIMIT 50');
    $q->execute([$rid]);
    $orders = $q->fetchAll();
    if ($orders) {
        $ids = array_column($orders, 'id');
        $in = implode(',', array_fill(0, count($ids), '?'));
        $items = $db->prepare("SELECT oi.order_id, oi.menu_item_id, m.name, oi.quantity, oi.price
                                 FROM order_items oi JOIN menu_items m ON m.id = oi.menu_item_id
                                WHERE oi.order_id IN ($in) ORDER BY oi.order_id, oi.id");
        $items->execute($ids);
        $byOrder = [];
        foreach ($items->fetchAll() as $line) {
            $byOrder[$line['order_id']][] = $line;
        }
        foreach ($orders as &$o) {
            $o['items'] = $byOrder[$o['id']] ?? [];
        }
    }
    return ['restaurant_id' => $rid, 'orders' => $orders];
}

/** The next 7 days of reservations: a range on reservations (restaurant_id, reserved_at). */
function q_reservations(PDO $db, int $rid): array
{
    $q = $db->prepare('SELECT id, table_id, guest_name, party_size, reserved_at FROM reservations
                        WHERE restaurant_id = ? AND reserved_at >= NOW() AND reserved_at < NOW() + INTERVAL 7 DAY ORDER BY reserved_at');
    $q->execute([$rid]);
    return ['restaurant_id' => $rid, 'reservations' => $q->fetchAll()];
}

/**
 * The dashboard: today's orders and revenue, the average ticket and the five best sellers over 30 days (orders by
 * (restaurant_id, created_at) joined to their lines: the most expensive read of the app), and the tables with an
 * open order (orders (restaurant_id, status, table_id)).
 */
function q_dashboard_stats(PDO $db, int $rid): array
{
    $today = $db->prepare('SELECT COUNT(*) AS orders, COALESCE(SUM(total), 0) AS revenue FROM orders WHERE restaurant_id = ? AND created_at >= CURDATE()');
    $today->execute([$rid]);
    $month = $db->prepare('SELECT COUNT(*) AS orders, COALESCE(AVG(total), 0) AS average_ticket FROM orders WHERE restaurant_id = ? AND created_at >= NOW() - INTERVAL 30 DAY');
    $month->execute([$rid]);
    $top = $db->prepare('SELECT oi.menu_item_id, m.name, SUM(oi.quantity) AS sold
                           FROM orders o JOIN order_items oi ON oi.order_id = o.id JOIN menu_items m ON m.id = oi.menu_item_id
                          WHERE o.restaurant_id = ? AND o.created_at >= NOW() - INTERVAL 30 DAY
                          GROUP BY oi.menu_item_id, m.name ORDER BY sold DESC LIMIT 5');
    $top->execute([$rid]);
    $busy = $db->prepare("SELECT COUNT(DISTINCT table_id) AS busy_tables FROM orders WHERE restaurant_id = ? AND status IN ('open', 'preparing')");
    $busy->execute([$rid]);
    return [
        'restaurant_id' => $rid,
        'today' => $today->fetch(),
        'last_30_days' => $month->fetch(),
        'top_items' => $top->fetchAll(),
        'busy_tables' => (int) $busy->fetchColumn(),
    ];
}

/** Endpoint name => its query function, for cost.php. */
const READ_ENDPOINTS = [
    'get_menu_items' => 'q_menu_items',
    'get_tables' => 'q_tables',
    'get_orders' => 'q_orders',
    'get_reservations' => 'q_reservations',
    'get_dashboard_stats' => 'q_dashboard_stats',
];

<?php
// Every query the read endpoints run, one function an endpoint, so the endpoints (public/) and the cost measurement
// (cost.php) run the very same SQL. Each takes the read connection, a restaurant id and the endpoint's own parameters
// (already checked by the endpoint: see lib.php's param_* functions).
declare(strict_types=1);

/** The menu's categories (the seed's): get_menu_items?category= takes one of them. */
const CATEGORIES = ['starters', 'mains', 'pizza', 'pasta', 'salads', 'desserts', 'drinks'];
/** An order's statuses: get_orders?status= takes one of them, or `all`. */
const ORDER_STATUSES = ['open', 'preparing', 'served', 'paid', 'cancelled'];
/** The dashboard's periods: since midnight, the last 7 days, the last 30 days. */
const PERIODS = ['today' => 'CURDATE()', '7d' => 'NOW() - INTERVAL 7 DAY', '30d' => 'NOW() - INTERVAL 30 DAY'];
/** Orders a page of get_orders. */
const ORDERS_PAGE_SIZE = 20;

/**
 * The menu in display order, whole or one category: one range on menu_items (restaurant_id, category, name), the
 * category as the index's second column when given.
 */
function q_menu_items(PDO $db, int $rid, ?string $category = null): array
{
    if ($category === null) {
        $q = $db->prepare('SELECT id, category, name, price, available FROM menu_items WHERE restaurant_id = ? ORDER BY category, name');
        $q->execute([$rid]);
    } else {
        $q = $db->prepare('SELECT id, category, name, price, available FROM menu_items WHERE restaurant_id = ? AND category = ? ORDER BY name');
        $q->execute([$rid, $category]);
    }
    return ['restaurant_id' => $rid, 'category' => $category, 'items' => $q->fetchAll()];
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

/**
 * One page (ORDERS_PAGE_SIZE, latest first) of a day's orders, all or of one status, with their lines: orders by
 * (restaurant_id, created_at) or (restaurant_id, status, created_at) backwards over the day, then order_items
 * (order_id) joined to the menu for the page's orders.
 */
function q_orders(PDO $db, int $rid, ?string $status = null, ?string $date = null, int $page = 1): array
{
    $date ??= date('Y-m-d');
    $offset = ($page - 1) * ORDERS_PAGE_SIZE;
    $where = 'restaurant_id = ? AND created_at >= ? AND created_at < ? + INTERVAL 1 DAY';
    $args = [$rid, $date, $date];
    if ($status !== null) {
        $where .= ' AND status = ?';
        $args[] = $status;
    }
    $q = $db->prepare("SELECT id, table_id, status, total, created_at FROM orders WHERE $where ORDER BY created_at DESC LIMIT " . ORDERS_PAGE_SIZE . " OFFSET $offset");
    $q->execute($args);
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
    return ['restaurant_id' => $rid, 'status' => $status ?? 'all', 'date' => $date, 'page' => $page, 'orders' => $orders];
}

/** One day's reservations: a range on reservations (restaurant_id, reserved_at). */
function q_reservations(PDO $db, int $rid, ?string $date = null): array
{
    $date ??= date('Y-m-d');
    $q = $db->prepare('SELECT id, table_id, guest_name, party_size, reserved_at FROM reservations
                        WHERE restaurant_id = ? AND reserved_at >= ? AND reserved_at < ? + INTERVAL 1 DAY ORDER BY reserved_at');
    $q->execute([$rid, $date, $date]);
    return ['restaurant_id' => $rid, 'date' => $date, 'reservations' => $q->fetchAll()];
}

/**
 * The dashboard over a period (today, 7d, 30d): the orders' count, revenue and average ticket (a range on orders
 * (restaurant_id, created_at)), the five best sellers (those orders joined to their lines and the menu, grouped: the
 * most expensive read of the app, in proportion to the period), and the tables with an open order now (orders
 * (restaurant_id, status, table_id)).
 */
function q_dashboard_stats(PDO $db, int $rid, string $period = 'today'): array
{
    $since = PERIODS[$period];
    $totals = $db->prepare("SELECT COUNT(*) AS orders, COALESCE(SUM(total), 0) AS revenue, COALESCE(AVG(total), 0) AS average_ticket
                              FROM orders WHERE restaurant_id = ? AND created_at >= $since");
    $totals->execute([$rid]);
    $top = $db->prepare("SELECT oi.menu_item_id, m.name, SUM(oi.quantity) AS sold
                           FROM orders o JOIN order_items oi ON oi.order_id = o.id JOIN menu_items m ON m.id = oi.menu_item_id
                          WHERE o.restaurant_id = ? AND o.created_at >= $since
                          GROUP BY oi.menu_item_id, m.name ORDER BY sold DESC LIMIT 5");
    $top->execute([$rid]);
    $busy = $db->prepare("SELECT COUNT(DISTINCT table_id) AS busy_tables FROM orders WHERE restaurant_id = ? AND status IN ('open', 'preparing')");
    $busy->execute([$rid]);
    return [
        'restaurant_id' => $rid,
        'period' => $period,
        'totals' => $totals->fetch(),
        'top_items' => $top->fetchAll(),
        'busy_tables' => (int) $busy->fetchColumn(),
    ];
}

/**
 * create_order's database work, one transaction on the write connection: the table checked by its primary key, the
 * prices from menu_items (primary keys), one row in orders and one in order_items a line. $lines: menu item id =>
 * quantity. Returns ['order_id', 'total'], or ['error' => message] (nothing written) when the table or an item is
 * not the restaurant's (or not available). $commit false rolls it back (cost.php measures it without writing).
 */
function w_create_order(PDO $db, int $rid, int $table, array $lines, bool $commit = true): array
{
    $db->beginTransaction();
    $t = $db->prepare('SELECT id FROM tables WHERE id = ? AND restaurant_id = ?');
    $t->execute([$table, $rid]);
    if (!$t->fetch()) {
        $db->rollBack();
        return ['error' => "table $table is not a table of restaurant $rid"];
    }
    $in = implode(',', array_fill(0, count($lines), '?'));
    $p = $db->prepare("SELECT id, price FROM menu_items WHERE restaurant_id = ? AND available = 1 AND id IN ($in)");
    $p->execute([$rid, ...array_keys($lines)]);
    $prices = array_column($p->fetchAll(), 'price', 'id');
    if (count($prices) !== count($lines)) {
        $db->rollBack();
        return ['error' => 'an item is not on this restaurant\'s menu or not available'];
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
    $commit ? $db->commit() : $db->rollBack();
    return ['order_id' => $orderId, 'total' => round($total, 2)];
}

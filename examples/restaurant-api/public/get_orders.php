<?php
// get_orders?restaurant_id=R[&status=all|open|preparing|served|paid|cancelled][&date=YYYY-MM-DD][&page=N]: one page
// of a day's orders (today by default), latest first, with their lines (queries.php, q_orders), from Redis when
// cached, else from the read endpoint, then cached for the endpoint's TTL under
// "orders:<restaurant>:<status>:<date>:<page>". A new order of the restaurant drops today's pages (an earlier day's
// do not change).
declare(strict_types=1);
require __DIR__ . '/../lib.php';
require __DIR__ . '/../queries.php';

$rid = restaurant_id();
$status = param_choice('status', ORDER_STATUSES, 'all');
$date = param_date();
$page = param_page();
$key = "orders:$rid:" . ($status ?? 'all') . ":$date:$page";
respond(cached('get_orders', $key, fn (): array => q_orders(db(), $rid, $status, $date, $page), $date === date('Y-m-d') ? $rid : null));

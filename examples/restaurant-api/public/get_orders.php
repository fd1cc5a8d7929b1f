<?php
// get_orders: the restaurant's answer from Redis when cached, else from the read endpoint (queries.php, q_orders),
// then cached for the profile's TTL of this endpoint under "orders:<restaurant id>".
declare(strict_types=1);
require __DIR__ . '/../lib.php';
require __DIR__ . '/../queries.php';

$rid = restaurant_id();
respond(cached('get_orders', "orders:$rid", fn (): array => q_orders(db(), $rid)));

<?php
// get_tables?restaurant_id=R: the restaurant's tables and their open orders (queries.php, q_tables), from Redis when
// cached, else from the read endpoint, then cached for the endpoint's TTL under "tables:<restaurant>"; a new order
// of the restaurant drops it (its open orders changed).
declare(strict_types=1);
require __DIR__ . '/../lib.php';
require __DIR__ . '/../queries.php';

$rid = restaurant_id();
respond(cached('get_tables', "tables:$rid", fn (): array => q_tables(db(), $rid), $rid));

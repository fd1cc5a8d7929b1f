<?php
// get_reservations?restaurant_id=R[&date=YYYY-MM-DD]: the restaurant's reservations of one day (today by default)
// (queries.php, q_reservations), from Redis when cached, else from the read endpoint, then cached for the endpoint's
// TTL under "reservations:<restaurant>:<date>". A new order does not change it.
declare(strict_types=1);
require __DIR__ . '/../lib.php';
require __DIR__ . '/../queries.php';

$rid = restaurant_id();
$date = param_date();
respond(cached('get_reservations', "reservations:$rid:$date", fn (): array => q_reservations(db(), $rid, $date)));

<?php
// get_reservations: the restaurant's answer from Redis when cached, else from the read endpoint (queries.php, q_reservations),
// then cached for the profile's TTL of this endpoint under "reservations:<restaurant id>".
declare(strict_types=1);
require __DIR__ . '/../lib.php';
require __DIR__ . '/../queries.php';

$rid = restaurant_id();
respond(cached('get_reservations', "reservations:$rid", fn (): array => q_reservations(db(), $rid)));

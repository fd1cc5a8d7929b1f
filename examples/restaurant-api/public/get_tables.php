<?php
// get_tables: the restaurant's answer from Redis when cached, else from the read endpoint (queries.php, q_tables),
// then cached for the profile's TTL of this endpoint under "tables:<restaurant id>".
declare(strict_types=1);
require __DIR__ . '/../lib.php';
require __DIR__ . '/../queries.php';

$rid = restaurant_id();
respond(cached('get_tables', "tables:$rid", fn (): array => q_tables(db(), $rid)));

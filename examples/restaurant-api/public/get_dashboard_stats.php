<?php
// get_dashboard_stats: the restaurant's answer from Redis when cached, else from the read endpoint (queries.php, q_dashboard_stats),
// then cached for the profile's TTL of this endpoint under "dashboard_stats:<restaurant id>".
declare(strict_types=1);
require __DIR__ . '/../lib.php';
require __DIR__ . '/../queries.php';

$rid = restaurant_id();
respond(cached('get_dashboard_stats', "dashboard_stats:$rid", fn (): array => q_dashboard_stats(db(), $rid)));

<?php
// get_menu_items: the restaurant's answer from Redis when cached, else from the read endpoint (queries.php, q_menu_items),
// then cached for the profile's TTL of this endpoint under "menu_items:<restaurant id>".
declare(strict_types=1);
require __DIR__ . '/../lib.php';
require __DIR__ . '/../queries.php';

$rid = restaurant_id();
respond(cached('get_menu_items', "menu_items:$rid", fn (): array => q_menu_items(db(), $rid)));

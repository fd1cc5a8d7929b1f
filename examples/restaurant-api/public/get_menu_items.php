<?php
// get_menu_items?restaurant_id=R[&category=C]: the restaurant's menu, whole or one category (queries.php,
// q_menu_items), from Redis when cached, else from the read endpoint, then cached for the endpoint's TTL under
// "menu_items:<restaurant>:<category or all>". A new order does not change it.
declare(strict_types=1);
require __DIR__ . '/../lib.php';
require __DIR__ . '/../queries.php';

$rid = restaurant_id();
$category = param_choice('category', CATEGORIES);
respond(cached('get_menu_items', "menu_items:$rid:" . ($category ?? 'all'), fn (): array => q_menu_items(db(), $rid, $category)));

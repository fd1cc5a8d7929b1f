<?php
// get_dashboard_stats?restaurant_id=R[&period=today|7d|30d]: the restaurant's figures over the period (today by
// default) (queries.php, q_dashboard_stats), from Redis when cached, else from the read endpoint, then cached for the
// endpoint's TTL under "dashboard_stats:<restaurant>:<period>"; a new order of the restaurant drops every period.
declare(strict_types=1);
require __DIR__ . '/../lib.php';
require __DIR__ . '/../queries.php';

$rid = restaurant_id();
$period = param_choice('period', array_keys(PERIODS)) ?? 'today';
respond(cached('get_dashboard_stats', "dashboard_stats:$rid:$period", fn (): array => q_dashboard_stats(db(), $rid, $period), $rid));

<?php
// Managed by stackscale: this file is overwritten on the next `stackscale apply` (profile 300, host vps1).
// Where the app's database and cache are, and how long to cache each endpoint. Read it with
//   $config = require '/etc/stackscale/app.php';
// See docs/app.md in stackscale for an example.
return [
    'profile' => '300',
    'db' => [
        'write' => [
            'host' => '127.0.0.1',
            'port' => 3306,
        ],
        'read' => [
            [
                'host' => '127.0.0.1',
                'port' => 3306,
            ],
        ],
        'via' => 'direct',
        'user' => 'restro',
        'password' => 'STACKSCALE-SECRET-NOT-RENDERED(app_db_password)',
        'database' => 'restro',
    ],
    'redis' => [
        'host' => '127.0.0.1',
        'port' => 6379,
        'database' => 0,
        'password' => 'STACKSCALE-SECRET-NOT-RENDERED(redis_password)',
    ],
    'cache_ttls' => [
        'get_menu_items' => 300,
        'get_dashboard_stats' => 30,
        'get_tables' => 120,
        'get_orders' => 10,
        'get_reservations' => 30,
    ],
    'sessions' => 'files',
];

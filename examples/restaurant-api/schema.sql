-- The sample app's schema (MariaDB 10.11 / MySQL 8). Each index is there for a query of an endpoint:
--   menu_items (restaurant_id, category, name)   get_menu_items: one restaurant's menu in display order
--   tables (restaurant_id, number)               get_tables
--   orders (restaurant_id, created_at)           get_orders (a day's, all statuses), get_dashboard_stats (its period)
--   orders (restaurant_id, status, created_at)   get_orders (a day's, one status)
--   orders (table_id, status)                    get_tables: open orders per table
--   orders (restaurant_id, status, table_id)     get_dashboard_stats: tables with an open order
--   order_items (order_id)                       get_orders, get_dashboard_stats: the lines of those orders
--   reservations (restaurant_id, reserved_at)    get_reservations: one day
CREATE TABLE IF NOT EXISTS restaurants (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(100) NOT NULL,
  city VARCHAR(60) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS menu_items (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  restaurant_id INT UNSIGNED NOT NULL,
  category VARCHAR(40) NOT NULL,
  name VARCHAR(100) NOT NULL,
  price DECIMAL(8,2) NOT NULL,
  available TINYINT(1) NOT NULL DEFAULT 1,
  KEY menu_by_restaurant (restaurant_id, category, name),
  CONSTRAINT fk_menu_restaurant FOREIGN KEY (restaurant_id) REFERENCES restaurants (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS tables (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  restaurant_id INT UNSIGNED NOT NULL,
  number SMALLINT UNSIGNED NOT NULL,
  seats TINYINT UNSIGNED NOT NULL,
  UNIQUE KEY table_number (restaurant_id, number),
  CONSTRAINT fk_table_restaurant FOREIGN KEY (restaurant_id) REFERENCES restaurants (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS orders (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  restaurant_id INT UNSIGNED NOT NULL,
  table_id INT UNSIGNED NOT NULL,
  status ENUM('open', 'preparing', 'served', 'paid', 'cancelled') NOT NULL,
  total DECIMAL(10,2) NOT NULL,
  created_at DATETIME NOT NULL,
  KEY orders_by_restaurant_time (restaurant_id, created_at),
  KEY orders_by_restaurant_status_time (restaurant_id, status, created_at),
  KEY orders_by_table_status (table_id, status),
  KEY orders_by_restaurant_status (restaurant_id, status, table_id),
  CONSTRAINT fk_order_restaurant FOREIGN KEY (restaurant_id) REFERENCES restaurants (id),
  CONSTRAINT fk_order_table FOREIGN KEY (table_id) REFERENCES tables (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS order_items (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  order_id INT UNSIGNED NOT NULL,
  menu_item_id INT UNSIGNED NOT NULL,
  quantity SMALLINT UNSIGNED NOT NULL,
  price DECIMAL(8,2) NOT NULL,
  KEY items_by_order (order_id),
  CONSTRAINT fk_item_order FOREIGN KEY (order_id) REFERENCES orders (id),
  CONSTRAINT fk_item_menu FOREIGN KEY (menu_item_id) REFERENCES menu_items (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS reservations (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  restaurant_id INT UNSIGNED NOT NULL,
  table_id INT UNSIGNED NOT NULL,
  guest_name VARCHAR(100) NOT NULL,
  party_size TINYINT UNSIGNED NOT NULL,
  reserved_at DATETIME NOT NULL,
  KEY reservations_by_restaurant_time (restaurant_id, reserved_at),
  CONSTRAINT fk_reservation_restaurant FOREIGN KEY (restaurant_id) REFERENCES restaurants (id),
  CONSTRAINT fk_reservation_table FOREIGN KEY (table_id) REFERENCES tables (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

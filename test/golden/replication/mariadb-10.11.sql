-- accounts on the primary (masked)
CREATE USER IF NOT EXISTS 'repl'@'10.0.0.32' IDENTIFIED BY '********'
GRANT REPLICATION SLAVE ON *.* TO 'repl'@'10.0.0.32'
CREATE USER IF NOT EXISTS 'monitor'@'10.0.0.20' IDENTIFIED BY '********'
GRANT USAGE, REPLICATION CLIENT, SLAVE MONITOR ON *.* TO 'monitor'@'10.0.0.20'
CREATE USER IF NOT EXISTS 'restro'@'10.0.0.20' IDENTIFIED BY '********'
GRANT ALL PRIVILEGES ON `restro`.* TO 'restro'@'10.0.0.20'

-- accounts on the primary (real)
CREATE USER IF NOT EXISTS 'repl'@'10.0.0.32' IDENTIFIED BY 'r\'epl\\pw'
GRANT REPLICATION SLAVE ON *.* TO 'repl'@'10.0.0.32'
CREATE USER IF NOT EXISTS 'monitor'@'10.0.0.20' IDENTIFIED BY 'mon-pw'
GRANT USAGE, REPLICATION CLIENT, SLAVE MONITOR ON *.* TO 'monitor'@'10.0.0.20'
CREATE USER IF NOT EXISTS 'restro'@'10.0.0.20' IDENTIFIED BY 'app pw'
GRANT ALL PRIVILEGES ON `restro`.* TO 'restro'@'10.0.0.20'

-- point a replica (real)
CHANGE MASTER TO MASTER_HOST='10.0.0.31', MASTER_PORT=3306, MASTER_USER='repl', MASTER_PASSWORD='r\'epl\\pw', MASTER_USE_GTID=slave_pos

-- repair a replica (masked)
STOP SLAVE
CHANGE MASTER TO MASTER_HOST='10.0.0.31', MASTER_PORT=3306, MASTER_USER='repl', MASTER_PASSWORD='********', MASTER_USE_GTID=slave_pos
START SLAVE

-- seed a replica (masked)
STOP SLAVE
RESET SLAVE ALL
RESET MASTER
-- seed: mariadb-dump --all-databases --single-transaction --gtid --master-data=1 --routines --events --triggers on db1 | mariadb here (streamed over SSH, sql_log_bin=0)
CHANGE MASTER TO MASTER_HOST='10.0.0.31', MASTER_PORT=3306, MASTER_USER='repl', MASTER_PASSWORD='********', MASTER_USE_GTID=slave_pos
START SLAVE

-- dump command on the primary
mariadb-dump --all-databases --single-transaction --gtid --master-data=1 --routines --events --triggers

-- wait for catch-up
SELECT MASTER_GTID_WAIT('0-1-42', 60) AS waited

-- replica state script
SELECT @@server_id AS server_id, @@read_only AS read_only, @@gtid_slave_pos AS position, (SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'restro') AS has_app\G
SHOW SLAVE STATUS\G

-- primary state script
SELECT @@server_id AS server_id, @@log_bin AS log_bin, @@gtid_binlog_pos AS position, @@gtid_binlog_state AS binlog_state, '' AS purged, (SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'restro') AS has_app\G
SELECT User AS account_user, Host AS account_host FROM mysql.user\G

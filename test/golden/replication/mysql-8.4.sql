-- accounts on the primary (masked)
CREATE USER IF NOT EXISTS 'repl'@'10.0.0.32' IDENTIFIED BY '********'
GRANT REPLICATION SLAVE ON *.* TO 'repl'@'10.0.0.32'
CREATE USER IF NOT EXISTS 'monitor'@'10.0.0.20' IDENTIFIED BY '********'
GRANT USAGE, REPLICATION CLIENT ON *.* TO 'monitor'@'10.0.0.20'
CREATE USER IF NOT EXISTS 'restro'@'10.0.0.20' IDENTIFIED BY '********'
GRANT ALL PRIVILEGES ON `restro`.* TO 'restro'@'10.0.0.20'

-- accounts on the primary (real)
CREATE USER IF NOT EXISTS 'repl'@'10.0.0.32' IDENTIFIED BY 'r\'epl\\pw'
GRANT REPLICATION SLAVE ON *.* TO 'repl'@'10.0.0.32'
CREATE USER IF NOT EXISTS 'monitor'@'10.0.0.20' IDENTIFIED BY 'mon-pw'
GRANT USAGE, REPLICATION CLIENT ON *.* TO 'monitor'@'10.0.0.20'
CREATE USER IF NOT EXISTS 'restro'@'10.0.0.20' IDENTIFIED BY 'app pw'
GRANT ALL PRIVILEGES ON `restro`.* TO 'restro'@'10.0.0.20'

-- point a replica (real)
CHANGE REPLICATION SOURCE TO SOURCE_HOST='10.0.0.31', SOURCE_PORT=3306, SOURCE_USER='repl', SOURCE_PASSWORD='r\'epl\\pw', SOURCE_AUTO_POSITION=1, GET_SOURCE_PUBLIC_KEY=1

-- repair a replica (masked)
STOP REPLICA
CHANGE REPLICATION SOURCE TO SOURCE_HOST='10.0.0.31', SOURCE_PORT=3306, SOURCE_USER='repl', SOURCE_PASSWORD='********', SOURCE_AUTO_POSITION=1, GET_SOURCE_PUBLIC_KEY=1
START REPLICA

-- seed a replica (masked)
STOP REPLICA
RESET REPLICA ALL
RESET BINARY LOGS AND GTIDS
SET GLOBAL super_read_only = OFF
-- seed: mysqldump --all-databases --single-transaction --source-data=2 --set-gtid-purged=ON --routines --events --triggers on db1 | mysql here (streamed over SSH, sql_log_bin=0)
SET GLOBAL super_read_only = ON
CHANGE REPLICATION SOURCE TO SOURCE_HOST='10.0.0.31', SOURCE_PORT=3306, SOURCE_USER='repl', SOURCE_PASSWORD='********', SOURCE_AUTO_POSITION=1, GET_SOURCE_PUBLIC_KEY=1
START REPLICA

-- dump command on the primary
mysqldump --all-databases --single-transaction --source-data=2 --set-gtid-purged=ON --routines --events --triggers

-- wait for catch-up
SELECT WAIT_FOR_EXECUTED_GTID_SET('3e11fa47-71ca-11e1-9e33-c80aa9429562:1-42', 60) AS waited

-- replica state script
SELECT @@server_id AS server_id, @@read_only AS read_only, @@gtid_executed AS position, (SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'restro') AS has_app\G
SHOW REPLICA STATUS\G

-- primary state script
SELECT @@server_id AS server_id, @@log_bin AS log_bin, @@gtid_executed AS position, @@gtid_executed AS binlog_state, @@gtid_purged AS purged, (SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'restro') AS has_app\G
SELECT User AS account_user, Host AS account_host FROM mysql.user\G

#!/usr/bin/env bash
# Runs as PID 1 of one test host, inside `unshare --net --mount --pid --fork --uts --mount-proc`.
# Started by hosts.sh; do not run it by hand. Its stdout/stderr go to <hostdir>/log.
#
#   inner.sh HOSTDIR NAME ADDR PREFIXLEN IFNAME SERVICES STATEROOT
#
# Builds the host's world (network, overlays on /etc, /var and /usr/local, private /run /tmp /root /home, hostname,
# host key, deploy user), starts the requested Debian services with their init scripts, checks they answer,
# prints STACKSCALE-HOST-READY and finally execs sshd in the foreground.
set -euo pipefail

HOSTDIR=$1 NAME=$2 ADDR=$3 PREFIXLEN=$4 IFNAME=$5 SERVICES=$6 STATEROOT=$7
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LANG=C.UTF-8
unset SSH_AUTH_SOCK SSH_CLIENT SSH_CONNECTION || true

log() { echo "[$NAME $(date +%T.%3N)] $*"; }
fail() { echo "STACKSCALE-HOST-FAILED: $*"; exit 1; }
# has SERVICE: is it in the comma-separated list?
has() { [[ ",$SERVICES," == *",$1,"* ]]; }

# 1. network: hosts.sh moves our end of the veth in after we start; wait for it (bounded).
for _ in $(seq 1 100); do ip link show "$IFNAME" >/dev/null 2>&1 && break; sleep 0.05; done
ip link show "$IFNAME" >/dev/null 2>&1 || fail "interface $IFNAME never arrived"
ip link set "$IFNAME" name eth0
ip addr add "$ADDR/$PREFIXLEN" dev eth0
ip link set lo up
ip link set eth0 up

# 2. files: copy-on-write /etc, /var and /usr/local, private /run /tmp /dev/shm /root /home.
mount --make-rprivate /
mount -t overlay overlay -o "lowerdir=/etc,upperdir=$HOSTDIR/etc/upper,workdir=$HOSTDIR/etc/work" /etc
mount -t overlay overlay -o "lowerdir=/var,upperdir=$HOSTDIR/var/upper,workdir=$HOSTDIR/var/work" /var
# /usr/local too: stackscale installs its helper scripts under /usr/local/lib/stackscale, which would otherwise land
# on this machine and be shared by every host of every run at the same time.
mkdir -p "$HOSTDIR/usr-local/upper" "$HOSTDIR/usr-local/work"
mount -t overlay overlay -o "lowerdir=/usr/local,upperdir=$HOSTDIR/usr-local/upper,workdir=$HOSTDIR/usr-local/work" /usr/local
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm
mount --bind "$HOSTDIR/root" /root
mount --bind "$HOSTDIR/home" /home
install -d -m 0755 /run/sshd /run/php
install -d -m 1777 /run/lock
install -d -m 0755 -o mysql -g mysql /run/mysqld
install -d -m 2775 -o redis -g redis /run/redis

# 3. identity: hostname, machine-id, /etc/hosts naming every host of this set, its own ed25519 host key only.
hostname "$NAME"
echo "$NAME" >/etc/hostname
od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >/etc/machine-id; echo >>/etc/machine-id
cp "$HOSTDIR/../etc-hosts" /etc/hosts
rm -f /etc/ssh/ssh_host_*
install -m 0600 "$HOSTDIR/ssh_host_ed25519_key" /etc/ssh/ssh_host_ed25519_key
install -m 0644 "$HOSTDIR/ssh_host_ed25519_key.pub" /etc/ssh/ssh_host_ed25519_key.pub

# 4. logins: root by key (authorized_keys prepared by hosts.sh), and `deploy` with the same key and sudo.
useradd --create-home --home-dir /home/deploy --shell /bin/bash deploy
usermod -p '*' deploy # not locked ("!"), so sshd without PAM accepts its key; still no password
install -d -m 0700 -o deploy -g deploy /home/deploy/.ssh
install -m 0600 -o deploy -g deploy /root/.ssh/authorized_keys /home/deploy/.ssh/authorized_keys
echo 'deploy ALL=(ALL) NOPASSWD:ALL' >/etc/sudoers.d/deploy
chmod 0440 /etc/sudoers.d/deploy

# Hide the harness's state (other hosts' dirs, the client's private key) from inside the host.
mount -t tmpfs -o mode=0755,size=1m tmpfs "$STATEROOT"

# 5. services, as a fresh VPS without systemd runs them: Debian's init scripts, all at once.
pids=()
has php-fpm && { service php8.2-fpm start & pids+=($!); }
has redis && { service redis-server start & pids+=($!); }
has mariadb && { service mariadb start & pids+=($!); }
has nginx && { service nginx start & pids+=($!); }
# ProxySQL's init script starts it as the proxysql user on /etc/proxysql.cnf (the package's sample: admin on
# 127.0.0.1:6032 as admin/admin, clients on 6033); its first start turns that file into /var/lib/proxysql/proxysql.db.
has proxysql && { service proxysql start & pids+=($!); }
for p in "${pids[@]}"; do wait "$p" || fail "a service init script failed (see above)"; done

# ... and answer (bounded).
deadline=$((SECONDS + 40))
wait_for() { # wait_for WHAT COMMAND...
  local what=$1; shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || fail "$what does not answer"
    sleep 0.1
  done
  log "$what answers"
}
fpm_up() {
  [[ -S /run/php/php8.2-fpm.sock ]] && kill -0 "$(cat /run/php/php8.2-fpm.pid)" &&
    php -n -r 'exit(@stream_socket_client("unix:///run/php/php8.2-fpm.sock") ? 0 : 1);'
}
has mariadb && wait_for mariadb mysqladmin --connect-timeout=2 ping
has redis && wait_for redis bash -c '[[ "$(timeout 2 redis-cli ping)" == PONG ]]'
has php-fpm && wait_for php-fpm fpm_up
has nginx && wait_for nginx bash -c 'exec 3<>/dev/tcp/127.0.0.1/80'
# The sample cnf's admin login; a host whose cnf was changed before it started is not ours to know.
has proxysql && wait_for proxysql bash -c '[[ "$(mysql -h 127.0.0.1 -P 6032 -u admin -padmin --connect-timeout=2 -N -e "SELECT 1" 2>/dev/null)" == 1 ]]'

# 6. sshd last, in the foreground, as PID 1 of the host.
echo "STACKSCALE-HOST-READY"
exec /usr/sbin/sshd -D -e \
  -o ListenAddress="$ADDR" -o UsePAM=no -o PermitRootLogin=prohibit-password \
  -o HostKey=/etc/ssh/ssh_host_ed25519_key -o PasswordAuthentication=no -o KbdInteractiveAuthentication=no

#!/usr/bin/env bash
# Real VPS-like test hosts on this machine (see test/hosts/README.md).
#
#   hosts.sh up     [--slot N] [SPEC...]   start hosts (default: h1:11:all h2:12:mariadb h3:13:mariadb)
#   hosts.sh down   [--slot N] [--force]   stop them and remove every trace (processes, links, mounts, files)
#   hosts.sh status                        what runs in which slot
#
# SPEC is NAME[:OCTET[:SERVICES]]: the host gets address 10.77.<slot>.<OCTET> (default 11, 12, ... in order);
# SERVICES is a comma list of mariadb,redis,php-fpm,nginx,proxysql, or `all` (the default: php-fpm,redis,mariadb)
# or `none` (sshd only).
# A slot is one bridge (ssbr<N>, 10.77.<N>.1/24) with its hosts; slots let test runs that happen at the same
# time use separate networks. A slot is taken by holding the flock on $ROOT/slot<N>.lock: `up` from this CLI
# leaves a `sleep` holding it until `down`; the TypeScript harness holds it itself and passes --locked.
# Needs root, iproute2, util-linux (unshare, flock), openssh-server/-client and the services' Debian packages.
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=${STACKSCALE_HOSTS_ROOT:-/srv/stackscale-test-hosts}
NET=${STACKSCALE_HOSTS_NET:-10.77}
READY_TIMEOUT=${STACKSCALE_HOSTS_TIMEOUT:-60}
DEFAULT_SPECS=(h1:11:all h2:12:mariadb h3:13:mariadb)
ALL_SERVICES=php-fpm,redis,mariadb
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

say() { echo "hosts.sh: $*" >&2; }
die() { say "error: $*"; exit 1; }
# shellcheck source=test/hosts/lib.sh
source "$HERE/lib.sh"

slot_dir() { echo "$ROOT/slot$1"; }
bridge_of() { echo "ssbr$1"; }

cleanup_slot() { hostlib_cleanup "$(slot_dir "$1")" "$(bridge_of "$1")" "^ss$1h[0-9]+c?\$"; }

check_prereqs() { # check_prereqs SERVICES...
  [[ $EUID -eq 0 ]] || die "must run as root (network namespaces, bridges and overlays need it)"
  local c missing=()
  for c in unshare setsid flock ip ssh-keygen findmnt /usr/sbin/sshd useradd; do command -v "$c" >/dev/null || missing+=("$c"); done
  for c in "$@"; do
    case $c in
      php-fpm) command -v php-fpm8.2 >/dev/null || missing+=(php8.2-fpm); command -v php >/dev/null || missing+=(php8.2-cli) ;;
      redis) command -v redis-server >/dev/null || missing+=(redis-server); command -v redis-cli >/dev/null || missing+=(redis-tools) ;;
      mariadb) command -v mariadbd >/dev/null || missing+=(mariadb-server); command -v mysqladmin >/dev/null || missing+=(mariadb-client) ;;
      nginx) command -v nginx >/dev/null || missing+=(nginx) ;;
      proxysql) { command -v proxysql >/dev/null && [[ -x /etc/init.d/proxysql ]] && id proxysql >/dev/null 2>&1; } || missing+=("proxysql (the ProxySQL 2.4.8 .deb, see .ci/run)"); command -v mysql >/dev/null || missing+=(mariadb-client) ;;
    esac
  done
  command -v sudo >/dev/null || missing+=(sudo)
  ((${#missing[@]} == 0)) || die "missing on this machine: ${missing[*]} (see .ci/run for the packages)"
  [[ -e /proc/self/ns/net ]] || die "no network namespaces here"
}

take_lock() { # take_lock N: flock the slot on fd 9, or fail
  mkdir -p "$ROOT"
  exec 9>"$ROOT/slot$1.lock"
  flock -w 5 9 || die "slot $1 is in use (a test run or an earlier 'up'); 'hosts.sh status', or use --slot"
}

cmd_up() {
  local slot=0 locked=0 specs=() a
  while (($#)); do
    case $1 in
      --slot) slot=$2; shift 2 ;;
      --locked) locked=1; shift ;;
      -*) die "unknown option $1" ;;
      *) specs+=("$1"); shift ;;
    esac
  done
  [[ $slot =~ ^[0-9]+$ ]] && ((slot < 250)) || die "bad slot $slot"
  ((${#specs[@]})) || specs=("${DEFAULT_SPECS[@]}")

  # Parse specs.
  local names=() octets=() services=() used=" " next=11 s name octet svc all_svcs=()
  for s in "${specs[@]}"; do
    IFS=: read -r name octet svc <<<"$s"
    [[ $name =~ ^[a-z][a-z0-9-]{0,30}$ ]] || die "bad host name '$name' in '$s'"
    [[ " ${names[*]} " != *" $name "* ]] || die "host name $name given twice"
    if [[ -z $octet ]]; then
      while [[ $used == *" $next "* ]]; do next=$((next + 1)); done
      octet=$next
    fi
    [[ $octet =~ ^[0-9]+$ ]] && ((octet >= 2 && octet <= 254)) || die "bad address octet '$octet' in '$s'"
    [[ $used != *" $octet "* ]] || die "address .$octet given twice"
    used+="$octet "
    case ${svc:-all} in all) svc=$ALL_SERVICES ;; none) svc= ;; esac
    for a in ${svc//,/ }; do
      case $a in php-fpm | redis | mariadb | nginx | proxysql) all_svcs+=("$a") ;; *) die "unknown service '$a' in '$s'" ;; esac
    done
    names+=("$name"); octets+=("$octet"); services+=("$svc")
  done
  check_prereqs "${all_svcs[@]}"
  ((locked)) || take_lock "$slot"

  local dir br gw t0=$SECONDS i
  dir=$(slot_dir "$slot"); br=$(bridge_of "$slot"); gw="$NET.$slot.1"
  cleanup_slot "$slot" # whatever an earlier, killed run left behind
  trap 'trap - ERR; say "start failed; cleaning up slot '"$slot"'"; cleanup_slot '"$slot"'' ERR
  trap 'cleanup_slot '"$slot"'; exit 130' INT TERM

  mkdir -p "$dir"; chmod 0700 "$dir"
  ssh-keygen -q -t ed25519 -N '' -C "stackscale-tests@slot$slot" -f "$dir/id_ed25519"
  {
    printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n'
    for i in "${!names[@]}"; do printf '%s\t%s\n' "$NET.$slot.${octets[$i]}" "${names[$i]}"; done
  } >"$dir/etc-hosts"

  hostlib_bridge "$br" "$gw"

  local hd addr veth
  for i in "${!names[@]}"; do
    name=${names[$i]}; hd=$dir/$name; addr=$NET.$slot.${octets[$i]}
    veth=ss${slot}h${octets[$i]}
    mkdir -p "$hd"/{etc/upper,etc/work,var/upper,var/work,root/.ssh,home}
    chmod 0700 "$hd/root" "$hd/root/.ssh"
    install -m 0600 "$dir/id_ed25519.pub" "$hd/root/.ssh/authorized_keys"
    ssh-keygen -q -t ed25519 -N '' -C "root@$name" -f "$hd/ssh_host_ed25519_key"
    printf '%s\n' "$addr" >"$hd/address"
    printf '%s\n' "${services[$i]}" >"$hd/services"
    hostlib_start "$hd" "$veth" "$br" "$HERE/inner.sh" "$hd" "$name" "$addr" 24 "${veth}c" "${services[$i]}" "$ROOT"
  done

  # Ready: the host reports its services answer, and sshd accepts a TCP connection on addr:22 (bounded).
  hostlib_wait_ready "$dir" "$READY_TIMEOUT" "${names[@]}"

  # What clients need: known_hosts with every host key, an ssh_config for people.
  hostlib_client_files "$dir" "${names[@]}"
  trap - ERR INT TERM

  ((locked)) || hostlib_hold "$ROOT" "$slot" # keep the slot taken after we exit: a sleep holds the lock until `down`
  say "slot $slot up in $((SECONDS - t0))s: $(for i in "${!names[@]}"; do printf '%s=%s ' "${names[$i]}" "$NET.$slot.${octets[$i]}"; done)"
  say "try: ssh -F $dir/ssh_config ${names[0]}"
}

cmd_down() { hostlib_down "$ROOT" "" "$@"; }

cmd_status() {
  local f n dir h
  [[ -d $ROOT ]] || { echo "no slots"; return 0; }
  for f in "$ROOT"/slot*.lock; do
    [[ -e $f ]] || continue
    n=${f##*/slot}; n=${n%.lock}; dir=$(slot_dir "$n")
    if flock -n "$f" true; then echo "slot $n: free${dir:+$([[ -d $dir ]] && echo ' (leftovers; hosts.sh down --slot '"$n"')')}"
    else echo "slot $n: in use"; fi
    for h in "$dir"/*/address; do [[ -f $h ]] && echo "  $(basename "$(dirname "$h")") $(<"$h") [$(<"$(dirname "$h")/services")]"; done
  done
  ip -br link show type bridge | grep -E '^ssbr' || true
}

case ${1:-} in
  up) shift; cmd_up "$@" ;;
  down) shift; cmd_down "$@" ;;
  status) cmd_status ;;
  *) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac

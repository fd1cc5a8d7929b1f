# Sourced by hosts.sh and fresh.sh (not run): what both kinds of test host share. A slot is one bridge with its hosts
# under one state directory; each host is a namespace started by `unshare` running the kind's own PID 1 script
# (inner.sh, fresh-inner.sh), which prints STACKSCALE-HOST-READY or STACKSCALE-HOST-FAILED to its log. The sourcing
# script defines say() and die() and runs with `set -Eeuo pipefail`: a failure inside these functions fires its ERR
# trap (which cleans the slot up) as a failure in the script itself would.
#
#   hostlib_cleanup DIR BRIDGE LINK_RE       kill the slot's processes, delete its links and bridge, unmount, remove DIR
#   hostlib_bridge BRIDGE GATEWAY            create the slot's bridge with this machine's address on it
#   hostlib_start HOSTDIR VETH BRIDGE SCRIPT ARGS...
#                                            start one host: `bash SCRIPT ARGS...` as PID 1 of new namespaces, its
#                                            log in HOSTDIR/log, then the veth pair into it (the host renames its end)
#   hostlib_wait_ready DIR TIMEOUT NAME...   until every host says READY and its sshd takes a TCP connection on
#                                            the address in DIR/NAME/address (fails with the logs otherwise)
#   hostlib_client_files DIR NAME...         DIR/known_hosts and DIR/ssh_config for the set
#   hostlib_hold ROOT SLOT                   keep the slot's lock (fd 9) after the script exits: a `sleep` holds it
#   hostlib_lock_for_down ROOT SLOT FORCE    release that holder and take the lock, or die (unless FORCE is 1)
#   hostlib_down ROOT KIND ARGS...           the `down` command of either script: [--slot N] [--locked] [--force], then
#                                            the sourcing script's cleanup_slot N; KIND names the set in its message

# Every process of the slot: the unshare wrappers, and everything inside each host's PID namespace.
hostlib_slot_pids() {
  local dir=$1 f ns=""
  for f in "$dir"/*/pidns; do [[ -f $f ]] && ns+="$(<"$f") "; done
  # (zombies are skipped: they hold nothing, and their reaper is not ours)
  ps -e -o pid=,stat=,pidns=,args= | awk -v dir="$dir/" -v ns=" $ns" -v me=$$ '
    $1 != me && $2 !~ /^Z/ && $4 != "awk" && (index($0, dir) || (ns ~ (" " $3 " ") && $3 != "-")) { print $1 }'
}

hostlib_cleanup() {
  local dir=$1 bridge=$2 link_re=$3 pids l
  # 1. processes: SIGKILL; killing a namespace's PID 1 takes the whole namespace (and its mounts) with it.
  for _ in $(seq 1 100); do
    pids=$(hostlib_slot_pids "$dir")
    [[ -z $pids ]] && break
    # shellcheck disable=SC2086
    kill -9 $pids 2>/dev/null || true
    sleep 0.1
  done
  [[ -z $(hostlib_slot_pids "$dir") ]] || say "warning: processes of $dir survived SIGKILL: $(hostlib_slot_pids "$dir" | tr '\n' ' ')"
  # 2. network: veths (a veth whose peer namespace died is already gone) and the bridge.
  for l in $(ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -E "$link_re" || true); do
    ip link del "$l" 2>/dev/null || true
  done
  ip link del "$bridge" 2>/dev/null || true
  # 3. mounts on this machine under the slot dir (there should be none: the hosts mount in their own namespace).
  { findmnt -rn -o TARGET | grep -F "$dir/" || true; } | sort -r | while read -r l; do umount -l "$l" || true; done
  # 4. files (the client key included).
  rm -rf "$dir"
}

hostlib_bridge() {
  ip link add "$1" type bridge
  ip addr add "$2/24" dev "$1"
  ip link set "$1" up
}

hostlib_start() {
  local hd=$1 veth=$2 bridge=$3 upid child
  shift 3
  setsid unshare --net --mount --pid --fork --uts --mount-proc bash "$@" </dev/null >"$hd/log" 2>&1 9>&- &
  upid=$!
  echo "$upid" >"$hd/pid"
  # unshare forks the namespace's PID 1; the veth goes into that child's network namespace.
  child=
  for _ in $(seq 1 250); do child=$(pgrep -P "$upid" | head -n1) && [[ -n $child ]] && break; sleep 0.02; done
  [[ -n $child ]] || { cat "$hd/log" >&2; die "$(basename "$hd"): unshare did not start its namespace"; }
  stat -Lc %i "/proc/$child/ns/pid" >"$hd/pidns"
  ip link add "$veth" type veth peer name "${veth}c"
  ip link set "$veth" master "$bridge" up
  ip link set "${veth}c" netns "$child"
}

hostlib_wait_ready() {
  local dir=$1 timeout=$2 pending left name hd deadline
  shift 2
  pending=("$@")
  deadline=$((SECONDS + timeout))
  while ((${#pending[@]})); do
    left=()
    for name in "${pending[@]}"; do
      hd=$dir/$name
      if grep -q '^STACKSCALE-HOST-FAILED' "$hd/log" || ! kill -0 "$(<"$hd/pid")" 2>/dev/null; then
        say "host $name failed to start; its log:"; sed 's/^/    /' "$hd/log" >&2
        false
      fi
      grep -q '^STACKSCALE-HOST-READY' "$hd/log" && timeout 1 bash -c "</dev/tcp/$(<"$hd/address")/22" 2>/dev/null && continue
      left+=("$name")
    done
    pending=("${left[@]}")
    ((${#pending[@]})) || break
    if ((SECONDS >= deadline)); then
      for name in "${pending[@]}"; do say "host $name not ready after ${timeout}s; its log:"; sed 's/^/    /' "$dir/$name/log" >&2; done
      false
    fi
    sleep 0.1
  done
}

hostlib_client_files() {
  local dir=$1 name addr
  shift
  : >"$dir/known_hosts"; : >"$dir/ssh_config"
  for name in "$@"; do
    addr=$(<"$dir/$name/address")
    printf '%s %s\n' "$addr" "$(cut -d' ' -f1-2 "$dir/$name/ssh_host_ed25519_key.pub")" >>"$dir/known_hosts"
    printf 'Host %s\n  HostName %s\n  User root\n  IdentityFile %s\n  IdentitiesOnly yes\n  UserKnownHostsFile %s\n  StrictHostKeyChecking yes\n\n' \
      "$name" "$addr" "$dir/id_ed25519" "$dir/known_hosts" >>"$dir/ssh_config"
  done
}

hostlib_hold() {
  setsid sleep infinity </dev/null >/dev/null 2>&1 &
  echo $! >"$1/slot$2.holder"
}

hostlib_lock_for_down() {
  local root=$1 slot=$2 force=$3 holder=$1/slot$2.holder hp
  if [[ -f $holder ]]; then
    hp=$(<"$holder")
    [[ $(tr '\0' ' ' 2>/dev/null <"/proc/$hp/cmdline") == "sleep infinity " ]] && kill "$hp" 2>/dev/null || true
    rm -f "$holder"
  fi
  mkdir -p "$root"; exec 9>"$root/slot$slot.lock"
  flock -w 2 9 || ((force)) || die "slot $slot is held by a running test run; not touching it (--force to tear it down anyway)"
}

hostlib_down() {
  local root=$1 kind=$2 slot=0 locked=0 force=0
  shift 2
  while (($#)); do
    case $1 in
      --slot) slot=$2; shift 2 ;;
      --locked) locked=1; shift ;;
      --force) force=1; shift ;;
      *) die "unknown argument $1" ;;
    esac
  done
  [[ $slot =~ ^[0-9]+$ ]] || die "bad slot $slot"
  [[ $EUID -eq 0 ]] || die "must run as root"
  ((locked)) || hostlib_lock_for_down "$root" "$slot" "$force"
  cleanup_slot "$slot"
  say "${kind}slot $slot down"
}

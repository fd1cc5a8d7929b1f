#!/usr/bin/env bash
# Fresh-image test hosts: new VPSes with nothing but sshd, booted from the cached minimal Debian 12 image that
# image.sh builds, with the test repositories served on their bridge (see test/hosts/README.md, "Fresh-image hosts").
#
#   fresh.sh up   [--slot N] [--locked] NAME[:OCTET]...   start hosts (address 10.78.<slot>.<OCTET>, default 11, 12, ...)
#   fresh.sh down [--slot N] [--locked] [--force]         stop them and remove every trace
#
# Separate from hosts.sh: its own slots (lock $ROOT/slot<N>.lock), bridge ssfb<N>, network 10.78.<N>.0/24. Each slot
# serves the image's repositories at http://10.78.<N>.1:8080/debian/ (unsigned, the hosts' "distribution mirror",
# already in their sources) and http://10.78.<N>.1:8080/proxysql/ (signed with the cache's proxysql-key.asc).
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=${STACKSCALE_FRESH_ROOT:-/srv/stackscale-fresh-hosts}
NET=${STACKSCALE_FRESH_NET:-10.78}
READY_TIMEOUT=${STACKSCALE_HOSTS_TIMEOUT:-60}
REPO_PORT=8080
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

say() { echo "fresh.sh: $*" >&2; }
die() { say "error: $*"; exit 1; }

# shellcheck source=test/hosts/lib.sh
source "$HERE/lib.sh"

cleanup_slot() {
  local dir=$ROOT/slot$1
  # the repository server, by its pid: its args name the image, not the slot dir, so the slot's process scan misses it
  [[ -f $dir/repo.pid ]] && kill "$(<"$dir/repo.pid")" 2>/dev/null || true
  hostlib_cleanup "$dir" "ssfb$1" "^sf$1h[0-9]+c?\$"
}

cmd_up() {
  local slot=0 locked=0 specs=()
  while (($#)); do
    case $1 in
      --slot) slot=$2; shift 2 ;;
      --locked) locked=1; shift ;;
      -*) die "unknown option $1" ;;
      *) specs+=("$1"); shift ;;
    esac
  done
  [[ $EUID -eq 0 ]] || die "must run as root"
  [[ $slot =~ ^[0-9]+$ ]] && ((slot < 250)) || die "bad slot $slot"
  ((${#specs[@]})) || die "no hosts given"
  local image
  image=$(bash "$HERE/image.sh" path 2>/dev/null) || die "the fresh-host image is not built: run 'test/hosts/image.sh ensure' (as .ci/run does)"
  if ((!locked)); then
    mkdir -p "$ROOT"; exec 9>"$ROOT/slot$slot.lock"
    flock -w 5 9 || die "slot $slot is in use"
  fi

  local names=() octets=() next=11 s name octet used=" "
  for s in "${specs[@]}"; do
    IFS=: read -r name octet <<<"$s"
    [[ $name =~ ^[a-z][a-z0-9-]{0,30}$ ]] || die "bad host name '$name'"
    if [[ -z $octet ]]; then while [[ $used == *" $next "* ]]; do next=$((next + 1)); done; octet=$next; fi
    [[ $octet =~ ^[0-9]+$ ]] && ((octet >= 2 && octet <= 254)) || die "bad octet '$octet'"
    used+="$octet "; names+=("$name"); octets+=("$octet")
  done

  local dir=$ROOT/slot$slot br=ssfb$slot gw=$NET.$slot.1 t0=$SECONDS i hd addr veth
  cleanup_slot "$slot"
  trap 'trap - ERR; say "start failed; cleaning up slot '"$slot"'"; cleanup_slot '"$slot"'' ERR
  trap 'cleanup_slot '"$slot"'; exit 130' INT TERM
  mkdir -p "$dir"; chmod 0700 "$dir"
  ssh-keygen -q -t ed25519 -N '' -C "stackscale-fresh@slot$slot" -f "$dir/id_ed25519"
  {
    printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n'
    for i in "${!names[@]}"; do printf '%s\t%s\n' "$NET.$slot.${octets[$i]}" "${names[$i]}"; done
  } >"$dir/etc-hosts"
  printf '%s\n' "$image" >"$dir/image"
  hostlib_bridge "$br" "$gw"

  # The repositories, on the bridge only (the hosts have no other route).
  setsid /usr/bin/python3 -m http.server "$REPO_PORT" --bind "$gw" --directory "$image/repo" \
    </dev/null >"$dir/repo.log" 2>&1 9>&- &
  echo $! >"$dir/repo.pid"

  for i in "${!names[@]}"; do
    name=${names[$i]}; hd=$dir/$name; addr=$NET.$slot.${octets[$i]}; veth=sf${slot}h${octets[$i]}
    mkdir -p "$hd"/{upper,work,merged}
    ssh-keygen -q -t ed25519 -N '' -C "root@$name" -f "$hd/ssh_host_ed25519_key"
    printf '%s\n' "$addr" >"$hd/address"
    hostlib_start "$hd" "$veth" "$br" "$HERE/fresh-inner.sh" "$hd" "$name" "$addr" "${veth}c" "$image/rootfs" "http://$gw:$REPO_PORT/debian"
  done

  hostlib_wait_ready "$dir" "$READY_TIMEOUT" "${names[@]}"
  timeout 5 bash -c "until </dev/tcp/$gw/$REPO_PORT; do sleep 0.1; done" 2>/dev/null || { cat "$dir/repo.log" >&2; false; }
  hostlib_client_files "$dir" "${names[@]}"
  trap - ERR INT TERM
  ((locked)) || hostlib_hold "$ROOT" "$slot"
  say "fresh slot $slot up in $((SECONDS - t0))s: $(for i in "${!names[@]}"; do printf '%s=%s ' "${names[$i]}" "$NET.$slot.${octets[$i]}"; done)"
}

cmd_down() { hostlib_down "$ROOT" "fresh " "$@"; }

case ${1:-} in
  up) shift; cmd_up "$@" ;;
  down) shift; cmd_down "$@" ;;
  *) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac

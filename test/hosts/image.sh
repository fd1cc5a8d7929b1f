#!/usr/bin/env bash
# The fresh-image test hosts' image and package repositories, built once and cached on disk (see test/hosts/README.md).
#
#   image.sh ensure    build what is missing (minutes the first time, nothing after), print the cache directory
#   image.sh path      print the cache directory it would use (exit 1 when it is not built)
#   image.sh prune     remove cached builds other than the current one
#
# The cache directory holds:
#   rootfs/            a minimal Debian 12 (mmdebstrap --variant=minbase) with sshd: a new VPS with nothing installed
#   repo/debian/       a flat APT repository with exactly the .debs the roles need that the image lacks (unsigned,
#                      standing in for the provider's Debian mirror)
#   repo/proxysql/     a flat APT repository holding ProxySQL, signed with a throw-away key (as ProxySQL's own is)
#   proxysql-key.asc   that key (ASCII-armoured public key); fingerprint in proxysql-key.fpr
#   other-key.asc      a second throw-away key that did not sign anything (key mismatch tests); other-key.fpr
# The directory's name is a hash of the package lists, the ProxySQL .deb and FORMAT below, so a change to any of
# them builds a new one. It lives outside the checkout (CI clones afresh) under $STACKSCALE_IMAGE_CACHE.
# Needs root, mmdebstrap, dpkg-dev, apt-utils, gnupg and network access to a Debian mirror (only when building).
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE_ROOT=${STACKSCALE_IMAGE_CACHE:-/var/cache/stackscale-test-images}
MIRROR=${STACKSCALE_IMAGE_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
# Bump when build() changes what it produces (the key covers the package lists and the ProxySQL .deb already).
FORMAT=1
PROXYSQL_DEB=${STACKSCALE_PROXYSQL_DEB:-$HERE/../../../shared/proxysql/proxysql_2.4.8_amd64.deb}
# What a new VPS has: minbase plus sshd (systemd-sysv installed, as on a real one, but it is not PID 1 here).
IMAGE_PACKAGES=openssh-server,systemd-sysv,iproute2,procps
# What the roles install from the distribution (web, cache, db-primary/replica, and proxysql's dependency + client).
REPO_PACKAGES=(nginx php8.2-fpm php8.2-mysql php8.2-redis php8.2-opcache redis-server mariadb-server mariadb-client libcivetweb1)
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C.UTF-8

say() { echo "image.sh: $*" >&2; }
die() { say "error: $*"; exit 1; }

cache_key() {
  [[ -r $PROXYSQL_DEB ]] || die "no ProxySQL package at $PROXYSQL_DEB (set STACKSCALE_PROXYSQL_DEB)"
  {
    echo "$SUITE $MIRROR $IMAGE_PACKAGES ${REPO_PACKAGES[*]}"
    sha256sum <"$PROXYSQL_DEB"
    echo "format $FORMAT"
  } | sha256sum | cut -c1-16
}

build() { # build DIR: everything into DIR (a temp dir renamed into place by the caller)
  local dir=$1 t0=$SECONDS
  for c in mmdebstrap dpkg-scanpackages apt-ftparchive gpg; do
    command -v "$c" >/dev/null || die "missing $c (packages mmdebstrap dpkg-dev apt-utils gnupg; see .ci/run)"
  done
  say "building the fresh-host image in $dir (a few minutes)"
  mmdebstrap --quiet --variant=minbase --include="$IMAGE_PACKAGES" "$SUITE" "$dir/rootfs" "$MIRROR"

  # The .debs a fresh host lacks, resolved by the image's own apt (so exactly its missing dependencies), in a
  # throw-away overlay of the image.
  local work=$dir/work
  mkdir -p "$work"/{upper,work,merged} "$dir/repo/debian" "$dir/repo/proxysql"
  cp "$PROXYSQL_DEB" "$work/proxysql.deb"
  unshare --mount --fork bash -euo pipefail -c '
    d=$1; shift
    mount --make-rprivate /
    mount -t overlay overlay -o "lowerdir=$d/../rootfs,upperdir=$d/upper,workdir=$d/work" "$d/merged"
    mount -t proc proc "$d/merged/proc"
    mount --rbind /dev "$d/merged/dev"
    cp /etc/resolv.conf "$d/merged/etc/resolv.conf"
    cp "$d/proxysql.deb" "$d/merged/tmp/proxysql_amd64.deb"
    chroot "$d/merged" apt-get -q update
    chroot "$d/merged" apt-get install -q -y --download-only --no-install-recommends "$@" /tmp/proxysql_amd64.deb
  ' build "$work" "${REPO_PACKAGES[@]}" >"$dir/build.log" 2>&1 || { tail -n 30 "$dir/build.log" >&2; die "downloading the packages failed"; }
  find "$work/upper/var/cache/apt/archives" -maxdepth 1 -name '*.deb' ! -name 'proxysql_*' -exec cp {} "$dir/repo/debian/" \;
  rm -rf "$work"
  (cd "$dir/repo/debian" && dpkg-scanpackages -m . /dev/null >Packages 2>/dev/null && gzip -9kn Packages)

  # ProxySQL's repository: signed with a throw-away key, as ProxySQL's own repository is.
  cp "$PROXYSQL_DEB" "$dir/repo/proxysql/"
  local gh
  gh=$(mktemp -d)
  (
    export GNUPGHOME=$gh
    for k in proxysql other; do
      gpg --batch --quiet --pinentry-mode loopback --passphrase '' \
        --quick-gen-key "stackscale test $k repository <$k@stackscale.test>" ed25519 sign never
      fpr=$(gpg --batch --with-colons --list-keys "$k@stackscale.test" | awk -F: '$1 == "fpr" { print $10; exit }')
      gpg --batch --armor --export "$fpr" >"$dir/$k-key.asc"
      echo "$fpr" >"$dir/$k-key.fpr"
    done
    cd "$dir/repo/proxysql"
    dpkg-scanpackages -m . /dev/null >Packages 2>/dev/null
    gzip -9kn Packages
    apt-ftparchive -o APT::FTPArchive::Release::Origin=stackscale-test release . >Release
    gpg --batch --yes --local-user "$(<"$dir/proxysql-key.fpr")" --clearsign -o InRelease Release
    gpg --batch --yes --local-user "$(<"$dir/proxysql-key.fpr")" --armor --detach-sign -o Release.gpg Release
  )
  rm -rf "$gh"

  # A fresh VPS: empty package lists, and no sources yet (the hosts point at repo/debian when they start).
  rm -rf "$dir/rootfs/var/lib/apt/lists/"* "$dir/rootfs/var/cache/apt/"*.bin
  rm -f "$dir/rootfs/etc/apt/sources.list" "$dir/rootfs/etc/apt/sources.list.d/"*
  say "built in $((SECONDS - t0)) s: $(ls "$dir/repo/debian" | grep -c '\.deb$') .debs, image $(du -sh "$dir/rootfs" | cut -f1)"
}

cmd_ensure() {
  [[ $EUID -eq 0 ]] || die "must run as root (mmdebstrap, chroot, overlays)"
  local key dir
  key=$(cache_key); dir=$CACHE_ROOT/$key
  mkdir -p "$CACHE_ROOT"
  exec 8>"$CACHE_ROOT/build.lock"
  flock -w 1800 8 || die "another build holds $CACHE_ROOT/build.lock"
  if [[ ! -e $dir/ready ]]; then
    rm -rf "$dir.tmp" "$dir"
    mkdir -p "$dir.tmp"
    trap 'rm -rf "'"$dir.tmp"'"' ERR INT TERM
    build "$dir.tmp"
    touch "$dir.tmp/ready"
    mv "$dir.tmp" "$dir"
    trap - ERR INT TERM
  fi
  echo "$dir"
}

cmd_path() {
  local dir
  dir=$CACHE_ROOT/$(cache_key)
  [[ -e $dir/ready ]] || { say "not built: $dir (image.sh ensure)"; echo "$dir"; return 1; }
  echo "$dir"
}

cmd_prune() {
  local keep d
  keep=$CACHE_ROOT/$(cache_key)
  for d in "$CACHE_ROOT"/*/; do
    d=${d%/}
    [[ $d == "$keep" ]] && continue
    say "removing $d"; rm -rf "$d"
  done
}

case ${1:-} in
  ensure) cmd_ensure ;;
  path) cmd_path ;;
  prune) cmd_prune ;;
  *) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac

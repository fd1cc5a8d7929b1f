#!/usr/bin/env bash
# PID 1 of one fresh-image test host, inside `unshare --net --mount --pid --fork --uts --mount-proc`; started by
# fresh.sh. Mounts a copy-on-write overlay of the cached image, gives it an identity and the test distribution
# mirror, then runs sshd chrooted into it. Nothing else runs: a new VPS as a provider hands it over.
#
#   fresh-inner.sh HOSTDIR NAME ADDR IFNAME ROOTFS MIRROR_URL
set -euo pipefail

HOSTDIR=$1 NAME=$2 ADDR=$3 IFNAME=$4 ROOTFS=$5 MIRROR=$6
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
fail() { echo "STACKSCALE-HOST-FAILED: $*"; exit 1; }

for _ in $(seq 1 100); do ip link show "$IFNAME" >/dev/null 2>&1 && break; sleep 0.05; done
ip link show "$IFNAME" >/dev/null 2>&1 || fail "interface $IFNAME never arrived"
ip link set "$IFNAME" name eth0
ip addr add "$ADDR/24" dev eth0
ip link set lo up
ip link set eth0 up

M=$HOSTDIR/merged
mount --make-rprivate /
mount -t overlay overlay -o "lowerdir=$ROOTFS,upperdir=$HOSTDIR/upper,workdir=$HOSTDIR/work" "$M" || fail "overlay mount"
mount -t proc proc "$M/proc"
mount -t sysfs sysfs "$M/sys" 2>/dev/null || true
mount --rbind /dev "$M/dev"
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs "$M/run"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$M/tmp"
install -d -m 0755 "$M/run/sshd"
install -d -m 1777 "$M/run/lock"

hostname "$NAME"
echo "$NAME" >"$M/etc/hostname"
cp "$HOSTDIR/../etc-hosts" "$M/etc/hosts"
od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$M/etc/machine-id"; echo >>"$M/etc/machine-id"
# Its own host key only (the image's, made when it was built, would be shared by every host).
rm -f "$M"/etc/ssh/ssh_host_*
install -m 0600 "$HOSTDIR/ssh_host_ed25519_key" "$M/etc/ssh/ssh_host_ed25519_key"
install -m 0644 "$HOSTDIR/ssh_host_ed25519_key.pub" "$M/etc/ssh/ssh_host_ed25519_key.pub"
install -d -m 0700 "$M/root/.ssh"
install -m 0600 "$HOSTDIR/../id_ed25519.pub" "$M/root/.ssh/authorized_keys"
# The provider's distribution mirror; unsigned here (trusted=yes), unlike the ProxySQL repository the tests add.
echo "deb [trusted=yes] $MIRROR ./" >"$M/etc/apt/sources.list.d/debian.list"

echo "STACKSCALE-HOST-READY"
exec chroot "$M" /usr/sbin/sshd -D -e \
  -o ListenAddress="$ADDR" -o UsePAM=no -o PermitRootLogin=prohibit-password \
  -o HostKey=/etc/ssh/ssh_host_ed25519_key -o PasswordAuthentication=no -o KbdInteractiveAuthentication=no

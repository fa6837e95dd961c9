#!/usr/bin/env bash
# Build the Debian root filesystem that scripts/nspawn.sh boots with a real
# systemd (PID 1 on the test hosts is not systemd), for berth's systemd e2e
# tests: systemd + podman 4.3 (runc, netavark, aardvark-dns), configured for
# nested use. About a minute the first time; a no-op when up to date.
#
#   scripts/build-systemd-rootfs.sh           build if missing or outdated
#   scripts/build-systemd-rootfs.sh --force   rebuild
#   env: BERTH_NSPAWN_ROOTFS (default /var/cache/berth/nspawn-rootfs),
#        BERTH_DEBIAN_MIRROR (default: the URIs: line of apt's debian.sources)
#
# The rootfs is never booted directly: nspawn.sh puts a throw-away overlay on
# top of it for every boot, so it stays clean. The recipe's hash is stored in
# ROOTFS/.berth-recipe; a rootfs with the current hash is not rebuilt.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROOTFS=${BERTH_NSPAWN_ROOTFS:-$BERTH_CACHE_DIR/nspawn-rootfs}
RECIPE_VERSION=2
SUITE=bookworm
PACKAGES=systemd,systemd-sysv,dbus,podman,runc,conmon,netavark,aardvark-dns,catatonit,iptables,iproute2,procps,golang-github-containers-common
# Rootless podman for the user-scope e2e (systemd_user_test.go): newuidmap/
# newgidmap, slirp4netns for rootless networking, fuse-overlayfs, a user
# D-Bus (dbus-user-session: /run/user/UID/bus) and logind's PAM session.
PACKAGES+=,uidmap,slirp4netns,fuse-overlayfs,dbus-user-session,libpam-systemd
# Units that would only add noise or wait for consoles in a test container.
MASKED_UNITS=(
	apt-daily.timer apt-daily.service apt-daily-upgrade.timer apt-daily-upgrade.service
	e2scrub_all.timer e2scrub_all.service e2scrub_reap.service
	getty@.service serial-getty@.service console-getty.service getty.target
	dpkg-db-backup.timer fstrim.timer man-db.timer podman-auto-update.timer
)

usage() {
	sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"
	exit "${1:-0}"
}

# configure_rootfs ROOT: make the debootstrapped tree fit for booting under
# systemd-nspawn and running podman inside (see
# /work/shared/facts/podman-on-these-machines.md for why each setting).
configure_rootfs() {
	local root=$1 u
	mkdir -p "$root/etc/containers"
	cat >"$root/etc/containers/containers.conf" <<-'EOF'
		# berth systemd e2e rootfs (scripts/build-systemd-rootfs.sh): crun cannot
		# run here (cgroup v1 hybrid host, no CAP_SYS_RESOURCE), runc can.
		[containers]
		default_ulimits = ["nofile=1024:1024","nproc=1000:1000"]
		pids_limit = 0

		[engine]
		runtime = "runc"

		[network]
		default_subnet = "10.99.0.0/16"
	EOF
	# Rootless podman's slirp4netns opens /dev/net/tun, which nspawn copies
	# from the host with mode 0600 (no udev here to make it 0666).
	mkdir -p "$root/etc/tmpfiles.d"
	echo 'z /dev/net/tun 0666 - - -' >"$root/etc/tmpfiles.d/berth-tun.conf"
	# Empty machine-id: systemd makes up a transient one at every boot.
	: >"$root/etc/machine-id"
	rm -f "$root/var/lib/dbus/machine-id"
	echo berth-e2e >"$root/etc/hostname"
	for u in "${MASKED_UNITS[@]}"; do
		ln -sfn /dev/null "$root/etc/systemd/system/$u"
	done
	rm -rf "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
	find "$root/var/log" -type f -delete
}

recipe_hash() {
	{
		echo "recipe=$RECIPE_VERSION suite=$SUITE packages=$PACKAGES"
		declare -f configure_rootfs run_debootstrap
		printf '%s\n' "${MASKED_UNITS[@]}"
	} | sha_of_stdin
}

# running_instances: nspawn.sh instances whose nspawn process is alive.
running_instances() {
	local f
	for f in "$BERTH_CACHE_DIR"/nspawn/*/nspawn.pid; do
		[[ -e $f ]] || continue
		if kill -0 "$(cat "$f")" 2>/dev/null; then
			basename "$(dirname "$f")"
		fi
	done
}

build() {
	local hash work t0=$SECONDS busy
	hash=$(recipe_hash)
	if [[ $FORCE == 0 && -r $ROOTFS/.berth-recipe && $(cat "$ROOTFS/.berth-recipe") == "$hash" ]]; then
		return 0
	fi
	busy=$(running_instances | tr '\n' ' ')
	if [[ -n $busy && -e $ROOTFS ]]; then
		die "cannot replace $ROOTFS while nspawn.sh instances are running on it: $busy(stop them with scripts/nspawn.sh --name NAME stop)"
	fi
	mkdir -p "$BERTH_CACHE_DIR/tmp"
	work=$(mktemp -d "$BERTH_CACHE_DIR/tmp/nspawn-rootfs.XXXXXX")
	WORK=$work
	log "debootstrap $SUITE with systemd and podman from $(debian_mirror) (about a minute)"
	# The log goes next to the cache, so it survives the cleanup of $work.
	run_debootstrap "$SUITE" "$work/root" "$PACKAGES" "$BERTH_CACHE_DIR/nspawn-rootfs-debootstrap.log"
	configure_rootfs "$work/root"
	echo "$hash" >"$work/root/.berth-recipe"
	if [[ -e $ROOTFS ]]; then
		mv "$ROOTFS" "$work/old"
	fi
	mkdir -p "$(dirname "$ROOTFS")"
	mv "$work/root" "$ROOTFS"
	safe_rm_tree "$work"
	WORK=
	log "built $ROOTFS ($(du -sh --one-file-system "$ROOTFS" | cut -f1)) in $(elapsed "$t0")"
}

main() {
	FORCE=0 WORK=
	while (($#)); do
		case $1 in
		--force) FORCE=1 ;;
		-h | --help) usage 0 ;;
		*)
			log "unknown argument '$1'"
			usage 2
			;;
		esac
		shift
	done
	require_root
	with_lock build-systemd-rootfs
	trap '[[ -z $WORK ]] || safe_rm_tree "$WORK"' EXIT
	build
}

main "$@"

#!/usr/bin/env bash
# Build the Debian root filesystem that scripts/nspawn.sh boots with a real
# systemd (PID 1 on the test hosts is not systemd), for berth's systemd e2e
# tests: systemd + podman 4.3 (runc, netavark, aardvark-dns), configured for
# nested use. About a minute the first time; a no-op when up to date.
#
#   scripts/build-systemd-rootfs.sh           build if missing or outdated
#   scripts/build-systemd-rootfs.sh --force   rebuild
#   scripts/build-systemd-rootfs.sh --suite sid
#        the second test host instead: Debian sid with podman 5.8 (and its
#        own quadlet generator), systemd 26x (booted with the unified cgroup
#        hierarchy by nspawn.sh), crun + runc, passt, and a lingering
#        non-root user "alice" with subordinate ids (see configure_sid)
#   env: BERTH_NSPAWN_ROOTFS (default /var/cache/berth/nspawn-rootfs),
#        BERTH_SID_ROOTFS (default /var/cache/berth/sid-rootfs),
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
SID_ROOTFS=${BERTH_SID_ROOTFS:-$BERTH_CACHE_DIR/sid-rootfs}
SID_RECIPE_VERSION=1
# sid: podman 5.8 runs crun by default; passt (pasta) is its rootless
# network; the user manager needs dbus-user-session and logind's PAM session.
SID_PACKAGES=systemd,systemd-sysv,dbus,podman,crun,runc,conmon,netavark,aardvark-dns,catatonit,iptables,nftables,iproute2,procps
SID_PACKAGES+=,uidmap,passt,slirp4netns,dbus-user-session,libpam-systemd
# The lingering non-root user of the sid rootfs and its subordinate ids.
SID_USER=alice SID_UID=1000 SID_SUBIDS=100000:65536
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

# configure_sid ROOT: the sid host. What differs from bookworm's, measured
# (/work/shared/facts/real-parts.md): systemd >= 256 refuses cgroup v1, so
# nspawn.sh boots it with the unified hierarchy, which has no cpu/memory/pids
# controllers here: podman needs pids_limit = 0 (else the runtime fails on
# pids.max). crun stays podman's default runtime (runc is installed too).
# A lingering user with subordinate ids runs rootless podman under its user
# manager; rootless podman 5.8 uses pasta (passt) for networks.
configure_sid() {
	local root=$1 u
	mkdir -p "$root/etc/containers"
	cat >"$root/etc/containers/containers.conf" <<-'EOF'
		# berth sid test host (scripts/build-systemd-rootfs.sh --suite sid):
		# nspawn's unified cgroup hierarchy has no pids controller here, and
		# the host gives no CAP_SYS_RESOURCE to raise rlimits.
		[containers]
		default_ulimits = ["nofile=1024:1024","nproc=1000:1000"]
		pids_limit = 0

		[network]
		default_subnet = "10.98.0.0/16"
	EOF
	mkdir -p "$root/etc/tmpfiles.d"
	echo 'z /dev/net/tun 0666 - - -' >"$root/etc/tmpfiles.d/berth-tun.conf"
	: >"$root/etc/machine-id"
	rm -f "$root/var/lib/dbus/machine-id"
	echo berth-sid >"$root/etc/hostname"
	for u in "${MASKED_UNITS[@]}"; do
		ln -sfn /dev/null "$root/etc/systemd/system/$u"
	done
	# --private-network leaves only loopback, which is all the network there
	# is: reach network-online.target at boot. Without it podman 5's user
	# services wait 90 s each in podman-user-wait-network-online.service,
	# which polls `systemctl is-active network-online.target`.
	mkdir -p "$root/etc/systemd/system/multi-user.target.wants"
	ln -sfn /usr/lib/systemd/system/network-online.target "$root/etc/systemd/system/multi-user.target.wants/network-online.target"
	chroot "$root" useradd -m -s /bin/bash -u "$SID_UID" -U "$SID_USER"
	for u in subuid subgid; do
		grep -v "^$SID_USER:" "$root/etc/$u" >"$root/etc/$u.new" || true
		echo "$SID_USER:$SID_SUBIDS" >>"$root/etc/$u.new"
		mv "$root/etc/$u.new" "$root/etc/$u"
	done
	mkdir -p "$root/var/lib/systemd/linger"
	: >"$root/var/lib/systemd/linger/$SID_USER"
	# The user's image store: not under /home, which is on nspawn.sh's
	# overlay (rootless podman's native overlay cannot stack on it, and
	# without fuse-overlayfs it fails), but in the per-boot ext4 bind at
	# /var/lib/containers, made at boot.
	echo "d /var/lib/containers/users/$SID_USER 0700 $SID_USER $SID_USER -" >"$root/etc/tmpfiles.d/berth-user-store.conf"
	mkdir -p "$root/home/$SID_USER/.config/containers"
	cat >"$root/home/$SID_USER/.config/containers/storage.conf" <<-EOF
		[storage]
		driver = "overlay"
		graphroot = "/var/lib/containers/users/$SID_USER/storage"
	EOF
	chroot "$root" chown -R "$SID_USER:$SID_USER" "/home/$SID_USER/.config"
	rm -rf "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
	find "$root/var/log" -type f -delete
}

recipe_hash() {
	if [[ $SUITE == sid ]]; then
		{
			echo "recipe=$SID_RECIPE_VERSION suite=$SUITE packages=$SID_PACKAGES user=$SID_USER:$SID_UID:$SID_SUBIDS"
			declare -f configure_sid run_debootstrap
			printf '%s\n' "${MASKED_UNITS[@]}"
		} | sha_of_stdin
		return
	fi
	{
		echo "recipe=$RECIPE_VERSION suite=$SUITE packages=$PACKAGES"
		declare -f configure_rootfs run_debootstrap
		printf '%s\n' "${MASKED_UNITS[@]}"
	} | sha_of_stdin
}

# running_instances: nspawn.sh instances on $ROOTFS whose nspawn process is
# alive (nspawn.sh records each instance's rootfs; an older nspawn.sh did
# not, and booted only the bookworm one).
running_instances() {
	local f r
	for f in "$BERTH_CACHE_DIR"/nspawn/*/nspawn.pid; do
		[[ -e $f ]] || continue
		r=$(cat "$(dirname "$f")/rootfs" 2>/dev/null) || r=${BERTH_NSPAWN_ROOTFS:-$BERTH_CACHE_DIR/nspawn-rootfs}
		[[ $r == "$ROOTFS" ]] || continue
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
	work=$(mktemp -d "$BERTH_CACHE_DIR/tmp/$(basename "$ROOTFS").XXXXXX")
	WORK=$work
	log "debootstrap $SUITE with systemd and podman from $(debian_mirror) (about a minute)"
	# The log goes next to the cache, so it survives the cleanup of $work.
	if [[ $SUITE == sid ]]; then
		run_debootstrap "$SUITE" "$work/root" "$SID_PACKAGES" "$BERTH_CACHE_DIR/sid-rootfs-debootstrap.log"
		configure_sid "$work/root"
	else
		run_debootstrap "$SUITE" "$work/root" "$PACKAGES" "$BERTH_CACHE_DIR/nspawn-rootfs-debootstrap.log"
		configure_rootfs "$work/root"
	fi
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
		--suite)
			case ${2:-} in
			bookworm) ;;
			sid) SUITE=sid ROOTFS=$SID_ROOTFS ;;
			*) die "--suite: bookworm or sid, not '${2:-}'" ;;
			esac
			shift
			;;
		-h | --help) usage 0 ;;
		*)
			log "unknown argument '$1'"
			usage 2
			;;
		esac
		shift
	done
	require_root
	if [[ $SUITE == sid ]]; then
		with_lock build-sid-rootfs
	else
		with_lock build-systemd-rootfs
	fi
	trap '[[ -z $WORK ]] || safe_rm_tree "$WORK"' EXIT
	build
}

main "$@"

#!/usr/bin/env bash
# Prepare a Debian 12 host for berth's tests; quiet and changing nothing when
# the host is already fine. Needs root; works without a terminal (CI=true).
#
#   scripts/setup-host.sh           install what is missing, fix podman if needed
#   scripts/setup-host.sh --check   only report; change nothing (exit 1 if not ready)
#
# 1. Installs the Debian packages that are missing (apt-get update only then):
#      podman runc aardvark-dns iproute2          containers, networks with DNS
#      systemd-container debootstrap              systemd e2e rootfs, pg image
# 2. Starts a trial container (`podman run --rm --rootfs DIR /bin/true`, no
#    image needed). Only if that fails with the errors seen on cgroup-v1-hybrid
#    hosts without CAP_SYS_RESOURCE ("cgroups in hybrid mode not supported",
#    "setrlimit RLIMIT_NOFILE", "error setting rlimit"; or crun configured but
#    not installed) does it set, in
#    /etc/containers/containers.conf (merged into an existing file, backup kept
#    next to it as containers.conf.berth-backup-TIME):
#      [containers] default_ulimits = ["nofile=1024:1024","nproc=1000:1000"]
#      [engine]     runtime = "runc"
#    and tries again; if it still fails the original file is restored.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PACKAGES=(podman runc aardvark-dns iproute2 systemd-container debootstrap)
CONF=/etc/containers/containers.conf
ULIMITS_LINE='default_ulimits = ["nofile=1024:1024","nproc=1000:1000"]'
RUNTIME_LINE='runtime = "runc"'
# podman errors that the settings above are known to fix.
FIXABLE='cgroups in hybrid mode not supported|RLIMIT_NOFILE|setting rlimit|setrlimit|runtime "crun" not found'

CHECK_ONLY=0
PROBE_OUT=

usage() {
	sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"
	exit "${1:-0}"
}

missing_packages() {
	local p
	for p in "${PACKAGES[@]}"; do
		if [[ $(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) != installed ]]; then
			printf '%s\n' "$p"
		fi
	done
}

install_packages() {
	local missing aptlog
	mapfile -t missing < <(missing_packages)
	((${#missing[@]})) || return 0
	if ((CHECK_ONLY)); then
		log "missing packages: ${missing[*]}"
		return 1
	fi
	require_cmd apt-get "this script supports Debian 12; install ${missing[*]} by hand"
	log "installing ${missing[*]} (apt-get)"
	aptlog=$(mktemp "${TMPDIR:-/tmp}/berth-apt.XXXXXX")
	# DPkg::Lock::Timeout: wait for a concurrent apt/dpkg instead of failing.
	if ! {
		DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -q update &&
			DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -q -y \
				-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
				install "${missing[@]}"
	} </dev/null >"$aptlog" 2>&1; then
		tail -n 20 "$aptlog" >&2
		die "apt-get failed (full log: $aptlog); check the network and /etc/apt/sources.list.d, then re-run"
	fi
	rm -f "$aptlog"
}

# probe: start a throw-away container from a tiny rootfs made of the host's
# /bin/true and its libraries. Sets PROBE_OUT to podman's output.
probe() {
	local dir lib rc=0
	dir=$(mktemp -d "${TMPDIR:-/tmp}/berth-probe.XXXXXX")
	mkdir -p "$dir/bin"
	cp /bin/true "$dir/bin/true"
	# ldd prints "libc.so.6 => /lib/.../libc.so.6 (0x...)" and "/lib64/ld-linux... (0x...)".
	for lib in $(ldd /bin/true 2>/dev/null | grep -o '/[^ ]*'); do
		mkdir -p "$dir$(dirname "$lib")"
		cp -L "$lib" "$dir$lib"
	done
	PROBE_OUT=$(timeout 120 podman run --rm --network=none --rootfs "$dir" /bin/true </dev/null 2>&1) || rc=$?
	rm -rf "$dir"
	return "$rc"
}

# set_toml_key FILE SECTION KEY LINE: print FILE with KEY in [SECTION]
# replaced by LINE (also a multi-line array value), or LINE added to the
# section, or the section appended. Everything else is kept as it is.
set_toml_key() {
	awk -v sec="$2" -v key="$3" -v line="$4" '
		function add_if_missing() { if (in_sec && !done) { print line; done = 1 } }
		function flush_blanks() { for (; blanks > 0; blanks--) print "" }
		skipping { if ($0 ~ /\]/) skipping = 0; next }
		/^[ \t]*$/ { blanks++; next }   # held back, so an added key goes before them
		/^[ \t]*\[[^]]*\][ \t]*(#.*)?$/ {
			hdr = $0; sub(/^[ \t]*\[/, "", hdr); sub(/\].*$/, "", hdr); gsub(/[ \t]/, "", hdr)
			add_if_missing(); flush_blanks()
			in_sec = (hdr == sec)
			if (in_sec) seen = 1
			print; next
		}
		in_sec && !done && $0 ~ ("^[ \t]*" key "[ \t]*=") {
			flush_blanks(); print line; done = 1
			rest = $0; sub(/^[^=]*=/, "", rest)
			if (rest ~ /^[ \t]*\[/ && rest !~ /\]/) skipping = 1
			next
		}
		{ flush_blanks(); print }
		END {
			add_if_missing(); flush_blanks()
			if (!seen) { print ""; print "[" sec "]"; print line }
		}' "$1"
}

configure_runtime() {
	local new backup=
	new=$(mktemp "${TMPDIR:-/tmp}/berth-containers-conf.XXXXXX")
	if [[ -e $CONF ]]; then
		set_toml_key "$CONF" containers default_ulimits "$ULIMITS_LINE" >"$new.1"
		set_toml_key "$new.1" engine runtime "$RUNTIME_LINE" >"$new"
		rm -f "$new.1"
		if cmp -s "$CONF" "$new"; then
			rm -f "$new"
			die "containers cannot start although $CONF already has the runc/ulimit settings:
$PROBE_OUT"
		fi
		backup=$CONF.berth-backup-$(date +%Y%m%d-%H%M%S)
		cp -p "$CONF" "$backup"
	else
		mkdir -p "$(dirname "$CONF")"
		cat >"$new" <<-EOF
			# Written by berth's scripts/setup-host.sh: the default OCI runtime could
			# not start containers here (cgroup v1 hybrid / no CAP_SYS_RESOURCE).
			[containers]
			$ULIMITS_LINE

			[engine]
			$RUNTIME_LINE
		EOF
	fi
	chmod 0644 "$new"
	mv "$new" "$CONF"
	if ! probe; then
		if [[ -n $backup ]]; then
			cp -p "$backup" "$CONF"
		else
			rm -f "$CONF"
		fi
		die "containers still cannot start with runc and lowered ulimits; $CONF was restored. podman said:
$PROBE_OUT"
	fi
	log "configured podman: $CONF now sets runtime = \"runc\" and default_ulimits${backup:+ (backup: $backup)}"
}

main() {
	while (($#)); do
		case $1 in
		--check) CHECK_ONLY=1 ;;
		-h | --help) usage 0 ;;
		*)
			log "unknown argument '$1'"
			usage 2
			;;
		esac
		shift
	done
	require_root
	with_lock setup-host
	install_packages || die "host not ready: packages missing (run $0 without --check)"
	if probe; then
		return 0
	fi
	if ! grep -qE "$FIXABLE" <<<"$PROBE_OUT"; then
		die "podman cannot start a container, for a reason this script does not know how to fix:
$PROBE_OUT
Check 'podman info' and /etc/containers/containers.conf."
	fi
	if ((CHECK_ONLY)); then
		die "podman cannot start containers with its default runtime (run $0 without --check to fix):
$PROBE_OUT"
	fi
	configure_runtime
}

main "$@"

# shellcheck shell=bash
# Helpers shared by berth's test scripts. Source it; it defines functions only
# (plus a few variables) and changes nothing on the host.

# shellcheck disable=SC2034 # used by the scripts that source this file
BERTH_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BERTH_CACHE_DIR=${BERTH_CACHE_DIR:-/var/cache/berth}
BERTH_PROG=$(basename "$0")

log() { printf '%s: %s\n' "$BERTH_PROG" "$*" >&2; }
die() {
	printf '%s: error: %s\n' "$BERTH_PROG" "$*" >&2
	exit 1
}

# require_root: the scripts install packages, write /etc and run rootful podman.
require_root() {
	[[ $(id -u) == 0 ]] || die "must run as root (rootful podman, apt-get, debootstrap); try: sudo $0"
}

# require_cmd CMD HINT: fail with HINT unless CMD is on PATH.
require_cmd() {
	command -v "$1" >/dev/null 2>&1 || die "'$1' not found on PATH; $2"
}

# find_go: put a Go toolchain on PATH (the official tarball lives in
# /usr/local/go and is often not on a non-login PATH).
find_go() {
	if ! command -v go >/dev/null 2>&1; then
		for d in /usr/local/go/bin /usr/lib/go/bin "$HOME/go/bin"; do
			if [[ -x $d/go ]]; then
				PATH=$d:$PATH
				export PATH
				break
			fi
		done
	fi
	require_cmd go "install Go (https://go.dev/dl/, or apt-get install golang-go) and put it on PATH"
}

# sha_of_stdin: the first 16 hex digits of the SHA-256 of stdin.
sha_of_stdin() { sha256sum | cut -c1-16; }

# with_lock NAME: hold an exclusive lock (fd 9) on $BERTH_CACHE_DIR/NAME.lock
# until the script exits, so concurrent runs (parallel test jobs) queue up
# instead of building the same thing twice. A container started while the
# lock is held must not inherit fd 9 (conmon would hold the lock for the
# container's life): start them with 9>&-.
with_lock() {
	mkdir -p "$BERTH_CACHE_DIR"
	exec 9>"$BERTH_CACHE_DIR/$1.lock"
	if ! flock -n 9; then
		log "waiting for another $1 run to finish (lock $BERTH_CACHE_DIR/$1.lock)"
		flock -w 900 9 || die "timed out after 15 min waiting for $BERTH_CACHE_DIR/$1.lock"
	fi
}

# rm_containers NAME...: remove each container (and its processes) that
# exists. One at a time: podman 4.3's `rm -f` given a name that does not
# exist removes none of the others and still exits 0 (measured here).
rm_containers() {
	local c
	for c in "$@"; do
		podman rm -f -t 0 "$c" >/dev/null 2>&1 || true
	done
}

# debian_mirror: the Debian mirror apt uses here (first URIs: line of the
# deb822 sources, else the first "deb" line), overridable by BERTH_DEBIAN_MIRROR.
debian_mirror() {
	local m=${BERTH_DEBIAN_MIRROR:-}
	if [[ -z $m && -r /etc/apt/sources.list.d/debian.sources ]]; then
		m=$(awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
	fi
	if [[ -z $m && -r /etc/apt/sources.list ]]; then
		m=$(awk '$1 == "deb" && $0 !~ /security/ {for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) {print $i; exit}}' /etc/apt/sources.list)
	fi
	printf '%s\n' "${m:-http://deb.debian.org/debian}"
}

# unmount_under DIR: unmount everything mounted at or below DIR, deepest first.
unmount_under() {
	local dir=$1 t
	dir=$(realpath -m "$dir")
	# findmnt escapes blanks as \x20; our paths have none.
	while read -r t; do
		umount "$t" 2>/dev/null || umount -l "$t" 2>/dev/null || true
	done < <(findmnt -rn -o TARGET | awk -v d="$dir" '$0 == d || index($0, d "/") == 1' | sort -r)
}

# safe_rm_tree DIR: remove a (possibly chroot) tree without ever following a
# leftover mount (a debootstrap that died can leave proc/sys/dev mounted).
safe_rm_tree() {
	local dir=$1
	[[ -e $dir ]] || return 0
	[[ $dir == /*/* ]] || die "refusing to remove '$dir'"
	unmount_under "$dir"
	rm -rf --one-file-system -- "$dir"
}

# image_label IMAGE LABEL: the label's value, empty if the image or label is absent.
image_label() {
	podman image inspect --format "{{index .Labels \"$2\"}}" "$1" 2>/dev/null || true
}

# image_id IMAGE: the image ID, empty if absent.
image_id() {
	podman image inspect --format '{{.Id}}' "$1" 2>/dev/null || true
}

# drop_replaced_image OLD_ID IMAGE: after IMAGE was rebuilt, remove the old
# image it replaced if nothing else uses it (it is now untagged).
drop_replaced_image() {
	local old=$1 new
	[[ -n $old ]] || return 0
	new=$(image_id "$2")
	[[ $old != "$new" ]] || return 0
	podman rmi "$old" >/dev/null 2>&1 || true
}

# elapsed SECONDS_START: seconds since SECONDS_START, e.g. "12s".
elapsed() { printf '%ss' "$((SECONDS - $1))"; }

# run_debootstrap SUITE ROOT INCLUDE LOG: debootstrap a minbase Debian SUITE
# with the comma-separated packages INCLUDE into ROOT, output to LOG. Downloaded
# .debs are kept in $BERTH_CACHE_DIR/debs; a lock serialises runs that share it.
run_debootstrap() {
	local suite=$1 root=$2 include=$3 logfile=$4 mirror rc=0
	require_cmd debootstrap "run scripts/setup-host.sh (or apt-get install debootstrap)"
	mirror=$(debian_mirror)
	mkdir -p "$BERTH_CACHE_DIR/debs"
	flock -w 900 "$BERTH_CACHE_DIR/debootstrap.lock" \
		debootstrap --variant=minbase --include="$include" --cache-dir="$BERTH_CACHE_DIR/debs" \
		"$suite" "$root" "$mirror" >"$logfile" 2>&1 </dev/null || rc=$?
	unmount_under "$root"
	if ((rc != 0)); then
		tail -n 25 "$logfile" >&2
		die "debootstrap of $suite failed (full log: $logfile); check that $mirror is reachable (BERTH_DEBIAN_MIRROR overrides it)"
	fi
}

#!/usr/bin/env bash
# Time berth's generator side by side with podman's own quadlet generator on
# issue 2's stack (1000 .container, 10 .network, 10 .volume; the one
# definition is internal/testutil/benchdata), runs alternating A B B A ...:
#
#   scripts/bench-generate.sh [--runs N] [--quadlet PATH] [--berth PATH] [--disk DIR]
#   --quadlet  podman's generator (default /usr/libexec/podman/quadlet; Debian
#              12's podman 4.3 has none: build one from podman's source)
#   --disk     where the on-disk case writes (default /var/tmp)
#
# Cases: dry run (units to stdout), writing into tmpfs (/dev/shm: generators
# write to /run), writing into a folder on disk. Both compile for the same
# podman: berth gets BERTH_PODMAN_VERSION from `quadlet -version`. Every
# writing run gets a fresh, never-used folder, and nothing is deleted until
# all runs are done: ext4 slows down creating files while many inodes near
# them were deleted in the last half minute (recently_deleted scans), which
# would time the previous run's cleanup, for both programs alike.
# Prints median and minimum wall time per program and their ratios.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUNS=15 QUADLET=/usr/libexec/podman/quadlet BERTH="" DISK=/var/tmp
while (($#)); do
	case $1 in
	--runs) RUNS=$2; shift ;;
	--quadlet) QUADLET=$2; shift ;;
	--berth) BERTH=$2; shift ;;
	--disk) DISK=$2; shift ;;
	-h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	*) die "unknown argument '$1'" ;;
	esac
	shift
done
[[ -x $QUADLET ]] || die "no podman generator at $QUADLET: give one with --quadlet"

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/berth-bench-gen.XXXXXX")
SHM=$(mktemp -d /dev/shm/berth-bench-gen.XXXXXX)
DISKW=$(mktemp -d "$DISK/berth-bench-gen.XXXXXX")
trap 'safe_rm_tree "$WORK"; rm -rf -- "$SHM"; safe_rm_tree "$DISKW"' EXIT

find_go
if [[ -z $BERTH ]]; then
	(cd "$REPO" && go build -o "$WORK/berth" ./cmd/berth)
	BERTH=$WORK/berth
fi
(cd "$REPO" && go run ./internal/testutil/benchdata/benchstack "$WORK/units")
export QUADLET_UNIT_DIRS=$WORK/units
BERTH_PODMAN_VERSION=$("$QUADLET" -version | awk '{print $NF}')
export BERTH_PODMAN_VERSION

# Both must produce the same 1020 units before they are timed.
np=$("$QUADLET" -dryrun 2>/dev/null | grep -c '^---' || true)
nb=$("$BERTH" generate -dryrun 2>/dev/null | grep -c '^---' || true)
[[ $np == 1020 && $nb == 1020 ]] || die "expected 1020 units from both, got podman $np, berth $nb"

now_ms() { local t; t=$(date +%s%N); echo $((t / 1000)); } # microseconds

# timeit NAME CMD...: run once, append the wall time in microseconds.
timeit() {
	local name=$1 t0 t1
	shift
	t0=$(now_ms)
	"$@" >/dev/null 2>&1 || die "$name failed: $*"
	t1=$(now_ms)
	echo $((t1 - t0)) >>"$WORK/$name"
}

stats() { # FILE -> "median min" in ms with one decimal
	sort -n "$1" | awk '{v[NR]=$1} END {m=(NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2; printf "%.1f %.1f\n", m/1000, v[1]/1000}'
}

bench() { # CASE: dry | shm | disk
	local c=$1 i out
	for ((i = 0; i < RUNS; i++)); do
		for who in $( ((i % 2)) && echo "berth podman" || echo "podman berth"); do
			case $c in
			dry) out=() ;;
			shm) out=("$SHM/$who-$i") ;;
			disk) out=("$DISKW/$who-$i") ;;
			esac
			if [[ $who == podman ]]; then
				if [[ $c == dry ]]; then timeit "$c-$who" "$QUADLET" -dryrun; else timeit "$c-$who" "$QUADLET" -no-kmsg-log "${out[@]}"; fi
			else
				if [[ $c == dry ]]; then timeit "$c-$who" "$BERTH" generate -dryrun; else timeit "$c-$who" "$BERTH" generate -no-kmsg-log "${out[@]}"; fi
			fi
		done
	done
	read -r pm pmin < <(stats "$WORK/$c-podman")
	read -r bm bmin < <(stats "$WORK/$c-berth")
	printf '%-5s podman %8s ms median %8s ms min | berth %8s ms median %8s ms min | ratio %s (median) %s (min)\n' \
		"$c" "$pm" "$pmin" "$bm" "$bmin" "$(awk -v a="$pm" -v b="$bm" 'BEGIN{printf "%.2f", a/b}')" \
		"$(awk -v a="$pmin" -v b="$bmin" 'BEGIN{printf "%.2f", a/b}')"
}

log "podman generator $QUADLET ($BERTH_PODMAN_VERSION), berth $BERTH, $RUNS runs each"
bench dry
bench shm
bench disk

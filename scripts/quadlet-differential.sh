#!/usr/bin/env bash
# The generator differential: podman 5.8's own quadlet generator (from the
# sid rootfs of scripts/build-systemd-rootfs.sh --suite sid, run with that
# rootfs's libc) and berth's compiler on the same inputs, service by service
# (exec lines as podman argument sets): the examples (the compose one
# converted by `berth convert`), berth's golden inputs, podman's own
# test/e2e/quadlet cases (the same version's, from the Go module proxy, or
# the folder BERTH_REF_CASES names), and
# random units and stacks. Prints the numbers; exits 1 on a difference that
# is not a documented deliberate one (internal/quadlet/reference_test.go).
#
#   scripts/quadlet-differential.sh [--random N] [--stacks N] [--seeds "1 2"]
#   env: BERTH_SID_ROOTFS, BERTH_REF_CASES (podman's test/e2e/quadlet)
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$BERTH_REPO"

ROOTFS=${BERTH_SID_ROOTFS:-$BERTH_CACHE_DIR/sid-rootfs}
RANDOM_UNITS=300 RANDOM_STACKS=100 SEEDS=1

usage() {
	sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"
	exit "${1:-0}"
}

while (($#)); do
	case $1 in
	--random) RANDOM_UNITS=${2:?} && shift ;;
	--stacks) RANDOM_STACKS=${2:?} && shift ;;
	--seeds) SEEDS=${2:?} && shift ;;
	-h | --help) usage 0 ;;
	*) log "unknown argument '$1'" && usage 2 ;;
	esac
	shift
done

find_go
[[ -x $ROOTFS/usr/libexec/podman/quadlet ]] ||
	die "no podman quadlet generator in $ROOTFS: build the sid rootfs with scripts/build-systemd-rootfs.sh --suite sid"
work=$(mktemp -d "${TMPDIR:-/tmp}/berth-differential.XXXXXX")
trap 'rm -rf "$work"' EXIT
gen=$work/quadlet
cat >"$gen" <<-WRAP
	#!/bin/sh
	exec "$ROOTFS/lib64/ld-linux-x86-64.so.2" --library-path "$ROOTFS/lib/x86_64-linux-gnu:$ROOTFS/usr/lib/x86_64-linux-gnu" "$ROOTFS/usr/libexec/podman/quadlet" "\$@"
WRAP
chmod +x "$gen"
version=$("$gen" -version)
log "reference: podman $version's quadlet generator from $ROOTFS"

# The compose example, converted for podman 5.8 (what berth would install).
go build -o "$work/berth" ./cmd/berth
dirs=()
for f in examples/*/compose.yaml; do
	d=$work/converted/$(basename "$(dirname "$f")")
	"$work/berth" --podman-version "$version" convert -f "$f" -o "$d" >"$work/convert.log" 2>&1 ||
		die "berth convert $f failed: $(cat "$work/convert.log")"
	dirs+=("$d")
done
# podman_cases VERSION: the folder of podman VERSION's own test/e2e/quadlet
# cases, from the Go module proxy (podman's module zip carries its tests;
# ~30 MB, once, cached under $BERTH_CACHE_DIR/podman-module); empty when the
# proxy cannot be reached.
podman_cases() {
	local modcache=$BERTH_CACHE_DIR/podman-module dir
	mkdir -p "$modcache"
	dir=$(flock -w 300 "$modcache.lock" env GOMODCACHE="$modcache" GOFLAGS=-mod=mod GOTOOLCHAIN=local \
		go mod download -json "github.com/containers/podman/v${1%%.*}@v$1" 2>"$work/mod.log" |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p') || true
	[[ -n $dir && -d $dir/test/e2e/quadlet ]] && echo "$dir/test/e2e/quadlet"
}
if [[ -z ${BERTH_REF_CASES:-} ]]; then
	BERTH_REF_CASES=$(podman_cases "$version") || true
	if [[ -n $BERTH_REF_CASES ]]; then
		log "podman $version's own test/e2e/quadlet cases: $BERTH_REF_CASES"
	else
		log "warning: podman $version's own test/e2e/quadlet cases are not compared: the Go module proxy did not give them ($(tail -1 "$work/mod.log")); BERTH_REF_CASES can name that folder of a podman checkout"
	fi
fi
export BERTH_REF_CASES

rc=0
for seed in $SEEDS; do
	BERTH_REF_QUADLET=$gen BERTH_REF_DIRS=$(
		IFS=:
		echo "${dirs[*]}"
	) BERTH_REF_RANDOM=$RANDOM_UNITS BERTH_REF_STACKS=$RANDOM_STACKS BERTH_REF_SEED=$seed \
		go test -count=1 -v -run 'MatchReference' ./internal/quadlet/ >"$work/test.log" 2>&1 || rc=1
	for t in $(grep -oE '^--- (PASS|FAIL|SKIP): Test[A-Za-z]+' "$work/test.log" | awk '{print $3}'); do
		pass=$(grep -cE "^    --- PASS: $t/" "$work/test.log" || true)
		fail=$(grep -cE "^    --- FAIL: $t/" "$work/test.log" || true)
		top=$(grep -oE "^--- (PASS|FAIL|SKIP): $t " "$work/test.log" | awk '{print $2}')
		case $t in
		TestRandomUnitsMatchReference) what="$RANDOM_UNITS random units x system+user" ;;
		TestRandomStacksMatchReference) what="$RANDOM_STACKS random stacks" ;;
		*) what="$pass cases agree, $fail differ" ;;
		esac
		printf 'seed %s  %-40s %-5s %s\n' "$seed" "$t" "$top" "$what"
	done
	grep -E 'known deviation' "$work/test.log" | sed 's/^ *//' | sort -u || true
	if ((rc)); then
		grep -E '^\s+reference.*(_test.go:[0-9]+:)' "$work/test.log" | head -40 >&2 || true
	fi
done
((rc == 0)) || die "the generators differ (above)"
log "no difference beyond the documented deliberate ones"

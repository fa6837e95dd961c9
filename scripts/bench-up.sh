#!/usr/bin/env bash
# Time `berth up -d` of a 10-service stack with three dependency levels and
# compare it with the critical path: the sum, over the levels, of the slowest
# single start in that level (as berth measured each start: "ready (T)").
# The difference is what orchestration costs on top of podman.
#
#   scripts/bench-up.sh [--runs N] [--health] [--berth PATH]
#   --health   every container has Notify=healthy and a health check (on
#              podman < 4.7 that is quadlet's `podman healthcheck run` loop)
#
# Stack: a network (level 0), a1..a4 (level 1), b1..b3 requiring all of
# level 1, c1..c3 requiring all of level 2; image localhost/berth-test/web.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUNS=3 HEALTH=0 BERTH=""
while (($#)); do
	case $1 in
	--runs) RUNS=$2; shift ;;
	--health) HEALTH=1 ;;
	--berth) BERTH=$2; shift ;;
	-h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	*) die "unknown argument '$1'" ;;
	esac
	shift
done
require_root
require_cmd podman "run scripts/setup-host.sh first"
podman image exists localhost/berth-test/web:latest || die "run scripts/build-test-images.sh first"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/berth-bench.XXXXXX")
P=bench$$
STACK=$WORK/$P
mkdir -p "$STACK"
cleanup() {
	"$BERTH" -C "$STACK" down >/dev/null 2>&1 || true
	safe_rm_tree "$WORK"
}
trap cleanup EXIT

if [[ -z $BERTH ]]; then
	find_go
	BERTH=$WORK/berth
	(cd "$BERTH_REPO" && go build -o "$BERTH" ./cmd/berth) || die "go build failed"
fi

container() { # NAME DEPS...
	local name=$1 deps=""
	shift
	for d in "$@"; do deps+=" $d.service"; done
	{
		echo "[Unit]"
		[[ -n $deps ]] && printf 'Requires=%s\nAfter=%s\n' "${deps# }" "${deps# }"
		echo "[Container]"
		echo "Image=localhost/berth-test/web:latest"
		echo "ContainerName=$P-$name"
		echo "Network=$P.network"
		if ((HEALTH)); then
			echo 'HealthCmd=["/web","-check","http://127.0.0.1:8080/healthz"]'
			echo "HealthInterval=30s"
			echo "Notify=healthy"
		fi
	} >"$STACK/$name.container"
}
echo "[Network]" >"$STACK/$P.network"
for n in a1 a2 a3 a4; do container "$n"; done
for n in b1 b2 b3; do container "$n" a1 a2 a3 a4; done
for n in c1 c2 c3; do container "$n" b1 b2 b3; done

declare -A LEVEL=([$P]=0 [a1]=1 [a2]=1 [a3]=1 [a4]=1 [b1]=2 [b2]=2 [b3]=2 [c1]=3 [c2]=3 [c3]=3)

# seconds "412ms" / "1.2s" / "1m2s" -> seconds as a decimal
to_seconds() {
	awk -v d="$1" 'BEGIN {
		s = 0
		while (match(d, /^[0-9.]+(ms|µs|us|ns|s|m|h)/)) {
			tok = substr(d, 1, RLENGTH); d = substr(d, RLENGTH + 1)
			match(tok, /[0-9.]+/); v = substr(tok, 1, RLENGTH); u = substr(tok, RLENGTH + 1)
			if (u == "ms") v /= 1000; else if (u == "us" || u == "µs") v /= 1e6; else if (u == "ns") v /= 1e9
			else if (u == "m") v *= 60; else if (u == "h") v *= 3600
			s += v
		}
		printf "%.3f", s }'
}

total_sum=0 crit_sum=0
for run in $(seq "$RUNS"); do
	t0=$(date +%s.%N)
	out=$("$BERTH" -C "$STACK" up -d 2>&1) || { echo "$out" >&2; die "berth up -d failed"; }
	t1=$(date +%s.%N)
	declare -A slowest=([0]=0 [1]=0 [2]=0 [3]=0)
	while read -r svc _ dur; do
		lvl=${LEVEL[$svc]:-}
		[[ -z $lvl ]] && continue
		sec=$(to_seconds "${dur//[()]/}")
		slowest[$lvl]=$(awk -v a="${slowest[$lvl]}" -v b="$sec" 'BEGIN { print (b > a) ? b : a }')
	done < <(grep -E '^[^ ]+ +ready \(' <<<"$out")
	crit=$(awk -v a="${slowest[0]}" -v b="${slowest[1]}" -v c="${slowest[2]}" -v d="${slowest[3]}" 'BEGIN { printf "%.3f", a + b + c + d }')
	total=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
	printf 'run %d: berth up -d %ss, critical path %ss (levels %s %s %s %s), overhead %s%%\n' "$run" "$total" "$crit" \
		"${slowest[0]}" "${slowest[1]}" "${slowest[2]}" "${slowest[3]}" \
		"$(awk -v t="$total" -v c="$crit" 'BEGIN { printf "%.0f", (t - c) * 100 / c }')"
	total_sum=$(awk -v a="$total_sum" -v b="$total" 'BEGIN { print a + b }')
	crit_sum=$(awk -v a="$crit_sum" -v b="$crit" 'BEGIN { print a + b }')
	"$BERTH" -C "$STACK" down >/dev/null 2>&1
done
printf 'mean over %d runs: berth up -d %.3fs, critical path %.3fs, ratio %.2f (target <= 1.20)\n' "$RUNS" \
	"$(awk -v a="$total_sum" -v n="$RUNS" 'BEGIN { print a / n }')" \
	"$(awk -v a="$crit_sum" -v n="$RUNS" 'BEGIN { print a / n }')" \
	"$(awk -v a="$total_sum" -v b="$crit_sum" 'BEGIN { print a / b }')"

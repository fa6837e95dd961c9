#!/usr/bin/env bash
# Time berth's generator (berth-generator, what `berth install` links)
# side by side with podman's own quadlet generator, runs interleaved
# (A B B A ...), same inputs, both compiling for the same podman:
#
#   scripts/bench-generate.sh [--runs N] [--quadlet PATH] [--berth DIR]
#                             [--disk DIR] [--cases "small dry shm disk growth"]
#   --quadlet  podman's generator (default: podman 5.8.2's, built from podman's
#              source by scripts/build-podman-quadlet.sh into /var/cache/berth)
#   --berth    a folder holding berth and berth-generator (default: built now)
#   --disk     where the on-disk case writes (default /var/tmp)
#   --runs     runs per program and case (default 15; small runs 4× as many)
#   --nice N   run the timed programs at this niceness (default -10 as root,
#              else unchanged): on a shared machine it keeps other work from
#              landing in one program's runs more than the other's
#
# Cases:
#   small   the Colosseum example (5 files, 5 services), dry run; `berth
#           generate` (the full berth binary) is timed too, for its start-up
#   dry     1020 units (1000 .container, 10 .network, 10 .volume; the one
#           definition is internal/testutil/benchdata), units to stdout
#   shm     the same, written into tmpfs (/dev/shm: generators write to /run)
#   disk    the same, written into a folder on disk
#   growth  dry run with 102, 1020 and 10200 units (containers plus one
#           network and one volume per hundred): time per unit
#   steady  instructions (valgrind's callgrind) and page faults (GNU time)
#           of one run each for the small stack, the 1020-unit dry run and
#           the 1020 units written to tmpfs: unlike wall time they do not
#           follow the machine's load (not in the default cases; needs
#           valgrind and /usr/bin/time)
# Both get BERTH_PODMAN_VERSION from `quadlet -version`. Every writing run
# gets a fresh, never-used folder, and nothing is deleted until all runs are
# done: ext4 slows down creating files while many inodes near them were
# deleted in the last half minute (recently_deleted scans), which would time
# the previous run's cleanup, for both programs alike. Wall time is read
# with bash's $EPOCHREALTIME (no process started around the timed one).
# Prints median and minimum wall time per program and berth/podman ratios
# (below 1: berth is faster).
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUNS=15 QUADLET="" BERTHDIR="" DISK=/var/tmp CASES="small dry shm disk growth" NICE=""
[[ $(id -u) != 0 ]] || NICE=-10
while (($#)); do
	case $1 in
	--runs) RUNS=$2; shift ;;
	--quadlet) QUADLET=$2; shift ;;
	--berth) BERTHDIR=$2; shift ;;
	--disk) DISK=$2; shift ;;
	--cases) CASES=$2; shift ;;
	--nice) NICE=$2; shift ;;
	-h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	*) die "unknown argument '$1'" ;;
	esac
	shift
done

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/berth-bench-gen.XXXXXX")
SHM=$(mktemp -d /dev/shm/berth-bench-gen.XXXXXX)
DISKW=$(mktemp -d "$DISK/berth-bench-gen.XXXXXX")
trap 'safe_rm_tree "$WORK"; rm -rf -- "$SHM"; safe_rm_tree "$DISKW"' EXIT

find_go
if [[ -z $QUADLET ]]; then
	QUADLET=$(bash "$REPO/scripts/build-podman-quadlet.sh" v5.8.2)
fi
[[ -x $QUADLET ]] || die "no podman generator at $QUADLET: give one with --quadlet"
if [[ -z $BERTHDIR ]]; then
	BERTHDIR=$WORK/bin
	(cd "$REPO" && go build -o "$BERTHDIR/" ./cmd/berth ./cmd/berth-generator)
fi
GEN=$BERTHDIR/berth-generator BERTH=$BERTHDIR/berth
[[ -x $GEN && -x $BERTH ]] || die "no berth and berth-generator in $BERTHDIR"
BERTH_PODMAN_VERSION=$("$QUADLET" -version | awk '{print $NF}')
export BERTH_PODMAN_VERSION

# stack N: a folder with the benchmark stack of N containers (made once).
stack() {
	local d=$WORK/units-$1
	[[ -d $d ]] || (cd "$REPO" && go run ./internal/testutil/benchdata/benchstack "$d" "$1")
	echo "$d"
}

# same_units DIR: both generators must make the same number of services
# from DIR before they are timed.
same_units() {
	local np nb
	np=$(QUADLET_UNIT_DIRS=$1 "$QUADLET" -dryrun 2>/dev/null | grep -c '^---' || true)
	nb=$(QUADLET_UNIT_DIRS=$1 "$GEN" -dryrun 2>/dev/null | grep -c '^---' || true)
	[[ $np == "$nb" && $np -gt 0 ]] || die "$1: podman's generator made $np units, berth's $nb"
	echo "$np"
}

# timeit FILE CMD...: run once, append the wall time in microseconds to FILE.
timeit() {
	local file=$1 t0 t1
	shift
	t0=${EPOCHREALTIME/./}
	"$@" >/dev/null 2>&1 || die "failed: $*"
	t1=${EPOCHREALTIME/./}
	echo $((t1 - t0)) >>"$file"
}

stats() { # FILE -> "median min" in ms with two decimals
	sort -n "$1" | awk '{v[NR]=$1} END {m=(NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2; printf "%.2f %.2f\n", m/1000, v[1]/1000}'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }

# run_one WHO MODE OUT: one run of program WHO (podman, berth: berth-generator,
# berth-cli: `berth generate`); MODE dry or write (into OUT).
run_one() {
	local who=$1 mode=$2 out=$3 file=$4
	local cmd
	case $who in
	podman) cmd=("$QUADLET") ;;
	berth) cmd=("$GEN") ;;
	berth-cli) cmd=("$BERTH" generate) ;;
	esac
	if [[ $mode == dry ]]; then
		timeit "$file" "${cmd[@]}" -dryrun
	else
		timeit "$file" "${cmd[@]}" -no-kmsg-log "$out"
	fi
}

# bench NAME UNITS MODE RUNS PROGRAMS...: interleaved runs (the order
# rotates each round), then one line per program. Sets MEDIAN[NAME-WHO].
declare -A MEDIAN
bench() {
	local name=$1 units=$2 mode=$3 runs=$4 i j n out who
	shift 4
	local progs=("$@")
	n=${#progs[@]}
	export QUADLET_UNIT_DIRS=$units
	for ((i = 0; i < runs; i++)); do
		for ((j = 0; j < n; j++)); do
			# A B B A: even rounds forwards, odd rounds backwards.
			if ((i % 2)); then who=${progs[n - 1 - j]}; else who=${progs[j]}; fi
			case $mode in
			dry) out="" ;;
			shm) out=$SHM/$name-$who-$i ;;
			disk) out=$DISKW/$name-$who-$i ;;
			esac
			run_one "$who" "$([[ $mode == dry ]] && echo dry || echo write)" "$out" "$WORK/t-$name-$who"
		done
	done
	local pm pmin
	read -r pm pmin < <(stats "$WORK/t-$name-podman")
	MEDIAN[$name-podman]=$pm
	for who in "${progs[@]}"; do
		local m min
		read -r m min < <(stats "$WORK/t-$name-$who")
		MEDIAN[$name-$who]=$m
		printf '%-12s %-10s %9s ms median %9s ms min' "$name" "$who" "$m" "$min"
		[[ $who == podman ]] || printf '   %s× podman (median)  %s× (min)' "$(ratio "$m" "$pm")" "$(ratio "$min" "$pmin")"
		printf '\n'
	done
}

# steady NAME UNITS MODE: callgrind's instruction count and the page faults
# (median of 11) of each program, and their ratio. The runs write nothing
# but the counts: the load of the machine does not change them.
steady() {
	local name=$1 units=$2 mode=$3 who out ip ib fp fb
	command -v valgrind >/dev/null || die "the steady case needs valgrind"
	[[ -x /usr/bin/time ]] || die "the steady case needs GNU time (/usr/bin/time)"
	export QUADLET_UNIT_DIRS=$units
	for who in podman berth; do
		local cmd=("$QUADLET")
		[[ $who == podman ]] || cmd=("$GEN")
		if [[ $mode == dry ]]; then cmd+=(-dryrun); else cmd+=(-no-kmsg-log); fi
		out=()
		[[ $mode == dry ]] || out=("$SHM/steady-$name-$who-cg")
		# Go's asynchronous preemption signals trip callgrind up.
		GODEBUG=asyncpreemptoff=1 valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.out" \
			"${cmd[@]}" "${out[@]}" >/dev/null 2>"$WORK/cg.err" || die "callgrind failed: $(tail -3 "$WORK/cg.err")"
		local ins
		ins=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$WORK/cg.err")
		local i f=()
		for ((i = 0; i < 11; i++)); do
			[[ $mode == dry ]] || out=("$SHM/steady-$name-$who-$i")
			f+=("$(/usr/bin/time -f %R "${cmd[@]}" "${out[@]}" 2>&1 >/dev/null | tail -1)")
		done
		local fm
		fm=$(printf '%s\n' "${f[@]}" | sort -n | sed -n 6p)
		if [[ $who == podman ]]; then ip=$ins fp=$fm; else ib=$ins fb=$fm; fi
		printf '%-12s %-10s %12s instructions %7s page faults\n' "$name" "$who" "$ins" "$fm"
	done
	printf '%-12s %-10s %12s× podman (instructions)  %s× (page faults)\n' "$name" berth "$(ratio "$ib" "$ip")" "$(ratio "$fb" "$fp")"
}

[[ -z $NICE ]] || renice -n "$NICE" -p $$ >/dev/null || die "cannot renice to $NICE"
log "podman generator $QUADLET ($BERTH_PODMAN_VERSION), berth $GEN, $RUNS runs"
for c in $CASES; do
	case $c in
	small)
		same_units "$REPO/examples/colosseum" >/dev/null
		bench small "$REPO/examples/colosseum" dry $((RUNS * 4)) podman berth berth-cli
		;;
	dry | shm | disk)
		u=$(stack 1000)
		[[ $(same_units "$u") == 1020 ]] || die "expected 1020 units"
		bench "$c-1020" "$u" "$c" "$RUNS" podman berth
		;;
	growth)
		for n in 100 1000 10000; do
			u=$(stack $n)
			units=$(same_units "$u")
			r=$RUNS
			((n < 10000)) || r=$(((RUNS + 2) / 3))
			bench "grow-$units" "$u" dry "$r" podman berth
			for who in podman berth; do
				printf '%-12s %-10s %9s µs per unit\n' "grow-$units" "$who" \
					"$(awk -v m="${MEDIAN[grow-$units-$who]}" -v n="$units" 'BEGIN{printf "%.1f", m*1000/n}')"
			done
		done
		;;
	steady)
		u=$(stack 1000)
		steady small "$REPO/examples/colosseum" dry
		steady dry-1020 "$u" dry
		steady shm-1020 "$u" shm
		;;
	*) die "unknown case '$c' (small dry shm disk growth steady)" ;;
	esac
done

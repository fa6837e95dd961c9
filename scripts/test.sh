#!/usr/bin/env bash
# berth's one test command (also what CI runs, via .ci/run):
#
#   scripts/test.sh
#
# 1. scripts/setup-host.sh            packages + podman runtime config (no-op when fine)
# 2. scripts/build-test-images.sh     localhost/berth-test/{web,kv,client}, and pg:15
#                                     unless BERTH_E2E_PG=0; then a smoke test of the
#                                     images (--verify) unless BERTH_VERIFY_IMAGES=0
# 3. scripts/build-systemd-rootfs.sh  unless BERTH_E2E_SYSTEMD=0 (the bookworm host:
#                                     podman 4.3.1, systemd 252, cgroup v1 hybrid)
#    scripts/build-systemd-rootfs.sh --suite sid   unless BERTH_E2E_SID=0 (the
#                                     second host: podman 5.8, systemd 26x, cgroup v2,
#                                     a rootless user; ~2 min cold)
#    scripts/build-observe-images.sh   Prometheus at once; Jaeger v2 and the OTel
#                                     collector in the background, unless
#                                     BERTH_E2E_OBSERVE=0 (cold: 5-10 min)
#    scripts/build-kube-apiserver.sh   kube-apiserver, kubectl (v1.37.2) and etcd for
#                                     kube export's tests, in the background after
#                                     those, unless BERTH_E2E_KUBE=0 (cold: ~5.5 min)
# 4. go vet ./...                     (and the test/images module, and test/e2e
#                                     with -tags e2e)
# 5. gofmt check                      fails listing the unformatted files
# 6. go test ./...                    unit tests
#    scripts/quadlet-differential.sh  podman 5.8's packaged generator vs berth
#                                     (with the sid rootfs; BERTH_DIFFERENTIAL=0 skips)
# 7. the e2e tests (BERTH_E2E=0 skips): every package with e2e tests, host by
#    host, groups of one host side by side (see e2e_tests); the tests that
#    need the background builds wait for them
#
# Time here (2 cores): a first run with nothing cached ~23-24 min (README); about 3-5 min before the Go
# steps (apt ~1 min, pg rootfs 1-3 min, systemd rootfs ~1 min); afterwards
# everything is cached (/var/cache/berth, podman's image store) and steps 1-3
# take under 10 s, mostly the --verify smoke test. pg is built by default
# because a cached run costs nothing; BERTH_E2E_PG=0 skips it (and tells the
# e2e tests so).
#
# The e2e tests get: BERTH_REPO, BERTH_E2E_PG=1|0 (pg:15 built),
# BERTH_E2E_SYSTEMD=1|0 (rootfs built), BERTH_NSPAWN_SH (path of nspawn.sh),
# BERTH_NSPAWN_ROOTFS, BERTH_E2E_SID=1|0 (sid rootfs built: the systemd
# tests run on both hosts, one after the other, and TestSidExecutor runs the
# executor e2e inside sid, rootful and rootless), BERTH_SID_ROOTFS. Not root: steps 1-3 and 7 are skipped with a warning.
# BERTH_E2E=0 skips step 7 only.
# Env: BERTH_E2E_TIMEOUT (go test -timeout for e2e, default 25m),
# BERTH_E2E_RUN (passed as -run to the e2e tests).
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$BERTH_REPO"

T_START=$SECONDS
CURRENT_STEP=start
HEAVY_PID="" HEAVY_PID_DONE="" PREP_PID=""
RUN_DIR=$BERTH_CACHE_DIR/test-run
E2E_JOBS=()
STEP_T0=$SECONDS
step() {
	[[ $CURRENT_STEP == start ]] || log "step '$CURRENT_STEP' took $(elapsed "$STEP_T0")"
	STEP_T0=$SECONDS
	CURRENT_STEP=$*
	printf '\n==> %s\n' "$*"
}
on_exit() {
	local rc=$?
	stop_heavy
	[[ -z $PREP_PID ]] || kill -TERM -- "-$PREP_PID" 2>/dev/null || true
	((rc == 0)) || log "FAILED in step '$CURRENT_STEP' (exit $rc) after $(elapsed "$T_START")"
}
trap on_exit EXIT

prepare_host() {
	step "host setup"
	bash scripts/setup-host.sh
	# Prometheus is Debian's package (seconds) and internal/observe's e2e
	# needs it; Jaeger, the collector and the kube-apiserver are Go builds of
	# minutes (start_heavy).
	[[ $BERTH_E2E_OBSERVE == 1 ]] && bash scripts/build-observe-images.sh prometheus
	start_heavy
	start_prep
}

# start_prep builds the test images and the two test hosts' rootfs in the
# background: downloads and dpkg, mostly waiting on the network, while go
# vet and the unit tests keep the cores busy. Two chains side by side: the
# images (Go builds, then the pg debootstrap) and the rootfs, sid's first
# (the sid host's tests run first), then bookworm's; the debootstraps take
# turns (they share the .deb cache and its lock). Each part writes its
# result file (RUN_DIR/{images,sid,bookworm}.rc) when it ends, and
# wait_prep PART... waits only for the parts the next tests need: on a
# first run the bookworm rootfs is built while the sid host's tests run.
PREP_PARTS=(images sid bookworm)
start_prep() {
	local args=()
	[[ $BERTH_E2E_PG == 1 ]] && args+=(--pg)
	[[ ${BERTH_VERIFY_IMAGES:-1} == 1 ]] && args+=(--verify)
	mkdir -p "$RUN_DIR"
	rm -f "$RUN_DIR/prep.took"
	local p
	for p in "${PREP_PARTS[@]}"; do rm -f "$RUN_DIR/$p.rc"; done
	setsid bash -c '
		out=$1 sd=$2 sid=$3
		shift 3
		result() { echo "$2" >"$out/$1.rc.new" && mv "$out/$1.rc.new" "$out/$1.rc"; }
		{
			rc=0
			bash scripts/build-test-images.sh "$@" || rc=$?
			result images "$rc"
		} &
		{
			rc=0
			[[ $sid != 1 ]] || bash scripts/build-systemd-rootfs.sh --suite sid || rc=$?
			result sid "$rc"
			rc=0
			[[ $sd != 1 ]] || bash scripts/build-systemd-rootfs.sh || rc=$?
			result bookworm "$rc"
		} &
		wait
		echo "$SECONDS" >"$out/prep.took"
	' prep "$RUN_DIR" "$BERTH_E2E_SYSTEMD" "$BERTH_E2E_SID" "${args[@]}" >"$RUN_DIR/prep.log" 2>&1 </dev/null &
	PREP_PID=$!
	log "building the test images and test hosts in the background (log: $RUN_DIR/prep.log)"
}

# wait_prep PART...: wait until those parts of the background preparation
# have ended (all of them, and the process, without arguments); fail on a
# failed one.
wait_prep() {
	[[ -n $PREP_PID ]] || return 0
	local parts=("$@") p rc
	((${#parts[@]})) || parts=("${PREP_PARTS[@]}")
	for p in "${parts[@]}"; do
		while [[ ! -f $RUN_DIR/$p.rc ]]; do
			kill -0 "$PREP_PID" 2>/dev/null || break
			sleep 1
		done
		rc=$(cat "$RUN_DIR/$p.rc" 2>/dev/null || echo "none")
		if [[ $rc != 0 ]]; then
			sed 's/^/[prep] /' "$RUN_DIR/prep.log" >&2
			die "building the test $p failed (exit $rc; log above: $RUN_DIR/prep.log)"
		fi
	done
	log "test ${parts[*]} ready after $(elapsed "$T_START") of the run"
	if (($# == 0)); then
		wait "$PREP_PID" || true
		PREP_PID=""
		sed 's/^/[prep] /' "$RUN_DIR/prep.log" >&2
		log "test images and test hosts took $(cat "$RUN_DIR/prep.took")s (background builds: $(heavy_state))"
	fi
}

# start_heavy builds Jaeger and the collector (scripts/build-observe-images.sh)
# and the kube-apiserver (scripts/build-kube-apiserver.sh) in the background,
# at the lowest CPU priority, while the rest of the suite runs: cold they are
# ~20 minutes of one core's work, and the e2e tests mostly wait (health
# intervals, restarts, systemd booting), which leaves a core idle. Cached,
# they take a second. Only the tests that need them wait for them
# (E2E_HEAVY below). Output goes to $RUN_DIR/heavy.log.
start_heavy() {
	local what=()
	[[ $BERTH_E2E_OBSERVE == 1 ]] && what+=(observe)
	[[ $BERTH_E2E_KUBE == 1 ]] && what+=(kube)
	((${#what[@]})) || return 0
	mkdir -p "$RUN_DIR"
	rm -f "$RUN_DIR/heavy.rc" "$RUN_DIR/heavy.took"
	setsid bash -c '
		rc=0
		if [[ " $* " == *" observe "* ]]; then
			nice -n 19 bash scripts/build-observe-images.sh jaeger otelcol || rc=$?
		fi
		if ((rc == 0)) && [[ " $* " == *" kube "* ]]; then
			nice -n 19 bash scripts/build-kube-apiserver.sh >/dev/null || rc=$?
		fi
		echo "$SECONDS" >"$0/heavy.took"
		echo "$rc" >"$0/heavy.rc.new" && mv "$0/heavy.rc.new" "$0/heavy.rc"
	' "$RUN_DIR" "${what[@]}" >"$RUN_DIR/heavy.log" 2>&1 </dev/null &
	HEAVY_PID=$!
	log "building ${what[*]} in the background (log: $RUN_DIR/heavy.log)"
}

# heavy_state: none (nothing to build), running, done, or failed.
heavy_state() {
	if [[ -z $HEAVY_PID ]]; then
		echo none
	elif [[ ! -f $RUN_DIR/heavy.rc ]]; then
		echo running
	elif [[ $(<"$RUN_DIR/heavy.rc") == 0 ]]; then
		echo done
	else
		echo failed
	fi
}

# heavy_took: how long the background builds ran, e.g. "12s".
heavy_took() { echo "$(cat "$RUN_DIR/heavy.took" 2>/dev/null || echo '?')s"; }

# wait_heavy waits for the background builds; their failure fails the suite.
wait_heavy() {
	[[ -n $HEAVY_PID && -z $HEAVY_PID_DONE ]] || return 0
	if [[ $(heavy_state) == running ]]; then
		log "waiting for the background builds (log: $RUN_DIR/heavy.log)"
	fi
	wait "$HEAVY_PID" || true
	HEAVY_PID_DONE=1
	sed 's/^/[heavy] /' "$RUN_DIR/heavy.log" | tail -n 20 >&2
	[[ $(heavy_state) == done ]] || die "the background builds failed (full log: $RUN_DIR/heavy.log)"
	log "background builds took $(heavy_took)"
}

stop_heavy() {
	[[ -n $HEAVY_PID && -z $HEAVY_PID_DONE ]] || return 0
	kill -TERM -- "-$HEAVY_PID" 2>/dev/null || true
}

go_vet() {
	step "go vet"
	go vet ./...
	(cd test/images && GOWORK=off go vet ./...)
	if [[ -d test/e2e ]]; then
		go vet -tags e2e ./test/e2e/...
	fi
}

gofmt_check() {
	local files=() f bad
	step "gofmt"
	# Tracked and untracked (not ignored) Go files that exist, minus testdata/vendor.
	while IFS= read -r f; do
		[[ -f $f ]] && files+=("$f")
	done < <(
		if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
			git ls-files -co --exclude-standard -- '*.go'
		else
			find . -name '*.go' -not -path './.git/*'
		fi | grep -Ev '(^|/)(testdata|vendor)/' || true
	)
	((${#files[@]})) || return 0
	bad=$(gofmt -l "${files[@]}")
	if [[ -n $bad ]]; then
		printf '%s\n' "$bad" >&2
		die "these files are not gofmt-formatted; run: gofmt -w $(tr '\n' ' ' <<<"$bad")"
	fi
}

unit_tests() {
	step "go test ./..."
	go test ./...
}

differential() {
	step "generator differential: podman 5.8's quadlet vs berth"
	bash scripts/quadlet-differential.sh
}

# The e2e tests run host by host: first the sid host (its systemd tests, and
# the executor e2e inside sid, rootful and rootless), then the bookworm host
# (this machine's podman 4.3.1, and the bookworm nspawn for its systemd
# tests). Within a host, groups that share nothing run side by side: the
# executor tests use this machine's podman, each nspawn instance has its own
# systemd, podman store and cgroup, and every test names what it makes after
# its own process. The tests that need the background builds (E2E_HEAVY, on
# the bookworm host) start once those are ready: sid goes first so that a
# first run's builds have had the most time by then.
E2E_HEAVY='^(TestObserveBotticelliMetricsAndTraces|TestObserveBotticelliUnderSystemd|TestKubeExportServerDryRun)$'
E2E_NSPAWN='^(TestSystemd.*|TestSidExecutor)$'

# group NAME CMD...: CMD in the background, its lines prefixed by [NAME];
# E2E_JOBS collects them for wait_groups.
group() {
	local name=$1
	shift
	(
		t0=$SECONDS
		rc=0
		set -o pipefail
		"$@" 2>&1 | sed -u "s/^/[$name] /" || rc=$?
		printf '[%s] %s after %ss\n' "$name" "$( ((rc == 0)) && echo passed || echo FAILED)" "$((SECONDS - t0))"
		exit "$rc"
	) &
	E2E_JOBS+=("$name:$!")
}

# wait_groups waits for every group started; fails naming those that failed.
wait_groups() {
	local g failed=()
	for g in "${E2E_JOBS[@]}"; do
		wait "${g#*:}" || failed+=("${g%%:*}")
	done
	E2E_JOBS=()
	((${#failed[@]} == 0)) || die "e2e failed: ${failed[*]} (their lines above are prefixed so)"
}

# after_heavy CMD...: CMD once the background builds are done (in a group's
# subshell, which cannot wait for them: it reads their result file).
after_heavy() {
	if [[ -n $HEAVY_PID ]]; then
		[[ $(heavy_state) != running ]] || echo "waiting for the background builds (log: $RUN_DIR/heavy.log)"
		while [[ $(heavy_state) == running ]]; do
			sleep 2
		done
		echo "background builds took $(heavy_took)"
		[[ $(heavy_state) == done ]] || {
			tail -n 30 "$RUN_DIR/heavy.log"
			echo "the background builds failed (full log: $RUN_DIR/heavy.log)"
			return 1
		}
	fi
	"$@"
}

e2e_tests() {
	local args=(-tags e2e -count=1 -timeout "${BERTH_E2E_TIMEOUT:-25m}")
	# Every package with e2e-tagged tests, not only test/e2e: doctor and
	# observe keep theirs next to the code they exercise.
	local pkgs
	mapfile -t pkgs < <(grep -rl --include='*_test.go' '^//go:build e2e' . | xargs -n1 dirname | sort -u)
	if [[ -n ${BERTH_E2E_RUN:-} ]]; then
		wait_prep
		wait_heavy
		step "go test ${args[*]} -run $BERTH_E2E_RUN ${pkgs[*]}"
		go test "${args[@]}" -run "$BERTH_E2E_RUN" "${pkgs[@]}"
		return
	fi
	E2E_JOBS=()
	step "e2e on the sid host: systemd 262 beside the executor on podman 5.8 (rootful and rootless)"
	group sid-systemd go test "${args[@]}" -run '^TestSystemd/^sid$' ./test/e2e
	group sid-executor go test "${args[@]}" -run '^TestSidExecutor$' ./test/e2e
	wait_groups
	wait_prep
	step "e2e on the bookworm host: executor (podman 4.3.1) beside systemd 252 in nspawn"
	group host go test "${args[@]}" -skip "$E2E_NSPAWN|$E2E_HEAVY" "${pkgs[@]}"
	group bookworm go test "${args[@]}" -run '^TestSystemd/^bookworm$' ./test/e2e
	group heavy after_heavy go test "${args[@]}" -run "$E2E_HEAVY" ./test/e2e
	wait_groups
	wait_heavy
}

main() {
	find_go
	[[ -f go.mod ]] || die "no go.mod in $BERTH_REPO; run this from a berth checkout"
	export BERTH_REPO
	# One cgo setting for every Go build of the run. The e2e tests build
	# static binaries (CGO_ENABLED=0) for the nspawn hosts, the test images
	# and the tests' own berth; with the host's default (1, a C compiler is
	# installed) go vet, the unit tests and the e2e test binaries compiled
	# the standard library and every dependency a second time on a first
	# run. berth has no cgo code.
	export CGO_ENABLED=0
	export BERTH_E2E_PG=${BERTH_E2E_PG:-1}
	export BERTH_E2E_SYSTEMD=${BERTH_E2E_SYSTEMD:-1}
	export BERTH_E2E_OBSERVE=${BERTH_E2E_OBSERVE:-1}
	export BERTH_E2E_KUBE=${BERTH_E2E_KUBE:-1}
	export BERTH_NSPAWN_SH=$BERTH_REPO/scripts/nspawn.sh
	export BERTH_NSPAWN_ROOTFS=${BERTH_NSPAWN_ROOTFS:-$BERTH_CACHE_DIR/nspawn-rootfs}
	export BERTH_E2E_SID=${BERTH_E2E_SID:-$BERTH_E2E_SYSTEMD}
	export BERTH_SID_ROOTFS=${BERTH_SID_ROOTFS:-$BERTH_CACHE_DIR/sid-rootfs}
	export BERTH_KUBE_BIN=${BERTH_KUBE_BIN:-$BERTH_CACHE_DIR/kube/bin}
	local root=1 e2e=1
	if [[ $(id -u) != 0 ]]; then
		root=0
		log "warning: not root, so no host setup, test images or e2e tests (they need rootful podman)"
	fi
	[[ -d test/e2e && ${BERTH_E2E:-1} == 1 ]] || e2e=0
	if ((root)); then
		prepare_host
	fi
	go_vet
	gofmt_check
	unit_tests
	if ((root)); then
		step "waiting for the test images and the sid host"
		wait_prep images sid
	fi
	if ((root)) && [[ $BERTH_E2E_SID == 1 && ${BERTH_DIFFERENTIAL:-1} == 1 ]]; then
		differential
	fi
	if ((root && e2e)); then
		e2e_tests
	elif [[ ! -d test/e2e ]]; then
		log "no test/e2e directory: no end-to-end tests to run"
	fi
	wait_prep # with BERTH_E2E=0 too: leave nothing running
	wait_heavy
	log "all tests passed in $(elapsed "$T_START")"
}

main "$@"

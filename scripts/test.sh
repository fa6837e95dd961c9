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
#    scripts/build-observe-images.sh   Prometheus, Jaeger v2, OTel collector images
#                                     unless BERTH_E2E_OBSERVE=0 (cold: 5-10 min)
#    scripts/build-kube-apiserver.sh   kube-apiserver, kubectl (v1.37.2) and etcd for
#                                     kube export's tests unless BERTH_E2E_KUBE=0
#                                     (cold: ~5.5 min, 2.8 GB)
# 4. go vet ./...                     (and the test/images module, and test/e2e
#                                     with -tags e2e)
# 5. gofmt check                      fails listing the unformatted files
# 6. go test ./...                    unit tests
#    scripts/quadlet-differential.sh  podman 5.8's packaged generator vs berth
#                                     (with the sid rootfs; BERTH_DIFFERENTIAL=0 skips)
# 7. go test -tags e2e -count=1 <every package with e2e tests>  (BERTH_E2E=0 skips)
#
# Time here (2 cores): first run on a fresh host about 3-5 min before the Go
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
step() {
	CURRENT_STEP=$*
	printf '\n==> %s\n' "$*"
}
on_exit() {
	local rc=$?
	((rc == 0)) || log "FAILED in step '$CURRENT_STEP' (exit $rc) after $(elapsed "$T_START")"
}
trap on_exit EXIT

prepare_host() {
	local t0=$SECONDS args=()
	step "host setup and test images"
	bash scripts/setup-host.sh
	[[ $BERTH_E2E_PG == 1 ]] && args+=(--pg)
	[[ ${BERTH_VERIFY_IMAGES:-1} == 1 ]] && args+=(--verify)
	bash scripts/build-test-images.sh "${args[@]}"
	if [[ $BERTH_E2E_SYSTEMD == 1 ]]; then
		bash scripts/build-systemd-rootfs.sh
	fi
	if [[ $BERTH_E2E_SID == 1 ]]; then
		bash scripts/build-systemd-rootfs.sh --suite sid
	fi
	if [[ $BERTH_E2E_OBSERVE == 1 ]]; then
		bash scripts/build-observe-images.sh
	fi
	if [[ $BERTH_E2E_KUBE == 1 ]]; then
		BERTH_KUBE_BIN=$(bash scripts/build-kube-apiserver.sh)
		export BERTH_KUBE_BIN
	fi
	log "host ready in $(elapsed "$t0")"
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

e2e_tests() {
	local args=(-tags e2e -count=1 -timeout "${BERTH_E2E_TIMEOUT:-25m}")
	[[ -n ${BERTH_E2E_RUN:-} ]] && args+=(-run "$BERTH_E2E_RUN")
	# Every package with e2e-tagged tests, not only test/e2e: doctor and
	# observe keep theirs next to the code they exercise.
	local pkgs
	mapfile -t pkgs < <(grep -rl --include='*_test.go' '^//go:build e2e' . | xargs -n1 dirname | sort -u)
	step "go test ${args[*]} ${pkgs[*]}"
	go test "${args[@]}" "${pkgs[@]}"
}

main() {
	find_go
	[[ -f go.mod ]] || die "no go.mod in $BERTH_REPO; run this from a berth checkout"
	export BERTH_REPO
	export BERTH_E2E_PG=${BERTH_E2E_PG:-1}
	export BERTH_E2E_SYSTEMD=${BERTH_E2E_SYSTEMD:-1}
	export BERTH_E2E_OBSERVE=${BERTH_E2E_OBSERVE:-1}
	export BERTH_E2E_KUBE=${BERTH_E2E_KUBE:-1}
	export BERTH_NSPAWN_SH=$BERTH_REPO/scripts/nspawn.sh
	export BERTH_NSPAWN_ROOTFS=${BERTH_NSPAWN_ROOTFS:-$BERTH_CACHE_DIR/nspawn-rootfs}
	export BERTH_E2E_SID=${BERTH_E2E_SID:-$BERTH_E2E_SYSTEMD}
	export BERTH_SID_ROOTFS=${BERTH_SID_ROOTFS:-$BERTH_CACHE_DIR/sid-rootfs}
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
	if ((root)) && [[ $BERTH_E2E_SID == 1 && ${BERTH_DIFFERENTIAL:-1} == 1 ]]; then
		differential
	fi
	if ((root && e2e)); then
		e2e_tests
	elif [[ ! -d test/e2e ]]; then
		log "no test/e2e directory: no end-to-end tests to run"
	fi
	log "all tests passed in $(elapsed "$T_START")"
}

main "$@"

#!/usr/bin/env bash
# Builds the real Kubernetes parts that `berth kube export`'s tests validate
# against, once, cached under $BERTH_CACHE_DIR/kube (never /tmp):
#
#   kube-apiserver and kubectl  v1.37.2, from the Go module proxy
#   etcd                        Debian's etcd-server package, unpacked (not installed)
#
#   scripts/build-kube-apiserver.sh          build what is missing, print the folder
#
# kube-apiserver is k8s.io/kubernetes's command; that module points its 31
# staging modules at ./staging, so a small module of our own requires it and
# replaces each staging module with the release the proxy serves (v0.37.2).
# sample-cli-plugin and sample-controller are left out (the proxy refuses them
# and nothing built here imports them). Cold: ~5.5 min and ~2.8 GB of memory
# on 2 cores; afterwards a no-op. The version is stamped with -ldflags because
# kubectl cannot parse a server without one.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

K8S_VERSION=1.37.2
STAGING_VERSION=0.37.2

out=$BERTH_CACHE_DIR/kube
stamp=$out/v$K8S_VERSION.done

build_go() {
	local mod=$out/build ldf pkg
	mkdir -p "$mod"
	cat >"$mod/go.mod" <<GOMOD
module berth.local/kubebuild

go 1.26

require k8s.io/kubernetes v$K8S_VERSION
GOMOD
	# The staging modules, read off k8s.io/kubernetes's own go.mod.
	local gomod s
	gomod=$(cd "$mod" && GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" |
		sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
	[[ -r $gomod ]] || die "could not download k8s.io/kubernetes@v$K8S_VERSION's go.mod"
	for s in $(sed -n 's|^[[:space:]]*k8s.io/\([a-z0-9-]*\) => ./staging/src/.*|\1|p' "$gomod"); do
		case $s in sample-cli-plugin | sample-controller) continue ;; esac
		printf 'replace k8s.io/%s => k8s.io/%s v%s\n' "$s" "$s" "$STAGING_VERSION" >>"$mod/go.mod"
	done
	printf 'package main\n\nimport _ "k8s.io/kubernetes/cmd/kube-apiserver/app"\n' >"$mod/tools.go"
	(
		cd "$mod"
		export GOFLAGS=-mod=mod GOTOOLCHAIN=local
		go mod tidy >"$out/go-mod.log" 2>&1 || { tail -20 "$out/go-mod.log" >&2; die "go mod tidy failed (log: $out/go-mod.log)"; }
		ldf="-s -w"
		for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
			ldf+=" -X $pkg.gitVersion=v$K8S_VERSION -X $pkg.gitMajor=${K8S_VERSION%%.*}"
			ldf+=" -X $pkg.gitMinor=$(cut -d. -f2 <<<"$K8S_VERSION") -X $pkg.gitTreeState=clean"
		done
		# Without optimisation or inlining (-N -l): these are test fixtures
		# of ~2,040 packages, and the compiler does about 30% less work.
		# (Building them with berth's own flags shared only ~70 packages
		# with berth's build cache; -N -l saves more.)
		nice -n 10 go build -gcflags='all=-N -l' -ldflags "$ldf" -o "$out/bin/kube-apiserver.new" k8s.io/kubernetes/cmd/kube-apiserver
		nice -n 10 go build -gcflags='all=-N -l' -ldflags "$ldf" -o "$out/bin/kubectl.new" k8s.io/kubernetes/cmd/kubectl
	)
	mv -f "$out/bin/kube-apiserver.new" "$out/bin/kube-apiserver"
	mv -f "$out/bin/kubectl.new" "$out/bin/kubectl"
}

get_etcd() {
	local d=$out/etcd-deb
	[[ -x $out/bin/etcd && $(stat -c %s "$out/bin/etcd") -gt 1000000 ]] && return 0
	rm -rf "$d" && mkdir -p "$d"
	(cd "$d" && apt-get download etcd-server >/dev/null) || die "apt-get download etcd-server failed"
	dpkg-deb -x "$d"/etcd-server_*.deb "$d/x"
	install -m 0755 "$d/x/usr/bin/etcd" "$out/bin/etcd"
	rm -rf "$d"
}

main() {
	find_go
	mkdir -p "$out/bin"
	with_lock kube-build
	local t0=$SECONDS
	if [[ ! -f $stamp || ! -x $out/bin/kube-apiserver || ! -x $out/bin/kubectl ]]; then
		log "building kube-apiserver and kubectl v$K8S_VERSION (first run: ~5.5 min)"
		build_go
		touch "$stamp"
	fi
	get_etcd
	log "kube parts ready in $out/bin ($(elapsed "$t0"))"
	echo "$out/bin"
}

main "$@"

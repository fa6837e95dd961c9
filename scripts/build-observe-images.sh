#!/usr/bin/env bash
# Build the observability back ends berth's observe e2e tests run, from the Go
# module proxy, without any registry, each into a FROM scratch image:
#
#   scripts/build-observe-images.sh            prometheus, jaeger and otelcol
#   scripts/build-observe-images.sh jaeger     only some (prometheus|jaeger|otelcol)
#   options: --force (rebuild even if up to date), --verify (start each image
#            with the config berth writes for it and check it answers)
#   env: BERTH_CACHE_DIR (default /var/cache/berth)
#
# Images (all also tagged :latest):
#   localhost/berth-test/prometheus:2.42   Debian's prometheus package (not the
#       Go proxy: a binary linked against libc) with busybox's sh and wget, laid
#       out as Prometheus's own image (/bin/prometheus, user nobody). Seconds.
#   localhost/berth-test/jaeger:$JAEGER_VERSION   Jaeger v2 all-in-one (the
#       module's v1.x tag; its cmd/jaeger is the v2 binary), ENTRYPOINT /jaeger.
#       The Go module carries no UI assets: the UI is a placeholder, the query
#       API (/api/services, /api/traces) works.
#   localhost/berth-test/otelcol:$OTELCOL_VERSION  an OpenTelemetry Collector
#       made by the collector builder: otlp receiver; batch processor; debug,
#       otlp (gRPC), otlphttp and prometheus exporters. ENTRYPOINT /otelcol.
#
# Time here (2 cores, shared): Jaeger ~3-5 min and ~2.2 GB memory cold,
# the collector ~1-2 min; a cached run takes about a second. The builds run
# under `nice`. Binaries, the Go build cache and module cache live in
# $BERTH_CACHE_DIR/observe, so they survive `podman rmi` and `go clean`;
# each image carries io.berth.test.srchash, and an image whose hash matches
# this recipe is skipped.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Bump when the build steps change in a way the hashes do not see.
RECIPE_VERSION=1
PREFIX=localhost/berth-test
HASH_LABEL=io.berth.test.srchash
JAEGER_MODULE=github.com/jaegertracing/jaeger
JAEGER_VERSION=v1.75.0
OTELCOL_VERSION=0.165.0
OBS_CACHE=$BERTH_CACHE_DIR/observe

TMP_DIRS=()
cleanup() {
	local d
	for d in "${TMP_DIRS[@]}"; do
		safe_rm_tree "$d"
	done
}
trap cleanup EXIT

usage() {
	sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"
	exit "${1:-0}"
}

# gobuild_env: Go settings for these builds. Their own caches under
# $OBS_CACHE (Jaeger's module graph is large; keep it out of the developer's
# caches), a static binary (FROM scratch has no libc), no workspace, no VCS
# stamping (the module directory is not a repository).
gobuild_env() {
	export GOMODCACHE=$OBS_CACHE/gomod GOCACHE=$OBS_CACHE/gocache \
		GOFLAGS=-buildvcs=false GOWORK=off CGO_ENABLED=0 GOOS=linux GOTOOLCHAIN=local
}

recipe_hash() {
	{
		echo "recipe=$RECIPE_VERSION"
		go env GOVERSION GOARCH
		declare -f "$@"
	} | sha_of_stdin
}

# Both binaries are built without optimisation or inlining (-N -l): they are
# test fixtures, and the compiler does about 30% less work (the collector,
# cold: 181 -> 125 CPU-seconds, measured here).
GCFLAGS='all=-N -l'

# ---------------------------------------------------------------- jaeger

# make_jaeger_binary OUT: a module that repeats cmd/jaeger's replace lines
# (go install refuses a module with replaces), gets it as a tool, builds it.
make_jaeger_binary() {
	local out=$1 dir=$OBS_CACHE/jaeger-src gomod
	mkdir -p "$dir"
	(
		cd "$dir"
		rm -f go.mod go.sum
		go mod init berth.local/jaeger-build >/dev/null 2>&1
		gomod=$(go mod download -json "$JAEGER_MODULE@$JAEGER_VERSION" | sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p')
		[[ -s $gomod ]] || die "could not download $JAEGER_MODULE@$JAEGER_VERSION from the Go module proxy"
		# Each replace of jaeger's go.mod ("OLD [V] => NEW [V]", one-line or in a
		# block), repeated here.
		awk '/^replace \(/ {b = 1; next} b && /^\)/ {b = 0; next} b {print; next}
			/^replace / {sub(/^replace /, ""); print}' "$gomod" |
			while read -r line; do
				[[ $line == *=\>* ]] || continue
				local l=${line%%=>*} r=${line#*=>}
				read -r op ov <<<"$l"
				read -r np nv <<<"$r"
				go mod edit -replace "$op${ov:+@$ov}=$np${nv:+@$nv}"
			done
		go get -tool "$JAEGER_MODULE/cmd/jaeger@$JAEGER_VERSION"
		nice -n 10 go build -trimpath -gcflags="$GCFLAGS" -ldflags='-s -w' -o "$out.partial" "$JAEGER_MODULE/cmd/jaeger"
		mv "$out.partial" "$out"
	)
}

# ---------------------------------------------------------------- otelcol

# make_otelcol_binary OUT: the collector builder at the same release, a
# manifest of the components berth's configs use, then a static build.
make_otelcol_binary() {
	local out=$1 dir=$OBS_CACHE/otelcol-src v=v$OTELCOL_VERSION
	mkdir -p "$dir/bin"
	GOBIN=$dir/bin nice -n 10 go install "go.opentelemetry.io/collector/cmd/builder@$v"
	cat >"$dir/manifest.yaml" <<EOF
dist:
  name: otelcol
  description: OpenTelemetry Collector for berth's tests
  output_path: $dir/dist
receivers:
  - gomod: go.opentelemetry.io/collector/receiver/otlpreceiver $v
processors:
  - gomod: go.opentelemetry.io/collector/processor/batchprocessor $v
exporters:
  - gomod: go.opentelemetry.io/collector/exporter/debugexporter $v
  - gomod: go.opentelemetry.io/collector/exporter/otlpexporter $v
  - gomod: go.opentelemetry.io/collector/exporter/otlphttpexporter $v
  - gomod: github.com/open-telemetry/opentelemetry-collector-contrib/exporter/prometheusexporter $v
EOF
	nice -n 10 "$dir/bin/builder" --config="$dir/manifest.yaml" --skip-compilation
	(cd "$dir/dist" && nice -n 10 go build -trimpath -gcflags="$GCFLAGS" -ldflags='-s -w' -o "$out.partial" .)
	mv "$out.partial" "$out"
}

# ---------------------------------------------------------------- prometheus

PROM_PACKAGES=(prometheus busybox-static)

prom_containerfile() {
	cat <<'EOF'
FROM scratch
COPY root/ /
COPY --chown=65534:65534 data/ /prometheus/
USER 65534:65534
EXPOSE 9090
ENTRYPOINT ["/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]
EOF
}

# build_prometheus_image: Debian's prometheus package (a Go binary linked
# against libc only) with the host's libc and busybox's sh and wget, laid out
# as Prometheus's own image is (/bin/prometheus, /bin/promtool, nobody, wget
# for the health command berth observe writes).
build_prometheus_image() {
	local debs=$OBS_CACHE/debs ctx hash version img old t0=$SECONDS d
	mkdir -p "$debs"
	# apt-get download fetches only what is missing from the folder.
	(cd "$debs" && apt-get download "${PROM_PACKAGES[@]}" >/dev/null 2>&1) ||
		[[ -n $(compgen -G "$debs/prometheus_*.deb") ]] ||
		die "apt-get download ${PROM_PACKAGES[*]} failed: run apt-get update, or check that Debian's mirror is reachable"
	hash=$({ echo "recipe=$RECIPE_VERSION"; ls "$debs"; prom_containerfile; declare -f build_prometheus_image; } | sha_of_stdin)
	version=$(dpkg-deb -f "$(ls "$debs"/prometheus_*.deb | tail -1)" Version)
	version=${version%%+*}
	img=$PREFIX/prometheus:${version%.*}
	if [[ $FORCE == 0 && $(image_label "$img" "$HASH_LABEL") == "$hash" ]]; then
		log "$img is up to date"
		return
	fi
	mkdir -p "$BERTH_CACHE_DIR/tmp"
	ctx=$(mktemp -d "$BERTH_CACHE_DIR/tmp/observe-prometheus.XXXXXX")
	TMP_DIRS+=("$ctx")
	for d in "$debs"/prometheus_*.deb "$debs"/busybox-static_*.deb; do
		dpkg-deb -x "$d" "$ctx/x"
	done
	mkdir -p "$ctx/root/bin" "$ctx/root/lib64" "$ctx/root/lib/x86_64-linux-gnu" "$ctx/root/etc/prometheus" \
		"$ctx/data" "$ctx/root/usr/share/prometheus"
	cp "$ctx/x/usr/bin/prometheus" "$ctx/x/usr/bin/promtool" "$ctx/x/bin/busybox" "$ctx/root/bin/"
	ln -s busybox "$ctx/root/bin/sh"
	ln -s busybox "$ctx/root/bin/wget"
	cp -r "$ctx/x/usr/share/prometheus/web" "$ctx/root/usr/share/prometheus/" 2>/dev/null || true
	cp -L /lib64/ld-linux-x86-64.so.2 "$ctx/root/lib64/"
	cp -L /lib/x86_64-linux-gnu/libc.so.6 "$ctx/root/lib/x86_64-linux-gnu/"
	printf 'global:\n  scrape_interval: 15s\n' >"$ctx/root/etc/prometheus/prometheus.yml"
	rm -rf "$ctx/x"
	prom_containerfile >"$ctx/Containerfile"
	old=$(image_id "$img")
	podman build -q --pull=never --layers=false --label "$HASH_LABEL=$hash" \
		--label "io.berth.test.name=prometheus" -t "$img" -t "$PREFIX/prometheus:latest" \
		-f "$ctx/Containerfile" "$ctx" >/dev/null || die "podman build of $img failed (see above)"
	drop_replaced_image "$old" "$img"
	safe_rm_tree "$ctx"
	log "built $img in $(elapsed "$t0")"
}

# ---------------------------------------------------------------- images

# containerfile NAME: the image around the binary, laid out as the project's
# own image is (the same entrypoint path and user), so that the units berth
# writes run unchanged on either.
containerfile() {
	case $1 in
	jaeger)
		cat <<'EOF'
FROM scratch
COPY jaeger /cmd/jaeger/jaeger-linux
ENV JAEGER_LISTEN_HOST=0.0.0.0
EXPOSE 4317 4318 13133 16686
USER 10001
ENTRYPOINT ["/cmd/jaeger/jaeger-linux"]
EOF
		;;
	otelcol)
		cat <<'EOF'
FROM scratch
COPY otelcol /otelcol
EXPOSE 4317 4318
USER 10001
ENTRYPOINT ["/otelcol"]
CMD ["--config", "/etc/otelcol/config.yaml"]
EOF
		;;
	esac
}

# build_image NAME VERSION MAKE_FN: the binary (cached by its recipe's hash),
# then a FROM scratch image around it, skipped when its label matches.
build_image() {
	local name=$1 version=$2 make_fn=$3 bhash hash bin img ctx old t0=$SECONDS
	bhash=$({ recipe_hash "$make_fn" gobuild_env; echo "$name $version $GCFLAGS"; } | sha_of_stdin)
	hash=$({ echo "$bhash"; containerfile "$name"; } | sha_of_stdin)
	img=$PREFIX/$name:$version
	if [[ $FORCE == 0 && $(image_label "$img" "$HASH_LABEL") == "$hash" ]]; then
		log "$img is up to date"
		return
	fi
	bin=$OBS_CACHE/bin/$name-$bhash
	if [[ $FORCE == 1 || ! -x $bin ]]; then
		mkdir -p "$OBS_CACHE/bin"
		log "building $name $version from the Go module proxy (minutes the first time)"
		"$make_fn" "$bin" || die "the $name build failed (see above)"
		find "$OBS_CACHE/bin" -name "$name-*" ! -name "${bin##*/}" -delete
		log "built the $name binary in $(elapsed "$t0") ($(du -h "$bin" | cut -f1))"
	fi
	mkdir -p "$BERTH_CACHE_DIR/tmp"
	ctx=$(mktemp -d "$BERTH_CACHE_DIR/tmp/observe-$name.XXXXXX")
	TMP_DIRS+=("$ctx")
	cp "$bin" "$ctx/$name"
	containerfile "$name" >"$ctx/Containerfile"
	old=$(image_id "$img")
	podman build -q --pull=never --layers=false --label "$HASH_LABEL=$hash" \
		--label "io.berth.test.name=$name" -t "$img" -t "$PREFIX/$name:latest" \
		-f "$ctx/Containerfile" "$ctx" >/dev/null || die "podman build of $img failed (see above)"
	drop_replaced_image "$old" "$img"
	safe_rm_tree "$ctx"
	log "built $img in $(elapsed "$t0")"
}

# ---------------------------------------------------------------- --verify

VERIFY_TAG=berth-obsverify-$$
verify_cleanup() {
	rm_containers "$VERIFY_TAG-jaeger" "$VERIFY_TAG-otelcol" "$VERIFY_TAG-prometheus"
	podman volume rm -f "$VERIFY_TAG" >/dev/null 2>&1 || true
}

# verify: each image starts and serves (prometheus: /-/ready through its own
# wget, as the health command berth writes; jaeger: the query API; otelcol:
# its OTLP/HTTP receiver answers a POST with an empty export).
verify() {
	local t0=$SECONDS i
	trap 'verify_cleanup; cleanup' EXIT
	if [[ " ${WANT[*]} " == *" jaeger "* ]]; then
		podman run -d --name "$VERIFY_TAG-jaeger" -p 127.0.0.1::16686 "$PREFIX/jaeger:latest" >/dev/null 9>&-
		local port
		port=$(podman port "$VERIFY_TAG-jaeger" 16686/tcp | sed 's/.*://')
		for i in $(seq 100); do
			curl -fsS "http://127.0.0.1:$port/api/services" >/dev/null 2>&1 && break
			[[ $i == 100 ]] && die "verify: jaeger's query API did not answer: $(podman logs --tail 20 "$VERIFY_TAG-jaeger" 2>&1)"
			sleep 0.2
		done
	fi
	if [[ " ${WANT[*]} " == *" prometheus "* ]]; then
		podman run -d --name "$VERIFY_TAG-prometheus" -v "$VERIFY_TAG:/prometheus:U" "$PREFIX/prometheus:latest" >/dev/null 9>&-
		for i in $(seq 50); do
			podman exec "$VERIFY_TAG-prometheus" wget -q -O /dev/null http://127.0.0.1:9090/-/ready 2>/dev/null && break
			[[ $i == 50 ]] && die "verify: prometheus was not ready (or has no wget): $(podman logs --tail 20 "$VERIFY_TAG-prometheus" 2>&1)"
			sleep 0.2
		done
	fi
	if [[ " ${WANT[*]} " == *" otelcol "* ]]; then
		podman run -d --name "$VERIFY_TAG-otelcol" -p 127.0.0.1::4318 "$PREFIX/otelcol:latest" \
			--config 'yaml:receivers::otlp::protocols::http::endpoint: 0.0.0.0:4318' \
			--config 'yaml:exporters::debug: {}' \
			--config 'yaml:service::pipelines::traces::receivers: [otlp]' \
			--config 'yaml:service::pipelines::traces::exporters: [debug]' >/dev/null 9>&-
		local port
		port=$(podman port "$VERIFY_TAG-otelcol" 4318/tcp | sed 's/.*://')
		for i in $(seq 100); do
			curl -fsS -H 'Content-Type: application/json' -d '{}' "http://127.0.0.1:$port/v1/traces" >/dev/null 2>&1 && break
			[[ $i == 100 ]] && die "verify: the collector's OTLP/HTTP receiver did not answer: $(podman logs --tail 20 "$VERIFY_TAG-otelcol" 2>&1)"
			sleep 0.2
		done
	fi
	verify_cleanup
	trap cleanup EXIT
	log "verified the observe images in $(elapsed "$t0")"
}

# ---------------------------------------------------------------- main

main() {
	FORCE=0 VERIFY=0 WANT=()
	while (($#)); do
		case $1 in
		jaeger | otelcol | prometheus) WANT+=("$1") ;;
		--force) FORCE=1 ;;
		--verify) VERIFY=1 ;;
		-h | --help) usage 0 ;;
		*)
			log "unknown argument '$1'"
			usage 2
			;;
		esac
		shift
	done
	((${#WANT[@]})) || WANT=(prometheus jaeger otelcol)
	require_root
	require_cmd podman "run scripts/setup-host.sh first"
	find_go
	with_lock build-observe-images
	gobuild_env
	local name
	for name in "${WANT[@]}"; do
		case $name in
		jaeger) build_image jaeger "${JAEGER_VERSION#v}" make_jaeger_binary ;;
		otelcol) build_image otelcol "$OTELCOL_VERSION" make_otelcol_binary ;;
		prometheus) build_prometheus_image ;;
		esac
	done
	if ((VERIFY)); then
		verify
	fi
}

main "$@"

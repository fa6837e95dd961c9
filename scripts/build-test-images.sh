#!/usr/bin/env bash
# Build the local images berth's end-to-end tests use, without any registry.
#
#   scripts/build-test-images.sh            web, kv, client (a few seconds)
#   scripts/build-test-images.sh --pg       ... and pg:15 (1-3 min the first time)
#   scripts/build-test-images.sh --all      same as --pg
#   scripts/build-test-images.sh --pg-only  only pg:15
#   options: --force (rebuild even if up to date), --verify (smoke-test the
#            images afterwards: DNS across a network, volume, health check, pg)
#   env: BERTH_TEST_PG=1 is --pg; BERTH_CACHE_DIR (default /var/cache/berth);
#        BERTH_DEBIAN_MIRROR (default: the URIs: line of apt's debian.sources)
#
# Images (all "localhost/berth-test/..."):
#   web:latest     Go HTTP server :8080, /healthz, `/web -check URL` health mode
#   kv:latest      Go key-value store :8081 on DATA_DIR=/data, `/kv -check URL`
#   client:latest  Go HTTP/DNS client (-get/-put/-wait/-resolve/-sleep)
#   pg:15          PostgreSQL 15 (Debian bookworm), pg_isready for health
# Sources are in test/images/. Each image carries the label
# io.berth.test.srchash; an image whose hash matches its sources is skipped.
# The pg root filesystem (debootstrap + trim) is cached as a tarball in
# $BERTH_CACHE_DIR, so it survives `podman system reset` / `podman rmi -a`.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Bump when this script's build steps change in a way the hashes do not see.
RECIPE_VERSION=1
PREFIX=localhost/berth-test
IMAGES_DIR=$BERTH_REPO/test/images
SMALL_IMAGES=(web kv client)
HASH_LABEL=io.berth.test.srchash

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

# ---------------------------------------------------------------- Go images

go_image_hash() {
	local name=$1
	{
		echo "recipe=$RECIPE_VERSION"
		go env GOVERSION GOARCH
		cd "$IMAGES_DIR"
		sha256sum go.mod
		find "$name" -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
	} | sha_of_stdin
}

build_go_image() {
	local name=$1 img=$PREFIX/$1:latest hash ctx old t0=$SECONDS
	hash=$(go_image_hash "$name")
	if [[ $FORCE == 0 && $(image_label "$img" "$HASH_LABEL") == "$hash" ]]; then
		log "$img is up to date"
		return
	fi
	ctx=$(mktemp -d "${TMPDIR:-/tmp}/berth-image-$name.XXXXXX")
	TMP_DIRS+=("$ctx")
	(cd "$IMAGES_DIR" && CGO_ENABLED=0 GOOS=linux GOWORK=off \
		go build -trimpath -ldflags='-s -w' -o "$ctx/$name" "./$name") ||
		die "go build of test/images/$name failed (see above)"
	cp "$IMAGES_DIR/$name/Containerfile" "$ctx/Containerfile"
	mkdir "$ctx/empty"
	old=$(image_id "$img")
	podman build -q --pull=never --layers=false --label "$HASH_LABEL=$hash" --label "io.berth.test.name=$name" \
		-t "$img" -f "$ctx/Containerfile" "$ctx" >/dev/null ||
		die "podman build of $img failed (see above)"
	drop_replaced_image "$old" "$img"
	safe_rm_tree "$ctx"
	log "built $img in $(elapsed "$t0")"
}

# ---------------------------------------------------------------- pg:15

PG_BASE=$PREFIX/pg-base:15
PG_IMAGE=$PREFIX/pg:15
PG_SUITE=bookworm
PG_PACKAGES=postgresql-15

# make_pg_rootfs ROOT: debootstrap Debian with PostgreSQL 15 into ROOT and trim
# it. (Its source text is part of the cache key of the rootfs tarball.)
make_pg_rootfs() {
	local root=$1 ids
	log "debootstrap $PG_SUITE + $PG_PACKAGES from $(debian_mirror) (a minute or two)"
	run_debootstrap "$PG_SUITE" "$root" "$PG_PACKAGES" "$BERTH_CACHE_DIR/pg-rootfs-debootstrap.log"
	# Trim: documentation, locales, apt caches and lists, logs, and the
	# cluster the Debian package created (pg-start runs initdb itself).
	rm -rf "$root"/usr/share/{doc,man,info,locale,lintian}/* \
		"$root"/var/cache/apt/* "$root"/var/lib/apt/lists/* \
		"$root"/var/cache/debconf/*-old "$root"/var/lib/dpkg/*-old \
		"$root"/etc/postgresql/15/main "$root"/var/lib/postgresql/15
	find "$root/var/log" -type f -delete
	ids=$(awk -F: '$1 == "postgres" {print $3 ":" $4}' "$root/etc/passwd")
	[[ -n $ids ]] || die "no postgres user in the debootstrapped rootfs"
	# The data directory is owned by postgres and mode 0700, so a new named
	# volume mounted there inherits both on first use.
	install -d -o "${ids%:*}" -g "${ids#*:}" -m 0700 "$root/var/lib/postgresql/data"
	install -d -o "${ids%:*}" -g "${ids#*:}" -m 2775 "$root/run/postgresql"
	: >"$root/etc/machine-id"
}

pg_base_hash() {
	{
		echo "recipe=$RECIPE_VERSION suite=$PG_SUITE packages=$PG_PACKAGES"
		declare -f make_pg_rootfs run_debootstrap
	} | sha_of_stdin
}

pg_image_hash() {
	{
		echo "recipe=$RECIPE_VERSION base=$(pg_base_hash)"
		cd "$IMAGES_DIR"
		find pg -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
	} | sha_of_stdin
}

ensure_pg_base() {
	local hash tarball work old t0=$SECONDS
	hash=$(pg_base_hash)
	if [[ $FORCE == 0 && $(image_label "$PG_BASE" "$HASH_LABEL") == "$hash" ]]; then
		return
	fi
	tarball=$BERTH_CACHE_DIR/pg15-rootfs-$hash.tar
	if [[ $FORCE == 1 || ! -s $tarball ]]; then
		mkdir -p "$BERTH_CACHE_DIR/tmp"
		work=$(mktemp -d "$BERTH_CACHE_DIR/tmp/pg-rootfs.XXXXXX")
		TMP_DIRS+=("$work")
		make_pg_rootfs "$work/root"
		tar --numeric-owner -C "$work/root" -cf "$tarball.partial" .
		mv "$tarball.partial" "$tarball"
		safe_rm_tree "$work"
		# Older tarballs are superseded.
		find "$BERTH_CACHE_DIR" -maxdepth 1 -name 'pg15-rootfs-*.tar' ! -name "${tarball##*/}" -delete
		log "cached the pg rootfs in $tarball ($(du -h "$tarball" | cut -f1), $(elapsed "$t0"))"
	fi
	old=$(image_id "$PG_BASE")
	podman import -q --change "LABEL=$HASH_LABEL=$hash" "$tarball" "$PG_BASE" >/dev/null ||
		die "podman import of $tarball failed; delete it to rebuild from scratch"
	drop_replaced_image "$old" "$PG_BASE"
}

build_pg_image() {
	local hash old t0=$SECONDS
	hash=$(pg_image_hash)
	if [[ $FORCE == 0 && $(image_label "$PG_IMAGE" "$HASH_LABEL") == "$hash" ]]; then
		log "$PG_IMAGE is up to date"
		return
	fi
	ensure_pg_base
	old=$(image_id "$PG_IMAGE")
	podman build -q --pull=never --layers=false --label "$HASH_LABEL=$hash" --label "io.berth.test.name=pg" \
		-t "$PG_IMAGE" -f "$IMAGES_DIR/pg/Containerfile" "$IMAGES_DIR/pg" >/dev/null ||
		die "podman build of $PG_IMAGE failed (see above)"
	drop_replaced_image "$old" "$PG_IMAGE"
	log "built $PG_IMAGE in $(elapsed "$t0")"
}

# ---------------------------------------------------------------- --verify

VERIFY_TAG=berth-verify-$$
verify_cleanup() {
	rm_containers "$VERIFY_TAG-kv" "$VERIFY_TAG-web" "$VERIFY_TAG-pg"
	podman network rm -f "$VERIFY_TAG" >/dev/null 2>&1 || true
	podman volume rm -f "$VERIFY_TAG" >/dev/null 2>&1 || true
}

# prun: podman run, minus the harmless "failed to connect to syslog" line
# aardvark-dns prints when a network's first container starts on a host
# without a syslog socket.
prun() {
	podman run "$@" 2> >(grep -v '^failed to connect to syslog' >&2) 9>&-
}

# verify: start the images the way the e2e tests do and check they behave.
verify() {
	local t0=$SECONDS out i
	trap 'verify_cleanup; cleanup' EXIT
	podman network create "$VERIFY_TAG" >/dev/null
	podman volume create "$VERIFY_TAG" >/dev/null
	prun -d --name "$VERIFY_TAG-kv" --network "$VERIFY_TAG" --network-alias kv \
		-v "$VERIFY_TAG:/data" "$PREFIX/kv:latest" >/dev/null
	prun --rm --network "$VERIFY_TAG" "$PREFIX/client:latest" \
		-wait http://kv:8081/healthz -timeout 20s >/dev/null ||
		die "verify: client could not reach kv by name on a user-defined network (aardvark-dns?)"
	prun --rm --network "$VERIFY_TAG" "$PREFIX/client:latest" -put http://kv:8081/k/x hello >/dev/null
	podman rm -f -t 5 "$VERIFY_TAG-kv" >/dev/null
	prun -d --name "$VERIFY_TAG-kv" --network "$VERIFY_TAG" --network-alias kv \
		-v "$VERIFY_TAG:/data" "$PREFIX/kv:latest" >/dev/null
	out=$(prun --rm --network "$VERIFY_TAG" "$PREFIX/client:latest" -wait http://kv:8081/k/x -timeout 20s) ||
		die "verify: value did not survive a kv container replacement"
	[[ $out == hello ]] || die "verify: kv returned '$out', want 'hello'"

	prun -d --name "$VERIFY_TAG-web" --network "$VERIFY_TAG" -e READY_AFTER=1 \
		--health-cmd '["/web","-check","http://127.0.0.1:8080/healthz"]' --health-interval disable \
		"$PREFIX/web:latest" >/dev/null
	podman healthcheck run "$VERIFY_TAG-web" >/dev/null 2>&1 &&
		die "verify: web reported healthy before READY_AFTER"
	for i in $(seq 50); do
		podman healthcheck run "$VERIFY_TAG-web" >/dev/null 2>&1 && break
		[[ $i == 50 ]] && die "verify: web never became healthy"
		sleep 0.1
	done
	t1=$SECONDS
	podman stop -t 10 "$VERIFY_TAG-web" >/dev/null
	((SECONDS - t1 < 5)) || die "verify: web ignored SIGTERM (stop took $((SECONDS - t1))s)"

	if [[ $(image_id "$PG_IMAGE") != "" && $BUILD_PG == 1 ]]; then
		prun -d --name "$VERIFY_TAG-pg" --network "$VERIFY_TAG" -e POSTGRES_PASSWORD=secret \
			-e POSTGRES_DB=app "$PG_IMAGE" >/dev/null
		for i in $(seq 100); do
			podman exec "$VERIFY_TAG-pg" pg_isready -q -h 127.0.0.1 && break
			[[ $i == 100 ]] && die "verify: pg not ready after 20 s: $(podman logs --tail 20 "$VERIFY_TAG-pg" 2>&1)"
			sleep 0.2
		done
		out=$(podman exec -e PGPASSWORD=secret "$VERIFY_TAG-pg" \
			psql -h 127.0.0.1 -U postgres -d app -Atc 'select 40 + 2') ||
			die "verify: psql over TCP with the password failed"
		[[ $out == 42 ]] || die "verify: psql returned '$out'"
	fi
	verify_cleanup
	trap cleanup EXIT
	log "verified the images in $(elapsed "$t0")"
}

# ---------------------------------------------------------------- main

main() {
	BUILD_SMALL=1 BUILD_PG=0 FORCE=0 VERIFY=0
	[[ ${BERTH_TEST_PG:-0} == 1 ]] && BUILD_PG=1
	while (($#)); do
		case $1 in
		--pg | --all) BUILD_PG=1 ;;
		--pg-only) BUILD_PG=1 BUILD_SMALL=0 ;;
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
	require_root
	require_cmd podman "run scripts/setup-host.sh first"
	find_go
	with_lock build-test-images
	local name
	if ((BUILD_SMALL)); then
		for name in "${SMALL_IMAGES[@]}"; do
			build_go_image "$name"
		done
	fi
	if ((BUILD_PG)); then
		build_pg_image
	fi
	if ((VERIFY)); then
		verify
	fi
}

main "$@"

#!/usr/bin/env bash
# Build podman's own quadlet generator (cmd/quadlet) from podman's source, to
# measure and compare berth's generator against it. Nothing of podman's is
# ever committed: the source is unpacked and the binary built under
# $BERTH_CACHE_DIR (default /var/cache/berth), once per commit.
#
#   scripts/build-podman-quadlet.sh [--git DIR] [REF]
#   REF    a tag or branch of podman's repository (default v5.8.2)
#   --git  a clone of github.com/containers/podman (default $BERTH_PODMAN_GIT,
#          else /work/.mirror/containers+podman/repo)
#
# Prints the binary's path: $BERTH_CACHE_DIR/podman-quadlet-5.8.2 for a
# release tag vX.Y.Z, $BERTH_CACHE_DIR/podman-quadlet-REF for a branch (main
# is podman 6.0 in the making). The source stays in
# $BERTH_CACHE_DIR/podman-src-NAME (its docs and test/e2e/quadlet cases are
# what the reference tests read). A binary built from the commit REF names
# now is not rebuilt.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

GIT=${BERTH_PODMAN_GIT:-/work/.mirror/containers+podman/repo} REF=v5.8.2
while (($#)); do
	case $1 in
	--git) GIT=$2; shift ;;
	-h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	-*) die "unknown argument '$1'" ;;
	*) REF=$1 ;;
	esac
	shift
done
git --git-dir="$GIT" rev-parse -q --verify "$REF^{commit}" >/dev/null 2>&1 ||
	die "no $REF in $GIT: clone github.com/containers/podman there (or pass --git DIR)"
COMMIT=$(git --git-dir="$GIT" rev-parse "$REF^{commit}")
NAME=${REF#v}
NAME=${NAME//\//-}
OUT=$BERTH_CACHE_DIR/podman-quadlet-$NAME
SRC=$BERTH_CACHE_DIR/podman-src-$NAME

with_lock "podman-quadlet-$NAME"
if [[ -x $OUT && $(cat "$OUT.commit" 2>/dev/null) == "$COMMIT" ]]; then
	echo "$OUT"
	exit 0
fi
find_go
log "building podman's quadlet generator from $REF ($COMMIT) into $OUT"
if [[ $(cat "$SRC/.berth-commit" 2>/dev/null) != "$COMMIT" ]]; then
	rm -rf -- "$SRC.new"
	mkdir -p "$SRC.new"
	# A mirror may lack its largest blobs (sqlite's C amalgamation, which
	# cmd/quadlet does not build): unpack everything else.
	local_index=$SRC.new.index
	git --git-dir="$GIT" ls-tree -r "$COMMIT" | awk '$2 == "blob"' >"$SRC.new.tree"
	missing=$(cut -d' ' -f3 "$SRC.new.tree" | cut -f1 | git --git-dir="$GIT" cat-file --batch-check |
		awk 'NR == FNR { if ($2 == "missing") gone[$1] = 1; next }
			{ split($0, f, "\t"); split(f[1], m, " "); if (m[3] in gone) print f[2] }' - "$SRC.new.tree")
	rm -f -- "$SRC.new.tree" "$local_index"
	GIT_INDEX_FILE=$local_index git --git-dir="$GIT" read-tree "$COMMIT"
	if [[ -n $missing ]]; then
		log "not in $GIT, left out: $missing"
		xargs -d '\n' env GIT_INDEX_FILE="$local_index" git --git-dir="$GIT" update-index --force-remove -- <<<"$missing"
	fi
	GIT_INDEX_FILE=$local_index git --git-dir="$GIT" --work-tree="$SRC.new" checkout-index -a --prefix="$SRC.new/"
	rm -f -- "$local_index"
	echo "$COMMIT" >"$SRC.new/.berth-commit"
	rm -rf -- "$SRC"
	mv "$SRC.new" "$SRC"
fi
# podman vendors its dependencies: no network needed.
(cd "$SRC" && GOTOOLCHAIN=local GOFLAGS=-mod=vendor CGO_ENABLED=0 go build -o "$OUT.new" ./cmd/quadlet) ||
	die "go build of podman's cmd/quadlet ($REF) failed (see above)"
mv "$OUT.new" "$OUT"
echo "$COMMIT" >"$OUT.commit"
echo "$OUT"

#!/usr/bin/env bash
# The main job on the bundled example: bring the Colosseum stack (PostgreSQL +
# agent, examples/colosseum) up on podman with berth, without systemd.
#
#   scripts/demo.sh          set up, build, `berth up -d`, show it working
#   scripts/demo.sh down     take the stack down again (the data volume stays)
#
# Idempotent: run it again and nothing is rebuilt or recreated needlessly.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STACK=$BERTH_REPO/examples/colosseum
BERTH=$BERTH_REPO/bin/berth

build_berth() {
	find_go
	log "building berth, its generator and the example agent"
	# berth-generator goes beside berth: `berth install` links it as the
	# systemd generator.
	(cd "$BERTH_REPO" && go build -o "$(dirname "$BERTH")/" ./cmd/berth ./cmd/berth-generator &&
		CGO_ENABLED=0 go build -o examples/agent/bin/agent ./examples/agent) ||
		die "go build failed (see above)"
}

# ensure_secret: the database password lives in a podman secret, never in a
# unit file. A random one is made on first run.
ensure_secret() {
	if ! podman secret inspect colosseum-db-password >/dev/null 2>&1; then
		log "creating podman secret colosseum-db-password"
		head -c 18 /dev/urandom | base64 | tr -d '\n/+=' | podman secret create colosseum-db-password - >/dev/null
	fi
}

main() {
	require_root
	if [[ ${1:-} == down ]]; then
		"$BERTH" -C "$STACK" down
		return
	fi
	bash "$BERTH_REPO/scripts/setup-host.sh"
	bash "$BERTH_REPO/scripts/build-test-images.sh" --pg
	build_berth
	ensure_secret
	"$BERTH" -C "$STACK" up -d
	"$BERTH" -C "$STACK" ps
	log "agent says: $(curl -fsS http://127.0.0.1:8000/ || echo 'no answer')"
	log "stack is up; 'scripts/demo.sh down' takes it down (the database volume is kept)"
}

main "$@"

#!/usr/bin/env bash
# Boot the systemd e2e rootfs (scripts/build-systemd-rootfs.sh) in
# systemd-nspawn and run commands in it. Every boot gets a fresh overlay on
# top of the cached rootfs (which stays clean) and its own empty
# /var/lib/containers; `stop` throws both away.
#
#   scripts/nspawn.sh [--name NAME] start [-- NSPAWN-ARGS...]
#        (re)boot a fresh instance, wait until `systemctl is-system-running`
#        says running or degraded, print the PID of its init (for nsenter -t)
#   scripts/nspawn.sh [--name NAME] exec CMD [ARGS...]
#        run CMD inside (all namespaces, clean environment); stdin is passed
#        through and the exit status is CMD's
#   scripts/nspawn.sh [--name NAME] load [--user USER] IMAGE...
#        copy images from the host's podman into the instance's podman (root's,
#        or USER's rootless store); `podman save` output is cached by image ID
#        in $BERTH_CACHE_DIR/images
#   scripts/nspawn.sh [--name NAME] cp HOST-FILE PATH
#        copy a host file to PATH inside (mode kept, directories created)
#   scripts/nspawn.sh [--name NAME] stop      SIGTERM, wait, discard the instance
#   scripts/nspawn.sh [--name NAME] status    "running PID" (exit 0) or "stopped" (exit 1)
#   scripts/nspawn.sh [--name NAME] pid       the init PID, or exit 1
#
# NAME defaults to $BERTH_NSPAWN_NAME or "berth-e2e"; instances with different
# names can run side by side. NSPAWN-ARGS are added to systemd-nspawn's
# command line, e.g. --bind-ro=/path/to/bin:/opt/berth; binds onto /tmp or
# /var/tmp inside are refused (systemd empties them at boot). The host's own
# root and /tmp are never used. State: $BERTH_CACHE_DIR/nspawn/NAME/.
# Every instance runs in a cgroup of its own (berth-nspawn/NAME in each
# hierarchy), never the caller's, so two instances never share one.
# Env: BERTH_NSPAWN_ROOTFS (the bookworm rootfs by default; the sid one is
# $BERTH_CACHE_DIR/sid-rootfs), BERTH_NSPAWN_BOOT_TIMEOUT (seconds, default 120).
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROOTFS=${BERTH_NSPAWN_ROOTFS:-$BERTH_CACHE_DIR/nspawn-rootfs}
NAME=${BERTH_NSPAWN_NAME:-berth-e2e}
BOOT_TIMEOUT=${BERTH_NSPAWN_BOOT_TIMEOUT:-120}
INNER_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

usage() {
	sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"
	exit "${1:-0}"
}

state_dir() { printf '%s/nspawn/%s\n' "$BERTH_CACHE_DIR" "$NAME"; }

alive() { [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null; }

nspawn_pid() {
	local f
	f=$(state_dir)/nspawn.pid
	[[ -r $f ]] && cat "$f"
}

# leader_pid: PID (in the host's namespace) of the instance's init.
leader_pid() {
	local f pid
	f=$(state_dir)/leader.pid
	[[ -r $f ]] || return 1
	pid=$(cat "$f")
	alive "$(nspawn_pid)" && alive "$pid" || return 1
	printf '%s\n' "$pid"
}

# find_leader NSPAWN_PID: the descendant of systemd-nspawn that is PID 1 in
# its own PID namespace (NSpid: <host pid> 1).
find_leader() {
	local nspawn=$1 s pid ppid nspid
	for s in /proc/[0-9]*/status; do
		pid='' ppid='' nspid=''
		while read -r k v; do
			case $k in
			Pid:) pid=$v ;;
			PPid:) ppid=$v ;;
			NSpid:) nspid=$v ;;
			esac
		done 2>/dev/null <"$s" || continue
		if [[ $ppid == "$nspawn" && $nspid == *[[:space:]]1 ]]; then
			printf '%s\n' "$pid"
			return 0
		fi
	done
	return 1
}

in_instance() {
	local pid=$1
	shift
	nsenter -t "$pid" -a -r -w \
		env -i PATH="$INNER_PATH" HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" "$@"
}

check_nspawn_args() {
	local a target
	for a in "$@"; do
		case $a in
		--bind=* | --bind-ro=* | --tmpfs=* | --overlay=* | --overlay-ro=*)
			target=${a#*=}
			[[ $target == *:* ]] && target=${target#*:}
			target=${target%%:*}
			case $target in
			/tmp | /tmp/* | /var/tmp | /var/tmp/*)
				die "refusing '$a': systemd in the instance empties $target at boot"
				;;
			esac
			;;
		-D* | --directory* | -i* | --image* | --ephemeral | -x)
			die "refusing '$a': nspawn.sh chooses the root directory itself"
			;;
		esac
	done
}

cmd_start() {
	local dir pid leader state t0=$SECONDS
	[[ ${1:-} == -- ]] && shift
	check_nspawn_args "$@"
	require_cmd systemd-nspawn "run scripts/setup-host.sh (or apt-get install systemd-container)"
	[[ -r $ROOTFS/.berth-recipe ]] ||
		die "no systemd rootfs at $ROOTFS; build it with scripts/build-systemd-rootfs.sh"
	dir=$(state_dir)
	if [[ -e $dir ]]; then
		alive "$(nspawn_pid)" && log "$NAME is running; stopping it for a fresh boot"
		cmd_stop
	fi
	mkdir -p "$dir"/{upper,work,merged,containers}
	mount -t overlay overlay -o "lowerdir=$ROOTFS,upperdir=$dir/upper,workdir=$dir/work" "$dir/merged" ||
		die "could not mount an overlay on $ROOTFS (is the overlay module available?)"
	echo "$ROOTFS" >"$dir/rootfs"
	# setsid: not in the caller's process group; output to a file so a caller
	# reading our stdout (e.g. Go's exec) does not wait for the instance.
	# in_own_cgroup: with --keep-unit --register=no nspawn puts the
	# instance in <its cgroup>/payload, which two instances started from the
	# same cgroup would share (one's shutdown then hits the other).
	# SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1: systemd >= 256 (the sid rootfs)
	# refuses the hybrid hierarchy; bookworm's 252 boots either way.
	SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 setsid bash "$0" --name "$NAME" in-own-cgroup \
		systemd-nspawn -q -D "$dir/merged" -M "$NAME" -b \
		--register=no --keep-unit --private-network --console=pipe \
		--system-call-filter='@keyring bpf' \
		--bind="$dir/containers:/var/lib/containers" "$@" \
		</dev/null >"$dir/console.log" 2>&1 9>&- &
	pid=$!
	echo "$pid" >"$dir/nspawn.pid"
	leader=
	while ((SECONDS - t0 < BOOT_TIMEOUT)); do
		alive "$pid" || break
		if [[ -z $leader ]]; then
			leader=$(find_leader "$pid") && echo "$leader" >"$dir/leader.pid"
		fi
		if [[ -n $leader ]]; then
			state=$(in_instance "$leader" systemctl is-system-running 2>/dev/null) || true
			case $state in
			running | degraded) break ;;
			esac
		fi
		sleep 0.2
	done
	if ! alive "$pid"; then
		tail -n 30 "$dir/console.log" >&2 || true
		cmd_stop
		die "systemd-nspawn exited during boot (console output above)"
	fi
	if [[ $state != running && $state != degraded ]]; then
		tail -n 30 "$dir/console.log" >&2 || true
		cmd_stop
		die "$NAME did not finish booting within ${BOOT_TIMEOUT}s (state: ${state:-unknown})"
	fi
	if [[ $state == degraded ]]; then
		log "$NAME booted degraded; failed units: $(in_instance "$leader" systemctl --failed --plain --no-legend 2>/dev/null | awk '{print $1}' | tr '\n' ' ')"
	fi
	printf '%s\n' "$leader"
}

# cgroup_roots: the host's cgroup hierarchies nspawn uses: the unified one
# (/sys/fs/cgroup itself on a cgroup v2 host, /sys/fs/cgroup/unified on a
# hybrid one) and the named systemd one of a hybrid host.
cgroup_roots() {
	local d
	for d in /sys/fs/cgroup /sys/fs/cgroup/unified /sys/fs/cgroup/systemd; do
		[[ -e $d/cgroup.procs ]] && printf '%s\n' "$d"
	done
	return 0
}

own_cgroup() { printf 'berth-nspawn/%s\n' "$NAME"; }

# cmd_in_own_cgroup CMD...: exec CMD in a cgroup of this instance's own in
# every hierarchy (a process of its own: the caller's shell stays put).
cmd_in_own_cgroup() {
	local d cg
	cg=$(own_cgroup)
	while read -r d; do
		mkdir -p "$d/$cg" && echo $$ >"$d/$cg/cgroup.procs" ||
			die "cannot move into the cgroup $d/$cg"
	done < <(cgroup_roots)
	exec "$@"
}

# drop_own_cgroup: remove the instance's (now empty) cgroups, deepest first.
drop_own_cgroup() {
	local d cg
	cg=$(own_cgroup)
	while read -r d; do
		[[ -d $d/$cg ]] || continue
		find "$d/$cg" -depth -type d -exec rmdir {} + 2>/dev/null || true
	done < <(cgroup_roots)
}

cmd_exec() {
	local leader
	(($#)) || die "exec: which command? usage: $0 exec CMD [ARGS...]"
	leader=$(leader_pid) || die "$NAME is not running; start it with $0 --name $NAME start"
	in_instance "$leader" "$@"
}

# image_tar IMAGE: a `podman save` of the host's IMAGE, cached by image ID
# under $BERTH_CACHE_DIR/images (saved once per image build; older saves of
# the same image are dropped).
image_tar() {
	local img=$1 id base tar
	id=$(podman image inspect --format '{{.Id}}' "$img" 2>/dev/null) ||
		die "load: no image '$img' on the host (scripts/build-test-images.sh builds the test images)"
	base=$(printf '%s' "$img" | tr -c 'A-Za-z0-9.-' '_')
	tar=$BERTH_CACHE_DIR/images/$base-${id:0:16}.tar
	if [[ ! -s $tar ]]; then
		mkdir -p "$BERTH_CACHE_DIR/images"
		(
			flock -w 300 9 || die "timed out waiting for $BERTH_CACHE_DIR/images/.lock"
			if [[ ! -s $tar ]]; then
				rm -f "$BERTH_CACHE_DIR/images/$base"-*.tar
				podman save -q -o "$tar.part" "$img" && mv "$tar.part" "$tar"
			fi
		) 9>"$BERTH_CACHE_DIR/images/.lock" || die "load: podman save $img failed"
	fi
	printf '%s\n' "$tar"
}

# cmd_load [--user USER] IMAGE...: into root's podman, or USER's rootless one
# (through runuser, with the user manager's runtime folder; the tar comes in
# on stdin from a file, never a pipe: rootless podman's pause process would
# keep a pipe open).
cmd_load() {
	local leader img tar user='' uid
	if [[ ${1:-} == --user ]]; then
		user=${2:?--user needs a user name}
		shift 2
	fi
	(($#)) || die "load: which images?"
	leader=$(leader_pid) || die "$NAME is not running; start it with $0 --name $NAME start"
	local as=()
	if [[ -n $user ]]; then
		uid=$(in_instance "$leader" id -u "$user") || die "load: no user '$user' in $NAME"
		as=(runuser -u "$user" -- env HOME="/home/$user" USER="$user" XDG_RUNTIME_DIR="/run/user/$uid"
			DBUS_SESSION_BUS_ADDRESS="unix:path=/run/user/$uid/bus")
	fi
	for img in "$@"; do
		tar=$(image_tar "$img")
		in_instance "$leader" "${as[@]}" podman load -q <"$tar" >/dev/null 2>"$(state_dir)/load.err" || {
			cat "$(state_dir)/load.err" >&2
			die "load: could not copy $img into $NAME${user:+ for $user}"
		}
	done
}

cmd_cp() {
	local leader src=${1:-} dst=${2:-}
	[[ -f $src && $dst == /* && $# == 2 ]] || die "usage: $0 cp HOST-FILE /ABSOLUTE/PATH/INSIDE"
	leader=$(leader_pid) || die "$NAME is not running; start it with $0 --name $NAME start"
	local mode
	mode=$(stat -c %a "$src")
	# shellcheck disable=SC2016 # expanded by the shell inside the instance
	in_instance "$leader" sh -c 'mkdir -p "$(dirname "$1")" && cat >"$1" && chmod "$2" "$1"' \
		sh "$dst" "$mode" <"$src"
}

cmd_stop() {
	local dir pid leader i
	dir=$(state_dir)
	[[ -e $dir ]] || return 0
	pid=$(nspawn_pid || true)
	leader=$(cat "$dir/leader.pid" 2>/dev/null || true)
	if alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < 150; i++)); do
			alive "$pid" || break
			sleep 0.2
		done
		if alive "$pid"; then
			log "$NAME did not shut down within 30s; killing it"
			# Killing the PID namespace's init kills everything inside.
			alive "$leader" && kill -KILL "$leader" 2>/dev/null
			kill -KILL "$pid" 2>/dev/null || true
			for ((i = 0; i < 50; i++)); do
				alive "$pid" || break
				sleep 0.1
			done
		fi
	fi
	drop_own_cgroup
	safe_rm_tree "$dir"
}

cmd_status() {
	local leader
	if leader=$(leader_pid); then
		echo "running $leader"
	else
		echo stopped
		return 1
	fi
}

main() {
	while [[ ${1:-} == --name || ${1:-} == --name=* ]]; do
		if [[ $1 == --name ]]; then
			NAME=${2:?--name needs a value}
			shift 2
		else
			NAME=${1#--name=}
			shift
		fi
	done
	[[ $NAME =~ ^[A-Za-z0-9][A-Za-z0-9-]{0,62}$ ]] || die "bad instance name '$NAME' (letters, digits and -, as in a host name)"
	local cmd=${1:-}
	(($#)) && shift
	case $cmd in
	start | stop)
		require_root
		with_lock "nspawn-$NAME"
		"cmd_$cmd" "$@"
		# A stopped instance leaves no lock file behind: the tests name
		# instances after their process, so lock files would pile up, one
		# per test run. (Removing it while holding it is safe as long as
		# nobody starts the same name at the same moment, which per-process
		# names rule out.)
		if [[ $cmd == stop ]]; then
			rm -f "$BERTH_CACHE_DIR/nspawn-$NAME.lock"
		fi
		;;
	exec | load | cp | status) require_root && "cmd_$cmd" "$@" ;;
	in-own-cgroup) cmd_in_own_cgroup "$@" ;;
	pid) require_root && leader_pid ;;
	-h | --help | help) usage 0 ;;
	*)
		log "unknown command '${cmd}'"
		usage 2
		;;
	esac
}

main "$@"

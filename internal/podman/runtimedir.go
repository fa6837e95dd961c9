package podman

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/berth-dev/berth/internal/version"
)

// RuntimeDir is where rootless podman v keeps its runtime files when
// XDG_RUNTIME_DIR is not set (runuser, su, cron, ssh without pam_systemd),
// found the way podman finds it, so that berth's state sits beside podman's:
//
//  1. /run/user/UID, if it exists (podman tries to make it) and is the
//     user's own with mode 0700;
//  2. else $TMPDIR/podman-run-UID (podman < 5) or $TMPDIR/storage-run-UID
//     (podman 5 and later, from containers/storage), made if missing, and
//     used if it is the user's own and private;
//  3. else, podman < 5 only, $HOME/rundir.
//
// tmp and home are $TMPDIR (or /tmp) and $HOME.
func RuntimeDir(v version.V, uid int, tmp, home string) (string, error) {
	return runtimeDir("/run/user", v, uid, tmp, home)
}

func runtimeDir(runUser string, v version.V, uid int, tmp, home string) (string, error) {
	id := strconv.Itoa(uid)
	v4 := v.Less(version.Must("5.0.0"))
	if dir := filepath.Join(runUser, id); ownPrivateDir(dir, v4) {
		return dir, nil
	}
	name := "storage-run-" + id
	if v4 {
		name = "podman-run-" + id
	}
	if tmp == "" {
		tmp = "/tmp"
	}
	if dir := filepath.Join(tmp, name); ownPrivateDir(dir, v4) {
		return dir, nil
	}
	if !v4 {
		return "", fmt.Errorf("XDG_RUNTIME_DIR is not set and %s is not a folder only you can write: set XDG_RUNTIME_DIR", filepath.Join(tmp, name))
	}
	if home == "" {
		return "", errors.New("neither XDG_RUNTIME_DIR nor HOME is set")
	}
	resolved, err := filepath.EvalSymlinks(home)
	if err != nil {
		return "", fmt.Errorf("cannot resolve %s: %w", home, err)
	}
	return filepath.Join(resolved, "rundir"), nil
}

// ownPrivateDir makes dir (0700) if it is missing and reports whether podman
// would use it: the caller's own, with rwx for the owner (podman 4), and
// writable by no one else (podman 5).
func ownPrivateDir(dir string, v4 bool) bool {
	_ = os.MkdirAll(dir, 0o700)
	st, err := os.Lstat(dir)
	if err != nil || !st.IsDir() {
		return false
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok || int(sys.Uid) != os.Geteuid() {
		return false
	}
	if v4 {
		return st.Mode().Perm()&0o700 == 0o700
	}
	return st.Mode().Perm()&0o722 == 0o700
}

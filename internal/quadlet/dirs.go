package quadlet

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/berth-dev/berth/internal/version"
)

// The system folders quadlet files are read from, as podman names them.
const (
	DirTemp   = "/run/containers/systemd"       // temporary units (rootful)
	DirAdmin  = "/etc/containers/systemd"       // the administrator's units
	DirDistro = "/usr/share/containers/systemd" // the distribution's units
)

// Env is what SearchDirs reads about the process: its environment, home
// folder and user id. It is passed in rather than read from globals so that
// tests (and a generator run for another user) can supply their own.
type Env struct {
	// LookupEnv reads an environment variable; nil means an empty environment.
	LookupEnv func(name string) (string, bool)
	// Home is the user's home folder ($HOME); "" when unknown.
	Home string
	// UID is the user id; negative when unknown.
	UID int
	// Root is prepended to the system folders (/run, /etc, /usr); "" for the
	// real ones. Tests point it at a temporary tree.
	Root string
	// Logf receives problems (an invalid QUADLET_UNIT_DIRS entry, an unknown
	// config folder); nil drops them.
	Logf func(format string, args ...any)
	// Target is the podman the units are for: from 6.0 a user also reads
	// /usr/share/containers/systemd/users. Zero means version.Latest.
	Target version.V
}

// HostEnv is the Env of the running process.
func HostEnv() Env {
	return Env{LookupEnv: os.LookupEnv, Home: os.Getenv("HOME"), UID: os.Getuid()}
}

func (e Env) lookup(name string) (string, bool) {
	if e.LookupEnv == nil {
		return "", false
	}
	return e.LookupEnv(name)
}

func (e Env) logf(format string, args ...any) {
	if e.Logf != nil {
		e.Logf(format, args...)
	}
}

func (e Env) system(dir string) string { return filepath.Join(e.Root, dir) }

// SearchDirs returns podman's quadlet search path, most important folder
// first (the first file of a name found wins). Each base folder is followed
// by its subfolders, depth first in name order; symbolic links are followed
// (each folder is listed once, by its resolved path) and drop-in folders
// (*.d) are not searched. A base folder that does not exist is still listed,
// as podman lists it in its "No files parsed from" message.
//
// QUADLET_UNIT_DIRS (absolute folders separated by colons) replaces the
// whole path. Otherwise root reads /run, /etc and /usr/share
// containers/systemd, leaving out /etc/containers/systemd/users; a user
// reads $XDG_RUNTIME_DIR/containers/systemd, the config folder's
// containers/systemd, /etc/containers/systemd/users (without its numeric
// subfolders, which belong to other users) and
// /etc/containers/systemd/users/$UID, and for podman 6 then
// /usr/share/containers/systemd/users and its $UID folder.
func SearchDirs(user bool, env Env) []string {
	w := &dirWalker{visited: map[string]bool{}}
	if value, ok := env.lookup("QUADLET_UNIT_DIRS"); ok && value != "" {
		for _, dir := range strings.Split(value, ":") {
			if !filepath.IsAbs(dir) {
				// podman stops at the first relative entry, keeping the ones before.
				env.logf("%s not a valid file path", dir)
				break
			}
			w.walk(dir, nil)
		}
		return w.dirs
	}
	usersDir := resolveOrSelf(env.system(filepath.Join(DirAdmin, "users")))
	if user {
		userDirs(w, env, usersDir)
	} else {
		notUsers := func(p string) bool { return !strings.HasPrefix(p, usersDir) }
		w.walk(env.system(DirTemp), notUsers)
		w.walk(env.system(DirAdmin), notUsers)
		var distroKeep func(string) bool
		if env.Target.AtLeast(podman6) {
			distroKeep = notUsers // podman 6 filters the distribution's folder too
		}
		w.walk(env.system(DirDistro), distroKeep)
	}
	return w.dirs
}

// userDirs appends a rootless user's folders.
func userDirs(w *dirWalker, env Env, usersDir string) {
	if runtime, ok := env.lookup("XDG_RUNTIME_DIR"); ok && runtime != "" {
		w.walk(filepath.Join(runtime, "containers/systemd"), nil)
	}
	config, err := configDir(env)
	if err != nil {
		// podman gives up on the remaining folders too.
		env.logf("Warning: %v", err)
		return
	}
	w.walk(filepath.Join(config, "containers/systemd"), nil)
	bases := []string{usersDir}
	if env.Target.AtLeast(podman6) {
		bases = append(bases, resolveOrSelf(env.system(filepath.Join(DirDistro, "users"))))
	}
	if env.UID < 0 {
		for _, b := range bases {
			env.logf("Warning: unknown user id; %s/<uid> is not searched", b)
			w.add(b)
		}
		return
	}
	// Deliberately unlike podman 6, which searches every numeric folder of
	// /usr/share/containers/systemd/users (its filter only knows /etc's),
	// another user's folder is left out there too.
	for _, b := range bases {
		w.walk(b, nonNumericBelow(b))
		w.walk(filepath.Join(b, strconv.Itoa(env.UID)), nil)
	}
}

// configDir is os.UserConfigDir for env: $XDG_CONFIG_HOME or ~/.config.
func configDir(env Env) (string, error) {
	if dir, _ := env.lookup("XDG_CONFIG_HOME"); dir != "" {
		if !filepath.IsAbs(dir) {
			return "", errRelativeXDG
		}
		return dir, nil
	}
	if env.Home == "" {
		return "", errNoHome
	}
	return filepath.Join(env.Home, ".config"), nil
}

type dirError string

func (e dirError) Error() string { return string(e) }

const (
	errRelativeXDG = dirError("path in $XDG_CONFIG_HOME is relative")
	errNoHome      = dirError("neither $XDG_CONFIG_HOME nor $HOME are defined")
)

// nonNumericBelow keeps usersDir and the folders under it whose first path
// element below usersDir is not a number: /etc/containers/systemd/users/1000
// belongs to user 1000 only. Like podman it compares path elements by
// position after a plain prefix test.
func nonNumericBelow(usersDir string) func(string) bool {
	level := len(strings.Split(usersDir, "/"))
	return func(p string) bool {
		if !strings.HasPrefix(p, usersDir) {
			return true
		}
		elems := strings.Split(p, "/")
		switch {
		case len(elems) == level:
			return true
		case len(elems) > level:
			return !isDigits(elems[level])
		}
		return false
	}
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// resolveOrSelf resolves symbolic links in p, or returns p if it cannot.
func resolveOrSelf(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	return p
}

// dirWalker collects folders once each, in the order found.
type dirWalker struct {
	dirs    []string
	visited map[string]bool
}

func (w *dirWalker) add(p string) {
	w.dirs = append(w.dirs, p)
	w.visited[p] = true
}

// walk adds p (resolved) and its subfolders, depth first. keep, when not
// nil, filters folders by resolved path; a filtered folder is not entered.
// A path that cannot be resolved is listed as is: podman does, and loading
// it later finds nothing.
func (w *dirWalker) walk(p string, keep func(string) bool) {
	resolved, err := filepath.EvalSymlinks(p)
	if err != nil {
		w.add(p)
		return
	}
	if w.visited[resolved] || strings.HasSuffix(resolved, ".d") || (keep != nil && !keep(resolved)) {
		return
	}
	if fi, err := os.Stat(resolved); err != nil || !fi.IsDir() {
		return
	}
	w.add(resolved)
	entries, err := os.ReadDir(resolved)
	if err != nil {
		return
	}
	for _, e := range entries {
		// Plain files can never be folders: skip them without resolving.
		if e.Type().IsRegular() {
			continue
		}
		w.walk(filepath.Join(resolved, e.Name()), keep)
	}
}

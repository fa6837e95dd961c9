package systemd

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
)

// Layout is where a scope's files live. Every path berth writes or reads is
// derived from it, so tests point Root and ConfigHome at temporary folders.
type Layout struct {
	Scope Scope
	// Root is prepended to system paths (/etc, /usr, /var); "" is the real root.
	Root string
	// ConfigHome is the user's configuration folder ($XDG_CONFIG_HOME or
	// ~/.config); used for the user scope.
	ConfigHome string
	UID        int
	UserName   string
	// RuntimeDir is $XDG_RUNTIME_DIR ("" when unset).
	RuntimeDir string
}

// HostLayout is the layout of this process's user for scope.
func HostLayout(scope Scope) (Layout, error) {
	l := Layout{Scope: scope, UID: os.Getuid(), RuntimeDir: os.Getenv("XDG_RUNTIME_DIR")}
	if u, err := user.Current(); err == nil {
		l.UserName = u.Username
	} else {
		l.UserName = strconv.Itoa(l.UID)
	}
	if scope == User {
		dir, err := os.UserConfigDir()
		if err != nil {
			return l, fmt.Errorf("cannot find the user's configuration folder: %w (set HOME or XDG_CONFIG_HOME)", err)
		}
		l.ConfigHome = dir
	}
	return l, nil
}

// DefaultScope is System for root and User otherwise.
func DefaultScope() Scope {
	if os.Getuid() == 0 {
		return System
	}
	return User
}

func (l Layout) sys(p string) string { return filepath.Join(l.Root, p) }

// StacksDir is the quadlet folder stacks are installed under.
func (l Layout) StacksDir() string {
	if l.Scope == User {
		return filepath.Join(l.ConfigHome, "containers", "systemd")
	}
	return l.sys("/etc/containers/systemd")
}

// StackDir is one stack's folder.
func (l Layout) StackDir(stack string) string { return filepath.Join(l.StacksDir(), stack) }

// StateDir is where berth keeps a stack's revisions (the files of each
// apply, their digests): outside the quadlet folders, which generators
// search recursively. /var/lib/berth/systemd/STACK for the system scope,
// $XDG_STATE_HOME/berth/systemd/STACK (~/.local/state) for a user.
func (l Layout) StateDir(stack string) string {
	if l.Scope == User {
		base := os.Getenv("XDG_STATE_HOME")
		if base == "" || l.Root != "" {
			base = filepath.Join(filepath.Dir(l.ConfigHome), ".local", "state")
		}
		return filepath.Join(base, "berth", "systemd", stack)
	}
	return l.sys(filepath.Join("/var/lib/berth/systemd", stack))
}

// ManifestPath is the record of what berth installed for a stack.
func (l Layout) ManifestPath(stack string) string {
	return filepath.Join(l.StackDir(stack), ManifestName)
}

// GeneratorDir is the administrator's generator folder for the scope. For
// the user scope too it is a system folder: systemd's user managers run
// generators only from /run, /etc, /usr/local/lib and /usr/lib
// systemd/user-generators (there is no per-user generator folder, up to
// systemd 257 at least), so a link there serves every user, each generator
// run reading its own user's quadlet folders.
func (l Layout) GeneratorDir() string {
	if l.Scope == User {
		return l.sys("/etc/systemd/user-generators")
	}
	return l.sys("/etc/systemd/system-generators")
}

// UserUnitDir is the user's own systemd unit folder (~/.config/systemd/user),
// where a --user install that cannot make berth the user generator (no write
// access to /etc) writes the compiled services instead.
func (l Layout) UserUnitDir() string { return filepath.Join(l.ConfigHome, "systemd", "user") }

// BerthGeneratorLink is the link that makes berth a systemd generator; the
// name tells `berth generate` which scope it serves.
func (l Layout) BerthGeneratorLink() string {
	if l.Scope == User {
		return filepath.Join(l.GeneratorDir(), "berth-user-generator")
	}
	return filepath.Join(l.GeneratorDir(), "berth-system-generator")
}

// PodmanGeneratorName is the name of podman's own quadlet generator.
func (l Layout) PodmanGeneratorName() string {
	if l.Scope == User {
		return "podman-user-generator"
	}
	return "podman-system-generator"
}

// PodmanGeneratorMask is the /etc (or ~/.config) path that, linked to
// /dev/null, masks podman's generator of the same name.
func (l Layout) PodmanGeneratorMask() string {
	return filepath.Join(l.GeneratorDir(), l.PodmanGeneratorName())
}

// PodmanGenerators are the places podman installs its generator.
func (l Layout) PodmanGenerators() []string {
	kind := "system-generators"
	if l.Scope == User {
		kind = "user-generators"
	}
	var out []string
	for _, d := range []string{"/usr/lib/systemd", "/lib/systemd", "/usr/local/lib/systemd"} {
		out = append(out, l.sys(filepath.Join(d, kind, l.PodmanGeneratorName())))
	}
	return out
}

// LingerFile exists when the user's manager outlives their sessions.
func (l Layout) LingerFile() string {
	return l.sys(filepath.Join("/var/lib/systemd/linger", l.UserName))
}

// Validate reports a layout that cannot be used.
func (l Layout) Validate() error {
	switch l.Scope {
	case System:
	case User:
		if l.ConfigHome == "" {
			return errors.New("no configuration folder for the user scope (set HOME or XDG_CONFIG_HOME)")
		}
	default:
		return fmt.Errorf("unknown scope %q (want system or user)", l.Scope)
	}
	return nil
}

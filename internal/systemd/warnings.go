package systemd

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Warning is a condition that will make installed services misbehave, with
// the exact command that fixes it.
type Warning struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Fix     string `json:"fix"`
}

func (w Warning) String() string { return fmt.Sprintf("warning: %s\n  fix: %s", w.Message, w.Fix) }

// CheckEnv is what Check reads besides the layout's files.
type CheckEnv struct {
	// LookupEnv reads an environment variable; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// NetworkOnline: whether the stack's services wait for
	// network-online.target (quadlet's default dependencies).
	NetworkOnline bool
}

// Check looks for the conditions that make a scope's services fail or
// vanish: user services that die at logout, a user manager that cannot be
// reached, and nothing that provides network-online.target.
func Check(l Layout, env CheckEnv) []Warning {
	lookup := env.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	var ws []Warning
	if l.Scope == User {
		ws = append(ws, checkUser(l, lookup)...)
	}
	if env.NetworkOnline && !hasNetworkOnlineProvider(l) {
		ws = append(ws, Warning{Code: "no-network-online",
			Message: "nothing is enabled that provides network-online.target, so services ordered after it (every quadlet service by default) may start before the network is up",
			Fix:     "systemctl enable systemd-networkd-wait-online.service (with systemd-networkd) or systemctl enable NetworkManager-wait-online.service (with NetworkManager)"})
	}
	return ws
}

func checkUser(l Layout, lookup func(string) (string, bool)) []Warning {
	var ws []Warning
	if _, err := os.Stat(l.LingerFile()); err != nil {
		ws = append(ws, Warning{Code: "no-linger",
			Message: fmt.Sprintf("lingering is off for %s: their user services stop at logout and do not start at boot", l.UserName),
			Fix:     "loginctl enable-linger " + l.UserName})
	}
	runtime, _ := lookup("XDG_RUNTIME_DIR")
	if runtime == "" {
		ws = append(ws, Warning{Code: "no-xdg-runtime-dir",
			Message: "XDG_RUNTIME_DIR is not set, so systemctl --user cannot find the user manager (typical after su or sudo)",
			Fix:     fmt.Sprintf("export XDG_RUNTIME_DIR=/run/user/%d (or log in as %s directly: ssh, or machinectl shell %s@)", l.UID, l.UserName, l.UserName)})
		return ws
	}
	bus := filepath.Join(l.Root, runtime, "bus")
	private := filepath.Join(l.Root, runtime, "systemd", "private")
	if !exists(bus) && !exists(private) {
		ws = append(ws, Warning{Code: "no-user-bus",
			Message: fmt.Sprintf("no user manager is listening in %s (neither bus nor systemd/private exists)", runtime),
			Fix:     fmt.Sprintf("loginctl enable-linger %s (starts user@%d.service now and at boot), then log in again", l.UserName, l.UID)})
	}
	return ws
}

// hasNetworkOnlineProvider looks for an enabled *-wait-online service.
func hasNetworkOnlineProvider(l Layout) bool {
	for _, d := range []string{"/etc/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system"} {
		entries, err := os.ReadDir(filepath.Join(l.Root, d, "network-online.target.wants"))
		if err != nil {
			continue
		}
		for _, e := range entries {
			if strings.Contains(e.Name(), "wait-online") {
				return true
			}
		}
	}
	return false
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

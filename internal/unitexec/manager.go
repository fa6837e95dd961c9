package unitexec

import (
	"bufio"
	"os"
	"strings"
)

// DefaultPath is the PATH systemd's manager gives every service (systemd.exec(5);
// Debian builds systemd with /sbin:/bin appended, measured on systemd 252).
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// defaultLocale is systemd's compiled-in locale when none is configured
// (a service on a host without /etc/locale.conf sees LANG=C.UTF-8).
const defaultLocale = "C.UTF-8"

// ManagerEnv is the environment systemd's manager gives a service before the
// unit's own Environment= and EnvironmentFile= (systemd.exec(5),
// "Environment variables in spawned processes"). It is built from the host's
// facts, never from the caller's environment:
//
//   - the system manager gives only PATH and the locale; a unit without User=
//     has no HOME, USER, LOGNAME or SHELL (measured on systemd 252);
//   - a user manager also gives its user's HOME, USER, LOGNAME and SHELL (from
//     passwd), XDG_RUNTIME_DIR and, when the user bus exists,
//     DBUS_SESSION_BUS_ADDRESS, as pam_systemd does for the user manager.
//
// INVOCATION_ID, JOURNAL_STREAM and SYSTEMD_EXEC_PID are left out on purpose:
// they tell a process it runs under systemd, and podman acts on
// INVOCATION_ID (it then leaves conmon in the caller's cgroup). The
// per-start variables (MAINPID, NOTIFY_SOCKET) are the executor's.
func ManagerEnv(h *Host) Env {
	var env Env
	env.Set("PATH", DefaultPath)
	for _, kv := range h.Locale {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env.Set(k, v)
		}
	}
	if len(h.Locale) == 0 {
		env.Set("LANG", defaultLocale)
	}
	if !h.User {
		return env
	}
	if h.Home != "" {
		env.Set("HOME", h.Home)
	}
	if h.UserName != "" {
		env.Set("USER", h.UserName)
		env.Set("LOGNAME", h.UserName)
	}
	if h.LoginShell != "" {
		env.Set("SHELL", h.LoginShell)
	}
	if h.RuntimeDir != "" {
		env.Set("XDG_RUNTIME_DIR", h.RuntimeDir)
		if h.UserBus {
			env.Set("DBUS_SESSION_BUS_ADDRESS", "unix:path="+h.RuntimeDir+"/bus")
		}
	}
	return env
}

// isLocaleVar reports whether name is a variable locale.conf(5) may set.
func isLocaleVar(name string) bool {
	switch name {
	case "LANG", "LANGUAGE", "LC_CTYPE", "LC_NUMERIC", "LC_TIME", "LC_COLLATE", "LC_MONETARY", "LC_MESSAGES",
		"LC_PAPER", "LC_NAME", "LC_ADDRESS", "LC_TELEPHONE", "LC_MEASUREMENT", "LC_IDENTIFICATION":
		return true
	}
	return false
}

// readLocale reads the system locale the way systemd does: /etc/locale.conf,
// else Debian's /etc/default/locale; only locale variables are taken.
func readLocale() []string {
	for _, p := range []string{"/etc/locale.conf", "/etc/default/locale"} {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		var env Env
		if ParseEnvFile(&env, string(b)) != nil {
			continue
		}
		var out []string
		for _, kv := range env.List() {
			if k, v, _ := strings.Cut(kv, "="); isLocaleVar(k) && v != "" {
				out = append(out, kv)
			}
		}
		return out
	}
	return nil
}

// loginShell returns uid's shell from /etc/passwd ("" when not found).
func loginShell(uid string) string {
	f, err := os.Open("/etc/passwd")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ":")
		if len(fields) == 7 && fields[2] == uid {
			return fields[6]
		}
	}
	return ""
}

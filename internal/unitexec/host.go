package unitexec

import (
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// HostFacts reads the facts specifiers need from this machine. user selects
// the directories a user manager would use.
func HostFacts(userMode bool) *Host {
	h := &Host{User: userMode, UID: os.Getuid(), GID: os.Getgid(), Arch: goArchToSystemd(runtime.GOARCH),
		TempDir: envOr("TMPDIR", "/tmp"), VarTmpDir: "/var/tmp", Shell: "/bin/sh"}
	if u, err := user.LookupId(strconv.Itoa(h.UID)); err == nil {
		h.UserName, h.Home = u.Username, u.HomeDir
	}
	if g, err := user.LookupGroupId(strconv.Itoa(h.GID)); err == nil {
		h.GroupName = g.Name
	}
	if s := os.Getenv("SHELL"); s != "" {
		h.Shell = s
	}
	h.Hostname, _ = os.Hostname()
	h.MachineID = readTrim("/etc/machine-id")
	h.BootID = strings.ReplaceAll(readTrim("/proc/sys/kernel/random/boot_id"), "-", "")
	h.KernelRelease = readTrim("/proc/sys/kernel/osrelease")
	h.OS = readOSRelease()
	h.Locale = readLocale()
	h.LoginShell = loginShell(strconv.Itoa(h.UID))
	if userMode {
		h.RuntimeDir = envOr("XDG_RUNTIME_DIR", "/run/user/"+strconv.Itoa(h.UID))
		h.StateDir = envOr("XDG_STATE_HOME", filepath.Join(h.Home, ".local/state"))
		h.CacheDir = envOr("XDG_CACHE_HOME", filepath.Join(h.Home, ".cache"))
		h.ConfigDir = envOr("XDG_CONFIG_HOME", filepath.Join(h.Home, ".config"))
		h.LogsDir = filepath.Join(h.StateDir, "log")
		if fi, err := os.Stat(filepath.Join(h.RuntimeDir, "bus")); err == nil && fi.Mode()&os.ModeSocket != 0 {
			h.UserBus = true
		}
	} else {
		h.RuntimeDir, h.StateDir, h.CacheDir, h.LogsDir, h.ConfigDir = "/run", "/var/lib", "/var/cache", "/var/log", "/etc"
	}
	return h
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func readTrim(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func readOSRelease() map[string]string {
	m := map[string]string{}
	b, err := os.ReadFile("/etc/os-release")
	if err != nil {
		b, _ = os.ReadFile("/usr/lib/os-release")
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, "=")
		if ok {
			m[k] = strings.Trim(v, `"'`)
		}
	}
	return m
}

func goArchToSystemd(a string) string {
	switch a {
	case "amd64":
		return "x86-64"
	case "386":
		return "x86"
	case "arm64":
		return "arm64"
	}
	return a
}

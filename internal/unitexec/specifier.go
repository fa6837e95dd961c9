// Package unitexec gives a compiled .service unit the meaning systemd gives it,
// for running it without systemd: specifiers (systemd.unit(5)), Exec line
// prefixes and $VAR substitution (systemd.service(5)), Environment= and
// EnvironmentFile=, sd_notify messages, durations, Restart= decisions and
// start rate limits. It runs nothing itself; internal/run does.
package unitexec

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// Host holds the facts specifiers expand to. Callers fill it once (see
// HostFacts) so that expansion itself is pure and testable.
type Host struct {
	User          bool // a user manager: %t %S %C %L %E are the XDG directories
	UserName      string
	UID           int
	GroupName     string
	GID           int
	Home          string
	Shell         string
	Hostname      string
	MachineID     string
	BootID        string
	KernelRelease string
	Arch          string
	RuntimeDir    string // %t: /run or $XDG_RUNTIME_DIR
	StateDir      string // %S
	CacheDir      string // %C
	LogsDir       string // %L
	ConfigDir     string // %E
	TempDir       string // %T
	VarTmpDir     string // %V
	OS            map[string]string
	// What the manager's environment needs (see ManagerEnv).
	Locale     []string // NAME=VALUE from locale.conf
	LoginShell string   // the user's shell from passwd
	UserBus    bool     // RuntimeDir/bus exists
}

// UnitName is a unit's name split the way specifiers need it.
type UnitName struct {
	Full     string // db.service, web@8080.service
	Prefix   string // db, web
	Instance string // "", 8080
	Suffix   string // .service
	Fragment string // the unit file's path, for %y and %Y
}

// ParseUnitName splits "prefix@instance.suffix".
func ParseUnitName(name string) UnitName {
	u := UnitName{Full: name}
	base := name
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		base, u.Suffix = name[:i], name[i:]
	}
	u.Prefix = base
	if p, inst, ok := strings.Cut(base, "@"); ok {
		u.Prefix, u.Instance = p, inst
	}
	return u
}

// Unescape reverses systemd-escape: "-" is "/", "\xNN" a byte.
func Unescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '-':
			b.WriteByte('/')
		case s[i] == '\\' && i+3 < len(s) && s[i+1] == 'x':
			if n, err := strconv.ParseUint(s[i+2:i+4], 16, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
			b.WriteByte(s[i])
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// Escape protects a value from systemd's specifier expansion (Expand) and
// $VAR substitution (SubstituteArgs): "%" becomes "%%" and "$" "$$".
func Escape(s string) string { return strings.NewReplacer("%", "%%", "$", "$$").Replace(s) }

// EscapeAll is Escape for each word, in a new slice.
func EscapeAll(words []string) []string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = Escape(w)
	}
	return out
}

// Expand replaces %-specifiers in s. An unknown specifier is an error, as
// systemd refuses to load such a line.
func Expand(s string, u UnitName, h *Host) (string, error) {
	if !strings.Contains(s, "%") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 >= len(s) {
			return "", fmt.Errorf("%q: %% at the end of the line", s)
		}
		i++
		v, ok := specifier(s[i], u, h)
		if !ok {
			return "", fmt.Errorf("%q: unknown specifier %%%c", s, s[i])
		}
		b.WriteString(v)
	}
	return b.String(), nil
}

func specifier(c byte, u UnitName, h *Host) (string, bool) {
	if v, ok := nameSpecifier(c, u); ok {
		return v, true
	}
	switch c {
	case 't':
		return h.RuntimeDir, true
	case 'S':
		return h.StateDir, true
	case 'C':
		return h.CacheDir, true
	case 'L':
		return h.LogsDir, true
	case 'E':
		return h.ConfigDir, true
	case 'T':
		return h.TempDir, true
	case 'V':
		return h.VarTmpDir, true
	case 'h':
		return h.Home, true
	case 'u':
		return h.UserName, true
	case 'U':
		return strconv.Itoa(h.UID), true
	case 'g':
		return h.GroupName, true
	case 'G':
		return strconv.Itoa(h.GID), true
	case 's':
		return h.Shell, true
	case 'H', 'q':
		return h.Hostname, true
	case 'l':
		short, _, _ := strings.Cut(h.Hostname, ".")
		return short, true
	case 'm':
		return h.MachineID, true
	case 'b':
		return h.BootID, true
	case 'v':
		return h.KernelRelease, true
	case 'a':
		return h.Arch, true
	}
	return osSpecifier(c, h)
}

// nameSpecifier expands the specifiers that depend only on the unit's name.
func nameSpecifier(c byte, u UnitName) (string, bool) {
	switch c {
	case '%':
		return "%", true
	case 'n':
		return u.Full, true
	case 'N':
		return strings.TrimSuffix(u.Full, u.Suffix), true
	case 'p':
		return u.Prefix, true
	case 'P':
		return Unescape(u.Prefix), true
	case 'i':
		return u.Instance, true
	case 'I':
		return Unescape(u.Instance), true
	case 'j':
		return lastDash(u.Prefix), true
	case 'J':
		return Unescape(lastDash(u.Prefix)), true
	case 'f':
		if u.Instance != "" {
			return "/" + strings.TrimPrefix(Unescape(u.Instance), "/"), true
		}
		return "/" + strings.TrimPrefix(Unescape(u.Prefix), "/"), true
	case 'y':
		return u.Fragment, true
	case 'Y':
		return filepath.Dir(u.Fragment), true
	}
	return "", false
}

func osSpecifier(c byte, h *Host) (string, bool) {
	key := map[byte]string{'A': "IMAGE_VERSION", 'B': "BUILD_ID", 'M': "IMAGE_ID", 'o': "ID", 'w': "VERSION_ID", 'W': "VARIANT_ID"}[c]
	if key == "" {
		return "", false
	}
	return h.OS[key], true
}

// lastDash is the part of a prefix after its last "-" (%j).
func lastDash(p string) string {
	if i := strings.LastIndexByte(p, '-'); i >= 0 {
		return p[i+1:]
	}
	return p
}

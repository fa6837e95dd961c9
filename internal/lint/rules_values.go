package lint

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/berth-dev/berth/internal/diag"
	"github.com/berth-dev/berth/internal/quadlet"
	"github.com/berth-dev/berth/internal/unitfile"
)

// customBools are booleans that quadlet reads itself (Form Custom).
var customBools = []string{"NoNewPrivileges", "SecurityLabelDisable", "SecurityLabelNested", "VolatileTmp",
	"StartWithPod", "Copy", "KubeDownForce", "DefaultDependencies", "NetworkDeleteOnStop"}

func isBoolKey(u *Unit, group, key string) bool {
	t := tableOf(u, group)
	if t == nil {
		return false
	}
	k, ok := t.Lookup(key)
	return ok && (k.Form == quadlet.Bool || slices.Contains(customBools, key))
}

func checkBools(s *Stack) diag.List {
	var out diag.List
	for _, u := range s.Units {
		for _, g := range []string{u.Group(), "Quadlet"} {
			for _, l := range u.File.Entries(g) {
				if l.Value == "" || !isBoolKey(u, g, l.Key) {
					continue
				}
				if _, ok := unitfile.ParseBool(value(l)); !ok {
					out = append(out, find(s.valuePos(l), "write yes or no (also true/false, on/off, 1/0)",
						"%s=%s is not a boolean; it reads as false", l.Key, short(value(l))))
				}
			}
		}
	}
	return out
}

var intKeys = []string{"HealthRetries", "HealthStartupRetries", "HealthStartupSuccess", "HealthMaxLogCount",
	"HealthMaxLogSize", "PidsLimit", "StopTimeout", "Retry", "RemapUidSize"}

func checkInts(s *Stack) diag.List {
	var out diag.List
	for _, e := range s.keyLines(intKeys) {
		v := value(e.l)
		n, err := strconv.ParseInt(v, 10, 64)
		switch {
		case err != nil:
			out = append(out, find(s.valuePos(e.l), "write a whole number, e.g. "+e.l.Key+"=3",
				"%s=%s is not a whole number", e.l.Key, short(v)))
		case n < 0 && !(e.l.Key == "PidsLimit" && n == -1):
			out = append(out, find(s.valuePos(e.l), "write 0 or more", "%s=%s is negative", e.l.Key, short(v)))
		}
	}
	return out
}

// goDurationKeys are passed to podman, which reads Go durations ("30s", "1m30s").
var goDurationKeys = []string{"HealthInterval", "HealthTimeout", "HealthStartPeriod", "HealthStartupInterval",
	"HealthStartupTimeout", "RetryDelay"}

// serviceTimeKeys are systemd time spans ("90", "5min", "1h 30s", "infinity").
var serviceTimeKeys = []string{"TimeoutStartSec", "TimeoutStopSec", "TimeoutSec", "TimeoutAbortSec",
	"RestartSec", "WatchdogSec", "RuntimeMaxSec", "RestartMaxDelaySec"}

var timespanRe = regexp.MustCompile(`^(\s*\d+(\.\d+)?\s*(us|usec|µs|ms|msec|s|sec|secs|second|seconds|m|min|mins|minute|minutes|h|hr|hrs|hour|hours|d|day|days|w|week|weeks|M|month|months|y|year|years)?)+\s*$`)

func checkDurations(s *Stack) diag.List {
	var out diag.List
	for _, e := range s.keyLines(goDurationKeys) {
		v := value(e.l)
		if e.l.Key == "HealthInterval" && v == "disable" {
			continue
		}
		if d, err := time.ParseDuration(v); err != nil || d < 0 {
			hint := "write a number with a unit: 30s, 1m30s, 500ms"
			if _, nerr := strconv.Atoi(v); nerr == nil {
				hint = fmt.Sprintf("podman needs a unit: %s=%ss", e.l.Key, v)
			}
			out = append(out, find(s.valuePos(e.l), hint, "%s=%s is not a duration", e.l.Key, short(v)))
		}
	}
	for _, e := range s.groupLines("Service") {
		if !slices.Contains(serviceTimeKeys, e.l.Key) || e.l.Value == "" {
			continue
		}
		if v := value(e.l); v != "infinity" && !timespanRe.MatchString(v) {
			out = append(out, find(s.valuePos(e.l), "write seconds or a systemd time span: 90, 5min, 1h 30s, infinity",
				"%s=%s is not a systemd time span", e.l.Key, short(v)))
		}
	}
	return out
}

var sizeRe = regexp.MustCompile(`^\d+(\.\d+)? ?([kKmMgGtTpP])?[iI]?[bB]?$`)

func checkSizes(s *Stack) diag.List {
	var out diag.List
	for _, e := range s.keyLines([]string{"Memory", "ShmSize"}) {
		if v := value(e.l); !sizeRe.MatchString(v) {
			out = append(out, find(s.valuePos(e.l), "write a number with an optional unit: 512m, 1g, 64k",
				"%s=%s is not a memory size", e.l.Key, short(v)))
		}
	}
	return out
}

func checkPorts(s *Stack) diag.List {
	var out diag.List
	for _, e := range s.keyLines([]string{"PublishPort"}, ".container", ".pod", ".kube") {
		if hasSpecifier(e.l.Value) {
			continue
		}
		if _, err := parsePublish(value(e.l)); err != nil {
			out = append(out, find(s.valuePos(e.l), "write [[IP:][HOST-PORT]:]CONTAINER-PORT[/PROTOCOL], e.g. 127.0.0.1:8080:80",
				"PublishPort=%s: %v", short(value(e.l)), err))
		}
	}
	for _, e := range s.keyLines([]string{"ExposeHostPort"}, ".container") {
		if _, _, err := portRange(strings.TrimSuffix(strings.TrimSuffix(value(e.l), "/tcp"), "/udp")); err != nil {
			out = append(out, find(s.valuePos(e.l), "write PORT[-PORT][/PROTOCOL], e.g. 8080/tcp",
				"ExposeHostPort=%s: %v", short(value(e.l)), err))
		}
	}
	return out
}

// enum is a key whose value must be one of a fixed set (case-insensitive).
type enum struct {
	exts   []string
	key    string
	values []string
	word   bool // check only the part before the first ':' (UserNS=auto:size=5)
}

var enums = []enum{
	{[]string{".container"}, "Notify", []string{"yes", "no", "true", "false", "on", "off", "1", "0", "y", "n", "t", "f", "healthy"}, false},
	{[]string{".container"}, "Pull", pullPolicies, false},
	{[]string{".image", ".build"}, "Pull", pullPolicies, false},
	{[]string{".container"}, "HealthOnFailure", []string{"none", "kill", "restart", "stop"}, false},
	{[]string{".container"}, "AutoUpdate", []string{"registry", "local"}, false},
	{[]string{".container", ".kube", ".pod"}, "RemapUsers", []string{"manual", "auto", "keep-id"}, false},
	{[]string{".container", ".kube", ".pod"}, "UserNS", []string{"auto", "host", "keep-id", "nomap", "ns", "private", "container"}, true},
	{[]string{".container"}, "CgroupsMode", []string{"enabled", "disabled", "no-conmon", "split"}, false},
	{[]string{".kube"}, "ExitCodePropagation", []string{"all", "any", "none"}, false},
	{[]string{".pod"}, "ExitPolicy", []string{"continue", "stop"}, false},
}

var pullPolicies = []string{"always", "missing", "never", "newer", "ifmissing", "ifnotpresent", "ifnewer", "true", "false"}

var restartValues = []string{"no", "on-success", "on-failure", "on-abnormal", "on-watchdog", "on-abort", "always"}

func checkEnums(s *Stack) diag.List {
	var out diag.List
	for _, en := range enums {
		for _, e := range s.keyLines([]string{en.key}, en.exts...) {
			v := value(e.l)
			if en.word {
				v, _, _ = strings.Cut(v, ":")
			}
			if !containsFold(en.values, v) && !hasSpecifier(v) {
				out = append(out, enumFinding(s, e, v, en.values))
			}
		}
	}
	for _, e := range s.groupLines("Service") {
		if e.l.Key == "Restart" && e.l.Value != "" && !slices.Contains(restartValues, value(e.l)) {
			out = append(out, enumFinding(s, e, value(e.l), restartValues))
		}
	}
	for _, e := range s.keyLines([]string{"HealthLogDestination"}, ".container") {
		if v := value(e.l); v != "local" && v != "events_logger" && !strings.HasPrefix(v, "/") {
			out = append(out, find(s.valuePos(e.l), "write local, events_logger or an absolute directory",
				"HealthLogDestination=%s is not local, events_logger or an absolute path", short(v)))
		}
	}
	return out
}

func enumFinding(s *Stack, e entry, v string, values []string) diag.Diagnostic {
	hint := "one of: " + strings.Join(values, ", ")
	if sug := quadlet.Suggest(v, values); sug != "" {
		hint = fmt.Sprintf("did you mean %s=%s? (%s)", e.l.Key, sug, hint)
	}
	return find(s.valuePos(e.l), hint, "%s=%s is not a valid value", e.l.Key, short(v))
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func checkAbsolutePaths(s *Stack) diag.List {
	var out diag.List
	bad := func(e entry, what, p string) {
		out = append(out, find(s.valuePos(e.l), "start the path with /, e.g. /"+strings.TrimLeft(p, "./"),
			"%s: %s %q is not an absolute path", e.l.Key, what, short(p)))
	}
	for _, e := range s.keyLines([]string{"WorkingDir"}, ".container") {
		if p := value(e.l); !strings.HasPrefix(p, "/") && !hasSpecifier(p) {
			bad(e, "the working directory", p)
		}
	}
	for _, e := range s.keyLines([]string{"Volume", "Tmpfs"}, ".container", ".pod", ".build") {
		if dest := mountDest(e.l.Key, value(e.l)); dest != "" && !strings.HasPrefix(dest, "/") && !hasSpecifier(dest) {
			bad(e, "the mount point in the container", dest)
		}
	}
	for _, e := range s.keyLines([]string{"Mask", "Unmask"}, ".container") {
		for _, p := range strings.FieldsFunc(value(e.l), func(r rune) bool { return r == ':' || r == ' ' }) {
			if !strings.HasPrefix(p, "/") && p != "ALL" && !hasSpecifier(p) {
				bad(e, "the path", p)
			}
		}
	}
	return out
}

// mountDest returns the container path of a Volume= or Tmpfs= value.
func mountDest(key, v string) string {
	parts := strings.Split(v, ":")
	if key == "Tmpfs" || len(parts) == 1 {
		return parts[0]
	}
	return parts[1]
}

// commandKeys hold command lines split the systemd way.
var commandKeys = []string{"Exec", "ReloadCmd", "PodmanArgs", "GlobalArgs"}

var serviceCommandKeys = []string{"ExecStart", "ExecStartPre", "ExecStartPost", "ExecStop", "ExecStopPost",
	"ExecReload", "ExecCondition"}

func checkQuoting(s *Stack) diag.List {
	var out diag.List
	// Quadlet's own keys are read as podman's quadlet reads them
	// (unitfile.SplitQuadletArgs); [Service] command lines as systemd does.
	for _, e := range append(s.keyLines(commandKeys), s.keyLines([]string{"Environment", "Label", "Annotation", "Secret", "EnvironmentFile"})...) {
		switch _, err := unitfile.SplitQuadletArgs(e.l.Value); err {
		case nil:
		case unitfile.ErrOpenQuote:
			out = append(out, find(s.valuePos(e.l), quotingHint, "%s: unbalanced quotes; quadlet reads the value as if the quote closed at its end", e.l.Key))
		case unitfile.ErrEmptyWord:
			out = append(out, find(s.valuePos(e.l), `remove the "" (or write a non-empty word)`, "%s: %v for quadlet: the words after it are dropped", e.l.Key, err))
		default:
			out = append(out, find(s.valuePos(e.l), quotingHint, "%s: %v; quadlet ignores the value", e.l.Key, err))
		}
	}
	for _, e := range s.groupLines("Service") {
		if !slices.Contains(serviceCommandKeys, e.l.Key) {
			continue
		}
		if _, err := unitfile.SplitArgs(e.l.Value); err != nil {
			out = append(out, find(s.valuePos(e.l), quotingHint, "%s: %v; systemd ignores the line", e.l.Key, err))
		}
	}
	for _, e := range s.keyLines([]string{"HealthCmd", "HealthStartupCmd"}, ".container") {
		if err := healthCmdError(value(e.l)); err != nil {
			out = append(out, find(s.valuePos(e.l), `write a shell command (pg_isready -U app) or a JSON array (["/bin/check","--quick"]), the only form FROM scratch images can run`,
				"%s: %v", e.l.Key, err))
		}
	}
	return out
}

const quotingHint = `close every " and ' and end no line with a lone backslash; write \\ for a backslash`

// healthCmdError checks a health command as podman reads it: a JSON array
// when it starts with '[', else a shell command line.
func healthCmdError(v string) error {
	v = strings.TrimSpace(v)
	if strings.HasPrefix(v, "[") {
		var argv []string
		if err := json.Unmarshal([]byte(v), &argv); err != nil {
			return fmt.Errorf("not a JSON array of strings: %v", err)
		}
		if len(argv) == 0 {
			return fmt.Errorf("empty command")
		}
		return nil
	}
	if v == "" || strings.EqualFold(v, "none") {
		return nil
	}
	return shellQuotes(v)
}

// shellQuotes reports unbalanced quoting in a POSIX shell command.
func shellQuotes(v string) error {
	var quote byte
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			}
		case c == '\\':
			i++
		case quote == '"':
			if c == '"' {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		}
	}
	if quote != 0 {
		return fmt.Errorf("unterminated %c quote", quote)
	}
	return nil
}

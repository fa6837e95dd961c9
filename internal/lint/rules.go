package lint

import (
	"fmt"
	"strings"

	"github.com/berth-dev/berth/internal/diag"
	"github.com/berth-dev/berth/internal/unitfile"
)

// unset marks a finding whose severity is the rule's.
const unset diag.Severity = -1

// Rules returns the rule table in the order the rules run. Codes are stable:
// they are what --disable and "# berth:ignore" name.
func Rules() []Rule {
	return append([]Rule{
		{"syntax", diag.Error, "a line podman cannot read makes the whole file fail to generate", checkSyntax},
		{"trailing-ignore", diag.Error, "systemd has no trailing comments: a # berth:ignore after a value becomes part of the value", checkTrailingIgnore},
		{"unknown-group", diag.Warning, "a [Group] quadlet does not know is ignored, so its keys silently do nothing", checkUnknownGroups},
		{"unknown-key", diag.Error, "podman refuses a unit with an unknown key: the service is never generated", checkUnknownKeys},
		{"too-new", diag.Error, "a key the target podman lacks makes the generator or podman itself fail", checkTooNew},
		{"invalid-bool", diag.Error, "a boolean that is not yes/no/true/false/1/0/on/off reads as false", checkBools},
		{"invalid-int", diag.Error, "podman rejects a non-numeric count or limit when the container starts", checkInts},
		{"invalid-duration", diag.Error, "a duration without a unit or with a typo fails at start or reads as infinity", checkDurations},
		{"invalid-size", diag.Error, "podman rejects a memory size it cannot parse when the container starts", checkSizes},
		{"invalid-port", diag.Error, "a malformed port mapping makes podman run fail", checkPorts},
		{"invalid-enum", diag.Error, "a value outside the key's fixed set fails at generation or start", checkEnums},
		{"relative-path", diag.Error, "paths inside the container must be absolute or podman refuses them", checkAbsolutePaths},
		{"bad-quoting", diag.Error, "a command line with unbalanced quotes is dropped or runs something else", checkQuoting},
		{"missing-ref", diag.Error, "a reference to a quadlet that does not exist stops the unit from being generated", checkRefs},
		{"dependency-cycle", diag.Error, "systemd breaks ordering cycles by dropping a unit from the transaction", checkCycles},
		{"duplicate-name", diag.Error, "two units creating the same container, network, volume or pod replace each other", checkDuplicateNames},
		{"duplicate-port", diag.Error, "a host port can be published once; the second container fails to start", checkDuplicatePorts},
		{"port-in-pod", diag.Error, "a container in a pod shares the pod's network: podman refuses --publish with --pod", checkPortInPod},
		{"missing-env-file", diag.Error, "podman run fails when an --env-file does not exist", checkEnvFiles},
		{"env-file-runtime", diag.Note, "a path with a systemd specifier is only known when the unit runs", checkEnvFilesRuntime},
		{"plaintext-secret", diag.Warning, "secrets in Environment= end up in unit files, podman inspect and process lists", checkSecrets},
		{"db-exposed", diag.Warning, "a database published on all interfaces is reachable from the network", checkDBExposed},
		{"privileged", diag.Warning, "privileged containers and disabled SELinux labels drop isolation; say why in a comment", checkPrivileged},
		{"untagged-image", diag.Warning, "an image without a tag or digest runs whatever :latest is at pull time", checkUntagged},
		{"latest-no-autoupdate", diag.Warning, ":latest is only refreshed by podman auto-update with AutoUpdate=registry", checkLatest},
	}, mentionRules()...)
}

// RuleByCode returns the rule with code, if any.
func RuleByCode(code string) (Rule, bool) {
	for _, r := range Rules() {
		if r.Code == code {
			return r, true
		}
	}
	return Rule{}, false
}

// find builds a finding with the rule's code and severity.
func find(pos diag.Pos, hint, format string, args ...any) diag.Diagnostic {
	return diag.Diagnostic{Pos: pos, Severity: unset, Message: fmt.Sprintf(format, args...), Hint: hint}
}

// entry is one Key=Value line of a unit's group.
type entry struct {
	u *Unit
	l *unitfile.Line
}

// groupLines returns every Key=Value line of group in every unit (group ""
// means the unit's own group), in unit order.
func (s *Stack) groupLines(group string) []entry {
	var out []entry
	for _, u := range s.Units {
		g := group
		if g == "" {
			g = u.Group()
		}
		for _, l := range u.File.Entries(g) {
			out = append(out, entry{u, l})
		}
	}
	return out
}

// keyLines returns the lines assigning one of keys in the units' own group,
// optionally only for units of the given extensions.
func (s *Stack) keyLines(keys []string, exts ...string) []entry {
	want := map[string]bool{}
	for _, k := range keys {
		want[k] = true
	}
	var out []entry
	for _, e := range s.groupLines("") {
		if want[e.l.Key] && e.l.Value != "" && (len(exts) == 0 || hasExt(e.u, exts)) {
			out = append(out, e)
		}
	}
	return out
}

// keyWord is one word of a key's value and the line it stands on.
type keyWord struct {
	e    entry
	word string
}

// keyWords splits into words the key= lines of the units of exts (in their
// own group) and of every [Service] section; a value that does not split is
// passed over (quoting is checkQuoting's and the compiler's to report).
func (s *Stack) keyWords(key string, exts ...string) []keyWord {
	var out []keyWord
	for _, e := range append(s.keyLines([]string{key}, exts...), s.groupLines("Service")...) {
		if e.l.Key != key {
			continue
		}
		words, err := unitfile.SplitArgs(e.l.Value)
		if err != nil {
			continue
		}
		for _, w := range words {
			out = append(out, keyWord{e, w})
		}
	}
	return out
}

func hasExt(u *Unit, exts []string) bool {
	for _, x := range exts {
		if u.Kind != nil && u.Kind.Ext == x {
			return true
		}
	}
	return false
}

// valuePos points at the value of l: the column after '=' and any blanks.
func (s *Stack) valuePos(l *unitfile.Line) diag.Pos {
	p := l.Pos()
	raw := s.rawLine(p.File, p.Line)
	if eq := strings.IndexByte(raw, '='); eq >= 0 {
		i := eq + 1
		for i < len(raw) && (raw[i] == ' ' || raw[i] == '\t') {
			i++
		}
		p.Col = i + 1
	}
	return p
}

// value is the line's value as quadlet reads single values: trailing blanks
// dropped and one pair of surrounding double quotes removed.
func value(l *unitfile.Line) string {
	v := strings.TrimRight(l.Value, " \t\r\n\v\f")
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	return v
}

// hasSpecifier reports whether v holds a systemd specifier (%h, %t, %i...) or
// an environment reference, which only the running service resolves.
func hasSpecifier(v string) bool {
	for i := 0; i+1 < len(v); i++ {
		if v[i] == '%' && v[i+1] != '%' {
			return true
		}
		if v[i] == '%' {
			i++
		}
	}
	return strings.Contains(v, "${")
}

func checkSyntax(s *Stack) diag.List { return s.parseDiags }

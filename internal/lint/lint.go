// Package lint checks quadlet files before podman or systemd ever see them.
// Rules are data: each has a code, a severity, a one-line rationale and a
// check, and all of them run over every file of a stack at once, so that one
// run reports every problem. The compiler's own diagnostics are included.
package lint

import (
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/berth-dev/berth/internal/diag"
	"github.com/berth-dev/berth/internal/quadlet"
	"github.com/berth-dev/berth/internal/version"
)

// Rule is one check. Check returns its findings; Code and Severity of a
// finding default to the rule's.
type Rule struct {
	Code      string
	Severity  diag.Severity
	Rationale string
	Check     func(s *Stack) diag.List
}

// Options select what Run checks and for which podman.
type Options struct {
	Target version.V // podman version to check against; zero means the newest berth knows
	// Generator forces who compiles the units: "podman", "berth", or "" to
	// decide from Target (podman >= 4.4 generates its own units).
	Generator string
	Disable   []string // rule codes not to report
	// Exists reports whether a host path exists; nil means os.Stat.
	Exists func(path string) bool
}

// Report is the outcome of a run.
type Report struct {
	Files       []string // the files that were read, in order
	Diagnostics diag.List
}

// Counts returns the number of errors, warnings and notes.
func (r *Report) Counts() (errors, warnings, notes int) {
	for _, d := range r.Diagnostics {
		switch d.Severity {
		case diag.Error:
			errors++
		case diag.Warning:
			warnings++
		default:
			notes++
		}
	}
	return
}

// Failed reports whether the run should exit non-zero: any error, or any
// warning when strict.
func (r *Report) Failed(strict bool) bool {
	e, w, _ := r.Counts()
	return e > 0 || strict && w > 0
}

// Run lints the quadlet files and folders of paths together.
func Run(paths []string, opts Options) *Report {
	s := &Stack{Target: opts.Target, Exists: opts.Exists}
	if s.Exists == nil {
		s.Exists = func(p string) bool { _, err := os.Stat(p); return err == nil }
	}
	switch opts.Generator {
	case "podman":
		s.PodmanGenerates = true
	case "berth":
	default:
		s.PodmanGenerates = PodmanGenerates(s.target())
	}
	s.load(paths)
	return s.run(opts)
}

func (s *Stack) run(opts Options) *Report {
	disabled := map[string]bool{}
	for _, c := range opts.Disable {
		disabled[c] = true
	}
	var all diag.List
	for _, r := range Rules() {
		for _, d := range safeCheck(r, s) {
			if d.Code == "" {
				d.Code = r.Code
			}
			all = append(all, d)
		}
	}
	all = append(all, s.compilerDiags(all)...)
	rep := &Report{}
	for _, u := range s.Units {
		rep.Files = append(rep.Files, u.Path)
	}
	trailing := map[string]bool{}
	for _, d := range all {
		if d.Code == "trailing-ignore" {
			trailing[fmt.Sprintf("%s:%d", d.Pos.File, d.Pos.Line)] = true
		}
	}
	seen := map[string]bool{}
	for _, d := range all {
		d = s.normalize(d)
		key := d.String()
		if trailing[fmt.Sprintf("%s:%d", d.Pos.File, d.Pos.Line)] && valueCodes[d.Code] {
			continue // the value is invalid because of the comment: trailing-ignore says so
		}
		if disabled[d.Code] || seen[key] || s.ignored(d) {
			continue
		}
		seen[key] = true
		rep.Diagnostics = append(rep.Diagnostics, d)
	}
	rep.Diagnostics.Sort()
	return rep
}

// safeCheck runs a rule; a rule that panics on some input is a bug in berth,
// reported as a diagnostic rather than a crash.
func safeCheck(r Rule, s *Stack) (out diag.List) {
	defer func() {
		if p := recover(); p != nil {
			out = diag.List{{Pos: diag.Pos{File: "berth"}, Severity: diag.Warning, Code: "internal",
				Message: fmt.Sprintf("rule %s failed: %v", r.Code, p), Hint: "please report this as a berth bug"}}
		}
	}()
	out = r.Check(s)
	for i := range out {
		if out[i].Severity == unset {
			out[i].Severity = r.Severity
		}
	}
	return out
}

// normalize gives every diagnostic about a file a line and a column: whole-
// file problems point at line 1, and a column is found from the raw line.
func (s *Stack) normalize(d diag.Diagnostic) diag.Diagnostic {
	if d.Pos.File == "" {
		return d
	}
	if d.Pos.Line == 0 && s.unitOf(d.Pos.File) != nil {
		d.Pos.Line = 1
	}
	if d.Pos.Col == 0 && d.Pos.Line > 0 {
		d.Pos.Col = firstNonBlank(s.rawLine(d.Pos.File, d.Pos.Line))
	}
	return d
}

func firstNonBlank(line string) int {
	for i, c := range line {
		if c != ' ' && c != '\t' {
			return i + 1
		}
	}
	return 1
}

// compilerSubsumes maps a compiler diagnostic code to the lint codes that
// report the same problem more precisely at the same line.
var compilerSubsumes = map[string][]string{
	"unknown-key":        {"unknown-key"},
	"too-new":            {"too-new"},
	"invalid-value":      {"invalid-port", "invalid-enum", "invalid-bool", "invalid-duration", "invalid-int", "invalid-size", "relative-path"},
	"bad-quoting":        {"bad-quoting"},
	"dangling-reference": {"missing-ref"},
	quadlet.CodePodOwned: {"port-in-pod"},
}

// compilerDiags compiles the stack for the target and returns the
// compiler's diagnostics that no rule has reported already.
func (s *Stack) compilerDiags(have diag.List) diag.List {
	units := make([]*quadlet.Unit, 0, len(s.Units))
	for _, u := range s.Units {
		units = append(units, &quadlet.Unit{Name: u.Name, Path: u.Path, File: u.File})
	}
	res := compileSafely(units, quadlet.Options{Target: s.target(), Exists: func(string) bool { return true }, Strict: true, HostFile: s.Exists})
	at := map[string]bool{}
	for _, d := range have {
		at[fmt.Sprintf("%s:%d:%s", d.Pos.File, d.Pos.Line, d.Code)] = true
	}
	var out diag.List
	for _, d := range res {
		if d.Code == "dependency-cycle" {
			continue // lint's own rule reads the same edges from the sources
		}
		covered := false
		for _, c := range append([]string{d.Code}, compilerSubsumes[d.Code]...) {
			covered = covered || at[fmt.Sprintf("%s:%d:%s", d.Pos.File, d.Pos.Line, c)]
		}
		if !covered {
			out = append(out, d)
		}
	}
	return out
}

func compileSafely(units []*quadlet.Unit, opts quadlet.Options) (out diag.List) {
	defer func() {
		if p := recover(); p != nil {
			out = diag.List{{Pos: diag.Pos{File: "berth"}, Severity: diag.Warning, Code: "internal",
				Message: fmt.Sprintf("the compiler failed: %v", p), Hint: "please report this as a berth bug"}}
		}
	}()
	return quadlet.Compile(units, opts).Diags
}

// valueCodes are the diagnostics of an invalid value, which a trailing
// "# berth:ignore" comment causes by becoming part of the value.
var valueCodes = map[string]bool{"invalid-value": true, "invalid-port": true, "invalid-enum": true, "invalid-bool": true,
	"invalid-duration": true, "invalid-int": true, "invalid-size": true, "relative-path": true, "bad-quoting": true,
	"env-name": true, "label-no-value": true, quadlet.CodeKeyValue: true}

var ignoreRe = regexp.MustCompile(`#\s*berth:ignore\b([^#]*)`)

// IgnoredBy reports whether line holds a "# berth:ignore" comment that
// names code, or names no code at all.
func IgnoredBy(line, code string) bool {
	m := ignoreRe.FindStringSubmatch(line)
	if m == nil {
		return false
	}
	codes := strings.FieldsFunc(m[1], func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
	if len(codes) == 0 {
		return true
	}
	for _, c := range codes {
		if c == code {
			return true
		}
	}
	return false
}

// ignored reports whether a "# berth:ignore CODE" comment on the line of d
// or on the line above it silences d. Without codes, every code is ignored.
func (s *Stack) ignored(d diag.Diagnostic) bool {
	if d.Pos.Line == 0 {
		return false
	}
	for _, n := range []int{d.Pos.Line, d.Pos.Line - 1} {
		if n == d.Pos.Line && d.Code == "trailing-ignore" {
			continue // the misplaced comment cannot silence the report of itself
		}
		if IgnoredBy(s.rawLine(d.Pos.File, n), d.Code) {
			return true
		}
	}
	return false
}

package lint

import (
	"os"
	"strings"

	"github.com/berth-dev/berth/internal/compose"
	"github.com/berth-dev/berth/internal/diag"
)

// ComposeOptions select what RunCompose checks.
type ComposeOptions struct {
	Options
	// Strict reports approximated and dropped compose keys as errors
	// rather than warnings.
	Strict bool
}

// Codes of the conversion report's entries.
const (
	CodeApproximated = "compose-approximated"
	CodeDropped      = "compose-dropped"
	CodeUnsupported  = "compose-unsupported"
	CodeComposeNote  = "compose-note"
)

// RunCompose converts a compose project the way `berth up -f` and `berth
// convert` do, lints the generated quadlets with every rule, and reports each
// finding against the compose file and line its key came from (naming the
// service and key), together with what the conversion approximated or
// dropped. A "# berth:ignore CODE" comment on the compose line, or on the
// line above it, silences a finding as in a quadlet.
func RunCompose(p *compose.Project, opts ComposeOptions) *Report {
	// berth compiles what berth up runs; only when podman's own generator
	// will read the files must the conversion keep to the keys it knows.
	if opts.Generator == "" {
		opts.Generator = "berth"
	}
	units, crep, _ := compose.ToUnits(p, compose.Options{Target: opts.Target, PodmanQuadlet: opts.Generator == "podman"})
	s := &Stack{Target: opts.Target, Exists: opts.Exists, PodmanGenerates: opts.Generator == "podman", byName: map[string]*Unit{}}
	if s.Exists == nil {
		s.Exists = func(p string) bool { _, err := os.Stat(p); return err == nil }
	}
	for _, u := range units {
		s.addUnit(u.Name, []byte(u.File.Format()), false)
	}
	rep := s.run(opts.Options)
	c := &composeLines{files: map[string][]string{}}
	disabled := map[string]bool{}
	for _, code := range opts.Disable {
		disabled[code] = true
	}
	var out diag.List
	for _, d := range rep.Diagnostics {
		d = s.toCompose(p, d)
		if !c.ignored(d) {
			out = append(out, d)
		}
	}
	for _, e := range crep.Entries {
		d := entryDiag(e, opts.Strict)
		if !disabled[d.Code] && !c.ignored(d) {
			out = append(out, d)
		}
	}
	out.Sort()
	return &Report{Files: append([]string(nil), p.ComposeFiles...), Diagnostics: out}
}

// toCompose moves a finding on a generated unit to the compose line the
// unit's key came from (compose.Project.Place, as every verb does); one that
// cannot be placed keeps the unit's name.
func (s *Stack) toCompose(p *compose.Project, d diag.Diagnostic) diag.Diagnostic {
	u := s.unitOf(d.Pos.File)
	if u == nil {
		return d
	}
	d = p.Place(d, u.Name, u.lines[d.Pos.File])
	d.Message = p.Mention(d.Message, func(unit string) []string {
		if o := s.byName[unit]; o != nil {
			return o.lines[o.Path]
		}
		return nil
	})
	return d
}

// entryDiag is a conversion report entry as a diagnostic.
func entryDiag(e compose.Entry, strict bool) diag.Diagnostic {
	d := diag.Diagnostic{Pos: e.Pos, Message: e.Message, Hint: e.Hint}
	switch e.Severity {
	case compose.Approximated:
		d.Code, d.Severity = CodeApproximated, diag.Warning
	case compose.Dropped:
		d.Code, d.Severity = CodeDropped, diag.Warning
	case compose.Error:
		d.Code, d.Severity = CodeUnsupported, diag.Error
	default:
		d.Code, d.Severity = CodeComposeNote, diag.Note
	}
	if strict && d.Severity == diag.Warning {
		d.Severity = diag.Error
	}
	prefix := ""
	if e.Service != "" {
		prefix = "service " + e.Service + ": "
	}
	if e.Key != "" {
		prefix += e.Key + ": "
	}
	d.Message = prefix + d.Message
	return d
}

// composeLines reads compose files for their "# berth:ignore" comments.
type composeLines struct {
	files map[string][]string
}

func (c *composeLines) line(file string, n int) string {
	lines, ok := c.files[file]
	if !ok {
		data, _ := os.ReadFile(file)
		lines = strings.Split(string(data), "\n")
		c.files[file] = lines
	}
	if n >= 1 && n <= len(lines) {
		return lines[n-1]
	}
	return ""
}

// ignored: YAML has trailing comments, so the comment may sit on the line
// itself or on the line above.
func (c *composeLines) ignored(d diag.Diagnostic) bool {
	if d.Pos.Line == 0 || !strings.HasSuffix(d.Pos.File, ".yaml") && !strings.HasSuffix(d.Pos.File, ".yml") {
		return false
	}
	return IgnoredBy(c.line(d.Pos.File, d.Pos.Line), d.Code) || IgnoredBy(c.line(d.Pos.File, d.Pos.Line-1), d.Code)
}

package compose

import (
	"fmt"
	"sort"
	"strings"

	"github.com/berth-dev/berth/internal/diag"
)

// Severity says how much of a compose key survived the conversion.
type Severity int

const (
	// Note is information only: the key needs no quadlet counterpart (x-
	// extensions, swarm-only settings that have no meaning on one host).
	Note Severity = iota
	// Approximated keys were converted, but behave differently in a detail
	// the entry names.
	Approximated
	// Dropped keys were not carried over at all.
	Dropped
	// Error marks what cannot be expressed: the unit it belongs to is wrong
	// or missing, and conversion fails.
	Error
)

func (s Severity) String() string {
	switch s {
	case Approximated:
		return "approximated"
	case Dropped:
		return "dropped"
	case Error:
		return "error"
	}
	return "note"
}

// Entry is one line of the conversion report.
type Entry struct {
	Service  string   // compose service, or "" for project-level keys
	Key      string   // compose key path, e.g. "deploy.replicas"
	Pos      diag.Pos // where the key is written, when known
	Severity Severity
	Message  string // what happened
	Hint     string // what the user can do instead
}

func (e Entry) String() string {
	var b strings.Builder
	if p := e.Pos.String(); p != "" {
		b.WriteString(p + ": ")
	}
	b.WriteString(e.Severity.String() + ": ")
	if e.Service != "" {
		b.WriteString("service " + e.Service + ": ")
	}
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Message)
	if e.Hint != "" {
		b.WriteString("; " + e.Hint)
	}
	return b.String()
}

// Report is what the conversion could not carry over exactly, plus the
// commands the user (or berth) must run before the units start.
type Report struct {
	Entries []Entry
	// Commands to run once before starting the units, e.g. podman secret
	// create. They never hold a secret's value.
	Commands []string
	// Secrets are the podman secrets the units mount that berth creates
	// (external secrets are not listed: they must exist already).
	Secrets []Secret
	// Files must be written before the units run: the Containerfiles of
	// build.dockerfile_inline (see Options.InlineDir).
	Files []File
}

func (r *Report) add(e Entry) { r.Entries = append(r.Entries, e) }

// Losses counts the approximated and dropped entries.
func (r *Report) Losses() int {
	n := 0
	for _, e := range r.Entries {
		if e.Severity == Approximated || e.Severity == Dropped {
			n++
		}
	}
	return n
}

// HasErrors reports whether something could not be expressed at all.
func (r *Report) HasErrors() bool {
	for _, e := range r.Entries {
		if e.Severity == Error {
			return true
		}
	}
	return false
}

// Err returns an error listing what cannot be expressed; with strict, every
// approximation and drop counts too. Nil when the conversion is acceptable.
func (r *Report) Err(strict bool) error {
	var bad []string
	for _, e := range r.Entries {
		if e.Severity == Error || strict && (e.Severity == Approximated || e.Severity == Dropped) {
			bad = append(bad, e.String())
		}
	}
	if len(bad) == 0 {
		return nil
	}
	what := "cannot be expressed as quadlets"
	if strict {
		what = "was not converted exactly (--strict)"
	}
	return fmt.Errorf("%d compose setting(s) %s:\n%s", len(bad), what, strings.Join(bad, "\n"))
}

// sort orders entries by service, then file position, then key, so output
// does not depend on map order anywhere upstream.
func (r *Report) sort() {
	sort.SliceStable(r.Entries, func(i, j int) bool {
		a, b := r.Entries[i], r.Entries[j]
		if a.Service != b.Service {
			return a.Service < b.Service
		}
		if a.Pos.File != b.Pos.File {
			return a.Pos.File < b.Pos.File
		}
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line < b.Pos.Line
		}
		return a.Key < b.Key
	})
}

// String renders the report for people: one entry a line, then the commands.
func (r *Report) String() string {
	var b strings.Builder
	for _, e := range r.Entries {
		b.WriteString(e.String() + "\n")
	}
	if len(r.Commands) > 0 {
		b.WriteString("run once before starting the units:\n")
		for _, c := range r.Commands {
			b.WriteString("  " + c + "\n")
		}
	}
	return b.String()
}

// File is a file the converted units read, with its content.
type File struct {
	Path string
	Data []byte
}

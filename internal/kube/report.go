package kube

import (
	"fmt"
	"sort"
	"strings"

	"github.com/berth-dev/berth/internal/diag"
)

// Severity says how much of a setting reached the manifests.
type Severity int

const (
	// Note is information: the setting needs no counterpart, or the user
	// has a step to take (push a local image, create a secret).
	Note Severity = iota
	// Approximated settings were carried over but behave differently in a
	// detail the entry names.
	Approximated
	// Dropped settings have no counterpart in the manifests.
	Dropped
)

func (s Severity) String() string {
	switch s {
	case Approximated:
		return "approximated"
	case Dropped:
		return "dropped"
	}
	return "note"
}

// Loss is one line of the export report: where the setting is written, what
// happened to it and what to do.
type Loss struct {
	Pos      diag.Pos
	Unit     string // the quadlet file, e.g. "db.container"
	Key      string // e.g. "PidsLimit"
	Severity Severity
	Message  string
	Hint     string
	// Source names the setting in the file the user wrote when the unit
	// was converted from it ("service web: cap_add.0"); it then stands in
	// for Key.
	Source string
	// Item is what on the line the report is about, when the line sets
	// several things: a name (NetworkAlias=a b), a variable or a label.
	Item string
}

func (l Loss) String() string {
	var b strings.Builder
	if p := l.Pos.String(); p != "" {
		b.WriteString(p + ": ")
	} else if l.Unit != "" {
		b.WriteString(l.Unit + ": ")
	}
	b.WriteString(l.Severity.String() + ": ")
	switch {
	case l.Source != "":
		b.WriteString(l.Source + ": ")
	case l.Key != "":
		b.WriteString(l.Key + "=: ")
	}
	b.WriteString(l.Message)
	if l.Hint != "" {
		b.WriteString(" (" + l.Hint + ")")
	}
	return b.String()
}

// Report is every loss of one export, in a stable order.
type Report struct {
	Losses []Loss
	// Commands are what to run before applying (create secrets, push images).
	Commands []string
}

func (r *Report) add(l Loss) { r.Losses = append(r.Losses, l) }

func (r *Report) command(c string) {
	for _, have := range r.Commands {
		if have == c {
			return
		}
	}
	r.Commands = append(r.Commands, c)
}

// Count returns the number of approximated and dropped settings.
func (r *Report) Count() int {
	n := 0
	for _, l := range r.Losses {
		if l.Severity != Note {
			n++
		}
	}
	return n
}

// Err is an error listing the losses when strict and any setting was
// approximated or dropped.
func (r *Report) Err(strict bool) error {
	if !strict || r.Count() == 0 {
		return nil
	}
	return fmt.Errorf("%d setting(s) not carried over exactly (--strict)", r.Count())
}

// Sort orders the report by file, line, column, then message, so that the
// same input always gives the same report; Export returns it sorted, and a
// caller that moves the positions (to the compose file a unit came from)
// sorts again.
func (r *Report) Sort() {
	sort.SliceStable(r.Losses, func(i, j int) bool {
		a, b := r.Losses[i], r.Losses[j]
		if a.Pos.File != b.Pos.File {
			return a.Pos.File < b.Pos.File
		}
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line < b.Pos.Line
		}
		if a.Pos.Col != b.Pos.Col {
			return a.Pos.Col < b.Pos.Col
		}
		if a.Unit != b.Unit {
			return a.Unit < b.Unit
		}
		return a.Message < b.Message
	})
	sort.Strings(r.Commands)
}

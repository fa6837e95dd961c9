package generate

import (
	"strconv"

	"github.com/berth-dev/berth/internal/diag"
	"github.com/berth-dev/berth/internal/quadlet"
	"github.com/berth-dev/berth/internal/unitfile"
)

// SourceFiles lists the files a unit was read from: its own file first, then
// its drop-ins in the order they were merged.
func SourceFiles(u *quadlet.Unit) []string {
	files := []string{u.Path}
	// Lines come in runs from the same file: comparing with the last file
	// added spares hashing every line's path, which the generator does for
	// every unit.
	var seen map[string]bool
	add := func(f string) {
		if f == "" || f == files[len(files)-1] {
			return
		}
		if seen == nil {
			seen = map[string]bool{u.Path: true}
		}
		if !seen[f] {
			seen[f] = true
			files = append(files, f)
		}
	}
	for _, s := range u.File.Sections {
		add(s.Pos().File)
		for _, l := range s.Lines {
			add(l.Pos().File)
		}
	}
	return files
}

// attribute sorts diagnostics by the unit whose files they point into. A
// diagnostic in a drop-in shared by several units goes to each of them, once;
// one that points into no unit's files is an orphan.
func attribute(units []*quadlet.Unit, diags diag.List) (byUnit []diag.List, orphans diag.List) {
	byUnit = make([]diag.List, len(units))
	if len(diags) == 0 {
		return byUnit, nil
	}
	owners := map[string][]int{}
	for i, u := range units {
		for _, f := range SourceFiles(u) {
			owners[f] = append(owners[f], i)
		}
		if u.Path == "" {
			owners[u.Name] = append(owners[u.Name], i)
		}
	}
	seen := make([]map[string]bool, len(units))
	for _, d := range diags {
		idx, ok := owners[d.Pos.File]
		if !ok {
			orphans = append(orphans, d)
			continue
		}
		key := d.Pos.String() + "\x00" + d.Severity.String() + "\x00" + d.Message
		for _, i := range idx {
			if seen[i] == nil {
				seen[i] = map[string]bool{}
			}
			if !seen[i][key] {
				seen[i][key] = true
				byUnit[i] = append(byUnit[i], d)
			}
		}
	}
	return byUnit, orphans
}

// describeLoad renders a problem of a file that could not be read, after
// podman's "error loading FILE, " prefix: "line N: message (hint)".
func describeLoad(d diag.Diagnostic) string {
	d = d.Printable()
	msg := d.Message
	if d.Pos.Line > 0 && d.Code != unitfile.CodeNotRegular && d.Code != unitfile.CodeUnreadable { // whole-file problems
		msg = "line " + strconv.Itoa(d.Pos.Line) + ": " + msg
	}
	if d.Hint != "" {
		msg += " (" + d.Hint + ")"
	}
	return msg
}

// describe renders a diagnostic after a podman-style prefix such as
// `converting "x.container": `: the message, then where it is and what to
// do, in parentheses.
func describe(d diag.Diagnostic) string {
	d = d.Printable()
	extra := ""
	if d.Pos.Line > 0 {
		extra = "at " + d.Pos.String()
	}
	if d.Hint != "" {
		if extra != "" {
			extra += "; "
		}
		extra += d.Hint
	}
	if extra == "" {
		return d.Message
	}
	return d.Message + " (" + extra + ")"
}

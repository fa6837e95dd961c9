package unitfile

import (
	"fmt"
	"io"
	"strings"
	"unicode"
	"unsafe"

	"github.com/berth-dev/berth/internal/diag"
)

// Syntax diagnostic codes.
const (
	CodeSyntax      = "syntax"
	CodeNoSection   = "no-section"
	CodeBadSection  = "bad-section"
	CodeBadKey      = "bad-key"
	CodeUnreadable  = "unreadable"
	CodeNotRegular  = "not-a-file" // a folder, pipe, socket or device named like a unit
	CodeLineTooLong = "line-too-long"
	maxLineForQuote = 200 // longer offending lines are shortened in messages
)

// ParseFile reads and parses the unit file at path.
func ParseFile(path string) (*File, diag.List) {
	data, diags := ReadFile(path)
	if diags != nil {
		return nil, diags
	}
	return Parse(path, data)
}

// Parse parses data as a unit file named path. It never fails outright: bad
// lines are reported and skipped, so every problem of a file is seen at once.
//
// Continuation lines follow podman's quadlet reader, which systemd's agrees
// with except in one corner: the trailing backslash is removed without adding
// a space, so "a \" + "b" reads "a b" while "a\" + "b" reads "ab". Comment lines
// inside a continuation are skipped.
func Parse(path string, data []byte) (*File, diag.List) {
	text := string(data)
	p := parser{f: &File{Path: path, trailNL: strings.HasSuffix(text, "\n")}, src: &path}
	text = strings.TrimSuffix(text, "\n")
	if text == "" && !p.f.trailNL {
		return p.f, nil
	}
	// At most one Line per physical line that is not a section header:
	// allocate them all at once, and the sections' line lists in one block
	// too (parse.go's addLines). (A line that starts with "[" but is no
	// header takes a Line from File.newLine's blocks instead.)
	nSections := strings.Count(text, "\n[")
	if text != "" && text[0] == '[' {
		nSections++
	}
	// Empty lines share one Line (blank): a unit has one between
	// sections. (Count misses some of a run of them: a bound, not exact.)
	nBlank := strings.Count(text, "\n\n")
	nLines := strings.Count(text, "\n") + 1 - nSections - nBlank + 1
	p.block = make([]Line, nLines)
	p.ptrs = make([]*Line, 0, nLines)
	p.sections = make([]Section, nSections)
	p.f.Sections = make([]*Section, 0, nSections)
	var (
		acc       strings.Builder // logical text being continued
		rawAcc    []string        // physical lines of the logical line
		startNr   int
		continued bool
	)
	for nr, rest, more := 1, text, true; more; nr++ {
		var rawLine string
		rawLine, rest, more = strings.Cut(rest, "\n")
		line := strings.TrimSpace(rawLine)
		if !continued && (line == "" || line[len(line)-1] != '\\') {
			// The common line: one physical line, its own raw text.
			pos := diag.Pos{File: path, Line: nr}
			if len(rawLine) > MaxLineLen {
				p.tooLong(len(rawLine), pos)
			}
			p.line(line, rawLine, pos)
			continue
		}
		if continued && isComment(line) {
			rawAcc = append(rawAcc, rawLine)
			continue
		}
		if !continued {
			startNr = nr
			rawAcc = rawAcc[:0]
			acc.Reset()
		}
		rawAcc = append(rawAcc, rawLine)
		if !isComment(line) && strings.HasSuffix(line, "\\") && more {
			acc.WriteString(line[:len(line)-1])
			continued = true
			continue
		}
		if !isComment(line) && strings.HasSuffix(line, "\\") {
			line = line[:len(line)-1] // a trailing backslash on the last line is dropped
		}
		if continued {
			acc.WriteString(line)
			line = acc.String()
		}
		continued = false
		pos := diag.Pos{File: path, Line: startNr}
		if len(line) > MaxLineLen || longest(rawAcc) > MaxLineLen {
			p.tooLong(max(len(line), longest(rawAcc)), pos)
		}
		p.line(line, strings.Join(rawAcc, "\n"), pos)
	}
	if continued {
		p.unfinished(acc.String(), strings.Join(rawAcc, "\n"), diag.Pos{File: path, Line: startNr})
	}
	p.f.tail = append(p.f.tail, p.pending...)
	p.closeSection()
	return p.f, p.diags
}

func longest(lines []string) int {
	n := 0
	for _, l := range lines {
		n = max(n, len(l))
	}
	return n
}

// tooLong reports a line systemd would not read: the unit would fail to load.
func (p *parser) tooLong(n int, pos diag.Pos) {
	pos.Col = 1
	p.diags.Add(diag.Diagnostic{Pos: pos, Severity: diag.Error, Code: CodeLineTooLong,
		Message: fmt.Sprintf("line is %d bytes long; systemd refuses a unit with a line of 1 MiB or more", n),
		Hint:    "put long values in a file (EnvironmentFile=, a mounted file) instead"})
}

type parser struct {
	f   *File
	src *string // the file's name, for every line's position
	// blank is the file's empty line, one Line for all of them: nothing
	// changes a line, and an empty line's position is never asked for
	// (it is the first's).
	blank   *Line
	cur     *Section
	pending []*Line // comments not yet attached
	diags   diag.List
	block   []Line // unused lines, one per physical line left
	// ptrs is the unused rest of one block for the sections' Lines: the
	// current section's list grows into it (addLines), and is capped when
	// the section ends, so that appending to it later copies it.
	ptrs     []*Line
	sections []Section // unused sections, one per "\n[" in the text
}

// addLines appends ls to the current section's lines, in the block.
func (p *parser) addLines(ls ...*Line) {
	s := p.cur
	if s.Lines == nil && cap(p.ptrs) > 0 {
		s.Lines = p.ptrs[:0]
	}
	s.Lines = append(s.Lines, ls...)
}

// closeSection caps the current section's lines and gives the rest of the
// block to the next section.
func (p *parser) closeSection() {
	s := p.cur
	if s == nil {
		return
	}
	n := len(s.Lines)
	if n > 0 && cap(p.ptrs) >= n && &p.ptrs[:1][0] == &s.Lines[:1][0] {
		p.ptrs = p.ptrs[n:n]
	}
	s.Lines = s.Lines[:n:n]
}

// newLine returns a new line holding l, from the parser's block.
func (p *parser) newLine(l Line) *Line {
	if len(p.block) == 0 {
		return p.f.newLine(l)
	}
	n := &p.block[0]
	p.block = p.block[1:]
	*n = l
	return n
}

func isComment(line string) bool { return line == "" || line[0] == '#' || line[0] == ';' }

func (p *parser) line(line, raw string, pos diag.Pos) {
	switch {
	case raw == "":
		if p.blank == nil {
			p.blank = p.newLine(Line{Comment: true, src: p.src, line: int32(pos.Line)})
		}
		p.pending = append(p.pending, p.blank)
	case isComment(line):
		p.pending = append(p.pending, p.newLine(Line{Comment: true, Value: line, src: p.src, line: int32(pos.Line), raw: raw}))
	case isSectionHeader(line):
		p.section(line, raw, pos)
	case strings.IndexByte(line, '=') > 0:
		p.entry(line, raw, pos)
	default:
		p.diags.Add(diag.Diagnostic{Pos: pos, Severity: diag.Error, Code: CodeSyntax,
			Message: fmt.Sprintf("line %q is not a key-value pair, group, or comment", shorten(line)), // podman's words
			Hint:    "write Key=Value, [Section], or start the line with # to comment it out"})
		p.keepInvalid(raw, pos)
	}
}

func shorten(s string) string {
	if len(s) > maxLineForQuote {
		return s[:maxLineForQuote] + "..."
	}
	return s
}

func isSectionHeader(line string) bool {
	if line[0] != '[' {
		return false
	}
	end := strings.IndexByte(line, ']')
	return end >= 0 && strings.Trim(line[end+1:], " \t") == ""
}

func (p *parser) section(line, raw string, pos diag.Pos) {
	name := line[1:strings.IndexByte(line, ']')]
	if !validSectionName(name) {
		p.diags.Add(diag.Diagnostic{Pos: pos, Severity: diag.Error, Code: CodeBadSection,
			Message: fmt.Sprintf("invalid section name %q", shorten(name)),
			Hint:    "section names are non-empty and contain no brackets or control characters"})
	}
	p.closeSection()
	var s *Section
	if len(p.sections) > 0 {
		s, p.sections = &p.sections[0], p.sections[1:]
	} else {
		s = new(Section) // a header the count missed (indented)
	}
	*s = Section{Name: name, src: p.src, line: int32(pos.Line), raw: raw, head: p.pending}
	p.pending = nil
	p.f.Sections = append(p.f.Sections, s)
	p.cur = s
}

func validSectionName(name string) bool {
	if name == "" {
		return false
	}
	for _, c := range name {
		if c == '[' || c == ']' || unicode.IsControl(c) {
			return false
		}
	}
	return true
}

func (p *parser) entry(line, raw string, pos diag.Pos) {
	eq := strings.IndexByte(line, '=')
	key, value := line[:eq], line[eq+1:]
	// Most keys end, and most values start, with a plain ASCII letter:
	// then there is no space to trim.
	if c := key[len(key)-1]; c <= ' ' || c >= 0x80 {
		key = strings.TrimRightFunc(key, unicode.IsSpace)
	}
	if value != "" {
		if c := value[0]; c <= ' ' || c >= 0x80 {
			value = strings.TrimLeftFunc(value, unicode.IsSpace)
		}
	}
	if p.cur == nil {
		p.diags.Add(diag.Diagnostic{Pos: pos, Severity: diag.Error, Code: CodeNoSection,
			Message: fmt.Sprintf("key %q comes before any [section] header: the key file does not start with a group", shorten(key)), // podman's words
			Hint:    "add a section header such as [Container] above it"})
		p.keepInvalid(raw, pos)
		return
	}
	if key == "" {
		p.diags.Add(diag.Diagnostic{Pos: pos, Severity: diag.Error, Code: CodeBadKey,
			Message: "empty key name", Hint: "write Key=Value"})
		p.keepInvalid(raw, pos)
		return
	}
	l := p.newLine(Line{Key: key, Value: value, src: p.src, line: int32(pos.Line), raw: raw})
	p.addLines(p.pending...)
	p.pending = nil
	p.addLines(l)
}

// keepInvalid keeps an unreadable line as an inert comment so that writing the
// file back still reproduces its input.
// unfinished handles a file that ends inside a continuation: only blank or
// comment lines followed the last backslash. podman's quadlet then drops
// the line, so it is kept as text only (the file still writes back whole),
// with a warning unless it holds nothing.
func (p *parser) unfinished(line, raw string, pos diag.Pos) {
	if strings.TrimSpace(line) != "" {
		p.diags.Add(diag.Diagnostic{Pos: pos, Severity: diag.Warning, Code: CodeSyntax,
			Message: fmt.Sprintf("the file ends inside the continued line %q, which is therefore ignored (as podman's quadlet ignores it)", shorten(line)),
			Hint:    "remove the backslash at the end of its last part"})
	}
	p.keepInvalid(raw, pos)
}

func (p *parser) keepInvalid(raw string, pos diag.Pos) {
	p.pending = append(p.pending, p.newLine(Line{Comment: true, Value: raw, src: p.src, line: int32(pos.Line), raw: raw}))
}

// WriteTo writes the file. Parsed, unmodified parts are written exactly as
// read; synthesised lines are written as Key=Value.
func (f *File) WriteTo(w io.Writer) (int64, error) {
	var b strings.Builder
	f.write(&b)
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

// String returns the file's text.
func (f *File) String() string {
	var b strings.Builder
	f.write(&b)
	return b.String()
}

func (f *File) write(b *strings.Builder) {
	var out []string
	for i, s := range f.Sections {
		if f.synth && i > 0 && len(s.head) == 0 {
			out = append(out, "")
		}
		for _, l := range s.head {
			out = append(out, l.Text())
		}
		if s.raw != "" {
			out = append(out, s.raw)
		} else {
			out = append(out, "["+s.Name+"]")
		}
		for _, l := range s.Lines {
			out = append(out, l.Text())
		}
	}
	for _, l := range f.tail {
		out = append(out, l.Text())
	}
	b.WriteString(strings.Join(out, "\n"))
	if f.trailNL && len(out) > 0 {
		b.WriteString("\n")
	}
}

// Format returns the file in canonical form, the way generated units are
// written: one blank line between sections, blank lines inside sections
// dropped, comments kept, each entry as Key=Value on one line. The text is
// built in one allocation: the generator formats every unit it writes.
func (f *File) Format() string {
	b := f.AppendFormat(make([]byte, 0, f.formatSize()))
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b)) // b is not used again
}

// AppendFormat appends Format's text to b: the generator prints and writes
// every unit through one reused buffer instead of a string each.
func (f *File) AppendFormat(b []byte) []byte {
	for i, s := range f.Sections {
		if i > 0 {
			b = append(b, '\n')
		}
		b = appendComments(b, s.head)
		b = append(b, '[')
		b = append(b, s.Name...)
		b = append(b, "]\n"...)
		for _, l := range s.Lines {
			switch {
			case l.Comment && l.Value == "":
			case l.Comment:
				b = append(append(b, l.Value...), '\n')
			default:
				b = append(b, l.Key...)
				b = append(b, '=')
				b = append(append(b, l.Value...), '\n')
			}
		}
	}
	return appendComments(b, f.tail)
}

// FormatSize is an upper bound of the length of Format's text.
func (f *File) FormatSize() int { return f.formatSize() }

// appendComments appends the non-empty comment lines of ls.
func appendComments(b []byte, ls []*Line) []byte {
	for _, l := range ls {
		if l.Value != "" {
			b = append(append(b, l.Value...), '\n')
		}
	}
	return b
}

// formatSize is an upper bound of the length of Format's text.
func (f *File) formatSize() int {
	n := 0
	lines := func(ls []*Line) {
		for _, l := range ls {
			n += len(l.Key) + len(l.Value) + 2
		}
	}
	for _, s := range f.Sections {
		n += len(s.Name) + 4
		lines(s.head)
		lines(s.Lines)
	}
	lines(f.tail)
	return n
}

// Package unitfile reads and writes systemd unit files (systemd.syntax(7)) the
// way systemd and podman's quadlet read them. It is lossless: a parsed file
// written back unchanged reproduces its input byte for byte, comments and
// order included. Every entry remembers the file and line it came from.
//
// The package knows syntax only; what keys mean is the quadlet package's job.
package unitfile

import (
	"strings"
	"unsafe"

	"github.com/berth-dev/berth/internal/diag"
)

// Line is one logical line of a unit file: a comment (or blank line), a
// section header, or a Key=Value entry. A logical entry can span several
// physical lines joined by trailing backslashes. Lines are not changed once
// made: File's methods replace them, and copies of a File share them.
//
// A line is 64 bytes, where its position as a diag.Pos would make it 88: a
// generator run parses a dozen lines per unit, thousands of units.
type Line struct {
	Key     string // empty for comments
	Value   string // the value with continuations applied, leading space trimmed
	Comment bool
	line    int32   // where it starts in *src, 1-based
	src     *string // the file it was read from; nil when synthesised
	raw     string  // original text, physical lines joined by "\n"; "" when synthesised
}

// Pos is the file and line the line was read from (zero when it was made
// in memory).
func (l *Line) Pos() diag.Pos {
	if l.src == nil {
		return diag.Pos{}
	}
	return diag.Pos{File: *l.src, Line: int(l.line)}
}

// IsEmptyAssignment reports whether the line is "Key=" which, for list keys,
// resets everything assigned before it.
func (l *Line) IsEmptyAssignment() bool { return !l.Comment && l.Value == "" }

// Text returns the line as it is written out.
func (l *Line) Text() string {
	if l.raw != "" || l.Comment {
		if l.raw == "" {
			return l.Value
		}
		return l.raw
	}
	return l.Key + "=" + l.Value
}

// Section is a [Name] group and its lines.
type Section struct {
	Name  string
	Lines []*Line
	head  []*Line // comments and blank lines before the header
	raw   string
	src   *string // the file and line of its header (Pos)
	line  int32
}

// Pos is the file and line of the section's header (zero when it was
// made in memory).
func (s *Section) Pos() diag.Pos {
	if s.src == nil {
		return diag.Pos{}
	}
	return diag.Pos{File: *s.src, Line: int(s.line)}
}

// File is a parsed unit file.
type File struct {
	Path     string
	Sections []*Section
	tail     []*Line // comments after the last line of a file without sections
	trailNL  bool    // whether the source ended with a newline
	synth    bool    // built in memory rather than parsed: write with canonical spacing
	spare    []Line  // unused lines for newLine
	pool     *Lines  // where newLine takes lines from, when set (UseLines)
	merged   bool    // Merge added another file's sections
}

// Merged reports whether Merge added another file's sections (drop-ins) to
// f, or to the file f is a clone of.
func (f *File) Merged() bool { return f.merged }

// Lines hands out lines in blocks shared by the files that use it
// (File.UseLines): a compiled service adds some 8 to 20 lines to its file,
// and a block per file leaves the rest of the file's last block unused —
// about a tenth of a generator run's memory, each page of it a page fault.
// It also holds the memory of the files cloned from it (CloneRoomFrom) and
// the text of the command lines they add (AddArgs).
// Reset hands all of it out again: a generator that writes each service as
// soon as it is compiled needs one service's memory per goroutine rather
// than a thousand services' (with the garbage collector off, as in the
// generator, memory is never reused otherwise, and every fresh page is a
// page fault).
// A Lines is not safe for concurrent use: the files sharing one must be
// changed by one goroutine at a time.
type Lines struct {
	text     slab[byte] // the values of command lines (AddArgs)
	lines    slab[Line]
	ptrs     slab[*Line]
	sections slab[Section]
	sptrs    slab[*Section]
	files    slab[File]
}

// Reset makes everything p handed out since the last Reset available
// again: the files cloned from p and every line they took from it must no
// longer be used.
func (p *Lines) Reset() {
	p.text.reset()
	p.lines.reset()
	p.ptrs.reset()
	p.sections.reset()
	p.sptrs.reset()
	p.files.reset()
}

// joinArgs is JoinArgs(words) in p's memory, when no word needs quoting
// (else ok is false): the command lines of a compiled service, its longest
// values, are ~300 bytes of new text per unit.
func (p *Lines) joinArgs(words []string) (v string, ok bool) {
	n := len(words) - 1
	for _, w := range words {
		if w == "" || needsQuoting(w) {
			return "", false
		}
		n += len(w)
	}
	if n <= 0 {
		return "", n == 0
	}
	b := p.text.take(n, 0, 4096)[:0]
	for i, w := range words {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, w...)
	}
	return unsafe.String(&b[0], len(b)), true
}

// slab hands out runs of Ts from blocks it keeps for reset.
type slab[T any] struct {
	blocks [][]T
	next   int // blocks[next:] are not handed out since the last reset
	cur    []T // the unused rest of the block in use
}

// take returns n Ts (length n, capacity n+room; reused ones hold what they
// held: the caller sets them): the
// list grows into its room, and appending beyond it copies it away rather
// than over the next list. A new block holds at least size Ts.
func (s *slab[T]) take(n, room, size int) []T {
	need := n + room
	for len(s.cur) < need {
		if s.next < len(s.blocks) {
			s.cur = s.blocks[s.next]
			s.next++
			continue
		}
		b := make([]T, max(size, need))
		s.blocks = append(s.blocks, b)
		s.next = len(s.blocks)
		s.cur = b
	}
	out := s.cur[:n:need]
	s.cur = s.cur[need:]
	return out
}

func (s *slab[T]) reset() {
	s.next, s.cur = 0, nil
}

// UseLines makes f take the lines its methods add from p (nil: from blocks
// of its own again). Lines already made stay where they are.
func (f *File) UseLines(p *Lines) { f.pool = p }

// newLine returns a new line holding l. Lines are allocated in blocks: a
// compiled service adds a dozen or more to its file, and the generator
// compiles thousands of files in one run, so one allocation per line shows.
func (f *File) newLine(l Line) *Line {
	var n *Line
	if f.pool != nil {
		n = &f.pool.lines.take(1, 0, 64)[0]
	} else {
		if len(f.spare) == 0 {
			f.spare = make([]Line, 16)
		}
		n = &f.spare[0]
		f.spare = f.spare[1:]
	}
	*n = l
	return n
}

// New returns an empty file that writes itself in canonical form.
func New(path string) *File { return &File{Path: path, synth: true, trailNL: true} }

// Section returns the first section with that name, or nil.
func (f *File) Section(name string) *Section {
	for _, s := range f.Sections {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// HasSection reports whether a section of that name exists.
func (f *File) HasSection(name string) bool { return f.Section(name) != nil }

// SectionNames lists section names in order of first appearance, once each.
func (f *File) SectionNames() []string {
	var names []string
	seen := map[string]bool{}
	for _, s := range f.Sections {
		if !seen[s.Name] {
			seen[s.Name] = true
			names = append(names, s.Name)
		}
	}
	return names
}

// ensure returns the last section of that name, appending one if missing.
func (f *File) ensure(name string) *Section {
	for i := len(f.Sections) - 1; i >= 0; i-- {
		if f.Sections[i].Name == name {
			return f.Sections[i]
		}
	}
	// Room for a few lines: a section is made to add a line to it, and
	// the compiler adds several (growing from 1 copies the list 3 times).
	s := &Section{Name: name, Lines: make([]*Line, 0, 4)}
	f.Sections = append(f.Sections, s)
	return s
}

// entries returns the non-comment lines of every section named name, in order.
// A name may appear several times in one file (and drop-ins add more); systemd
// treats them as one group.
func (f *File) entries(name string) []*Line {
	var out []*Line
	for _, s := range f.Sections {
		if s.Name != name {
			continue
		}
		for _, l := range s.Lines {
			if !l.Comment {
				out = append(out, l)
			}
		}
	}
	return out
}

// Entries returns every Key=Value line of the named section(s), in order.
func (f *File) Entries(section string) []*Line { return f.entries(section) }

// Keys lists the distinct keys of a section in order of first appearance.
func (f *File) Keys(section string) []string {
	var keys []string
	seen := map[string]bool{}
	for _, l := range f.entries(section) {
		if !seen[l.Key] {
			seen[l.Key] = true
			keys = append(keys, l.Key)
		}
	}
	return keys
}

// LastLine returns the last assignment of key, or nil. It walks the lines in
// place: lookups are the compiler's hot path and must not allocate.
func (f *File) LastLine(section, key string) *Line {
	for i := len(f.Sections) - 1; i >= 0; i-- {
		s := f.Sections[i]
		if s.Name != section {
			continue
		}
		for j := len(s.Lines) - 1; j >= 0; j-- {
			if l := s.Lines[j]; !l.Comment && l.Key == key {
				return l
			}
		}
	}
	return nil
}

// Has reports whether key is assigned in section.
func (f *File) Has(section, key string) bool { return f.LastLine(section, key) != nil }

// Lookup returns the last value of key with trailing space removed and one
// pair of surrounding double quotes stripped, as quadlet reads single values.
func (f *File) Lookup(section, key string) (string, bool) {
	l := f.LastLine(section, key)
	if l == nil {
		return "", false
	}
	return unquoteValue(l.Value), true
}

func unquoteValue(v string) string {
	v = strings.TrimRight(v, " \t\r\n\v\f")
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	return v
}

// LookupBool parses the last value of key as a systemd boolean.
// ok is false when the key is absent.
func (f *File) LookupBool(section, key string) (value, ok bool) {
	v, ok := f.Lookup(section, key)
	if !ok {
		return false, false
	}
	// Quadlet reads only these spellings as true and everything else, even
	// systemd's "y" or "t", as false; lint reports values that are neither.
	switch strings.ToLower(v) {
	case "1", "yes", "true", "on":
		return true, true
	}
	return false, true
}

// ParseBool parses a systemd boolean; valid reports whether v was one of the
// spellings systemd accepts. Invalid values read as false, as in quadlet.
func ParseBool(v string) (value, valid bool) {
	switch strings.ToLower(v) {
	case "1", "yes", "y", "true", "t", "on":
		return true, true
	case "0", "no", "n", "false", "f", "off":
		return false, true
	}
	return false, false
}

// AllLines returns every assignment of key in effect: an empty assignment
// ("Key=") drops all before it.
func (f *File) AllLines(section, key string) []*Line {
	var out []*Line
	for _, s := range f.Sections {
		if s.Name != section {
			continue
		}
		for _, l := range s.Lines {
			switch {
			case l.Comment || l.Key != key:
			case l.Value == "":
				out = out[:0]
			default:
				out = append(out, l)
			}
		}
	}
	return out
}

// All returns the values of AllLines.
func (f *File) All(section, key string) []string {
	lines := f.AllLines(section, key)
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = l.Value
	}
	return out
}

// Strv splits every value of key into words the way systemd reads lists such
// as WantedBy= or Alias=: quotes group words and are removed, backslashes are
// kept as they are.
func (f *File) Strv(section, key string) []string {
	var out []string
	var buf [8]string // the words of one value, copied to out
	for _, l := range f.AllLines(section, key) {
		words, err := appendSplit(buf[:0], l.Value, SplitOptions{Unquote: true, RetainEscape: true})
		if err == nil {
			words, _ = endAtEmptyWord(words) // as podman reads lists: see ErrEmptyWord
			out = append(out, words...)
		}
	}
	return out
}

// Args splits every value of key the way systemd reads command lines: quotes
// group words and C escapes are decoded. Values that do not split (unbalanced
// quoting) are skipped; Diagnose them with ArgsLines.
func (f *File) Args(section, key string) []string {
	var out []string
	for _, v := range f.All(section, key) {
		words, err := SplitArgs(v)
		if err == nil {
			out = append(out, words...)
		}
	}
	return out
}

// LastArgs splits the last value of key as podman's quadlet does
// (SplitQuadletArgs): with ErrOpenQuote or ErrEmptyWord the words are
// still valid.
func (f *File) LastArgs(section, key string) ([]string, bool, error) {
	l := f.LastLine(section, key)
	if l == nil {
		return nil, false, nil
	}
	words, err := SplitQuadletArgs(l.Value)
	if !WordsUsable(err) {
		return nil, false, err
	}
	return words, true, err
}

// KeyVal is one NAME=value word of an Environment=-style key. HasValue is
// false for a bare NAME.
type KeyVal struct {
	Key, Value string
	HasValue   bool
}

// KeyVals reads Environment=-style keys: each value holds whitespace-separated
// NAME=value words (quotes and escapes as in command lines, read as
// SplitQuadletArgs reads them; an ErrOpenQuote among errs does not drop the
// value, nor does ErrEmptyWord). A later assignment of a name replaces an earlier one but keeps its
// place.
func (f *File) KeyVals(section, key string) ([]KeyVal, []error) {
	return f.AppendKeyVals(nil, section, key)
}

// AppendKeyVals is KeyVals appending to dst: the compiler reads a unit's
// Environment= and Label= into a list it reuses from unit to unit.
func (f *File) AppendKeyVals(dst []KeyVal, section, key string) ([]KeyVal, []error) {
	out, base := dst, len(dst)
	var errs []error
	var index map[string]int // made only for long lists: most have a few names
	var buf [8]string        // one value's words, on the stack
	for _, l := range f.AllLines(section, key) {
		words, err := appendQuadletArgs(buf[:0], l.Value)
		if err != nil {
			errs = append(errs, err)
			if !WordsUsable(err) {
				continue
			}
		}
		for _, w := range words {
			k, val, found := strings.Cut(w, "=")
			kv := KeyVal{Key: k, Value: val, HasValue: found}
			if i := findKey(out[base:], index, k); i >= 0 {
				out[base+i] = kv
				continue
			}
			out = append(out, kv)
			if index == nil && len(out)-base > 16 {
				index = make(map[string]int, 2*(len(out)-base))
				for i, kv := range out[base:] {
					index[kv.Key] = i
				}
			} else if index != nil {
				index[k] = len(out) - base - 1
			}
		}
	}
	return out, errs
}

// findKey returns the index of name in kvs, using index when there is one,
// or -1.
func findKey(kvs []KeyVal, index map[string]int, name string) int {
	if index != nil {
		if i, ok := index[name]; ok {
			return i
		}
		return -1
	}
	for i := range kvs {
		if kvs[i].Key == name {
			return i
		}
	}
	return -1
}

// Add appends Key=Value to the (last) named section, creating it if needed.
func (f *File) Add(section, key, value string) *Line {
	s := f.ensure(section)
	l := f.newLine(Line{Key: key, Value: value})
	s.Lines = append(s.Lines, l)
	return l
}

// AddLine appends a copy of l (keeping its position) to the named section.
func (f *File) AddLine(section string, l *Line) {
	s := f.ensure(section)
	s.Lines = append(s.Lines, f.newLine(*l))
}

// AddArgs appends a command line, quoting words as systemd needs. A file
// that takes its lines from a Lines (UseLines) takes the text from it too.
func (f *File) AddArgs(section, key string, args []string) {
	if f.pool != nil {
		if v, ok := f.pool.joinArgs(args); ok {
			f.Add(section, key, v)
			return
		}
	}
	f.Add(section, key, JoinArgs(args))
}

// AddComment appends a comment line to the named section.
func (f *File) AddComment(section, text string) {
	s := f.ensure(section)
	s.Lines = append(s.Lines, f.newLine(Line{Comment: true, Value: text}))
}

// Set replaces every assignment of key in section with one, at the place of
// the last one (or at the end).
func (f *File) Set(section, key, value string) {
	s := f.ensure(section)
	last, n := -1, 0
	for i, l := range s.Lines {
		if !l.Comment && l.Key == key {
			last = i
			n++
		}
	}
	// Only other assignments need removing: in this section (n > 1) or in
	// another of the same name. (The compiler sets a handful of keys per
	// unit, mostly absent ones in the file's one [Service].)
	others := n > 1 || f.sectionCount(section) > 1
	if last < 0 {
		if others {
			f.Unset(section, key)
		}
		s.Lines = append(s.Lines, f.newLine(Line{Key: key, Value: value}))
		return
	}
	s.Lines[last] = f.newLine(Line{Key: key, Value: value})
	if others {
		f.unsetExcept(section, key, s.Lines[last])
	}
}

// sectionCount is how many sections are named name.
func (f *File) sectionCount(name string) int {
	n := 0
	for _, s := range f.Sections {
		if s.Name == name {
			n++
		}
	}
	return n
}

// SetDefault sets key only when it is not assigned yet.
func (f *File) SetDefault(section, key, value string) {
	if !f.Has(section, key) {
		f.Add(section, key, value)
	}
}

// Unset removes every assignment of key from section.
func (f *File) Unset(section, key string) { f.unsetExcept(section, key, nil) }

func (f *File) unsetExcept(section, key string, keep *Line) {
	for _, s := range f.Sections {
		if s.Name != section {
			continue
		}
		kept := s.Lines[:0]
		for _, l := range s.Lines {
			if l.Comment || l.Key != key || l == keep {
				kept = append(kept, l)
			}
		}
		s.Lines = kept
	}
}

// RemoveSection drops every section of that name.
func (f *File) RemoveSection(name string) {
	kept := f.Sections[:0]
	for _, s := range f.Sections {
		if s.Name != name {
			kept = append(kept, s)
		}
	}
	f.Sections = kept
}

// RenameSection renames every section called from.
func (f *File) RenameSection(from, to string) {
	for _, s := range f.Sections {
		if s.Name == from {
			s.Name = to
			s.raw = ""
		}
	}
}

// Merge appends the sections of other (a drop-in) to f: the lines of a section
// f already has are appended to it, new sections are added at the end.
func (f *File) Merge(other *File) {
	f.merged = f.merged || len(other.Sections) > 0
	for _, s := range other.Sections {
		dst := f.ensure(s.Name)
		for _, l := range s.Lines {
			dst.Lines = append(dst.Lines, f.newLine(*l))
		}
	}
}

// Clone returns a copy of f that can be changed without changing f. Lines
// are shared, not copied: nothing changes a Line in place (File's methods
// replace and drop lines), so only the sections and their lists of lines
// are copied, all lists in one block. Each list is full (len == cap), so
// appending to one never writes over the next.
func (f *File) Clone() *File { return f.CloneRoom(nil) }

// CloneRoom is Clone leaving room(name) more lines in each section's list
// (nil: cloneRoom in each): a clone is usually added to (a compiled service
// gets a dozen lines, most of them in [Unit] and [Service]), and growing a
// list one append at a time copies it several times. The list of sections
// has room for two more.
func (f *File) CloneRoom(room func(section string) int) *File { return f.CloneRoomFrom(nil, room) }

// CloneRoomFrom is CloneRoom taking the clone's memory from p, whose Reset
// hands it out again, and making the clone take its new lines from p
// (UseLines). A nil p allocates.
func (f *File) CloneRoomFrom(p *Lines, room func(section string) int) *File {
	if room == nil {
		room = func(string) int { return cloneRoom }
	}
	n := len(f.tail)
	for _, s := range f.Sections {
		n += len(s.Lines) + len(s.head) + max(0, room(s.Name))
	}
	var (
		block    []*Line
		c        *File
		sections []Section
		ptrs     []*Section
	)
	if p == nil {
		block = make([]*Line, n)
		c = new(File)
		sections = make([]Section, len(f.Sections))
		ptrs = make([]*Section, len(f.Sections), len(f.Sections)+2)
	} else {
		block = p.ptrs.take(n, 0, 512)
		c = &p.files.take(1, 0, 8)[0]
		sections = p.sections.take(len(f.Sections), 0, 32)
		ptrs = p.sptrs.take(len(f.Sections), 2, 64)
	}
	take := func(ls []*Line, room int) []*Line {
		if ls == nil && room == 0 {
			return nil
		}
		out := block[: len(ls) : len(ls)+room]
		block = block[len(ls)+room:]
		copy(out, ls)
		return out
	}
	*c = File{Path: f.Path, trailNL: f.trailNL, synth: f.synth, merged: f.merged, tail: take(f.tail, 0), pool: p}
	c.Sections = ptrs
	for i, s := range f.Sections {
		sections[i] = Section{Name: s.Name, src: s.src, line: s.line, raw: s.raw, head: take(s.head, 0), Lines: take(s.Lines, max(0, room(s.Name)))}
		c.Sections[i] = &sections[i]
	}
	return c
}

// cloneRoom is how many lines Clone leaves room for in each section.
const cloneRoom = 8

// PrependKey is Prepend of a new Key=Value line, made where f makes its
// lines (UseLines) rather than allocated on its own.
func (f *File) PrependKey(section, key, value string) {
	f.Prepend(section, f.newLine(Line{Key: key, Value: value}))
}

// Prepend inserts l at the start of the (first) named section, creating the
// section at the end of the file if needed.
func (f *File) Prepend(section string, l *Line) {
	s := f.Section(section)
	if s == nil {
		s = f.ensure(section)
	}
	s.Lines = append(s.Lines, nil)
	copy(s.Lines[1:], s.Lines)
	s.Lines[0] = l
}

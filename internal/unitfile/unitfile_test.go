package unitfile

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"github.com/berth-dev/berth/internal/diag"
	"github.com/berth-dev/berth/internal/testutil/golden"
)

// TestParseGolden parses every testdata/parse/*.unit and compares a dump of
// the entries, values and diagnostics with the matching .golden file.
func TestParseGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/parse/*.unit")
	if err != nil {
		t.Fatal(err)
	}
	if len(inputs) == 0 {
		t.Fatal("no golden inputs")
	}
	for _, in := range inputs {
		t.Run(filepath.Base(in), func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			f, diags := Parse(filepath.Base(in), data)
			if got := f.String(); got != string(data) {
				t.Errorf("round trip changed the file:\n%q\nwant\n%q", got, data)
			}
			var b strings.Builder
			for _, s := range f.Sections {
				b.WriteString("[" + s.Name + "] @" + s.Pos().String() + "\n")
				for _, l := range s.Lines {
					if !l.Comment {
						b.WriteString("  " + l.Key + " = " + quote(l.Value) + " @" + l.Pos().String() + "\n")
					}
				}
			}
			for _, d := range diags {
				b.WriteString(d.String() + "\n")
			}
			golden.Check(t, strings.TrimSuffix(in, ".unit")+".golden", b.String())
		})
	}
}

func quote(s string) string { return "\"" + strings.ReplaceAll(s, "\"", "\\\"") + "\"" }

func TestLookups(t *testing.T) {
	src := "[A]\nK=one\nK=\"two words\"  \nL=a\nL=\nL=b c\nE=X=1 \"Y=2 3\" Z\nE=X=9\nB=yes\nArgs=a \"b c\" 'd e' f\\x20g\n[A]\nK=three\n"
	f, diags := Parse("t", []byte(src))
	if len(diags) != 0 {
		t.Fatalf("diags: %v", diags)
	}
	if v, _ := f.Lookup("A", "K"); v != "three" {
		t.Errorf("Lookup K = %q", v)
	}
	if got := f.All("A", "L"); !reflect.DeepEqual(got, []string{"b c"}) {
		t.Errorf("All L = %q (empty assignment must reset)", got)
	}
	if got := f.Strv("A", "L"); !reflect.DeepEqual(got, []string{"b", "c"}) {
		t.Errorf("Strv L = %q", got)
	}
	kvs, errs := f.KeyVals("A", "E")
	want := []KeyVal{{"X", "9", true}, {"Y", "2 3", true}, {"Z", "", false}}
	if len(errs) != 0 || !reflect.DeepEqual(kvs, want) {
		t.Errorf("KeyVals = %v %v", kvs, errs)
	}
	if b, ok := f.LookupBool("A", "B"); !b || !ok {
		t.Errorf("LookupBool B = %v %v", b, ok)
	}
	if got := f.Args("A", "Args"); !reflect.DeepEqual(got, []string{"a", "b c", "d e", "f g"}) {
		t.Errorf("Args = %q", got)
	}
}

func TestSplit(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  bool
	}{
		{`a b  c`, []string{"a", "b", "c"}, false},
		{`"a b" c`, []string{"a b", "c"}, false},
		{`a"b c"d`, []string{"ab cd"}, false},
		{`'it''s'`, []string{"its"}, false},
		{`"unterminated`, nil, true},
		{`x\`, nil, true},
		{`\n\t\\\"\s`, []string{"\n\t\\\" "}, false},
		{`\x41\u00e9\101`, []string{"Aé" + "A"}, false},
		{`\q`, nil, true},
		{`""`, []string{""}, false},
		{`%n %%`, []string{"%n", "%%"}, false},
	}
	for _, tt := range tests {
		got, err := SplitArgs(tt.in)
		if (err != nil) != tt.err {
			t.Errorf("SplitArgs(%q) err = %v", tt.in, err)
			continue
		}
		if !tt.err && !reflect.DeepEqual(got, tt.want) {
			t.Errorf("SplitArgs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// podman's quadlet closes an open quote, or drops a trailing backslash, at
// the end of the value; an unknown escape still loses the value.
func TestSplitQuadletArgs(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  error
	}{
		{`a "b c" d`, []string{"a", "b c", "d"}, nil},
		{`/bin/sh -c "echo hi`, []string{"/bin/sh", "-c", "echo hi"}, ErrOpenQuote},
		{`A=1 'B=2 \x41`, []string{"A=1", "B=2 A"}, ErrOpenQuote},
		{`x y\`, []string{"x", "y"}, ErrOpenQuote},
		{`"a\q`, nil, &EscapeError{Seq: `\q`}},
		{`a\é b`, nil, &EscapeError{Seq: `\é`}},
		{`/bin/echo a "" b`, []string{"/bin/echo", "a"}, ErrEmptyWord},
		{`a '' "open`, []string{"a"}, ErrEmptyWord},
		{`""`, nil, ErrEmptyWord},
	}
	for _, tt := range tests {
		got, err := SplitQuadletArgs(tt.in)
		if want, isEsc := tt.err.(*EscapeError); isEsc {
			// podman's words, which people grep their logs for, and the sequence.
			if e, ok := err.(*EscapeError); !ok || e.Seq != want.Seq || err.Error() != "unsupported escape char "+want.Seq {
				t.Errorf("SplitQuadletArgs(%q) err = %v, want unsupported escape char %s", tt.in, err, want.Seq)
			}
			continue
		}
		if err != tt.err || len(got) != len(tt.want) || (len(got) > 0 && !reflect.DeepEqual(got, tt.want)) {
			t.Errorf("SplitQuadletArgs(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestJoinArgsRoundTrip(t *testing.T) {
	cases := [][]string{
		{"podman", "run", "--name", "systemd-%N"},
		{"sh", "-c", "echo \"hi\" 'there'\n\tdone\\"},
		{"", "a b", "\x01", "é"},
	}
	for _, words := range cases {
		got, err := SplitArgs(JoinArgs(words))
		if err != nil || !reflect.DeepEqual(got, words) {
			t.Errorf("round trip of %q via %q = %q, %v", words, JoinArgs(words), got, err)
		}
	}
}

func TestEditing(t *testing.T) {
	f, _ := Parse("t", []byte("[Unit]\nA=1\nA=2\n[Service]\nB=1\n"))
	f.Set("Unit", "A", "3")
	f.Prepend("Unit", &Line{Key: "Z", Value: "0"})
	f.Add("Install", "WantedBy", "default.target")
	f.RenameSection("Service", "X-Service")
	want := "[Unit]\nZ=0\nA=3\n\n[X-Service]\nB=1\n\n[Install]\nWantedBy=default.target\n"
	if got := f.Format(); got != want {
		t.Errorf("Format = %q, want %q", got, want)
	}
}

// Set leaves one assignment, wherever the others were: in the same
// section, in another section of the same name, or nowhere.
func TestSetReplacesEveryAssignment(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"[Unit]\nA=1\n", "[Unit]\nA=9\n"},
		{"[Unit]\nB=1\n", "[Unit]\nB=1\nA=9\n"},
		{"[Unit]\nA=1\nB=1\nA=2\n", "[Unit]\nB=1\nA=9\n"},
		{"[Unit]\nA=1\n[Service]\nC=1\n[Unit]\nB=2\n", "[Unit]\n\n[Service]\nC=1\n\n[Unit]\nB=2\nA=9\n"},
		{"[Unit]\nB=1\n[Service]\nC=1\n[Unit]\nA=2\nA=3\n", "[Unit]\nB=1\n\n[Service]\nC=1\n\n[Unit]\nA=9\n"},
		{"[Unit]\nA=1\n[Unit]\nA=2\n", "[Unit]\n\n[Unit]\nA=9\n"},
		{"[Service]\nC=1\n", "[Service]\nC=1\n\n[Unit]\nA=9\n"},
	} {
		f, _ := Parse("t", []byte(tc.src))
		f.Set("Unit", "A", "9")
		if got := f.Format(); got != tc.want {
			t.Errorf("Set in %q: Format = %q, want %q", tc.src, got, tc.want)
		}
	}
}

// The parser gives all sections' line lists one block; a list that grows
// after parsing must not write over the next section's lines, in the file
// or in a clone.
func TestParsedSectionsGrowApart(t *testing.T) {
	src := "[A]\na=1\nb=2\n[B]\nc=3\n[A]\nd=4\n"
	f, diags := Parse("x", []byte(src))
	if len(diags) != 0 {
		t.Fatal(diags)
	}
	c := f.Clone()
	f.Sections[0].Lines = append(f.Sections[0].Lines, &Line{Key: "x", Value: "9"})
	c.Sections[0].Lines = append(c.Sections[0].Lines, &Line{Key: "y", Value: "8"})
	if got := f.Sections[1].Lines[0].Key; got != "c" {
		t.Errorf("[B] starts with %q after [A] grew", got)
	}
	if got := c.Sections[1].Lines[0].Key; got != "c" {
		t.Errorf("clone's [B] starts with %q after its [A] grew", got)
	}
	if got := f.Sections[0].Lines[2].Key; got != "x" {
		t.Errorf("[A] grew by %q", got)
	}
	if got := c.Format(); got != "[A]\na=1\nb=2\ny=8\n\n[B]\nc=3\n\n[A]\nd=4\n" {
		t.Errorf("clone:\n%s", got)
	}
}

// A clone taken from a Lines, changed and reset, then another: each reads
// as a clone made on its own, and after Reset the memory is reused.
func TestCloneFromResetLines(t *testing.T) {
	srcs := []string{
		"# head\n[Unit]\nDescription=a\n\n[Container]\nImage=x\n[Service]\nRestart=always\n",
		"[Container]\nImage=y\nExec=run \\\n  --now\n[Install]\nWantedBy=default.target\n",
		"[Unit]\nA=1\nB=2\nC=3\nD=4\n[Unit]\nE=5\n",
	}
	room := func(s string) int {
		if s == "Unit" {
			return 2
		}
		return 0
	}
	change := func(c *File, n int) string {
		for i := 0; i < n; i++ { // beyond the room: lists grow away
			c.Add("Unit", "Added", fmt.Sprint(i))
		}
		c.Set("Service", "Type", "notify")
		c.AddArgs("Service", "ExecStart", []string{"/usr/bin/podman", "run", fmt.Sprint(n), "--name", "systemd-%N"})
		c.AddArgs("Service", "ExecStop", []string{"/bin/sh", "-c", "echo a b"}) // quoted
		c.PrependKey("Unit", "Wants", "network-online.target")
		c.RenameSection("Container", "X-Container")
		return c.Format()
	}
	var p Lines
	var firstFile *File
	for round := 0; round < 3; round++ {
		for i, src := range srcs {
			f, diags := Parse("/u/x", []byte(src))
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			before := f.Format()
			want := change(f.CloneRoom(room), i+round)
			c := f.CloneRoomFrom(&p, room)
			if round == 1 && i == 0 {
				firstFile = c
			} else if round == 2 && i == 0 && c != firstFile {
				t.Error("after Reset, a clone's File is not reused")
			}
			if got := change(c, i+round); got != want {
				t.Errorf("round %d, file %d: clone from Lines\n%s\nwant\n%s", round, i, got, want)
			}
			if got := f.Format(); got != before {
				t.Errorf("round %d, file %d: the source changed:\n%s", round, i, got)
			}
			p.Reset()
		}
	}
}

func TestSplitWordsShareInput(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { _, _ = SplitArgs("run --name a quay.io/x:1") }); n > 1 {
		t.Errorf("SplitArgs of plain words allocates %v times; want the word list only", n)
	}
	got, err := SplitArgs(`a b\x41 "c d" e'f'g`)
	if err != nil || !reflect.DeepEqual(got, []string{"a", "bA", "c d", "efg"}) {
		t.Errorf("SplitArgs = %q, %v", got, err)
	}
}

// A generator run parses a dozen lines and four sections per unit, for
// thousands of units: every byte of a Line is a page fault per 4096 lines.
func TestLineAndSectionSizes(t *testing.T) {
	if n := unsafe.Sizeof(Line{}); n > 64 {
		t.Errorf("Line is %d bytes, want at most 64", n)
	}
	if n := unsafe.Sizeof(Section{}); n > 96 {
		t.Errorf("Section is %d bytes, want at most 96", n)
	}
	f, _ := Parse("/u/a.container", []byte("# c\n[Unit]\nA=1\n\n[Service]\nB=\\\n 2\n"))
	for _, c := range []struct {
		got  diag.Pos
		want string
	}{
		{f.Sections[0].Pos(), "/u/a.container:2"},
		{f.Sections[1].Pos(), "/u/a.container:5"},
		{f.Sections[0].Lines[0].Pos(), "/u/a.container:3"},
		{f.Sections[1].Lines[0].Pos(), "/u/a.container:6"},
		{f.Clone().Sections[1].Pos(), "/u/a.container:5"},
		{New("x").Add("Unit", "A", "1").Pos(), ""},
	} {
		if c.got.String() != c.want {
			t.Errorf("position %q, want %q", c.got, c.want)
		}
	}
}

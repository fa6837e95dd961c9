package unitfile

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// FuzzParse checks that parsing never panics, that writing a parsed file back
// reproduces the input exactly, and that canonical output parses to the same
// entries.
func FuzzParse(f *testing.F) {
	seeds := []string{
		"", "\n", "[A]\nK=V\n", "# c\n[A]\nK=a \\\n  b\n", "[A]\nK=a\\\n# c\nb\n", "K=V\n", "[]\n", "[A] x\n",
		"[A]\n=v\n", "[A]\r\nK=V\r\n", "[A]\nK=\"q\\x20\"\n", "[Container]\nImage=x\nExec=sh -c 'a b'\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, _ := Parse("fuzz", data)
		if got := file.String(); got != string(data) {
			t.Fatalf("round trip: got %q want %q", got, data)
		}
		again, diags := Parse("fuzz", []byte(file.Format()))
		if diags.HasErrors() {
			return // canonical form of invalid names may stay invalid
		}
		for _, name := range file.SectionNames() {
			if endsInBackslash(file, name) {
				continue // a value ending in \ can only be the file's last line
			}
			if !reflect.DeepEqual(values(file, name), values(again, name)) {
				t.Fatalf("canonical form changed section %q: %q vs %q", name, values(file, name), values(again, name))
			}
		}
		for _, l := range file.Entries("A") {
			strict, serr := SplitArgs(l.Value)
			_ = JoinArgs([]string{l.Value})
			// podman's reading: never an empty word, and the strict reading
			// whenever that one is valid and holds no empty word.
			words, err := SplitQuadletArgs(l.Value)
			if WordsUsable(err) && slices.Contains(words, "") {
				t.Fatalf("SplitQuadletArgs(%q) = %q: an empty word", l.Value, words)
			}
			if serr == nil && !slices.Contains(strict, "") && (err != nil || !reflect.DeepEqual(words, strict)) {
				t.Fatalf("SplitQuadletArgs(%q) = %q, %v; SplitArgs gives %q", l.Value, words, err, strict)
			}
		}
	})
}

func values(f *File, section string) []string {
	var out []string
	for _, l := range f.Entries(section) {
		// Trailing blanks of a value cannot survive a one-line canonical form
		// (systemd strips them too), so they are not compared.
		out = append(out, l.Key+"="+strings.TrimRight(l.Value, " \t\r\n\v\f"))
	}
	return out
}

func endsInBackslash(f *File, section string) bool {
	for _, l := range f.Entries(section) {
		if strings.HasSuffix(strings.TrimRight(l.Value, " \t\r\n\v\f"), "\\") {
			return true
		}
	}
	return false
}

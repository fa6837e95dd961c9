package diag

import "testing"

func TestControlCharactersAreEscaped(t *testing.T) {
	d := Diagnostic{Pos: Pos{File: "a\x1b[31m.container", Line: 2}, Severity: Error, Code: "unknown-key",
		Message: "unsupported key 'K\x00ey\n' in group 'Container'", Hint: "tab\there"}
	want := `a\x1b[31m.container:2: error: [unknown-key] unsupported key 'K\x00ey\n' in group 'Container' (tab\there)`
	if got := d.String(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got := EscapeControl("plain ü text"); got != "plain ü text" {
		t.Errorf("printable text changed: %q", got)
	}
}

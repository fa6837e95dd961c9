package unitfile

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestReadFileSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "a.container")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip(err)
	}
	folder := filepath.Join(dir, "b.container")
	if err := os.Mkdir(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "c.container")
	if err := os.WriteFile(big, make([]byte, MaxFileSize+1), 0o644); err != nil {
		t.Fatal(err)
	}
	ok := filepath.Join(dir, "d.container")
	if err := os.WriteFile(ok, []byte("[Container]\nImage=x:1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ path, code, msg string }{
		{fifo, CodeNotRegular, "is a named pipe (FIFO), not a unit file"},
		{folder, CodeNotRegular, "is a folder, not a unit file"},
		{big, CodeUnreadable, "file is larger than 4 MiB"},
		{filepath.Join(dir, "missing.container"), CodeUnreadable, "cannot read file: no such file or directory"},
	} {
		data, ds := ReadFile(c.path)
		if data != nil || len(ds) != 1 || ds[0].Code != c.code || !strings.Contains(ds[0].Message, c.msg) ||
			ds[0].Pos.File != c.path || ds[0].Pos.Line != 1 {
			t.Errorf("%s: got %q, %v; want one %s diagnostic at line 1 saying %q", c.path, data, ds, c.code, c.msg)
		}
		if f, ds2 := ParseFile(c.path); f != nil || len(ds2) != 1 || ds2[0] != ds[0] {
			t.Errorf("ParseFile(%s) = %v, %v; want ReadFile's diagnostic", c.path, f, ds2)
		}
	}
	if data, ds := ReadFile(ok); ds != nil || string(data) != "[Container]\nImage=x:1\n" {
		t.Errorf("regular file: %q, %v", data, ds)
	}
}

func TestLineTooLong(t *testing.T) {
	at := strings.Repeat("x", MaxLineLen-len("Environment=A="))
	for _, c := range []struct {
		name, text string
		line       int // 0: no diagnostic
	}{
		{"longest systemd reads", "[Service]\nEnvironment=A=" + at + "\n", 0},
		{"one byte more", "[Service]\nEnvironment=A=" + at + "y\n", 2},
		{"joined by continuations", "[Service]\nExecStart=/bin/echo \\\n" + at[:MaxLineLen/2] + " \\\n" + at[:MaxLineLen/2] + "\n", 2},
		{"a comment", "[Service]\n# " + at + "xxxxxxxxxxxxxxxx\nA=1\n", 2},
	} {
		_, ds := Parse("x.service", []byte(c.text))
		var got []int
		for _, d := range ds {
			if d.Code == CodeLineTooLong {
				got = append(got, d.Pos.Line)
			}
		}
		if c.line == 0 && len(got) != 0 || c.line != 0 && (len(got) != 1 || got[0] != c.line) {
			t.Errorf("%s: line-too-long at %v, want %d", c.name, got, c.line)
		}
	}
}

// ReadRegularInto trusts the folder listing; a path that is something
// else by the time it is read fails without blocking.
func TestReadRegularIntoRace(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "x.container")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("no mkfifo:", err)
	}
	if _, diags := ReadRegularInto(fifo, nil); len(diags) == 0 {
		t.Error("a pipe read as a regular file")
	}
	if _, diags := ReadRegularInto(dir, nil); len(diags) == 0 {
		t.Error("a folder read as a regular file")
	}
	f := filepath.Join(dir, "a.container")
	if err := os.WriteFile(f, []byte("[Container]\nImage=x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if data, diags := ReadRegularInto(f, make([]byte, 0, 4)); len(diags) != 0 || string(data) != "[Container]\nImage=x\n" {
		t.Errorf("got %q, %v", data, diags)
	}
}

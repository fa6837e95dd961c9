package golden

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestFirstDiffLine(t *testing.T) {
	tests := []struct {
		got, want string
		line      int
	}{
		{"a\nb\n", "a\nc\n", 2},
		{"a\n", "a\nb\n", 2},
		{"x", "y", 1},
		{"a\nb", "a\nb\nc", 3},
	}
	for _, tc := range tests {
		if got := firstDiffLine(tc.got, tc.want); got != tc.line {
			t.Errorf("firstDiffLine(%q, %q) = %d, want %d", tc.got, tc.want, got, tc.line)
		}
	}
}

func TestReadTree(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "a"), 0o755); err != nil {
		t.Fatal(err)
	}
	for rel, text := range map[string]string{"x.txt": "1", "a/y.txt": "2"} {
		if err := os.WriteFile(filepath.Join(dir, rel), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := readTree(dir)
	if want := map[string]string{"x.txt": "1", "a/y.txt": "2"}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("readTree = %v, %v; want %v", got, err, want)
	}
	if got, err := readTree(filepath.Join(dir, "missing")); err != nil || len(got) != 0 {
		t.Errorf("readTree(missing) = %v, %v; want empty", got, err)
	}
}

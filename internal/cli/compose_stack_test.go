package cli

import (
	"os"
	"path/filepath"
	"testing"
)

func TestComposeFolder(t *testing.T) {
	t.Setenv("COMPOSE_FILE", "")
	cases := []struct {
		files []string
		want  bool
	}{
		{nil, false},
		{[]string{"compose.yaml"}, true},
		{[]string{"docker-compose.yml"}, true},
		{[]string{"compose.yaml", "web.container"}, false}, // quadlets win without -f
		{[]string{"notes.yaml"}, false},
	}
	for _, c := range cases {
		dir := t.TempDir()
		for _, f := range c.files {
			if err := os.WriteFile(filepath.Join(dir, f), []byte("services: {}\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := composeFolder(dir)
		if err != nil || got != c.want {
			t.Errorf("%v: got %v %v, want %v", c.files, got, err, c.want)
		}
	}
	if _, err := composeFolder(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Errorf("a missing folder is not an error")
	}
}

package run

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRefs(t *testing.T) {
	cases := []struct {
		name, file, text string
		files, secrets   string
	}{
		{"env files", "a.container", "[Container]\nImage=x\nEnvironmentFile=/etc/a.env\n[Service]\nEnvironmentFile=-/etc/b.env\n",
			"/etc/a.env /etc/b.env", ""},
		{"bind mounts, not named volumes", "a.container",
			"[Container]\nImage=x\nVolume=/srv/conf:/conf:ro\nVolume=data:/data\nMount=type=bind,source=/srv/f.yml,destination=/f.yml\nMount=type=tmpfs,destination=/tmp\n",
			"/srv/conf /srv/f.yml", ""},
		{"secrets", "a.container", "[Container]\nImage=x\nSecret=pw,type=env,target=PW\nSecret=tls\n", "", "pw tls"},
		{"the command is not read", "a.container", "[Container]\nImage=x\nExec=-v /not/a/mount --env-file /nope\n", "", ""},
		{"build context and file", "a.build", "[Build]\nImageTag=localhost/a\nFile=/src/a/Containerfile\nSetWorkingDirectory=/src/a\n",
			"/src/a /src/a/Containerfile", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := testStack(t, map[string]string{c.file: c.text})
			r := st.Units[0].Refs("/stack")
			if got := strings.Join(r.Files, " "); got != c.files {
				t.Errorf("files %q, want %q\n%s", got, c.files, st.Units[0].Text)
			}
			if got := strings.Join(r.Secrets, " "); got != c.secrets {
				t.Errorf("secrets %q, want %q", got, c.secrets)
			}
		})
	}
}

func TestDigestPath(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "sub", "f")
	os.MkdirAll(filepath.Dir(f), 0o755)
	os.WriteFile(f, []byte("1"), 0o644)
	d1, _ := digestPath(dir)
	os.WriteFile(f, []byte("2"), 0o644)
	d2, _ := digestPath(dir)
	os.Chmod(f, 0o600)
	d3, _ := digestPath(dir)
	missing, _ := digestPath(filepath.Join(dir, "nope"))
	if d1 == d2 || d2 == d3 || !strings.HasPrefix(d1, "dir:") || missing != "missing" {
		t.Errorf("digests %s %s %s %s", d1, d2, d3, missing)
	}
	if h1, h2 := unitHash("[Unit]\n# one\nA=1\n"), unitHash("[Unit]\n; two\n\nA=1\n"); h1 != h2 {
		t.Error("a comment changed the unit's hash")
	}
}

package podman

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/version"
)

// TestRuntimeDirFallback follows podman's own order when XDG_RUNTIME_DIR is
// unset: /run/user/UID, then $TMPDIR/podman-run-UID (podman 4) or
// $TMPDIR/storage-run-UID (podman 5), then ~/rundir (podman 4 only).
func TestRuntimeDirFallback(t *testing.T) {
	v4, v5 := version.Must("4.3.1"), version.Must("5.8.0")
	uid := os.Geteuid()
	block := func(p string) { // a file where the folder would be: unusable
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name      string
		v         version.V
		runUserOK bool
		tmpOK     bool
		want      string // relative to the case's root; "" for an error
	}{
		{"run/user usable", v4, true, true, "run-user/UID"},
		{"podman 4: tmp", v4, false, true, "tmp/podman-run-UID"},
		{"podman 5: tmp", v5, false, true, "tmp/storage-run-UID"},
		{"podman 4: home", v4, false, false, "home/rundir"},
		{"podman 5: error", v5, false, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			runUser, tmp, home := filepath.Join(root, "run-user"), filepath.Join(root, "tmp"), filepath.Join(root, "home")
			for _, d := range []string{runUser, tmp, home} {
				if err := os.MkdirAll(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			id := strconv.Itoa(uid)
			if !tc.runUserOK {
				block(filepath.Join(runUser, id))
			}
			if !tc.tmpOK {
				block(filepath.Join(tmp, "podman-run-"+id))
				block(filepath.Join(tmp, "storage-run-"+id))
			}
			got, err := runtimeDir(runUser, tc.v, uid, tmp, home)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("got %s, want an error", got)
				}
				return
			}
			want := filepath.Join(root, filepath.FromSlash(tc.want))
			want = strings.Replace(want, "UID", id, 1)
			if err != nil || got != want {
				t.Fatalf("got %q, %v; want %q", got, err, want)
			}
			if st, err := os.Stat(got); tc.want != "home/rundir" && (err != nil || st.Mode().Perm() != 0o700) {
				t.Errorf("%s not made 0700: %v", got, err)
			}
		})
	}
}

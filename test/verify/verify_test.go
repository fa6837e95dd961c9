// Package verify checks that every unit berth generates from the examples and
// the compiler's golden inputs is accepted by systemd-analyze verify.
package verify

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/quadlet"
	"github.com/berth-dev/berth/internal/version"
)

// inputs lists the folders whose quadlets are compiled and verified.
func inputs(t *testing.T) []string {
	dirs, err := filepath.Glob("../../examples/*")
	if err != nil {
		t.Fatal(err)
	}
	golden, err := filepath.Glob("../../internal/quadlet/testdata/*")
	if err != nil {
		t.Fatal(err)
	}
	return append(dirs, golden...)
}

func TestSystemdAnalyzeVerify(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed (apt-get install systemd)")
	}
	if _, err := os.Stat("/usr/bin/podman"); err != nil {
		t.Skip("verify checks that ExecStart binaries exist: /usr/bin/podman is missing (run scripts/setup-host.sh)")
	}
	verified := 0
	for _, dir := range inputs(t) {
		abs, _ := filepath.Abs(dir)
		units, _ := quadlet.Load([]string{abs})
		if len(units) == 0 {
			continue
		}
		for _, user := range []bool{false, true} {
			res := quadlet.Compile(units, quadlet.Options{User: user})
			out := t.TempDir()
			var paths []string
			for _, s := range res.Services {
				p := filepath.Join(out, s.Name)
				if err := os.WriteFile(p, []byte(s.File.Format()), 0o644); err != nil {
					t.Fatal(err)
				}
				paths = append(paths, p)
			}
			if user {
				// The units berth adds for podman releases that lack them
				// (the user network wait of podman < 5.3).
				old := quadlet.Options{User: true, Target: version.Must("4.3.1")}
				for _, su := range quadlet.SupportFor(res.Services, old) {
					p := filepath.Join(out, su.Name)
					if err := os.WriteFile(p, []byte(su.Text), 0o644); err != nil {
						t.Fatal(err)
					}
					paths = append(paths, p)
				}
			}
			if len(paths) == 0 {
				continue
			}
			args := append([]string{"verify", "--man=no"}, paths...)
			if user {
				args = append([]string{"--user"}, args...)
			}
			cmd := exec.Command(analyze, args...)
			cmd.Env = append(os.Environ(), "SYSTEMD_LOG_LEVEL=warning", "XDG_RUNTIME_DIR="+out)
			b, err := cmd.CombinedOutput()
			if msg := relevant(string(b)); err != nil || msg != "" {
				t.Errorf("%s (user=%v): systemd-analyze verify: %v\n%s", dir, user, err, b)
			}
			verified += len(paths)
		}
	}
	if verified == 0 {
		t.Fatal("no unit was verified")
	}
	t.Logf("%d units verified", verified)
}

// relevant drops the lines systemd-analyze prints about the host rather than
// about our units (e.g. units of the host that refer to missing binaries).
func relevant(out string) string {
	var keep []string
	for _, l := range strings.Split(out, "\n") {
		if l == "" || !strings.Contains(l, ".service") || strings.Contains(l, "/lib/systemd/") {
			continue
		}
		keep = append(keep, l)
	}
	return strings.Join(keep, "\n")
}

package quadlet

import (
	"regexp"
	"testing"

	"github.com/berth-dev/berth/internal/version"
)

// flagFirst and flagLast search their tables by halves: they must be
// sorted, once each.
func TestFlagTablesSorted(t *testing.T) {
	for name, tab := range map[string][]flagRelease{"flagSince": flagSince[:], "flagGone": flagGone[:]} {
		for i := 1; i < len(tab); i++ {
			a, b := tab[i-1], tab[i]
			if a.cmd > b.cmd || (a.cmd == b.cmd && a.flag >= b.flag) {
				t.Errorf("%s[%d] %q %q is not before %q %q: rerun scripts/podman-flag-versions.sh", name, i-1, a.cmd, a.flag, b.cmd, b.flag)
			}
		}
	}
	if got := flagLast("", "network-cmd-path"); got != version.Main {
		t.Errorf(`flagLast("", "network-cmd-path") = %v, want %v (podman 6 dropped it)`, got, version.Main)
	}
	if got := flagLast("run", "label"); !got.IsZero() {
		t.Errorf(`flagLast("run", "label") = %v, want none`, got)
	}
}

func TestFlagFirst(t *testing.T) {
	for _, tc := range []struct {
		cmd, flag string
		want      string
	}{
		{"", "imagestore", "4.6.0"},
		{"", "module", "4.7.0"},
		{"run", "retry", "5.0.0"},
		{"run", "health-log-destination", "5.3.0"},
		{"volume create", "uid", "5.6.0"},
		{"network create", "interface-name", "4.5.0"},
		{"pull", "policy", "5.6.0"},
		{"artifact pull", "retry", "5.4.0"},
		{"run", "label", ""},           // podman 4.0 had it
		{"run", "no-such-flag", ""},    // not podman's: podman says so itself
		{"volume create", "retry", ""}, // another command's flag
	} {
		got := flagFirst(tc.cmd, tc.flag)
		want := version.V{}
		if tc.want != "" {
			want = version.Must(tc.want)
		}
		if got != want {
			t.Errorf("flagFirst(%q, %q) = %v, want %v", tc.cmd, tc.flag, got, want)
		}
	}
	for _, g := range []string{"Container", "Volume", "Network", "Pod", "Kube", "Build", "Image", "Artifact"} {
		cmd := podmanCommand(g)
		n := 0
		for _, r := range flagSince {
			if r.cmd == cmd {
				n++
			}
		}
		if n == 0 {
			t.Errorf("no flags of %q (PodmanArgs of .%s units) in flagSince", cmd, g)
		}
	}
}

// isURL reads values as podman's pattern does.
func TestIsURLMatchesPodmansPattern(t *testing.T) {
	re := regexp.MustCompile(`^((https?)|(git)://)|(github\.com/).+$`)
	for _, s := range []string{
		"", "http", "https://x", "httpx", "git://a", "git:/a", "git", "./ctx", "/srv/ctx",
		"github.com/", "github.com/x", "x/github.com/y", "github.com/\n", "github.com/a\nb",
		"github.com/a\ngithub.com/b", "github.com/\ngithub.com/", "agithub.com/b", "ftp://github.com/x",
		"github.com/é", "github.comx/", "Github.com/x",
	} {
		if got, want := isURL(s), re.MatchString(s); got != want {
			t.Errorf("isURL(%q) = %v, podman's pattern says %v", s, got, want)
		}
	}
}

package run

import (
	"slices"
	"testing"
)

// The one-off's podman run line: quadlet's flags before the image are
// replaced, the command after it is kept as it is, even when it repeats
// them.
func TestOneOffArgv(t *testing.T) {
	argv := []string{"/usr/bin/podman", "run", "--label", "io.berth.service=web", "--name", "oneoff", "--replace",
		"--sdnotify=conmon", "-d", "img", "sh", "-c", "ls -d", "-d", "--name", "x"}
	got := oneOffArgv(argv, "web", OneOff{Name: "p-web-run-1", Remove: true, TTY: true})
	want := []string{"/usr/bin/podman", "run", "--rm", "-i", "-t", "--label", "io.berth.oneoff=web", "--name", "p-web-run-1",
		"img", "sh", "-c", "ls -d", "-d", "--name", "x"}
	if !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	got = oneOffArgv(argv, "web", OneOff{Name: "n", Detach: true})
	if !slices.Contains(got, "-d") || slices.Contains(got, "-i") {
		t.Errorf("detached: %q", got)
	}
	// a oneshot unit's line has no -d: the command's -d stays
	oneshot := []string{"/usr/bin/podman", "run", "--name", "oneoff", "--replace", "img", "ls", "-d"}
	if got := oneOffArgv(oneshot, "job", OneOff{Name: "n"}); !slices.Equal(got[len(got)-3:], []string{"img", "ls", "-d"}) {
		t.Errorf("oneshot: %q", got)
	}
}

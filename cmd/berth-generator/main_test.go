package main

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// linked are the only non-standard packages the generator may link: the
// unit-file parser, the compiler, the generator, and what they read.
var linked = []string{
	"github.com/berth-dev/berth/cmd/berth-generator",
	"github.com/berth-dev/berth/internal/gencmd",     // flags, target version, run
	"github.com/berth-dev/berth/internal/generate",   // the generator
	"github.com/berth-dev/berth/internal/quadlet",    // the compiler
	"github.com/berth-dev/berth/internal/unitfile",   // the unit-file parser
	"github.com/berth-dev/berth/internal/diag",       // positions, warnings
	"github.com/berth-dev/berth/internal/version",    // podman versions
	"github.com/berth-dev/berth/internal/atomicfile", // the generator's writes
	"github.com/berth-dev/berth/internal/podman",     // podman's version, cached
	"golang.org/x/sys/unix",                          // atomicfile's system calls
}

// notLinked are standard packages it must not link, and why: each brings
// the C library's start-up (cgo) or a large init.
var notLinked = map[string]string{
	"runtime/cgo": "cgo: the dynamic loader and the C library's start-up at every run",
	"os/user":     "links cgo (read what is needed from the environment)",
	"net":         "links cgo for the resolver",
	"plugin":      "links cgo",
}

// TestLinksOnlyWhatItRuns: systemd runs the generator at every boot and
// daemon-reload; what it links, it initialises every time. No compose-go
// (its JSON-schema library compiles every meta-schema at init),
// OpenTelemetry, Prometheus client or cobra may creep in through a new
// import.
func TestLinksOnlyWhatItRuns(t *testing.T) {
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if p, err := exec.LookPath("go"); err == nil {
		gobin = p
	}
	out, err := exec.Command(gobin, "list", "-deps", "-f", "{{if .Standard}}std {{end}}{{.ImportPath}}", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	var extra []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if pkg, std := strings.CutPrefix(line, "std "); std {
			if why, bad := notLinked[pkg]; bad {
				t.Errorf("the generator links %s: %s", pkg, why)
			}
			continue
		}
		if !slices.Contains(linked, line) {
			extra = append(extra, line)
		}
	}
	if len(extra) > 0 {
		t.Errorf("the generator links %d packages it does not run (only the ones in linked may be): %s",
			len(extra), strings.Join(extra, " "))
	}
}

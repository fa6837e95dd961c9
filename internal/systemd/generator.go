package systemd

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/berth-dev/berth/internal/quadlet"
	"github.com/berth-dev/berth/internal/version"
)

// Host is what berth found out about the machine's podman.
type Host struct {
	Podman version.V // zero when podman was not found
	// Generator is the path of podman's own quadlet generator, "" when the
	// host has none (podman < 4.4, or a package without it).
	Generator string
}

// subdirSince is the first podman whose quadlet generator searches
// subfolders of its search path; stacks are installed one folder each.
var subdirSince = version.Must("4.6.0")

// DetectHost runs `podman --version` and looks for podman's generator.
func DetectHost(ctx context.Context, r Runner, l Layout) Host {
	var h Host
	h.Podman, _ = PodmanVersion(ctx, r, "podman")
	for _, p := range l.PodmanGenerators() {
		if _, err := os.Stat(p); err == nil {
			h.Generator = p
			break
		}
	}
	return h
}

// PodmanVersion runs `PODMAN --version`.
func PodmanVersion(ctx context.Context, r Runner, podman string) (version.V, error) {
	var out bytes.Buffer
	if err := r.Run(ctx, []string{podman, "--version"}, &out); err != nil {
		return version.V{}, err
	}
	v := ParsePodmanVersion(out.String())
	if v.IsZero() {
		return v, fmt.Errorf("%s --version: cannot read a version in %q", podman, out.String())
	}
	return v, nil
}

// ParsePodmanVersion reads "podman version 4.3.1"; zero if it cannot.
func ParsePodmanVersion(s string) version.V {
	f := strings.Fields(s)
	if len(f) == 0 {
		return version.V{}
	}
	v, err := version.Parse(f[len(f)-1])
	if err != nil {
		return version.V{}
	}
	return v
}

// Needed is the oldest podman quadlet generator that understands every file
// of the stack: each unit type's and each key's first release, and subfolder
// support. Reason names what needs it, for messages.
func Needed(units []*quadlet.Unit) (need version.V, reason string) {
	need, reason = subdirSince, "stacks installed in their own subfolder"
	raise := func(v version.V, why string) {
		if v.Compare(need) > 0 {
			need, reason = v, why
		}
	}
	for _, u := range units {
		k := quadlet.KindOf(u.Name)
		if k == nil {
			continue
		}
		raise(k.Since, fmt.Sprintf("%s files", k.Ext))
		for _, l := range u.File.Entries(k.Group) {
			if key, ok := k.Keys().Lookup(l.Key); ok {
				raise(key.Since, fmt.Sprintf("%s=%s (%s:%d)", l.Key, shorten(l.Value), u.Name, l.Pos.Line))
			}
		}
		for _, l := range u.File.Entries("Quadlet") {
			if key, ok := quadlet.QuadletTable.Lookup(l.Key); ok {
				raise(key.Since, fmt.Sprintf("[Quadlet] %s (%s:%d)", l.Key, u.Name, l.Pos.Line))
			}
		}
	}
	return need, reason
}

func shorten(s string) string {
	if len(s) > 30 {
		return s[:27] + "..."
	}
	return s
}

// GeneratorPlan says whether berth must serve as the generator.
type GeneratorPlan struct {
	UseBerth   bool
	MaskPodman bool   // podman's generator exists but is too old: mask it
	Why        string // the reason, for the user
}

// PlanGenerator decides between podman's generator and berth's.
func PlanGenerator(h Host, units []*quadlet.Unit) GeneratorPlan {
	need, reason := Needed(units)
	switch {
	case h.Generator == "":
		pv := "podman " + h.Podman.String()
		if h.Podman.IsZero() {
			pv = "this host's podman"
		}
		return GeneratorPlan{UseBerth: true, Why: pv + " has no quadlet generator"}
	case !h.Podman.IsZero() && h.Podman.Compare(need) < 0:
		return GeneratorPlan{UseBerth: true, MaskPodman: true,
			Why: fmt.Sprintf("podman %s's quadlet generator is older than %s, which %s needs", h.Podman, need, reason)}
	}
	return GeneratorPlan{}
}

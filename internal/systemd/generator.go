package systemd

import (
	"context"
	"fmt"
	"os"

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

// DetectHost asks podmanVersion for the installed podman's version (an
// error leaves it zero: podman not found) and looks for podman's generator.
// The version comes from the caller because only internal/podman runs
// podman (podman.Client.BinaryVersion in production).
func DetectHost(ctx context.Context, podmanVersion func(context.Context) (version.V, error), l Layout) Host {
	var h Host
	h.Podman, _ = podmanVersion(ctx)
	for _, p := range l.PodmanGenerators() {
		if _, err := os.Stat(p); err == nil {
			h.Generator = p
			break
		}
	}
	return h
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
				raise(key.Since, fmt.Sprintf("%s=%s (%s:%d)", l.Key, shorten(l.Value), u.Name, l.Pos().Line))
			}
		}
		for _, l := range u.File.Entries("Quadlet") {
			if key, ok := quadlet.QuadletTable.Lookup(l.Key); ok {
				raise(key.Since, fmt.Sprintf("[Quadlet] %s (%s:%d)", l.Key, u.Name, l.Pos().Line))
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

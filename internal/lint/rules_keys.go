package lint

import (
	"fmt"
	"slices"
	"strings"

	"github.com/berth-dev/berth/internal/diag"
	"github.com/berth-dev/berth/internal/quadlet"
	"github.com/berth-dev/berth/internal/version"
)

// systemdGroups pass through quadlet to the generated service unchanged.
var systemdGroups = []string{"Unit", "Service", "Install", "Quadlet"}

func checkUnknownGroups(s *Stack) diag.List {
	var out diag.List
	for _, u := range s.Units {
		known := append([]string{u.Group()}, systemdGroups...)
		for _, sec := range u.File.Sections {
			if slices.Contains(known, sec.Name) || strings.HasPrefix(sec.Name, "X-") || sec.Name == "" {
				continue
			}
			hint := "quadlet reads [" + u.Group() + "], [Unit], [Service], [Install] and [Quadlet]; prefix private groups with X-"
			if other := kindOfGroup(sec.Name); other != nil {
				hint = fmt.Sprintf("[%s] belongs in a %s file; this is a %s file", sec.Name, other.Ext, u.Kind.Ext)
			} else if sug := quadlet.Suggest(sec.Name, known); sug != "" {
				hint = fmt.Sprintf("did you mean [%s]?", sug)
			}
			out = append(out, find(sec.Pos(), hint, "unknown group [%s] in a %s file: its keys are ignored", short(sec.Name), u.Kind.Ext))
		}
	}
	return out
}

func kindOfGroup(group string) *quadlet.Kind {
	for _, k := range quadlet.Kinds() {
		if k.Group == group {
			return k
		}
	}
	return nil
}

// short quotes at most 60 bytes of user text in a message.
func short(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

// tableOf returns the key table for group in unit u, or nil.
func tableOf(u *Unit, group string) *quadlet.Table {
	switch {
	case group == "Quadlet":
		return quadlet.QuadletTable
	case u.Kind != nil && group == u.Kind.Group:
		return u.Kind.Keys()
	}
	return nil
}

func checkUnknownKeys(s *Stack) diag.List {
	var out diag.List
	for _, u := range s.Units {
		for _, g := range []string{u.Group(), "Quadlet"} {
			t := tableOf(u, g)
			if t == nil {
				continue
			}
			for _, l := range u.File.Entries(g) {
				if _, ok := t.Lookup(l.Key); ok {
					continue
				}
				out = append(out, find(l.Pos(), unknownKeyHint(l.Key, g, t), "unknown key %s in [%s]", short(l.Key), g))
			}
		}
	}
	return out
}

// serviceKeys are common [Service] keys written into the quadlet group by
// mistake.
var serviceKeys = []string{"Restart", "RestartSec", "TimeoutStartSec", "TimeoutStopSec", "ExecStartPre",
	"ExecStartPost", "EnvironmentFile", "WorkingDirectory", "Type", "KillMode"}

func unknownKeyHint(key, group string, t *quadlet.Table) string {
	if slices.Contains(serviceKeys, key) {
		return fmt.Sprintf("%s is a systemd key: move it to [Service]", key)
	}
	if sug := quadlet.Suggest(key, t.Names()); sug != "" && sug != key {
		return fmt.Sprintf("did you mean %s?", sug)
	}
	return fmt.Sprintf("see the keys of [%s] in podman-systemd.unit(5); the unit is not generated while it has this key", group)
}

// Value-level version gates: values a key accepted only from some release on.
type valueGate struct {
	ext, key, value string
	since           version.V // podman generator
}

var valueGates = []valueGate{
	{".container", "Notify", "healthy", version.Must("5.0.0")},
}

// quadletDepsSince is the first podman whose generator translates quadlet
// names (db.container) in [Unit] dependencies to service names.
var quadletDepsSince = version.Must("5.5.0")

// templatesSince is the first podman whose generator reads foo@.container.
var templatesSince = version.Must("5.0.0")

func checkTooNew(s *Stack) diag.List {
	var out diag.List
	t := s.target()
	for _, u := range s.Units {
		if s.PodmanGenerates {
			out = append(out, s.tooNewForPodman(u, t)...)
		} else {
			out = append(out, s.tooNewForBerth(u, t)...)
		}
	}
	return out
}

func upgradeOrBerth(v version.V) string {
	return fmt.Sprintf("upgrade podman to %s or newer, let berth generate the units (berth install), or remove it", v)
}

func (s *Stack) tooNewForPodman(u *Unit, t version.V) diag.List {
	var out diag.List
	if !t.AtLeast(u.Kind.Since) {
		out = append(out, find(diag.Pos{File: u.Path, Line: 1}, upgradeOrBerth(u.Kind.Since),
			"%s units were added to quadlet in podman %s; podman %s's generator ignores this file", u.Kind.Ext, u.Kind.Since, t))
		return out
	}
	if strings.Contains(u.Name, "@") && !t.AtLeast(templatesSince) {
		out = append(out, find(diag.Pos{File: u.Path, Line: 1}, upgradeOrBerth(templatesSince),
			"template units (name@.ext) were added to quadlet in podman %s; the target is podman %s", templatesSince, t))
	}
	for _, g := range []string{u.Group(), "Quadlet"} {
		tab := tableOf(u, g)
		for _, l := range u.File.Entries(g) {
			k, ok := tab.Lookup(l.Key)
			if ok && !t.AtLeast(k.Since) {
				out = append(out, find(l.Pos(), upgradeOrBerth(k.Since),
					"key %s was added to quadlet in podman %s; podman %s's generator rejects the unit", l.Key, k.Since, t))
			}
		}
	}
	for _, vg := range valueGates {
		for _, e := range s.keyLines([]string{vg.key}, vg.ext) {
			if e.u == u && strings.EqualFold(value(e.l), vg.value) && !t.AtLeast(vg.since) {
				out = append(out, find(s.valuePos(e.l), upgradeOrBerth(vg.since),
					"%s=%s was added to quadlet in podman %s; the target is podman %s", vg.key, vg.value, vg.since, t))
			}
		}
	}
	if !t.AtLeast(quadletDepsSince) {
		out = append(out, quadletDeps(u, t)...)
	}
	return out
}

func quadletDeps(u *Unit, t version.V) diag.List {
	var out diag.List
	for _, l := range u.File.Entries("Unit") {
		if !slices.Contains(dependencyKeys, l.Key) {
			continue
		}
		for _, w := range strings.Fields(l.Value) {
			if quadlet.IsQuadlet(w) {
				svc := serviceNameOf(w)
				out = append(out, find(l.Pos(), fmt.Sprintf("name the service instead: %s=%s", l.Key, svc),
					"%s=%s: quadlet names in [Unit] dependencies are translated from podman %s on; podman %s passes %s to systemd as is",
					l.Key, w, quadletDepsSince, t, w))
			}
		}
	}
	return out
}

func (s *Stack) tooNewForBerth(u *Unit, t version.V) diag.List {
	var out diag.List
	for _, g := range []string{u.Group(), "Quadlet"} {
		tab := tableOf(u, g)
		for _, l := range u.File.Entries(g) {
			k, ok := tab.Lookup(l.Key)
			if ok && !k.Needs.IsZero() && !t.AtLeast(k.Needs) && l.Value != "" {
				out = append(out, find(l.Pos(), fmt.Sprintf("upgrade podman to %s or newer, or remove %s", k.Needs, l.Key),
					"key %s makes berth emit a podman option added in podman %s; the target is podman %s", l.Key, k.Needs, t))
			}
		}
	}
	return out
}

// serviceNameOf is the default service of a quadlet file name.
func serviceNameOf(name string) string {
	k := quadlet.KindOf(name)
	base := strings.TrimSuffix(name, k.Ext)
	if strings.HasSuffix(base, "@") {
		return strings.TrimSuffix(base, "@") + k.ServiceSuffix + "@.service"
	}
	return base + k.ServiceSuffix + ".service"
}

// checkTrailingIgnore finds "# berth:ignore" written after a Key=Value on
// the same line: systemd reads it as part of the value (PublishPort=
// "5432:5432 # berth:ignore db-exposed"), which then looks invalid, or,
// worse, is valid and wrong (an environment variable's value).
func checkTrailingIgnore(s *Stack) diag.List {
	var out diag.List
	for _, u := range s.Units {
		for path, lines := range u.lines {
			for i, line := range lines {
				t := strings.TrimSpace(line)
				if t == "" || t[0] == '#' || t[0] == ';' || t[0] == '[' || !strings.Contains(t, "=") {
					continue
				}
				loc := ignoreRe.FindStringIndex(line)
				if loc == nil {
					continue
				}
				key := strings.TrimSpace(t[:strings.IndexByte(t, '=')])
				comment := strings.TrimSpace(line[loc[0]:])
				d := find(diag.Pos{File: path, Line: i + 1, Col: loc[0] + 1},
					fmt.Sprintf("put %q on its own line above %s=", comment, key),
					"%q after %s= is part of the value: systemd has no trailing comments", comment, key)
				out = append(out, d)
			}
		}
	}
	out.Sort()
	return out
}

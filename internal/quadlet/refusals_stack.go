package quadlet

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/berth-dev/berth/internal/diag"
)

// Refusals that need the whole stack or the [Service] section: berth's
// executor refuses them, and systemd breaks or ignores them (Strict only).

// serviceTimeKeys are systemd time spans ("90", "5min", "1h 30s", "infinity").
var serviceTimeKeys = []string{"TimeoutStartSec", "TimeoutStopSec", "TimeoutSec", "TimeoutAbortSec",
	"RestartSec", "WatchdogSec", "RuntimeMaxSec", "RestartMaxDelaySec"}

// timespanRe compiles on first use: the generator links this package and
// compiles no regexps at start-up.
var timespanRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(\s*\d+(\.\d+)?\s*(us|usec|µs|ms|msec|s|sec|secs|second|seconds|m|min|mins|minute|minutes|h|hr|hrs|hour|hours|d|day|days|w|week|weeks|M|month|months|y|year|years)?)+\s*$`)
})

var restartValues = []string{"no", "on-success", "on-failure", "on-abnormal", "on-watchdog", "on-abort", "always"}

// checkServiceValues reports [Service] time spans and Restart= values that
// systemd ignores ("Failed to parse ..., ignoring") and berth's executor
// refuses, at the quadlet's own line.
func (c *ctx) checkServiceValues() {
	for _, l := range c.src.Entries("Service") {
		v := unquoteValue(l.Value)
		switch {
		case v == "":
		case slices.Contains(serviceTimeKeys, l.Key) && v != "infinity" && !timespanRe().MatchString(v):
			c.diags.Add(diag.Diagnostic{Pos: valuePos(l, 0), Severity: diag.Error, Code: "invalid-duration",
				Message: fmt.Sprintf("%s=%s is not a systemd time span", l.Key, quoteCtl(v)),
				Hint:    "write seconds or a systemd time span: 90, 5min, 1h 30s, infinity"})
		case l.Key == "Restart" && !slices.Contains(restartValues, v):
			hint := "one of: " + strings.Join(restartValues, ", ")
			if sug := Suggest(v, restartValues); sug != "" {
				hint = fmt.Sprintf("did you mean Restart=%s? (%s)", sug, hint)
			}
			c.diags.Add(diag.Diagnostic{Pos: valuePos(l, 0), Severity: diag.Error, Code: "invalid-enum",
				Message: fmt.Sprintf("Restart=%s is not a valid value", quoteCtl(v)), Hint: hint})
		}
	}
}

// orderingKeys order a unit after the units they name (Before=: the other
// way round), as lint's dependency-cycle rule reads them.
var orderingKeys = []string{"After", "Requires", "BindsTo", "Requisite"}

type orderEdge struct {
	from, to *Service
}

// orderingCycles reports each cycle of start order among the compiled
// services once, at the source line that makes its first edge: systemd
// breaks such a cycle by dropping a job, and berth's executor refuses it.
func orderingCycles(services []*Service) diag.List {
	byName := make(map[string]*Service, len(services))
	for _, s := range services {
		byName[s.Name] = s
	}
	after := map[*Service][]*Service{}
	for _, s := range services {
		for _, key := range append(orderingKeys, "Before") {
			for _, name := range s.File.Strv("Unit", key) {
				t := byName[name]
				switch {
				case t == nil || t == s:
				case key == "Before":
					after[t] = append(after[t], s)
				default:
					after[s] = append(after[s], t)
				}
			}
		}
	}
	var out diag.List
	reported := map[string]bool{}
	for _, start := range services {
		path := cycleThrough(start, after)
		if path == nil {
			continue
		}
		names := make([]string, len(path))
		for i, s := range path {
			names[i] = s.Source.Name
		}
		sorted := slices.Clone(names)
		slices.Sort(sorted)
		if key := strings.Join(sorted, "\x00"); !reported[key] {
			reported[key] = true
			out.Add(diag.Diagnostic{Pos: edgePos(path[0], path[1%len(path)]), Severity: diag.Error, Code: "dependency-cycle",
				Message: fmt.Sprintf("dependency cycle: %s -> %s", strings.Join(names, " -> "), names[0]),
				Hint:    "remove one of the After=/Requires=/Before= dependencies, or a resource reference"})
		}
	}
	return out
}

// cycleThrough returns the services of a cycle through start, start first,
// or nil.
func cycleThrough(start *Service, after map[*Service][]*Service) []*Service {
	var path []*Service
	onPath, done := map[*Service]bool{}, map[*Service]bool{}
	var walk func(s *Service) bool
	walk = func(s *Service) bool {
		path = append(path, s)
		onPath[s] = true
		for _, t := range after[s] {
			if t == start || !onPath[t] && !done[t] && walk(t) {
				return true
			}
		}
		onPath[s], done[s] = false, true
		path = path[:len(path)-1]
		return false
	}
	if walk(start) {
		return path
	}
	return nil
}

// edgePos is the source line that orders from after to: a [Unit]
// dependency naming it, else a key of the unit's group naming its quadlet
// (Network=, Volume=, Pod=, Image=...), else the file.
func edgePos(from, to *Service) diag.Pos {
	src := from.Source.File
	for _, l := range src.Entries("Unit") {
		if slices.Contains(orderingKeys, l.Key) || l.Key == "Before" {
			for _, w := range strings.Fields(l.Value) {
				if w == to.Source.Name || w == to.Name {
					return l.Pos()
				}
			}
		}
	}
	if k := KindOf(from.Source.Name); k != nil {
		for _, l := range src.Entries(k.Group) {
			if strings.Contains(l.Value, to.Source.Name) {
				return l.Pos()
			}
		}
	}
	return diag.Pos{File: from.Source.displayPath(), Line: 1}
}

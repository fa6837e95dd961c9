package kube

import (
	"sort"
	"strings"

	"github.com/berth-dev/berth/internal/diag"
	"github.com/berth-dev/berth/internal/quadlet"
	"github.com/berth-dev/berth/internal/unitfile"
)

// source reads one unit's keys and remembers which it used, so that every
// key it did not carry over is reported (rest).
type source struct {
	e     *exporter
	u     *quadlet.Unit
	f     *unitfile.File
	group string
	used  map[string]bool
	cur   *unitfile.Line // the line being converted, for the report's positions
}

func (e *exporter) source(u *quadlet.Unit, group string) *source {
	return &source{e: e, u: u, f: u.File, group: group, used: map[string]bool{}}
}

// use marks keys of the unit's group as carried over (or reported).
func (s *source) use(keys ...string) {
	for _, k := range keys {
		s.used[k] = true
	}
}

// last returns the key's last value in the unit's group, and marks it.
func (s *source) last(key string) (string, bool) {
	s.used[key] = true
	return lookup(s.f, s.group, key)
}

// lines returns the key's lines in effect in the unit's group, and marks
// the key. Loops over them set s.cur, so that report lines point at the
// line being converted.
func (s *source) lines(key string) []*unitfile.Line {
	s.used[key] = true
	return s.f.AllLines(s.group, key)
}

// args returns the key's last value split into words as podman splits it.
func (s *source) args(key string) ([]string, bool) {
	s.used[key] = true
	words, ok, err := s.f.LastArgs(s.group, key)
	if err != nil && !ok {
		s.loss(key, Dropped, "cannot split the value into words: "+err.Error(), "")
	}
	return words, ok
}

func (s *source) boolean(key string) (value, ok bool) {
	s.used[key] = true
	return s.f.LookupBool(s.group, key)
}

func (s *source) loss(key string, sev Severity, msg, hint string) {
	if s.cur != nil && s.cur.Key == key {
		s.e.rep.add(Loss{Pos: s.cur.Pos(), Unit: s.u.Name, Key: key, Severity: sev, Message: msg, Hint: hint})
		return
	}
	s.e.loss(s.u, s.group, key, sev, msg, hint)
}

// lineNaming returns the line of key (Environment=, Label=, ...) in effect
// that sets name, so that a report line about one variable points at the
// line that sets it; nil when none does.
func (s *source) lineNaming(key, name string) *unitfile.Line {
	return lineNaming(s.f, s.group, key, name)
}

func lineNaming(f *unitfile.File, group, key, name string) *unitfile.Line {
	lines := f.AllLines(group, key)
	for i := len(lines) - 1; i >= 0; i-- {
		words, _ := unitfile.SplitQuadletArgs(lines[i].Value)
		for _, w := range words {
			if w == name || strings.HasPrefix(w, name+"=") {
				return lines[i]
			}
		}
	}
	return nil
}

// lossFor reports a loss about one NAME=value of key, at the line that sets it.
func (s *source) lossFor(key, name string, sev Severity, msg, hint string) {
	prev := s.cur
	if l := s.lineNaming(key, name); l != nil {
		s.cur = l
	}
	s.loss(key, sev, msg, hint)
	s.e.rep.Losses[len(s.e.rep.Losses)-1].Item = name
	s.cur = prev
}

// here is the position of the line being converted, or of key's last line.
func (s *source) here(key string) diag.Pos {
	if s.cur != nil && s.cur.Key == key {
		return s.cur.Pos()
	}
	if l := s.f.LastLine(s.group, key); l != nil {
		return l.Pos()
	}
	return diag.Pos{}
}

// noted are keys that need no counterpart: what they do is the cluster's
// business or is already expressed another way.
var noted = map[string]string{
	"AutoUpdate":           "image updates are the cluster's (a new image tag, or imagePullPolicy)",
	"Notify":               "readiness is the readiness probe's",
	"LogDriver":            "the cluster collects container output",
	"LogOpt":               "the cluster collects container output",
	"ContainersConfModule": "containers.conf is the host's",
	"GlobalArgs":           "podman's global options have no counterpart",
	"HealthLogDestination": "probe results are in the pod's events",
	"HealthMaxLogCount":    "probe results are in the pod's events",
	"HealthMaxLogSize":     "probe results are in the pod's events",
}

// rest reports every key of the group the conversion did not use: noted
// keys as notes, the others as dropped.
func (s *source) rest(group string) {
	if group == "" {
		group = s.group
	}
	seen := map[string]bool{}
	var keys []string
	for _, l := range s.f.Entries(group) {
		if l.Comment || l.Key == "" || s.used[l.Key] || seen[l.Key] {
			continue
		}
		seen[l.Key] = true
		keys = append(keys, l.Key)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if why, ok := noted[k]; ok {
			s.loss(k, Note, "not carried over: "+why, "")
			continue
		}
		s.loss(k, Dropped, "has no counterpart in the "+string(s.e.opts.For)+" manifests", dropHint(k))
	}
}

// dropHint says what to do instead of a dropped key, where there is a way.
func dropHint(key string) string {
	switch key {
	case "PidsLimit":
		return "the kubelet limits PIDs per pod (podPidsLimit)"
	case "Ulimit":
		return "ulimits come from the container runtime's configuration on each node"
	case "AddDevice":
		return "use a device plugin"
	case "UserNS", "UIDMap", "GIDMap", "SubUIDMap", "SubGIDMap", "RemapUsers", "RemapUid", "RemapGid", "RemapUidSize":
		return "set hostUsers: false on the pod where the cluster supports user namespaces"
	case "IP", "IP6":
		return "pods get their addresses from the cluster; reach them through their Service"
	}
	return ""
}

// labelsOf returns a unit's Label= pairs.
func (s *source) keyVals(key string) []unitfile.KeyVal {
	s.used[key] = true
	kvs, _ := s.f.KeyVals(s.group, key)
	return kvs
}

func hasPrefixAny(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

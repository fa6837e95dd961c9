package unitexec

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/berth-dev/berth/internal/unitfile"
)

// Defaults from systemd-system.conf(5).
const (
	DefaultTimeout         = 90 * time.Second
	DefaultRestartSec      = 100 * time.Millisecond
	DefaultStartLimitIntvl = 10 * time.Second
	DefaultStartLimitBurst = 5
)

// Deps are a unit's [Unit] relations, by unit name.
type Deps struct {
	Requires, Wants, BindsTo, Requisite, After, Before, PartOf, Upholds, Conflicts []string
}

// Service is a .service unit with specifiers expanded and values parsed.
type Service struct {
	Name             UnitName
	Description      string
	Deps             Deps
	Type             string // simple, exec, notify, oneshot, forking
	RemainAfterExit  bool
	ExecStartPre     []*Command
	ExecStart        []*Command
	ExecStartPost    []*Command
	ExecStop         []*Command
	ExecStopPost     []*Command
	ExecReload       []*Command
	Env              Env      // Environment= (EnvironmentFile= is read at start)
	PassEnv          []string // PassEnvironment=: names taken from the manager's own environment
	UnsetEnv         []string // UnsetEnvironment=: names, or NAME=VALUE assignments, removed last
	EnvFiles         []string
	TimeoutStart     time.Duration // Infinity when disabled
	TimeoutStop      time.Duration
	Restart          string
	RestartSec       time.Duration
	StartLimit       StartLimit
	SuccessExit      []int
	KillMode         string
	KillSignal       string
	WorkingDirectory string // "" means the manager's: / for system, ~ for user
	WorkingDirOpt    bool   // "-" prefix: a missing directory is fine
	SyslogIdentifier string
	File             *unitfile.File
}

// Load parses a compiled unit. name is the unit's name (db.service).
func Load(f *unitfile.File, name string, h *Host) (*Service, error) {
	s := &Service{Name: ParseUnitName(name), File: f}
	s.Name.Fragment = f.Path
	x := func(v string) (string, error) { return Expand(v, s.Name, h) }
	var errs []string
	fail := func(err error) {
		if err != nil {
			errs = append(errs, err.Error())
		}
	}
	s.Description, _ = f.Lookup("Unit", "Description")
	s.Deps = Deps{Requires: units(f, "Requires"), Wants: units(f, "Wants"), BindsTo: units(f, "BindsTo"),
		Requisite: units(f, "Requisite"), After: units(f, "After"), Before: units(f, "Before"),
		PartOf: units(f, "PartOf"), Upholds: units(f, "Upholds"), Conflicts: units(f, "Conflicts")}
	s.Type = lookupOr(f, "Type", "simple")
	if _, ok := f.Lookup("Service", "Type"); !ok && len(f.All("Service", "BusName")) > 0 {
		s.Type = "dbus"
	}
	s.RemainAfterExit, _ = f.LookupBool("Service", "RemainAfterExit")
	for key, dst := range map[string]*[]*Command{"ExecStartPre": &s.ExecStartPre, "ExecStart": &s.ExecStart,
		"ExecStartPost": &s.ExecStartPost, "ExecStop": &s.ExecStop, "ExecStopPost": &s.ExecStopPost, "ExecReload": &s.ExecReload} {
		cmds, err := execLines(f, key, x)
		fail(err)
		*dst = cmds
	}
	if s.Type != "oneshot" && len(s.ExecStart) > 1 {
		fail(fmt.Errorf("%s: more than one ExecStart= needs Type=oneshot", name))
	}
	fail(s.loadEnv(f, x))
	fail(s.loadTimes(f))
	s.Restart = lookupOr(f, "Restart", "no")
	if _, err := ShouldRestart(s.Restart, ResultSuccess); err != nil {
		fail(err)
	}
	s.KillMode = lookupOr(f, "KillMode", "control-group")
	s.KillSignal = lookupOr(f, "KillSignal", "SIGTERM")
	for _, w := range f.Strv("Service", "SuccessExitStatus") {
		if n, err := strconv.Atoi(w); err == nil {
			s.SuccessExit = append(s.SuccessExit, n)
		}
	}
	if wd, ok := f.Lookup("Service", "WorkingDirectory"); ok && wd != "" {
		s.WorkingDirOpt = strings.HasPrefix(wd, "-")
		wd = strings.TrimPrefix(wd, "-")
		if wd == "~" {
			wd = h.Home
		}
		v, err := x(wd)
		fail(err)
		s.WorkingDirectory = v
	}
	if id, ok := f.Lookup("Service", "SyslogIdentifier"); ok {
		v, err := x(id)
		fail(err)
		s.SyslogIdentifier = v
	}
	if len(errs) > 0 {
		return s, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return s, nil
}

func lookupOr(f *unitfile.File, key, def string) string {
	if v, ok := f.Lookup("Service", key); ok && v != "" {
		return v
	}
	return def
}

func units(f *unitfile.File, key string) []string { return f.Strv("Unit", key) }

// execLines parses every line of key; an empty assignment resets the list.
func execLines(f *unitfile.File, key string, x func(string) (string, error)) ([]*Command, error) {
	var out []*Command
	for _, l := range f.AllLines("Service", key) {
		if l.IsEmptyAssignment() {
			out = nil
			continue
		}
		v, err := x(l.Value)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		c, err := ParseExec(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		out = append(out, c)
	}
	return out, nil
}

func (s *Service) loadEnv(f *unitfile.File, x func(string) (string, error)) error {
	for _, l := range f.AllLines("Service", "Environment") {
		v, err := x(l.Value)
		if err != nil {
			return err
		}
		if err := ParseEnvironment(&s.Env, v); err != nil {
			return err
		}
	}
	for key, dst := range map[string]*[]string{"PassEnvironment": &s.PassEnv, "UnsetEnvironment": &s.UnsetEnv} {
		for _, l := range f.AllLines("Service", key) {
			if l.IsEmptyAssignment() {
				*dst = nil
				continue
			}
			v, err := x(l.Value)
			if err != nil {
				return err
			}
			words, err := unitfile.Split(v, unitfile.SplitOptions{Unquote: true, CUnescape: true, Relax: true})
			if err != nil {
				return fmt.Errorf("%s=%s: %w", key, v, err)
			}
			*dst = append(*dst, words...)
		}
	}
	for _, l := range f.AllLines("Service", "EnvironmentFile") {
		if l.IsEmptyAssignment() {
			s.EnvFiles = nil
			continue
		}
		v, err := x(l.Value)
		if err != nil {
			return err
		}
		s.EnvFiles = append(s.EnvFiles, v)
	}
	return nil
}

func (s *Service) loadTimes(f *unitfile.File) error {
	s.TimeoutStart, s.TimeoutStop = DefaultTimeout, DefaultTimeout
	if s.Type == "oneshot" {
		s.TimeoutStart = Infinity
	}
	s.RestartSec = DefaultRestartSec
	s.StartLimit = StartLimit{Interval: DefaultStartLimitIntvl, Burst: DefaultStartLimitBurst}
	for _, t := range []struct {
		section, key string
		dst          []*time.Duration
	}{
		{"Service", "TimeoutSec", []*time.Duration{&s.TimeoutStart, &s.TimeoutStop}},
		{"Service", "TimeoutStartSec", []*time.Duration{&s.TimeoutStart}},
		{"Service", "TimeoutStopSec", []*time.Duration{&s.TimeoutStop}},
		{"Service", "RestartSec", []*time.Duration{&s.RestartSec}},
		{"Unit", "StartLimitIntervalSec", []*time.Duration{&s.StartLimit.Interval}},
		{"Service", "StartLimitInterval", []*time.Duration{&s.StartLimit.Interval}},
	} {
		v, ok := f.Lookup(t.section, t.key)
		if !ok || v == "" {
			continue
		}
		d, err := ParseDuration(v)
		if err != nil {
			return fmt.Errorf("%s=%s: %w", t.key, v, err)
		}
		if d == 0 && strings.HasPrefix(t.key, "Timeout") {
			d = Infinity // "0" disables a timeout
		}
		for _, p := range t.dst {
			*p = d
		}
	}
	for _, sec := range []string{"Unit", "Service"} {
		if v, ok := f.Lookup(sec, "StartLimitBurst"); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("StartLimitBurst=%s: %w", v, err)
			}
			s.StartLimit.Burst = n
		}
	}
	return nil
}

// Requirements are the units that must be active for s (Requires, BindsTo,
// Requisite): their failure fails s.
func (s *Service) Requirements() []string {
	return concat(s.Deps.Requires, s.Deps.BindsTo, s.Deps.Requisite)
}

// PullsIn are the units starting s also starts.
func (s *Service) PullsIn() []string {
	return concat(s.Deps.Requires, s.Deps.BindsTo, s.Deps.Wants, s.Deps.Upholds)
}

func concat(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

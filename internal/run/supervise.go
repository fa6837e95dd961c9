package run

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/berth-dev/berth/internal/observe"
	"github.com/berth-dev/berth/internal/podman"
	sd "github.com/berth-dev/berth/internal/unitexec"
)

// Supervisor keeps a project's wanted containers running: it notices a
// container's end by its main PID (conmon, from MAINPID=), runs the unit's
// stop commands, and restarts it per Restart=, RestartSec= and the start
// limit; it runs each container's health check on its interval, since
// without systemd nothing else does.
type Supervisor struct {
	P     *Project
	Clock Clock
	Log   io.Writer
	Tick  time.Duration // how often main PIDs are checked; 0 means 200 ms
	// Metrics receives every state change, exit, restart and health check;
	// nil records nothing. MetricsAddr is where they are served, for ps.
	Metrics     *observe.Metrics
	MetricsAddr string
	// StatsEvery is how often the running containers' CPU and memory are
	// sampled (one podman stats call) into Metrics; 0 means 10 s, negative
	// never. Nothing is sampled without Metrics.
	StatsEvery time.Duration
	// OnExit is told every container exit the supervisor handles (the
	// service, its exit code and whether podman knew it), before any
	// restart; a foreground up uses it for --abort-on-container-exit and
	// --exit-code-from. It must not block.
	OnExit func(service string, code int, known bool)

	mu        sync.Mutex
	watches   map[string]*watch
	nextStats time.Time // zero: sample at the first tick
	statting  bool      // a podman stats call runs
	statsErr  string    // the last podman stats failure, said once
}

type watch struct {
	unit     *Unit
	pid      int
	id       string
	state    string
	health   string
	restarts int
	lastExit *int
	limit    sd.StartLimit
	hc       healthConfig
	next     time.Time
	busy     bool      // an exit is being handled
	pending  bool      // found not running on reload: handle as an exit once
	checking bool      // a health check runs
	held     string    // stopped with a unit it binds to or is part of (why); not restarted on its own
	started  time.Time // the StartedAt of the last start by `up` recorded in Metrics
}

// ServiceStatus is one line of `berth ps`.
type ServiceStatus struct {
	Service   string `json:"service"`
	Unit      string `json:"unit"`
	Kind      string `json:"kind"`
	Container string `json:"container,omitempty"`
	State     string `json:"state"`
	Health    string `json:"health,omitempty"`
	Restarts  int    `json:"restarts"`
	LastExit  *int   `json:"lastExit,omitempty"`
	PID       int    `json:"pid,omitempty"`
}

func (s *Supervisor) logf(format string, args ...any) {
	if s.Log != nil {
		line := fmt.Sprintf("%s "+format+"\n", append([]any{s.Clock.Now().Format(time.RFC3339)}, args...)...)
		_, _ = io.WriteString(s.Log, s.mask().Text(line))
	}
}

// mask is the project's one Masker (its podman client's); nil masks by
// name and URL.
func (s *Supervisor) mask() *podman.Masker {
	if s.P == nil || s.P.Podman == nil {
		return nil
	}
	return s.P.Podman.Mask
}

// Reload re-reads the state file: wanted active containers are watched,
// others dropped. A watch keeps its counters across reloads.
func (s *Supervisor) Reload(ctx context.Context) error {
	st, err := s.P.Store.Load()
	if err != nil {
		return err
	}
	s.mu.Lock()
	if s.watches == nil {
		s.watches = map[string]*watch{}
	}
	var adopt []*watch
	for name, us := range st.Units {
		if !us.Wanted || kindOf(us.Source) != KindContainer {
			if w := s.watches[name]; w != nil {
				s.Metrics.SetState(w.unit.Service, "stopped")
				s.Metrics.SetReady(w.unit.Service, false)
			}
			delete(s.watches, name)
			continue
		}
		w := s.watches[name]
		if w == nil || w.unit.Hash != us.Hash {
			u, err := unitFromState(name, us, s.P.Exec.Host, st.Project)
			if err != nil {
				s.logf("%s: %v", name, err)
				continue
			}
			u.learnSecrets(s.mask())
			w = &watch{unit: u, limit: u.Svc.StartLimit, hc: healthOf(u)}
			if w.hc.interval > 0 {
				w.next = s.Clock.Now().Add(w.hc.interval)
			}
			s.watches[name] = w
		}
		s.recordStart(w, us)
		if w.held != "" && us.Active && !w.busy {
			w.held = "" // an up started it again
		}
		if !w.busy && w.held == "" {
			adopt = append(adopt, w)
		}
	}
	for name, w := range s.watches {
		if st.Units[name] == nil {
			s.Metrics.Forget(w.unit.Service) // it left the stack
			delete(s.watches, name)
		}
	}
	s.mu.Unlock()
	s.adopt(ctx, adopt)
	return nil
}

// recordStart feeds a start `up` made (and timed) into the start-duration
// metric, once per start; s.mu is held.
func (s *Supervisor) recordStart(w *watch, us *UnitState) {
	if us.StartTook <= 0 || us.StartedAt.IsZero() || us.StartedAt.Equal(w.started) {
		return
	}
	w.started = us.StartedAt
	s.Metrics.ServiceStarted(w.unit.Service, us.StartTook)
}

// adopt reads the containers' current conmon PIDs and IDs, with one podman
// call for all of them.
func (s *Supervisor) adopt(ctx context.Context, ws []*watch) {
	if len(ws) == 0 {
		return
	}
	names := make([]string, len(ws))
	for i, w := range ws {
		names[i] = w.unit.Resource
	}
	states, err := s.P.Podman.InspectMany(ctx, names...)
	if err != nil {
		s.logf("inspect: %v", err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, w := range ws {
		c := states[w.unit.Resource]
		if c != nil && c.Labels[LabelProject] != w.unit.Project {
			c = nil // another project's container of that name: never adopted
		}
		if c == nil || !c.Running {
			if w.pid != 0 || w.state == "" {
				w.pending = true
			}
			w.pid, w.state = 0, "exited"
			if c != nil {
				w.id = c.ID
			}
			s.Metrics.SetState(w.unit.Service, "exited")
			s.Metrics.SetReady(w.unit.Service, false)
			continue
		}
		w.pid, w.id, w.state = c.ConmonPid, c.ID, "running"
		if c.Health != "" && w.health == "" {
			w.health = c.Health
		}
		s.Metrics.SetState(w.unit.Service, "running")
		s.Metrics.SetReady(w.unit.Service, true)
	}
}

// Run watches until ctx ends.
func (s *Supervisor) Run(ctx context.Context) {
	tick := s.Tick
	if tick == 0 {
		tick = 200 * time.Millisecond
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.Clock.After(tick):
		}
		s.mu.Lock()
		now := s.Clock.Now()
		for _, w := range s.watches {
			if !w.busy && (w.pending || w.pid > 0 && !alive(w.pid)) {
				w.busy, w.pending = true, false
				go s.handleExit(ctx, w)
			}
			if w.hc.interval > 0 && !w.checking && !w.busy && w.pid > 0 && !now.Before(w.next) {
				w.checking = true
				w.next = now.Add(w.hc.interval)
				go s.check(ctx, w)
			}
		}
		if names := s.statsDue(now); names != nil {
			go s.sampleStats(ctx, names)
		}
		s.mu.Unlock()
	}
}

// defaultStatsEvery is how often container stats are sampled by default:
// a podman process is not free, and CPU and memory change slowly enough.
const defaultStatsEvery = 10 * time.Second

// statsDue returns the running containers to sample now (container name →
// service), or nil; s.mu is held.
func (s *Supervisor) statsDue(now time.Time) map[string]string {
	every := s.StatsEvery
	if every == 0 {
		every = defaultStatsEvery
	}
	if s.Metrics == nil || every < 0 || s.statting || now.Before(s.nextStats) {
		return nil
	}
	names := map[string]string{}
	for _, w := range s.watches {
		if w.pid > 0 && !w.busy {
			names[w.unit.Resource] = w.unit.Service
		}
	}
	if len(names) == 0 {
		return nil
	}
	s.statting = true
	s.nextStats = now.Add(every)
	return names
}

// sampleStats runs one podman stats for the containers and records each
// one's CPU time and memory under its service.
func (s *Supervisor) sampleStats(ctx context.Context, names map[string]string) {
	defer func() { s.mu.Lock(); s.statting = false; s.mu.Unlock() }()
	list := make([]string, 0, len(names))
	for n := range names {
		list = append(list, n)
	}
	sort.Strings(list)
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	stats, err := s.P.Podman.Stats(cctx, list...)
	if err != nil {
		// The same failure every StatsEvery is said once (rootless podman
		// without cgroup v2 fails every time), and again when it changes.
		s.mu.Lock()
		repeat := err.Error() == s.statsErr
		s.statsErr = err.Error()
		s.mu.Unlock()
		if ctx.Err() == nil && !repeat {
			s.logf("stats: %v (said once; CPU and memory metrics stay empty while this lasts)", err)
		}
		return
	}
	s.mu.Lock()
	s.statsErr = ""
	s.mu.Unlock()
	for _, n := range list {
		if st, ok := stats[n]; ok {
			s.Metrics.ContainerStats(names[n], st.CPU, st.MemBytes)
		}
	}
}

// check runs the health check once. Podman applies --health-on-failure
// itself when the check turns the container unhealthy (kill, stop, restart);
// a killed or stopped container is then handled as any other exit.
//
// On a host where podman reaches systemd it runs the checks itself from a
// transient timer (podmanRunsChecks); a second runner would double the rate
// and use up HealthRetries early, so the supervisor then only reads the
// status podman recorded.
func (s *Supervisor) check(ctx context.Context, w *watch) {
	cctx, cancel := context.WithTimeout(ctx, w.hc.timeout+10*time.Second)
	defer cancel()
	if podmanRunsChecks(w.id, s.P.Exec.Host) {
		c, err := s.P.Podman.Inspect(cctx, w.unit.Resource)
		s.mu.Lock()
		defer s.mu.Unlock()
		w.checking = false
		if err == nil && c != nil && c.Health != "" {
			w.health = c.Health
		}
		return
	}
	t0 := s.Clock.Now()
	ok, err := s.P.Podman.HealthcheckRun(cctx, w.unit.Resource)
	if err == nil {
		s.Metrics.HealthChecked(w.unit.Service, ok, s.Clock.Now().Sub(t0))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	w.checking = false
	switch {
	case err != nil && w.pid > 0 && alive(w.pid):
		s.logf("%s: health check: %v", w.unit.Service, err)
	case err != nil: // the container is gone; handleExit takes over
	case ok:
		w.health = "healthy"
	default:
		w.health = "unhealthy"
	}
}

// handleExit runs under the project lock, so that it never acts on a
// container a user is stopping or recreating at the same moment.
func (s *Supervisor) handleExit(ctx context.Context, w *watch) {
	defer func() { s.mu.Lock(); w.busy = false; s.mu.Unlock() }()
	unlock, err := s.P.Store.Lock()
	if err != nil {
		s.logf("%s: lock: %v", w.unit.Service, err)
		return
	}
	// unlock changes while waiting RestartSec without the lock.
	defer func() {
		if unlock != nil {
			unlock()
		}
	}()
	if !s.stillWanted(ctx, w) {
		s.mu.Lock()
		if w.pid > 0 && !alive(w.pid) {
			w.pid, w.state = 0, "inactive"
		}
		s.mu.Unlock()
		return
	}
	code := s.recordExit(ctx, w)
	result := sd.ExitResult(code, w.unit.Svc.SuccessExit...)
	if s.shouldRestart(w, result) {
		_ = s.P.Exec.Stop(ctx, w.unit, 0)
	}
	// Otherwise the ended container is kept with its log, as docker compose
	// keeps it; its stop commands run when the unit is stopped (berth stop,
	// down, or the next start's --replace).
	held := s.dependants(w, s.shouldRestart(w, result))
	s.hold(ctx, w, held)
	for {
		if !s.shouldRestart(w, result) {
			s.setState(w, "exited", false)
			s.abandon(w, held)
			return
		}
		s.setState(w, "restarting", true)
		unlock()
		unlock = nil
		select {
		case <-ctx.Done():
			return
		case <-s.Clock.After(w.unit.Svc.RestartSec):
		}
		if unlock, err = s.P.Store.Lock(); err != nil {
			unlock = nil
			return
		}
		if !s.stillWanted(ctx, w) {
			return
		}
		if !w.limit.Allow(s.Clock.Now()) {
			s.logf("%s: start request repeated too quickly (StartLimitBurst=%d in %s)", w.unit.Service, w.limit.Burst, w.limit.Interval)
			s.setState(w, "failed (start-limit-hit)", false)
			s.abandon(w, held)
			return
		}
		t0 := s.Clock.Now()
		st, err := s.startUnit(ctx, w.unit)
		if err == nil {
			s.mu.Lock()
			w.restarts++
			s.mu.Unlock()
			s.restarted(ctx, w, st)
			s.Metrics.ServiceRestarted(w.unit.Service)
			s.Metrics.ServiceStarted(w.unit.Service, s.Clock.Now().Sub(t0))
			s.release(ctx, w, held)
			return
		}
		s.logf("%s: restart failed: %v", w.unit.Service, err)
		result = sd.ResultExitCode
	}
}

// recordExit reads the exit code of w's run and records the exit.
func (s *Supervisor) recordExit(ctx context.Context, w *watch) int {
	code, known := s.P.Podman.LastExitCode(ctx, w.id)
	if !known {
		// podman 5.8 with systemd as PID 1 logs events to the journal,
		// where the died event of a container HealthOnFailure=kill ended
		// was not found (measured on Debian sid, rootful): the exited
		// container's own state still has the code.
		if c, err := s.P.Podman.Inspect(ctx, w.unit.Resource); err == nil && c != nil && c.ID == w.id && !c.Running {
			code, known = c.ExitCode, true
		}
	}
	if known {
		s.Metrics.ServiceExited(w.unit.Service, code)
	}
	s.Metrics.SetState(w.unit.Service, "exited")
	s.Metrics.SetReady(w.unit.Service, false)
	s.mu.Lock()
	if known {
		w.lastExit = &code
	}
	oldPID := w.pid
	w.pid, w.state, w.health = 0, "exited", ""
	s.mu.Unlock()
	s.logf("%s: main process %d exited (code %d, known %v)", w.unit.Service, oldPID, code, known)
	if s.OnExit != nil {
		s.OnExit(w.unit.Service, code, known)
	}
	return code
}

// Settled reports whether every watched container of the given services
// (all when nil) has ended for good: none runs, restarts, waits to be
// handled or is held for a restart of a unit it depends on. A foreground up
// returns then, as docker compose's does once all its containers have
// exited.
func (s *Supervisor) Settled(services map[string]bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, w := range s.watches {
		if services != nil && !services[w.unit.Service] {
			continue
		}
		if w.busy || w.pending || w.pid > 0 || w.state == "" || w.state == "running" || w.state == "restarting" {
			return false
		}
	}
	return true
}

// shouldRestart applies Restart= to an exit's result; a unit another
// running unit upholds (Upholds=) is restarted whatever its policy.
func (s *Supervisor) shouldRestart(w *watch, result sd.Result) bool {
	restart, _ := sd.ShouldRestart(w.unit.Svc.Restart, result)
	return restart || s.upheld(w)
}

// stillWanted re-reads the state: a unit the user stopped, or one `up` has
// recreated meanwhile, is not restarted (a recreated one is adopted).
func (s *Supervisor) stillWanted(ctx context.Context, w *watch) bool {
	st, err := s.P.Store.Load()
	if err != nil {
		return false
	}
	us := st.Units[w.unit.Name]
	if us == nil || !us.Wanted || us.Hash != w.unit.Hash {
		return false
	}
	c, err := s.P.Podman.Inspect(ctx, w.unit.Resource)
	if err == nil && c != nil && c.Running && c.ConmonPid != w.pid && alive(c.ConmonPid) &&
		c.Labels[LabelProject] == w.unit.Project {
		s.mu.Lock()
		w.pid, w.id, w.state = c.ConmonPid, c.ID, "running"
		s.mu.Unlock()
		return false
	}
	return true
}

func (s *Supervisor) restarted(ctx context.Context, w *watch, st *Started) {
	s.mu.Lock()
	w.pid = st.MainPID
	s.mu.Unlock()
	c, _ := s.P.Podman.Inspect(ctx, w.unit.Resource)
	s.mu.Lock()
	if c != nil {
		w.id = c.ID
		if w.pid == 0 {
			w.pid = c.ConmonPid
		}
	}
	w.state = "running"
	w.next = s.Clock.Now().Add(w.hc.interval)
	s.mu.Unlock()
	s.Metrics.SetState(w.unit.Service, "running")
	_ = s.P.Store.Save(s.withUnit(w, true, w.pid))
	s.logf("%s: restarted (%d restarts)", w.unit.Service, w.restarts)
}

func (s *Supervisor) setState(w *watch, state string, active bool) {
	s.mu.Lock()
	w.state = state
	s.mu.Unlock()
	s.Metrics.SetState(w.unit.Service, stateLabel(state))
	s.Metrics.SetReady(w.unit.Service, false)
	_ = s.P.Store.Save(s.withUnit(w, active, 0))
}

// withUnit returns the state file with this unit's activity updated; the
// caller holds the project lock.
func (s *Supervisor) withUnit(w *watch, active bool, pid int) *State {
	st, err := s.P.Store.Load()
	if err != nil {
		st = &State{Units: map[string]*UnitState{}}
	}
	if us := st.Units[w.unit.Name]; us != nil {
		us.Active, us.MainPID = active, pid
	}
	return st
}

// Status lists the watched containers.
func (s *Supervisor) Status() []ServiceStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ServiceStatus
	for _, w := range s.watches {
		out = append(out, ServiceStatus{Service: w.unit.Service, Unit: w.unit.Name, Kind: string(w.unit.Kind),
			Container: w.unit.Resource, State: w.state, Health: w.health, Restarts: w.restarts, LastExit: w.lastExit, PID: w.pid})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Service < out[j].Service })
	return out
}

// stateLabel is a state without its reason, "failed (start-limit-hit)" ->
// "failed", so that metric series do not multiply with reasons.
func stateLabel(state string) string {
	l, _, _ := strings.Cut(state, " (")
	return l
}

// startUnit starts a unit as its own trace: a restart happens long after
// the `up` that started the stack, so it has no parent span.
func (s *Supervisor) startUnit(ctx context.Context, u *Unit) (*Started, error) {
	ctx, end := observe.StartUnit(ctx, "restart", u.Name)
	st, err := s.P.Exec.Start(ctx, u)
	end(err)
	return st, err
}

// healthConfig is read off the `podman run` line: the compiled unit is the
// source of truth for health checks too.
type healthConfig struct {
	interval time.Duration
	timeout  time.Duration
}

func healthOf(u *Unit) healthConfig {
	hc := healthConfig{timeout: 30 * time.Second}
	if len(u.Svc.ExecStart) == 0 {
		return hc
	}
	argv := u.Svc.ExecStart[0].Argv
	hasCmd := false
	interval := "30s" // podman's default when --health-cmd is given
	for i := 0; i < len(argv); i++ {
		name, val, inline := cutFlag(argv, &i)
		switch name {
		case "--health-cmd":
			hasCmd = val != "none"
		case "--health-interval":
			interval = val
		case "--health-timeout":
			if d, err := sd.ParseDuration(val); err == nil {
				hc.timeout = d
			}
		}
		_ = inline
	}
	if !hasCmd || interval == "disable" {
		return hc
	}
	if d, err := sd.ParseDuration(interval); err == nil && d > 0 {
		hc.interval = d
	}
	return hc
}

// cutFlag reads "--flag=value" or "--flag value" at argv[*i].
func cutFlag(argv []string, i *int) (name, val string, inline bool) {
	a := argv[*i]
	if len(a) < 3 || a[:2] != "--" {
		return "", "", false
	}
	for j := 2; j < len(a); j++ {
		if a[j] == '=' {
			return a[:j], a[j+1:], true
		}
	}
	if *i+1 < len(argv) && (a == "--health-cmd" || a == "--health-interval" || a == "--health-timeout" ||
		a == "--health-on-failure" || a == "--health-retries") {
		*i++
		return a, argv[*i], false
	}
	return a, "", false
}

// exitString renders an optional exit code.
func exitString(p *int) string {
	if p == nil {
		return "-"
	}
	return strconv.Itoa(*p)
}

package run

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/berth-dev/berth/internal/podman"
	sd "github.com/berth-dev/berth/internal/unitexec"
)

// Clock is the time source; tests inject a fake one.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// RealClock is the wall clock.
type RealClock struct{}

// Now implements Clock.
func (RealClock) Now() time.Time { return time.Now() }

// After implements Clock.
func (RealClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Executor runs one unit's Exec lines with systemd's semantics.
type Executor struct {
	Runner    podman.Runner
	Podman    *podman.Client
	Host      *sd.Host
	Clock     Clock
	NotifyDir string   // where NOTIFY_SOCKETs are made
	BaseEnv   []string // the manager's environment every command starts with (sd.ManagerEnv)
	// PodmanEnv are podman's own configuration variables from berth's
	// environment (CONTAINERS_CONF, ...): passed to every command, lowest
	// precedence, but never used to substitute $VAR, which reads only the
	// unit's environment.
	PodmanEnv []string
	// LookupEnv reads the manager's own environment for a unit's
	// PassEnvironment= (berth's, as systemd's are PID 1's); nil passes none.
	LookupEnv func(string) (string, bool)
	Progress  func(service, status string)
	// UnhealthyFails ends a start that waits for health as soon as podman
	// marks the container unhealthy, as docker compose fails a
	// service_healthy dependant at once. Off, the wait goes on while the
	// container runs (podman's --sdnotify=healthy, where HealthOnFailure=
	// acts): quadlet stacks keep systemd's and podman's semantics; compose
	// projects turn it on.
	UnhealthyFails bool
	// Settle is how long a container must keep running after READY=1 to
	// count as started; 0 means 100 ms, negative none.
	Settle time.Duration
}

// StartError explains a failed start: the command, its stderr, the
// container's last log lines.
type StartError struct {
	Unit    string
	Phase   string // ExecStartPre, ExecStart, ...
	Command string // masked
	Code    int
	Stderr  string
	Logs    string
	Err     error
	// Exited: the container ran and exited on its own; it is kept (with its
	// log) until the unit is stopped, as a container that completed is.
	Exited bool
	// Reason is what dependants say of this failure, as docker compose
	// words it: "container NAME is unhealthy", "container NAME exited (1)".
	Reason string
}

func (e *StartError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s failed", e.Unit, e.Phase)
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	} else {
		fmt.Fprintf(&b, " with exit status %d", e.Code)
	}
	if e.Command != "" {
		fmt.Fprintf(&b, "\n  command: %s", e.Command)
	}
	if s := strings.TrimSpace(e.Stderr); s != "" {
		fmt.Fprintf(&b, "\n  stderr:\n%s", indent(s))
	}
	if s := strings.TrimSpace(e.Logs); s != "" {
		fmt.Fprintf(&b, "\n  last log lines:\n%s", indent(s))
	}
	return b.String()
}

func indent(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = "    " + l
	}
	return strings.Join(lines, "\n")
}

// Started is what a successful start leaves behind.
type Started struct {
	MainPID int
	Status  string
	Took    time.Duration // from the first start command to ready; set by Apply
	// Exited: the container ran to completion with status 0 right after it
	// started (a migration, a seed job). As under systemd, a main process
	// that exits 0 is a successful run; the unit is then inactive.
	Exited bool
}

func (e *Executor) progress(u *Unit, status string) {
	if e.Progress != nil {
		e.Progress(u.Service, status)
	}
}

// env builds a command's environment: the manager's, Environment=, then
// EnvironmentFile= (files win, as in systemd), then extra.
func (e *Executor) env(u *Unit, extra ...string) (sd.Env, error) {
	var env sd.Env
	for _, kv := range e.BaseEnv {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env.Set(k, v)
		}
	}
	for _, k := range u.Svc.PassEnv { // the unit opts in to the manager's own variables
		if e.LookupEnv == nil {
			break
		}
		if v, ok := e.LookupEnv(k); ok {
			env.Set(k, v)
		}
	}
	for _, kv := range u.Svc.Env.List() {
		k, v, _ := strings.Cut(kv, "=")
		env.Set(k, v)
	}
	for _, f := range u.Svc.EnvFiles {
		if err := sd.ReadEnvironmentFile(&env, f); err != nil {
			return env, err
		}
	}
	for _, kv := range extra {
		k, v, _ := strings.Cut(kv, "=")
		env.Set(k, v)
	}
	for _, x := range u.Svc.UnsetEnv {
		env.Unset(x)
	}
	for _, kv := range env.List() { // what EnvironmentFile= held at this start
		k, v, _ := strings.Cut(kv, "=")
		e.mask().AddEnv(k, v)
	}
	return env, nil
}

// processEnv is a command's environment: PodmanEnv under the unit's.
func (e *Executor) processEnv(env sd.Env) []string {
	if len(e.PodmanEnv) == 0 {
		return env.List()
	}
	var all sd.Env
	for _, kv := range append(append([]string(nil), e.PodmanEnv...), env.List()...) {
		if k, v, ok := strings.Cut(kv, "="); ok {
			all.Set(k, v)
		}
	}
	return all.List()
}

// runCmd runs one Exec line; it returns the exit code and captured stderr.
func (e *Executor) runCmd(ctx context.Context, u *Unit, c *sd.Command, env sd.Env) (int, string, error) {
	path, argv := c.Resolve(env, e.Host.Shell)
	var stderr bytes.Buffer
	dir := u.Svc.WorkingDirectory
	if dir == "" {
		dir = "/"
		if e.Host.User {
			dir = e.Host.Home
		}
	}
	if _, err := os.Stat(dir); err != nil && u.Svc.WorkingDirOpt {
		dir = "/"
	}
	code, err := e.Runner.Run(ctx, podman.Cmd{Argv: argv, Path: path, Env: e.processEnv(env), Dir: dir,
		Stdout: &limited{max: 64 << 10}, Stderr: &limitedWriter{&stderr, 64 << 10}})
	return code, stderr.String(), err
}

// runPhase runs every line of one phase in order; a failing line without
// "-" stops the phase with a *StartError.
func (e *Executor) runPhase(ctx context.Context, u *Unit, phase string, cmds []*sd.Command, env sd.Env) error {
	for _, c := range cmds {
		code, stderr, err := e.runCmd(ctx, u, c, env)
		if err == nil && ctx.Err() != nil {
			err = ctx.Err()
		}
		if (err == nil && code == 0) || (c.IgnoreFail && err == nil) {
			continue
		}
		return &StartError{Unit: u.Name, Phase: phase, Command: e.maskedCommand(c, env),
			Code: code, Stderr: e.mask().Text(stderr), Err: err}
	}
	return nil
}

// maskedCommand renders a command line for messages, secrets masked.
func (e *Executor) maskedCommand(c *sd.Command, env sd.Env) string {
	_, argv := c.Resolve(env, e.Host.Shell)
	masked := e.mask().Argv(argv)
	for i, a := range masked {
		masked[i] = e.mask().Text(a) // the podman line inside a /bin/sh -c wrapper
	}
	return strings.Join(quoteAll(masked), " ")
}

// mask is the one Masker of everything berth prints (the podman client's).
func (e *Executor) mask() *podman.Masker {
	if e.Podman == nil {
		return nil
	}
	return e.Podman.Mask
}

// Start runs ExecStartPre, ExecStart and ExecStartPost and waits for the
// unit to be ready (READY=1 for Type=notify), within TimeoutStartSec. After a
// failed start ExecStopPost runs, as in systemd.
func (e *Executor) Start(ctx context.Context, u *Unit) (*Started, error) {
	// Before anything runs (ExecStopPost after a failed start removes the
	// container by name): never replace another project's container or pod.
	if u.Kind == KindContainer || u.Kind == KindPod {
		if err := e.conflict(ctx, u); err != nil {
			return nil, err
		}
	}
	timeout := u.Svc.TimeoutStart
	ctx, cancel := withTimeout(ctx, timeout)
	defer cancel()
	var probe *conmonProbe
	defer func() { probe.close() }()
	st, err := e.start(ctx, u, &probe)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || ctx.Err() == context.DeadlineExceeded {
			err = &StartError{Unit: u.Name, Phase: "start", Err: fmt.Errorf("timed out after %s (TimeoutStartSec=)", timeout)}
		}
		var se *StartError
		if errors.As(err, &se) && u.Kind == KindContainer && u.Resource != "" {
			if se.Logs = e.mask().Text(probe.tail(15)); se.Logs == "" {
				se.Logs = e.lastLogs(u, 15)
			}
		}
		if se == nil || !se.Exited {
			e.stopPost(context.WithoutCancel(ctx), u, 0)
		}
		return nil, err
	}
	return st, nil
}

// start runs the start phases; probe receives a container's conmon probe.
func (e *Executor) start(ctx context.Context, u *Unit, probe **conmonProbe) (*Started, error) {
	u.learnSecrets(e.mask())
	env, err := e.env(u)
	if err != nil {
		return nil, &StartError{Unit: u.Name, Phase: "EnvironmentFile", Err: err}
	}
	if err := e.runPhase(ctx, u, "ExecStartPre", u.Svc.ExecStartPre, env); err != nil {
		return nil, err
	}
	st := &Started{}
	switch u.Svc.Type {
	case "oneshot":
		if err := e.runPhase(ctx, u, "ExecStart", u.Svc.ExecStart, env); err != nil {
			return nil, err
		}
	case "notify", "notify-reload":
		nctx, stop := ctx, func() error { return nil }
		if u.Kind == KindContainer && e.UnhealthyFails && notifiesHealthy(u) {
			nctx, stop = e.watchUnhealthy(ctx, u)
		}
		st, err = e.startNotify(nctx, u, env)
		if werr := stop(); werr != nil {
			return nil, werr
		}
		if err != nil {
			return nil, err
		}
		if u.Kind == KindContainer {
			*probe = probeConmon(st.MainPID)
			if st.Exited, err = e.settled(ctx, u, *probe, env); err != nil || st.Exited {
				return st, err
			}
		}
	default:
		return nil, &StartError{Unit: u.Name, Phase: "ExecStart",
			Err: fmt.Errorf("Type=%s is not supported without systemd (quadlet units are notify or oneshot)", u.Svc.Type)}
	}
	if len(u.Svc.ExecStartPost) > 0 && u.Kind == KindContainer {
		e.progress(u, "waiting for health")
	}
	env.Set("MAINPID", fmt.Sprint(st.MainPID))
	pctx, stop := ctx, func() error { return nil }
	if u.Kind == KindContainer && u.Resource != "" && len(u.Svc.ExecStartPost) > 0 {
		pctx, stop = e.watchHealth(ctx, u)
	}
	err = e.runPhase(pctx, u, "ExecStartPost", u.Svc.ExecStartPost, env)
	if werr := stop(); werr != nil {
		return nil, werr
	}
	if err != nil {
		return nil, err
	}
	return st, nil
}

// withTimeout bounds ctx by a systemd timeout (TimeoutStartSec=,
// TimeoutStopSec=); infinity bounds nothing.
func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d == sd.Infinity {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}

// healthPoll is how often a start waiting for health reads the container's
// state.
const healthPoll = 500 * time.Millisecond

// watchHealth watches a container whose start waits for it to be healthy
// (the ExecStartPost= health gate): when it ends, or (UnhealthyFails) podman
// marks it unhealthy (its check failed HealthRetries times), waiting on is
// pointless, so the returned context is cancelled, and stop returns why —
// at once, as docker compose fails a service_healthy dependant, not after
// TimeoutStartSec.
func (e *Executor) watchHealth(ctx context.Context, u *Unit) (context.Context, func() error) {
	return e.pollContainer(ctx, u, func(c *podman.State) error {
		switch {
		case c == nil:
			return &StartError{Unit: u.Name, Phase: "ExecStartPost", Reason: "container " + u.Resource + " exited",
				Err: fmt.Errorf("container %s is gone while waiting for it to be healthy", u.Resource)}
		case !c.Running:
			return &StartError{Unit: u.Name, Phase: "ExecStartPost", Code: c.ExitCode, Exited: true,
				Reason: fmt.Sprintf("container %s exited (%d)", u.Resource, c.ExitCode),
				Err:    fmt.Errorf("the container exited with status %d while waiting for it to be healthy", c.ExitCode)}
		case c.Health == "unhealthy" && e.UnhealthyFails:
			return &StartError{Unit: u.Name, Phase: "ExecStartPost", Reason: "container " + u.Resource + " is unhealthy",
				Err: fmt.Errorf("container %s is unhealthy (its health check failed HealthRetries= times)", u.Resource)}
		}
		return nil
	})
}

// settled fails the start of a container whose process failed within the
// settle time after READY=1 (see probe.go); exited reports one that ran to
// completion with status 0 in that time, which systemd counts as a
// successful run of a Type=notify service.
func (e *Executor) settled(ctx context.Context, u *Unit, p *conmonProbe, env sd.Env) (exited bool, err error) {
	d := e.Settle
	if d == 0 {
		d = defaultSettle
	}
	code, ended := p.settle(ctx, e.Clock, d)
	if !ended {
		return false, nil
	}
	if sd.ExitResult(code, u.Svc.SuccessExit...) == sd.ResultSuccess {
		return true, nil
	}
	if c, ierr := e.Podman.Inspect(ctx, u.Resource); ierr == nil && c != nil && !c.Running && c.Health == "unhealthy" {
		// podman >= 5 runs the first check at once and HealthOnFailure=
		// (kill, stop) ended it: the start succeeded, as systemd sees it
		// (READY=1 came), and the exit is the supervisor's, which restarts
		// it per Restart= as systemd would.
		return false, nil
	}
	se := &StartError{Unit: u.Name, Phase: "ExecStart", Code: code, Exited: true,
		Reason: fmt.Sprintf("container %s exited (%d)", u.Resource, code),
		Err:    fmt.Errorf("the container exited with status %d right after it started", code)}
	if len(u.Svc.ExecStart) > 0 {
		se.Command = e.maskedCommand(u.Svc.ExecStart[0], env)
	}
	return false, se
}

// startNotify runs ExecStart with a NOTIFY_SOCKET and waits for READY=1.
// podman run -d exits once conmon is up; conmon sends MAINPID (itself) and
// READY=1, so either order of exit and READY must work.
func (e *Executor) startNotify(ctx context.Context, u *Unit, env sd.Env) (*Started, error) {
	sock, err := sd.ListenNotify(e.NotifyDir, u.Service)
	if err != nil {
		return nil, &StartError{Unit: u.Name, Phase: "ExecStart", Err: err}
	}
	defer sock.Close()
	env.Set("NOTIFY_SOCKET", sock.Path)
	done := make(chan error, 1)
	go func() { done <- e.runPhase(ctx, u, "ExecStart", u.Svc.ExecStart, env) }()
	st := &Started{}
	exited := false
	for {
		select {
		case n, ok := <-sock.C:
			if !ok {
				return nil, &StartError{Unit: u.Name, Phase: "ExecStart", Err: errors.New("notify socket closed")}
			}
			if n.MainPID > 0 {
				st.MainPID = n.MainPID
			}
			if n.Status != "" {
				st.Status = n.Status
			}
			if n.Ready {
				if !exited {
					if err := <-done; err != nil {
						return nil, err
					}
				}
				return st, nil
			}
		case err := <-done:
			if err != nil {
				return nil, err
			}
			exited = true
			done = nil // a nil channel blocks: wait for READY only
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Stop runs ExecStop (when the unit was active), signals a main process that
// is still alive per KillMode, then ExecStopPost.
func (e *Executor) Stop(ctx context.Context, u *Unit, mainPID int) error {
	if owner, foreign := e.notOurs(ctx, u); foreign {
		// Its stop commands remove the object by name: leave another
		// project's (or a container berth did not create) alone.
		e.progress(u, "left alone: "+strings.TrimPrefix(keptReason(u.Kind, owner), "kept: "))
		return nil
	}
	env, _ := e.env(u, fmt.Sprintf("MAINPID=%d", mainPID))
	timeout := u.Svc.TimeoutStop
	sctx, cancel := withTimeout(ctx, timeout)
	defer cancel()
	err := e.runPhase(sctx, u, "ExecStop", u.Svc.ExecStop, env)
	e.killMain(u, mainPID, timeout)
	if perr := e.stopPost(ctx, u, mainPID); err == nil {
		err = perr
	}
	return err
}

func (e *Executor) stopPost(ctx context.Context, u *Unit, mainPID int) error {
	env, _ := e.env(u, fmt.Sprintf("MAINPID=%d", mainPID))
	return e.runPhase(ctx, u, "ExecStopPost", u.Svc.ExecStopPost, env)
}

// killMain applies KillMode= to a main process ExecStop left running:
// SIGTERM (KillSignal=), then SIGKILL after TimeoutStopSec. Without a cgroup
// berth only knows the main process, so control-group and mixed act on it.
func (e *Executor) killMain(u *Unit, pid int, timeout time.Duration) {
	if pid <= 0 || u.Svc.KillMode == "none" || !alive(pid) {
		return
	}
	_ = syscall.Kill(pid, syscall.SIGTERM)
	if timeout == sd.Infinity {
		timeout = sd.DefaultTimeout
	}
	deadline := e.Clock.Now().Add(timeout)
	for alive(pid) && e.Clock.Now().Before(deadline) {
		<-e.Clock.After(50 * time.Millisecond)
	}
	if alive(pid) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// alive reports whether a process exists (and is not a zombie we reaped).
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// lastLogs returns the last n log lines of u's container, when it is the
// project's own: never another project's.
func (e *Executor) lastLogs(u *Unit, n int) string {
	var b bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if owner, exists, err := e.owner(ctx, u); err != nil || !exists || owner != u.Project {
		return ""
	}
	if err := e.Podman.Logs(ctx, u.Resource, podman.LogOptions{Tail: n}, &limitedWriter{&b, 16 << 10}); err != nil {
		return "" // no container (it never started, or --rm removed it)
	}
	return b.String()
}

func quoteAll(words []string) []string {
	out := make([]string, len(words))
	for i, w := range words {
		if w == "" || strings.ContainsAny(w, " \t\n'\"\\$") {
			w = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
		}
		out[i] = w
	}
	return out
}

// limited discards output beyond max bytes (stdout of Exec lines is not
// shown; reading it keeps the child from blocking).
type limited struct{ max, n int }

func (l *limited) Write(p []byte) (int, error) { l.n += len(p); return len(p), nil }

type limitedWriter struct {
	b   *bytes.Buffer
	max int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if room := l.max - l.b.Len(); room > 0 {
		if len(p) > room {
			l.b.Write(p[:room])
		} else {
			l.b.Write(p)
		}
	}
	return len(p), nil
}
